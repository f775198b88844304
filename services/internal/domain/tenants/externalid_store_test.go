package tenants_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// A file that does not name a stored tenant cannot give another tenant
// that stored tenant's external id: apply adds and replaces, so the file
// alone does not show the clash (security finding 8). Deleted tenants
// count, since a restore brings them back; replacing the stored tenant in
// the same file frees its id.
func TestApplyRefusesAStoredTenantsExternalID(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	store := tenants.Store{DB: dynamodb.NewFromConfig(env.AWS), Table: env.Names.Table}
	ctx := context.Background()
	const role = `role_arn: "arn:aws:iam::111122223333:role/boardpack-reader"`
	tenant := func(id, ext string) string {
		return `{id: ` + id + `, name: T, timezone: UTC, currency: USD, stripe: {webhook_secrets: [env:W]}, email: {from: "A <a@example.com>"}, aws: {` + role + `, external_id: "` + ext + `"}}`
	}
	parse := func(ts ...string) tenants.File {
		t.Helper()
		f, err := tenants.Parse(strings.NewReader("tenants: [" + strings.Join(ts, ", ") + "]"))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	if err := store.Apply(ctx, parse(tenant("acme", "Zq3vX9LmP2rT8wYk"))); err != nil {
		t.Fatal(err)
	}
	err := store.Apply(ctx, parse(tenant("beta", "Zq3vX9LmP2rT8wYk")))
	if err == nil || !strings.Contains(err.Error(), "tenant beta: aws.external_id: the same as stored tenant acme's") {
		t.Fatalf("apply of beta with acme's external id: %v", err)
	}
	if _, err := store.Get(ctx, "beta"); err == nil {
		t.Error("beta was applied")
	}
	if err := store.Delete(ctx, "acme", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := store.Apply(ctx, parse(tenant("beta", "Zq3vX9LmP2rT8wYk"))); err == nil {
		t.Error("beta took a deleted tenant's external id")
	}
	// acme moves to a new id in the same file: beta may take the old one.
	if err := store.Apply(ctx, parse(tenant("acme", "h7Gd2kQp9sLx4Vbn"), tenant("beta", "Zq3vX9LmP2rT8wYk"))); err != nil {
		t.Errorf("apply replacing acme's id and giving beta the old one: %v", err)
	}
}
