package tenants_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

func TestMain(m *testing.M) { mototest.Main(m) }

func TestStoreApplyListGet(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	store := tenants.Store{DB: dynamodb.NewFromConfig(env.AWS), Table: env.Names.Table}
	f, err := os.Open("../../../../deploy/demo/tenants.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	file, err := tenants.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 2 { // applying twice changes nothing
		if err := store.Apply(ctx, file); err != nil {
			t.Fatal(err)
		}
	}
	list, err := store.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(file.Tenants) {
		t.Fatalf("List() = %d tenants, want %d", len(list), len(file.Tenants))
	}
	got, err := store.Get(ctx, "jada")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "JADA" || got.Timezone != "America/New_York" {
		t.Fatalf("Get(jada) = %+v", got)
	}
	if _, err := store.Get(ctx, "nobody"); !errors.Is(err, tenants.ErrNotFound) {
		t.Fatalf("Get(nobody) error = %v, want ErrNotFound", err)
	}
}
