package tenants

import (
	"strings"
	"testing"
)

func awsTenant(id, aws string) string {
	return `{id: ` + id + `, name: T, timezone: UTC, currency: USD, stripe: {webhook_secrets: [env:W]}, email: {from: "A <a@example.com>"}, aws: ` + aws + `}`
}

func TestRoleNeedsStrongExternalID(t *testing.T) {
	const role = `role_arn: "arn:aws:iam::111122223333:role/boardpack-reader"`
	for name, c := range map[string]struct{ tenants, want string }{
		"missing":  {awsTenant("acme", `{`+role+`}`), "tenant acme: aws.external_id: required with aws.role_arn"},
		"short":    {awsTenant("acme", `{`+role+`, external_id: "0123456789abcde"}`), "tenant acme: aws.external_id: at least 16 characters"},
		"tenant":   {awsTenant("acme", `{`+role+`, external_id: "boardpack-acme-reader"}`), "tenant acme: aws.external_id: must not contain the tenant id"},
		"charset":  {awsTenant("acme", `{`+role+`, external_id: "0123456789 abcdef"}`), "tenant acme: aws.external_id: "},
		"repeated": {awsTenant("acme", `{`+role+`, external_id: "aaaaaaaaaaaaaaaa"}`), "tenant acme: aws.external_id: looks typed, not random"},
		"few":      {awsTenant("acme", `{`+role+`, external_id: "abababababababab"}`), "tenant acme: aws.external_id: looks typed, not random"},
		"run":      {awsTenant("acme", `{`+role+`, external_id: "abcdefghijklmnop"}`), "tenant acme: aws.external_id: looks typed, not random"},
		"shared":   {awsTenant("acme", `{`+role+`, external_id: "Zq3vX9LmP2rT8wYk"}`) + ", " + awsTenant("beta", `{`+role+`, external_id: "Zq3vX9LmP2rT8wYk"}`), "tenant beta: aws.external_id: the same as tenant acme's"},
		"no-role":  {awsTenant("acme", `{external_id: "Zq3vX9LmP2rT8wYk"}`), "tenant acme: aws.external_id: needs aws.role_arn"},
		"good-two": {awsTenant("acme", `{`+role+`, external_id: "Zq3vX9LmP2rT8wYk"}`) + ", " + awsTenant("beta", `{`+role+`, external_id: "h7Gd2kQp9sLx4Vbn"}`), ""},
	} {
		f, err := decodeFile(strings.NewReader("tenants: [" + c.tenants + "]"))
		if err != nil {
			t.Fatal(err)
		}
		err = f.ValidateWith(Policy{})
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error = %v, want it to mention %q", name, err, c.want)
		}
	}
}

func TestAmbientAWSNeedsPolicy(t *testing.T) {
	doc := "tenants: [" + awsTenant("acme", `{regions: [us-east-1]}`) + "]"
	f, err := decodeFile(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	err = f.ValidateWith(Policy{})
	if err == nil || !strings.Contains(err.Error(), "tenant acme: aws.role_arn: ") || !strings.Contains(err.Error(), EnvAllowAmbientAWS) {
		t.Errorf("ambient without policy: error = %v", err)
	}
	if err := f.ValidateWith(Policy{AllowAmbientAWS: true}); err != nil {
		t.Errorf("ambient allowed: %v", err)
	}
	// No aws section: the AWS collector does not read the tenant at all.
	none, _ := decodeFile(strings.NewReader(`tenants: [{id: acme, name: T, timezone: UTC, currency: USD, stripe: {webhook_secrets: [env:W]}, email: {from: "A <a@example.com>"}}]`))
	if err := none.ValidateWith(Policy{}); err != nil {
		t.Errorf("no aws section: %v", err)
	}
	t.Setenv(EnvAllowAmbientAWS, "")
	if _, err := Parse(strings.NewReader(doc)); err == nil {
		t.Errorf("Parse accepted ambient AWS without %s", EnvAllowAmbientAWS)
	}
	t.Setenv(EnvAllowAmbientAWS, "true")
	if _, err := Parse(strings.NewReader(doc)); err != nil {
		t.Errorf("Parse with %s=true: %v", EnvAllowAmbientAWS, err)
	}
}
