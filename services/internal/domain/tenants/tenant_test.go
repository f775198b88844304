package tenants

import (
	"os"
	"strings"
	"testing"
)

func TestDemoTenantsFileIsValid(t *testing.T) {
	f, err := os.Open("../../../../deploy/demo/tenants.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	file, err := Parse(f)
	if err != nil {
		t.Fatalf("demo tenants: %v", err)
	}
	if len(file.Tenants) != 4 {
		t.Fatalf("demo tenants: got %d, want the 4 portfolio businesses", len(file.Tenants))
	}
}

func TestParseNamesTenantAndField(t *testing.T) {
	cases := map[string]struct{ yaml, want string }{
		"bad timezone":    {`tenants: [{id: a, name: A, timezone: Mars/Base, currency: USD, stripe: {webhook_secrets: [x]}, email: {from: "A <a@example.com>"}}]`, "tenant a: timezone"},
		"bad id":          {`tenants: [{id: "A B", name: A, timezone: UTC, currency: USD, stripe: {webhook_secrets: [x]}, email: {from: "A <a@example.com>"}}]`, "id:"},
		"bad cron":        {`tenants: [{id: a, name: A, timezone: UTC, currency: USD, stripe: {webhook_secrets: [x]}, email: {from: "A <a@example.com>"}, schedules: [{role: ceo, cron: "61 * * * *", period: interval}]}]`, "tenant a: schedules[0].cron"},
		"bad role":        {`tenants: [{id: a, name: A, timezone: UTC, currency: USD, stripe: {webhook_secrets: [x]}, email: {from: "A <a@example.com>"}, recipients: {cxo: [a@example.com]}}]`, "tenant a: recipients.cxo"},
		"crlf from":       {`tenants: [{id: a, name: A, timezone: UTC, currency: USD, stripe: {webhook_secrets: [x]}, email: {from: "A <a@example.com>\r\nBcc: x@evil.example"}}]`, "tenant a: email.from"},
		"no secret":       {`tenants: [{id: a, name: A, timezone: UTC, currency: USD, email: {from: "A <a@example.com>"}}]`, "tenant a: stripe.webhook_secrets"},
		"no currency":     {`tenants: [{id: a, name: A, timezone: UTC, stripe: {webhook_secrets: [x]}, email: {from: "A <a@example.com>"}}]`, "tenant a: currency"},
		"bad currency":    {`tenants: [{id: a, name: A, timezone: UTC, currency: usd, stripe: {webhook_secrets: [x]}, email: {from: "A <a@example.com>"}}]`, "tenant a: currency"},
		"bad amount":      {`tenants: [{id: a, name: A, timezone: UTC, currency: JPY, stripe: {webhook_secrets: [x]}, email: {from: "A <a@example.com>"}, finance: {fixed_costs_monthly: "10.5"}}]`, "tenant a: finance.fixed_costs_monthly"},
		"unknown key":     {`tenants: [{id: a, nmae: A}]`, "field nmae not found"},
		"bad api version": {`tenants: [{id: a, name: A, timezone: UTC, currency: USD, stripe: {webhook_secrets: [x], api_versions: ["2024-06-20", "latest"]}, email: {from: "A <a@example.com>"}}]`, "tenant a: stripe.api_versions[1]"},
		"duplicate":       {`tenants: [{id: a, name: A, timezone: UTC, currency: USD, stripe: {webhook_secrets: [x]}, email: {from: "A <a@example.com>"}}, {id: a, name: A, timezone: UTC, currency: USD, stripe: {webhook_secrets: [x]}, email: {from: "A <a@example.com>"}}]`, "tenant a: id: duplicate"},
		"empty":           {``, "empty"},
	}
	for name, c := range cases {
		_, err := Parse(strings.NewReader(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Parse() error = %v, want it to mention %q", name, err, c.want)
		}
	}
}

func TestParseAmount(t *testing.T) {
	cases := []struct {
		in, cur string
		want    int64
		ok      bool
	}{
		{"1234.5", "USD", 123450, true},
		{"20", "USD", 2000, true},
		{"-0.01", "USD", -1, true},
		{"1000", "JPY", 1000, true},
		{"10.5", "JPY", 0, false},
		{"1.001", "USD", 0, false},
		{"12a", "USD", 0, false},
		{"1", "XXZ", 0, false},
	}
	for _, c := range cases {
		m, err := ParseAmount(c.in, c.cur)
		if (err == nil) != c.ok || (c.ok && m.Amount != c.want) {
			t.Errorf("ParseAmount(%q, %s) = %v, %v; want %d ok=%v", c.in, c.cur, m, err, c.want, c.ok)
		}
	}
}

func TestAPIVersionsParse(t *testing.T) {
	f, err := Parse(strings.NewReader(`tenants: [{id: a, name: A, timezone: UTC, currency: USD, stripe: {webhook_secrets: [x], api_versions: ["2020-03-02", "2025-03-31.basil"]}, email: {from: "A <a@example.com>"}}]`))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Tenants[0].Stripe.APIVersions; len(got) != 2 || got[1] != "2025-03-31.basil" {
		t.Fatalf("api_versions = %v", got)
	}
}
