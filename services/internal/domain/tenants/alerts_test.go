package tenants

import (
	"encoding/json"
	"strings"
	"testing"
)

const alertTenant = `tenants:
  - id: a
    name: A
    timezone: America/New_York
    currency: USD
    stripe: {webhook_secrets: [x]}
    email: {from: "A <a@example.com>"}
    recipients: {cfo: [cfo@example.com]}
    alerts:
      quiet_hours: "22:00-07:00"
      rules:
        - {name: dispute-opened, metric: dispute.opened, condition: above, threshold: "1.00", severity: critical, recipients: [cfo, ops@example.com], channels: [email, slack]}
        - {name: mrr-drop, metric: mrr, condition: change_pct, threshold: "10", window: 7d}
    slack:
      webhook: %s
      digests: true
`

func TestAlertsAndSlackParseAndRoundTrip(t *testing.T) {
	f, err := Parse(strings.NewReader(strings.Replace(alertTenant, "%s", "env:A_SLACK", 1)))
	if err != nil {
		t.Fatal(err)
	}
	tn := f.Tenants[0]
	if tn.Slack == nil || !tn.Slack.Digests || tn.Alerts == nil || len(tn.Alerts.Rules) != 2 {
		t.Fatalf("parsed %+v", tn.AlertSettings)
	}
	rules := tn.AlertRules()
	var dispute bool
	for _, r := range rules {
		if r.Name == "dispute-opened" {
			dispute = r.Threshold == 100 && r.Critical && r.Quiet != nil
		}
	}
	if !dispute {
		t.Errorf("dispute rule not compiled with threshold, severity and the tenant's quiet hours: %+v", rules)
	}
	// The table stores tenants as JSON: the settings survive it.
	raw, err := json.Marshal(tn)
	if err != nil {
		t.Fatal(err)
	}
	var back Tenant
	if err := json.Unmarshal(raw, &back); err != nil || back.Slack == nil || back.Slack.Webhook != "env:A_SLACK" || len(back.Alerts.Rules) != 2 {
		t.Fatalf("round trip: %v %+v", err, back.AlertSettings)
	}
}

func TestAlertsBadInputNamesTenantRuleAndField(t *testing.T) {
	base := func(rule string) string {
		return `tenants: [{id: a, name: A, timezone: UTC, currency: USD, stripe: {webhook_secrets: [x]}, email: {from: "A <a@example.com>"}, recipients: {cfo: [c@example.com]}, alerts: {rules: [` + rule + `]}}]`
	}
	cases := map[string]struct{ yaml, want string }{
		"unknown metric":   {base(`{name: r1, metric: nope, condition: above, threshold: "1"}`), "tenant a: alerts.rules[r1].metric"},
		"unknown role":     {base(`{name: r1, metric: payout.failed, condition: above, threshold: "1", recipients: [boss]}`), "tenant a: alerts.rules[r1].recipients[0]"},
		"empty role":       {base(`{name: r1, metric: payout.failed, condition: above, threshold: "1", recipients: [ceo]}`), "tenant a: alerts.rules[r1].recipients[0]"},
		"unknown channel":  {base(`{name: r1, metric: payout.failed, condition: above, threshold: "1", channels: [sms]}`), "tenant a: alerts.rules[r1].channels[0]"},
		"negative window":  {base(`{name: r1, metric: payout.failed, condition: above, threshold: "1", window: -5m}`), "tenant a: alerts.rules[r1].window"},
		"bad quiet hours":  {base(`{name: r1, metric: payout.failed, condition: above, threshold: "1", quiet_hours: "late"}`), "tenant a: alerts.rules[r1].quiet_hours"},
		"duplicate rule":   {base(`{name: r1, metric: payout.failed, condition: above, threshold: "1"}, {name: r1, metric: payout.failed, condition: above, threshold: "1"}`), "tenant a: alerts.rules[1].name: duplicate"},
		"slack, no hook":   {base(`{name: r1, metric: payout.failed, condition: above, threshold: "1", channels: [slack]}`), "tenant a: slack.webhook"},
		"unknown rule key": {base(`{name: r1, metric: payout.failed, condition: above, threshold: "1", treshold: "2"}`), "field treshold not found"},
	}
	for name, c := range cases {
		_, err := Parse(strings.NewReader(c.yaml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error = %v, want it to mention %q", name, err, c.want)
		}
	}
}

func TestSlackWebhookURLs(t *testing.T) {
	cases := []struct {
		url, allowed string
		ok           bool
	}{
		{"https://hooks.slack.com/services/T0/B0/XYZ", "", true},
		{"http://hooks.slack.com/services/T0/B0/XYZ", "", false},
		{"https://hooks.slack.com.evil.example/services/x", "", false},
		{"https://evil.example/hook", "", false},
		{"https://chat.example.com/hook", "chat.example.com", true},
		{"http://chat.example.com/hook", "chat.example.com", false},
		{"http://127.0.0.1:9999/slack", "", false},
		{"http://127.0.0.1:9999/slack", "127.0.0.1,localhost", true},
		{"http://localhost:9999/slack", "127.0.0.1, localhost", true},
		{"https://user:pw@hooks.slack.com/services/x", "", false},
	}
	for _, c := range cases {
		t.Setenv("BOARDPACK_SLACK_ALLOWED_HOSTS", c.allowed)
		_, err := Parse(strings.NewReader(strings.Replace(alertTenant, "%s", `"`+c.url+`"`, 1)))
		if (err == nil) != c.ok {
			t.Errorf("%s with allowed %q: error %v, want ok=%v", c.url, c.allowed, err, c.ok)
		}
		if err != nil && (!strings.Contains(err.Error(), "tenant a: slack.webhook") || strings.Contains(err.Error(), "XYZ") || strings.Contains(err.Error(), "9999")) {
			t.Errorf("%s: error %v should name the field and not echo the URL", c.url, err)
		}
	}
}
