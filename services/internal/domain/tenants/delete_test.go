package tenants_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/table"
)

func demoFile(t *testing.T) tenants.File {
	t.Helper()
	f, err := os.Open("../../../../deploy/demo/tenants.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	file, err := tenants.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return file
}

// TestEncodeRoundTrips: what Encode writes, Parse reads back the same.
func TestEncodeRoundTrips(t *testing.T) {
	file := demoFile(t)
	var buf bytes.Buffer
	if err := file.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := tenants.Parse(&buf)
	if err != nil {
		t.Fatalf("Parse(Encode(demo)): %v\n%s", err, buf.String())
	}
	if !reflect.DeepEqual(back, file) {
		t.Fatalf("round trip changed the tenants:\n got %+v\nwant %+v", back, file)
	}
}

// tenantsOnly drops the portfolios, whose members cannot be deleted.
func tenantsOnly(f tenants.File) tenants.File {
	f.Portfolios = nil
	return f
}

func TestStoreDeleteRestorePurge(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	db := dynamodb.NewFromConfig(env.AWS)
	store := tenants.Store{DB: db, Table: env.Names.Table}
	ctx := context.Background()
	if err := store.Apply(ctx, tenantsOnly(demoFile(t))); err != nil {
		t.Fatal(err)
	}
	// A ledger item of the tenant, and one of another tenant, in the
	// tenant's partition and in each shard of its read model.
	for _, id := range []string{"jada", "quickdumpnow"} {
		for k := range table.FactShards + 1 {
			pk, sk := table.PK(id), "SEND#test"
			if k > 0 {
				pk, sk = table.ShardPK(id, k-1), "F#m#x"
			}
			if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(env.Names.Table), Item: map[string]types.AttributeValue{
				table.AttrPK: &types.AttributeValueMemberS{Value: pk},
				table.AttrSK: &types.AttributeValueMemberS{Value: sk},
			}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := store.Purge(ctx, "jada"); err == nil {
		t.Fatal("Purge of a tenant not deleted succeeded")
	}
	if err := store.Delete(ctx, "jada", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Get(ctx, "jada"); !errors.Is(err, tenants.ErrDeleted) || !errors.Is(err, tenants.ErrNotFound) {
		t.Fatalf("Get(deleted) = %v, want ErrDeleted (an ErrNotFound)", err)
	}
	list, _ := store.List(ctx)
	for _, tn := range list {
		if tn.ID == "jada" {
			t.Fatal("List() has the deleted tenant")
		}
	}
	all, _ := store.ListAll(ctx)
	found := false
	for _, st := range all {
		if st.ID == "jada" {
			found = !st.DeletedAt.IsZero()
		}
	}
	if !found {
		t.Fatal("ListAll() does not show jada as deleted")
	}
	if err := store.Restore(ctx, "jada"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Get(ctx, "jada"); err != nil {
		t.Fatalf("Get after Restore: %v", err)
	}
	// Applying again restores too.
	if err := store.Delete(ctx, "jada", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := store.Apply(ctx, tenantsOnly(demoFile(t))); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Get(ctx, "jada"); err != nil {
		t.Fatalf("Get after re-apply: %v", err)
	}
	if err := store.Delete(ctx, "jada", time.Now()); err != nil {
		t.Fatal(err)
	}
	n, err := store.Purge(ctx, "jada")
	if want := 2 + table.FactShards; err != nil || n != want {
		t.Fatalf("Purge = %d, %v; want %d: the config, the ledger item and one fact per shard", n, err, want)
	}
	for k := range table.FactShards {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(env.Names.Table), Key: map[string]types.AttributeValue{
			table.AttrPK: &types.AttributeValueMemberS{Value: table.ShardPK("jada", k)},
			table.AttrSK: &types.AttributeValueMemberS{Value: "F#m#x"},
		}})
		if err != nil || out.Item != nil {
			t.Fatalf("shard %d of the purged tenant still holds its fact (%v)", k, err)
		}
		out, err = db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(env.Names.Table), Key: map[string]types.AttributeValue{
			table.AttrPK: &types.AttributeValueMemberS{Value: table.ShardPK("quickdumpnow", k)},
			table.AttrSK: &types.AttributeValueMemberS{Value: "F#m#x"},
		}})
		if err != nil || out.Item == nil {
			t.Fatalf("purge touched another tenant's shard %d: %v", k, err)
		}
	}
	if _, err := store.Get(ctx, "jada"); !errors.Is(err, tenants.ErrNotFound) || errors.Is(err, tenants.ErrDeleted) {
		t.Fatalf("Get(purged) = %v, want ErrNotFound", err)
	}
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(env.Names.Table), Key: map[string]types.AttributeValue{
		table.AttrPK: &types.AttributeValueMemberS{Value: table.PK("quickdumpnow")},
		table.AttrSK: &types.AttributeValueMemberS{Value: "SEND#test"},
	}})
	if err != nil || out.Item == nil {
		t.Fatalf("purge touched another tenant: %v", err)
	}
	if err := store.Restore(ctx, "nobody"); !errors.Is(err, tenants.ErrNotFound) {
		t.Fatalf("Restore(nobody) = %v", err)
	}
}

// TestApplyOverOneHundred: the 100-tenant limit per file is gone.
func TestApplyOverOneHundred(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	store := tenants.Store{DB: dynamodb.NewFromConfig(env.AWS), Table: env.Names.Table}
	var f tenants.File
	for i := range 130 {
		f.Tenants = append(f.Tenants, tenants.Tenant{
			ID: fmt.Sprintf("t%03d", i), Name: "T", Timezone: "UTC", Currency: "USD",
			Stripe: tenants.Stripe{WebhookSecrets: []string{"whsec_x"}},
			Email:  tenants.Email{From: "Boardpack <reports@example.com>"},
		})
	}
	if err := store.Apply(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	list, err := store.List(context.Background())
	if err != nil || len(list) != 130 {
		t.Fatalf("List() = %d tenants, %v; want 130", len(list), err)
	}
}
