package tenants_test

import (
	"strings"
	"testing"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// TestPortfolioAlertsBadInput: a portfolio's alerts: and slack: are
// refused like a tenant's, each error naming the portfolio, the rule and
// the field.
func TestPortfolioAlertsBadInput(t *testing.T) {
	rule := func(r string) string { return "    members: [alpha, beta]\n    alerts: {rules: [" + r + "]}\n" }
	const ok = `name: r1, metric: payout.failed, condition: above, threshold: "1"`
	cases := map[string]struct{ entry, want string }{
		"unknown metric":        {rule(`{name: r1, metric: revenue.vibes, condition: above, threshold: "1"}`), `portfolio holding: alerts.rules[r1].metric: unknown metric "revenue.vibes"`},
		"unknown condition":     {rule(`{name: r1, metric: payout.failed, condition: sideways, threshold: "1"}`), `portfolio holding: alerts.rules[r1].condition: "sideways" is not one of above, below, change_pct`},
		"change_pct per entity": {rule(`{name: r1, metric: dispute.opened, condition: change_pct, threshold: "10"}`), `portfolio holding: alerts.rules[r1].condition: change_pct needs an aggregate metric`},
		"no threshold":          {rule(`{name: r1, metric: payout.failed, condition: above}`), `portfolio holding: alerts.rules[r1].threshold: required`},
		"word threshold":        {rule(`{name: r1, metric: payout.failed, condition: above, threshold: "lots"}`), `portfolio holding: alerts.rules[r1].threshold`},
		"float threshold":       {rule(`{name: r1, metric: payout.failed, condition: above, threshold: "1e3"}`), `portfolio holding: alerts.rules[r1].threshold: "1e3" is not a decimal amount`},
		"negative threshold":    {rule(`{name: r1, metric: payout.failed, condition: above, threshold: "-5"}`), `portfolio holding: alerts.rules[r1].threshold: "-5" must be a non-negative amount`},
		"NaN threshold":         {rule(`{name: r1, metric: payout.failed, condition: above, threshold: "NaN"}`), `portfolio holding: alerts.rules[r1].threshold: "NaN" is not a decimal amount`},
		"signed threshold":      {rule(`{name: r1, metric: payout.failed, condition: above, threshold: "+5"}`), `portfolio holding: alerts.rules[r1].threshold: "+5" is not a decimal amount`},
		"too many decimals":     {rule(`{name: r1, metric: payout.failed, condition: above, threshold: "1.005"}`), `portfolio holding: alerts.rules[r1].threshold`},
		"bad percent":           {rule(`{name: r1, metric: refunds.today_pct_of_gross, condition: above, threshold: "ten"}`), `portfolio holding: alerts.rules[r1].threshold`},
		"negative window":       {rule(`{` + ok + `, window: -5m}`), `portfolio holding: alerts.rules[r1].window: "-5m" must be positive`},
		"bad window":            {rule(`{` + ok + `, window: soon}`), `portfolio holding: alerts.rules[r1].window`},
		"short repeat":          {rule(`{` + ok + `, repeat: 10s}`), `portfolio holding: alerts.rules[r1].repeat: "10s" must be at least 1m`},
		"bad severity":          {rule(`{` + ok + `, severity: urgent}`), `portfolio holding: alerts.rules[r1].severity: "urgent" is not one of`},
		"unknown role":          {rule(`{` + ok + `, recipients: [boss]}`), `portfolio holding: alerts.rules[r1].recipients[0]: "boss" is neither a role`},
		"role without addresses": {rule(`{` + ok + `, recipients: [cfo]}`),
			`portfolio holding: alerts.rules[r1].recipients[0]: role "cfo" has no addresses in recipients.cfo`},
		"unknown channel":   {rule(`{` + ok + `, channels: [sms]}`), `portfolio holding: alerts.rules[r1].channels[0]: "sms" is not one of email, slack`},
		"bad quiet hours":   {rule(`{` + ok + `, quiet_hours: "late"}`), `portfolio holding: alerts.rules[r1].quiet_hours`},
		"bad default quiet": {"    members: [alpha, beta]\n    alerts: {quiet_hours: \"25:00-07:00\", rules: [{" + ok + "}]}\n", `portfolio holding: alerts.quiet_hours`},
		"bad rule name":     {rule(`{name: "R 1", metric: payout.failed, condition: above, threshold: "1"}`), `portfolio holding: alerts.rules[R 1].name`},
		"duplicate rule":    {rule(`{` + ok + `}, {` + ok + `}`), `portfolio holding: alerts.rules[1].name: duplicate rule "r1"`},
		"stale no source":   {rule(`{name: r1, metric: source.stale, condition: above, threshold: "6"}`), `portfolio holding: alerts.rules[r1].source`},
		"slack without webhook": {rule(`{` + ok + `, channels: [email, slack]}`),
			`portfolio holding: slack.webhook: a rule names channel slack but the portfolio has no slack.webhook`},
		"digests without webhook": {"    members: [alpha, beta]\n    slack: {digests: true}\n", `portfolio holding: slack.webhook: required when slack: is given`},
		"mistyped reference":      {"    members: [alpha, beta]\n    slack: {webhook: \"SSM:/boardpack/slack/holding\", digests: true}\n", `portfolio holding: slack.webhook: "SSM:" is not a secret reference`},
		"webhook not slack":       {"    members: [alpha, beta]\n    slack: {webhook: \"https://evil.example.com/hook\", digests: true}\n", `portfolio holding: slack.webhook: must be https://hooks.slack.com/`},
		"unknown rule key":        {rule(`{` + ok + `, treshold: "2"}`), "field treshold not found"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := parseWith(portfolioFile(c.entry))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

// TestPortfolioAlertThresholdInEachMemberCurrency: a portfolio's money
// threshold must be valid in every member's currency (its rules run in
// each), and the refusal names the currency and the member.
func TestPortfolioAlertThresholdInEachMemberCurrency(t *testing.T) {
	src := strings.Replace(portfolioFile("    members: [alpha, beta, gamma]\n    alerts: {rules: [{name: r1, metric: payout.failed, condition: above, threshold: \"10.50\"}]}\n"),
		"portfolios:", `  - {id: gamma, name: Gamma, timezone: UTC, currency: JPY, stripe: {webhook_secrets: [whsec_x]}, email: {from: "G <g@example.com>"}}
portfolios:`, 1)
	_, err := parseWith(src)
	want := `portfolio holding: alerts.rules[r1].threshold`
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "JPY") || !strings.Contains(err.Error(), "gamma") {
		t.Fatalf("got %v, want %q naming JPY and member gamma", err, want)
	}
	// The same rule with a whole amount is fine in every currency.
	if _, err := parseWith(strings.Replace(src, `"10.50"`, `"10"`, 1)); err != nil {
		t.Fatal(err)
	}
	// Literal webhooks are refused where literals are (production).
	f, err := tenants.DecodeForTest(strings.NewReader(portfolioFile("    members: [alpha, beta]\n    slack: {webhook: \"https://hooks.slack.com/services/T/B/x\"}\n")))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.ValidateWith(tenants.Policy{}); err == nil || !strings.Contains(err.Error(), "portfolio holding: slack.webhook: a literal webhook URL is refused") {
		t.Fatalf("literal webhook without the literal policy: %v", err)
	}
}
