package alerts_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/alerting"
	"github.com/boardpack/boardpack/services/internal/domain/alerting/episodes"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/alerts"
)

const alertsFile = `tenants:
  - id: alarmed
    name: Alarmed
    timezone: Europe/Berlin
    currency: EUR
    stripe: {webhook_secrets: [whsec_x]}
    email: {from: "Reports <reports@boardpack.example.com>"}
    recipients: {cfo: [cfo@alarmed.example.com]}
    alerts:
      rules:
        - {name: dispute-opened, metric: dispute.opened, condition: above, threshold: "50.00", window: 1h,
           severity: critical, recipients: [cfo], channels: [email]}
`

// TestAlertsListHistoryTest: list shows the tenant's rule over the default
// of the same name and the other defaults; history runs on a tenant with no
// episodes; test sends one email marked [TEST] to the rule's recipients;
// an unknown rule is a usage error that names the rules there are.
func TestAlertsListHistoryTest(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{Identities: []string{"reports@boardpack.example.com"}})
	file := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := os.WriteFile(file, []byte(alertsFile), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := cli(t, env.Names, "tenants", "apply", "-f", file); r.Code != 0 {
		t.Fatalf("tenants apply: exit %d: %s", r.Code, r.Stderr)
	}

	r := cli(t, env.Names, "alerts", "list", "--tenant", "alarmed")
	if r.Code != 0 {
		t.Fatalf("alerts list: exit %d: %s", r.Code, r.Stderr)
	}
	var dispute string
	for _, line := range strings.Split(r.Stdout, "\n") {
		if strings.Contains(line, "dispute-opened") {
			dispute = line
		}
	}
	if !strings.Contains(dispute, "critical") || !strings.Contains(dispute, "€50.00") && !strings.Contains(dispute, "50.00") {
		t.Errorf("alerts list: the tenant's dispute rule (critical, 50.00) is not the one listed: %q\n%s", dispute, r.Stdout)
	}
	if !strings.Contains(r.Stdout, "payout-failed") {
		t.Errorf("alerts list lacks the default payout-failed rule:\n%s", r.Stdout)
	}

	if r := cli(t, env.Names, "alerts", "history", "--tenant", "alarmed"); r.Code != 0 || !strings.Contains(r.Stdout, "RULE") {
		t.Errorf("alerts history: exit %d, stdout %q, stderr %q", r.Code, r.Stdout, r.Stderr)
	}
	if r := cli(t, env.Names, "alerts", "history", "--limit", "0"); r.Code != 2 {
		t.Errorf("alerts history --limit 0: exit %d, want 2", r.Code)
	}

	// Outside the local run the alerter's development key is refused.
	if r := cli(t, env.Names, "alerts", "test", "--tenant", "alarmed", "--rule", "dispute-opened"); r.Code != 1 || !strings.Contains(r.Stderr, "BOARDPACK_ALERTER_UNSUBSCRIBE_KEY") {
		t.Errorf("development key outside the local run: exit %d, stderr %q", r.Code, r.Stderr)
	}
	t.Setenv("BOARDPACK_LOCAL", "true")
	if r := cli(t, env.Names, "alerts", "test", "--tenant", "alarmed", "--rule", "no-such-rule"); r.Code != 2 || !strings.Contains(r.Stderr, "dispute-opened") {
		t.Errorf("unknown rule: exit %d, stderr %q; want 2 naming the rules", r.Code, r.Stderr)
	}
	r = cli(t, env.Names, "alerts", "test", "--tenant", "alarmed", "--rule", "dispute-opened")
	if r.Code != 0 {
		t.Fatalf("alerts test: exit %d: %s", r.Code, r.Stderr)
	}
	var sent int
	for _, m := range mototest.SentRawEmails(t) {
		if strings.Contains(m.RawData, "[TEST]") && strings.Contains(strings.Join(m.Destinations, ","), "cfo@alarmed.example.com") {
			sent++
		}
	}
	if sent != 1 {
		t.Errorf("%d test alert emails to cfo@alarmed.example.com, want 1", sent)
	}
}

// TestAlertsListPortfolio: --portfolio shows the portfolio's own rule and
// no default rules (portfolios have none unless alerts.defaults: true).
func TestAlertsListPortfolio(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{Identities: []string{"reports@boardpack.example.com"}})
	file := filepath.Join(t.TempDir(), "tenants.yaml")
	body := alertsFile + `portfolios:
  - id: holdco
    name: Holdco
    timezone: Europe/Berlin
    members: [alarmed]
    email: {from: "Holdco <reports@boardpack.example.com>"}
    recipients: {ceo: [ceo@holdco.example.com]}
    alerts:
      rules:
        - {name: holdco-disputes, metric: dispute.opened, condition: above, threshold: "75.00", window: 1h, recipients: [ceo], channels: [email]}
`
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := cli(t, env.Names, "tenants", "apply", "-f", file); r.Code != 0 {
		t.Fatalf("tenants apply: exit %d: %s", r.Code, r.Stderr)
	}
	r := cli(t, env.Names, "alerts", "list", "--portfolio", "holdco")
	if r.Code != 0 {
		t.Fatalf("alerts list --portfolio: exit %d: %s", r.Code, r.Stderr)
	}
	if !strings.Contains(r.Stdout, "holdco-disputes") || strings.Contains(r.Stdout, "payout-failed") {
		t.Errorf("alerts list --portfolio: want the portfolio's rule and no defaults:\n%s", r.Stdout)
	}

	// -o json: the same rows for scripts, with an open episode.
	opened := time.Date(2026, 11, 3, 9, 30, 0, 0, time.FixedZone("CET", 3600))
	states := episodes.Store{DB: dynamodb.NewFromConfig(env.AWS), Table: env.Names.Table}
	if _, _, err := states.Update(context.Background(), "holdco", "holdco-disputes", "alarmed", opened,
		func(ep alerting.Episode) (alerting.Episode, []alerting.Notification) {
			ep.Seq, ep.Open, ep.OpenedAt, ep.LastTrueAt, ep.Value, ep.Currency = 1, true, opened, opened, 9000, "EUR"
			return ep, nil
		}); err != nil {
		t.Fatal(err)
	}
	r = cli(t, env.Names, "alerts", "list", "--portfolio", "holdco", "-o", "json")
	if r.Code != 0 {
		t.Fatalf("alerts list --portfolio -o json: exit %d: %s", r.Code, r.Stderr)
	}
	var rows []alerts.RuleRow
	if err := json.Unmarshal([]byte(r.Stdout), &rows); err != nil {
		t.Fatalf("alerts list -o json is not a JSON array of rows: %v\n%s", err, r.Stdout)
	}
	threshold, err := tenants.ParseAmount("75.00", "EUR")
	if err != nil {
		t.Fatal(err)
	}
	want := []alerts.RuleRow{{Tenant: "holdco", Portfolio: true, Rule: "holdco-disputes", Metric: "dispute.opened", Condition: "above",
		Threshold: threshold.Amount, Unit: "minor_units", Currency: "EUR", WindowSeconds: 3600, Severity: messages.SeverityHigh,
		Channels: []string{"email"}, Recipients: []string{"ceo"}, Timezone: "Europe/Berlin",
		Open: []alerts.OpenEpisode{{Subject: "alarmed", Seq: 1, OpenedAt: opened.UTC(), Value: 9000, Currency: "EUR"}}}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("alerts list --portfolio -o json:\n got %+v\nwant %+v", rows, want)
	}
	if !strings.Contains(r.Stdout, `"opened_at": "2026-11-03T08:30:00Z"`) {
		t.Errorf("opened_at is not RFC 3339 in UTC:\n%s", r.Stdout)
	}
	if r := cli(t, env.Names, "alerts", "list", "--portfolio", "holdco", "--tenant", "alarmed"); r.Code != 2 {
		t.Errorf("--tenant with --portfolio: exit %d, want 2 (usage)", r.Code)
	}
	if r := cli(t, env.Names, "alerts", "list", "--portfolio", "holdco", "-o", "yaml"); r.Code != 2 {
		t.Errorf("-o yaml: exit %d, want 2 (usage)", r.Code)
	}
}
