package account

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// The collector refuses, at use, what tenants apply refuses: a tenant
// applied before the rules (or under a permissive deployment) is never read
// with the collector's own credentials or a guessable external id.
func TestAccountsRefuseAmbientAndWeakExternalID(t *testing.T) {
	ctx := context.Background()
	base := aws.Config{Region: "us-east-1"}
	ambient := tenants.Tenant{ID: "acme", AWS: &tenants.AWS{Regions: []string{"eu-west-1"}}}
	if _, _, err := NewSDK(base, false).For(ctx, ambient); err == nil ||
		!strings.Contains(err.Error(), "tenant acme: aws.role_arn") || !strings.Contains(err.Error(), tenants.EnvAllowAmbientAWS) {
		t.Errorf("ambient tenant, not allowed: err = %v", err)
	}
	if _, regions, err := NewSDK(base, true).For(ctx, ambient); err != nil || len(regions) != 1 || regions[0] != "eu-west-1" {
		t.Errorf("ambient tenant, allowed: %v, %v", regions, err)
	}
	for _, ext := range []string{"", "ext-123", "acme-external-id-1"} {
		weak := tenants.Tenant{ID: "acme", AWS: &tenants.AWS{RoleARN: "arn:aws:iam::111122223333:role/r", ExternalID: ext}}
		if _, _, err := NewSDK(base, true).For(ctx, weak); err == nil || !strings.Contains(err.Error(), "tenant acme: aws.external_id") {
			t.Errorf("external id %q: err = %v", ext, err)
		}
	}
	strong := tenants.Tenant{ID: "acme", AWS: &tenants.AWS{RoleARN: "arn:aws:iam::111122223333:role/r", ExternalID: "Zq3vX9LmP2rT8wYk"}}
	if _, _, err := NewSDK(base, false).For(ctx, strong); err != nil {
		t.Errorf("role with a strong external id: %v", err)
	}
}
