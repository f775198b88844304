package tenants

import (
	"context"
	"strings"
	"testing"
)

func secretTenant(secrets ...string) string {
	var quoted []string
	for _, s := range secrets {
		quoted = append(quoted, `"`+s+`"`)
	}
	return `tenants: [{id: acme, name: Acme, timezone: UTC, currency: USD, stripe: {webhook_secrets: [` +
		strings.Join(quoted, ", ") + `]}, email: {from: "A <a@example.com>"}}]`
}

// A value that looks like a reference (a scheme-like prefix) but is not
// exactly env:, ssm: or secretsmanager: would otherwise become the signing
// key itself.
func TestMistypedSecretReferenceRefused(t *testing.T) {
	for _, ref := range []string{
		"SSM:/boardpack/acme/whsec",
		"secretmanager:boardpack/acme/whsec",
		"Env:STRIPE_WHSEC",
		"ssm :/boardpack/acme/whsec",
		"sm:boardpack/acme",
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:whsec",
		" ssm:/boardpack/acme/whsec",
	} {
		for _, p := range []Policy{{}, {AllowLiteralSecrets: true}} {
			f, err := parseNoValidate(secretTenant("env:OK", ref))
			if err != nil {
				t.Fatal(err)
			}
			err = f.ValidateWith(p)
			if err == nil || !strings.Contains(err.Error(), "tenant acme: stripe.webhook_secrets[1]: ") ||
				!strings.Contains(err.Error(), "not a secret reference") {
				t.Errorf("%q (literals allowed %v): error = %v, want a refusal naming tenant acme and stripe.webhook_secrets[1]", ref, p.AllowLiteralSecrets, err)
			}
		}
	}
	for _, ref := range []string{"env:STRIPE_WHSEC", "ssm:/boardpack/acme/whsec", "secretsmanager:boardpack/acme/whsec"} {
		f, _ := parseNoValidate(secretTenant(ref))
		if err := f.ValidateWith(Policy{}); err != nil {
			t.Errorf("%q refused: %v", ref, err)
		}
	}
}

func TestLiteralSecretNeedsPolicy(t *testing.T) {
	doc := `tenants: [{id: acme, name: Acme, timezone: UTC, currency: USD, stripe: {webhook_secrets: [env:OK, whsec_literal], api_key: sk_test_literal}, email: {from: "A <a@example.com>"}}]`
	f, err := parseNoValidate(doc)
	if err != nil {
		t.Fatal(err)
	}
	err = f.ValidateWith(Policy{})
	for _, want := range []string{"tenant acme: stripe.webhook_secrets[1]: a literal secret", "tenant acme: stripe.api_key: a literal secret", EnvAllowLiteralSecrets} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("literal refused: error = %v, want it to mention %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "whsec_literal") {
		t.Errorf("the error shows the secret: %v", err)
	}
	if err := f.ValidateWith(Policy{AllowLiteralSecrets: true}); err != nil {
		t.Errorf("literal allowed by policy: %v", err)
	}
	// Parse and Validate read the deployment's policy from the environment.
	t.Setenv(EnvAllowLiteralSecrets, "")
	if _, err := Parse(strings.NewReader(doc)); err == nil {
		t.Errorf("Parse accepted a literal secret without %s", EnvAllowLiteralSecrets)
	}
	t.Setenv(EnvAllowLiteralSecrets, "true")
	if _, err := Parse(strings.NewReader(doc)); err != nil {
		t.Errorf("Parse with %s=true: %v", EnvAllowLiteralSecrets, err)
	}
}

// Resolve never takes a mistyped reference for a literal (a tenant applied
// before validation refused it).
func TestResolveRefusesMistypedReference(t *testing.T) {
	r := &SecretResolver{}
	for _, ref := range []string{"SSM:/boardpack/acme/whsec", "secretmanager:x"} {
		v, err := r.Resolve(context.Background(), ref)
		if err == nil || v != "" {
			t.Errorf("Resolve(%q) = %q, %v; want an error", ref, v, err)
		}
	}
	if v, err := r.Resolve(context.Background(), "whsec_literal"); err != nil || v != "whsec_literal" {
		t.Errorf("Resolve(literal) = %q, %v", v, err)
	}
}

func parseNoValidate(doc string) (File, error) { return decodeFile(strings.NewReader(doc)) }
