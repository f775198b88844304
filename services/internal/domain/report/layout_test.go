package report

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// TestExecutivesGetPlainWords: with every source missing, no executive
// email carries an operator command; the operator's notice does.
func TestExecutivesGetPlainWords(t *testing.T) {
	tn := testTenant()
	for _, src := range []*memSource{{}, fixtureSource()} {
		for _, role := range messages.Roles {
			r, err := Build(context.Background(), src, tn, monthDue(tn, role, 2026, time.October), fixtureNow)
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range []string{"reportctl", "`", "<boardpack host>", "tenants file", "webhook"} {
				if strings.Contains(r.Text, bad) || strings.Contains(r.HTML, bad) {
					t.Errorf("%s (%d facts): the email contains %q", role, len(src.facts), bad)
				}
			}
		}
	}
	h, err := AnalyseDataHealth(context.Background(), &memSource{}, tn, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	r, err := RenderDataHealth(h)
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "Data health · Queen of San Diego <script>alert(1)</script>: 10 missing, 1 settings to fix" {
		t.Errorf("notice subject %q", r.Subject)
	}
	for _, w := range []string{
		"- expense data: missing, last data never.\n  Fix: import expenses.csv (`reportctl import --tenant queen --kind expenses expenses.csv`)",
		"- Stripe data: missing, last data never.\n  Fix: add a Stripe webhook to https://<boardpack host>/webhooks/stripe/queen, or run `reportctl stripe backfill --tenant queen`",
		"- operator address: not set.\n  Fix: set email.operator",
	} {
		if !strings.Contains(r.Text, w) {
			t.Errorf("notice lacks %q:\n%s", w, r.Text)
		}
	}
	if strings.Contains(r.HTML, "<script>alert(1)") {
		t.Error("the notice does not escape the tenant name")
	}
	// The rich fixture is healthy but for the operator address.
	h, _ = AnalyseDataHealth(context.Background(), fixtureSource(), tn, fixtureEnd)
	if len(h.Issues) != 0 {
		t.Errorf("fixture issues: %+v", h.Issues)
	}
}

// TestNoDataIsAShortFriendlyEmail: never a grid of dashes.
func TestNoDataIsAShortFriendlyEmail(t *testing.T) {
	tn := testTenant()
	for _, role := range messages.Roles {
		r, err := Build(context.Background(), &memSource{}, tn, monthDue(tn, role, 2026, time.October), fixtureNow)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.Text, "Boardpack has not received any data for Queen of San Diego <script>alert(1)</script>, so there is nothing to report for October 2026 yet.\nMissing: Stripe data, Stripe balance, checkout data, AWS cost data, AWS data, expense data, cash balance, revenue targets, marketing channel data, pipeline data.") {
			t.Errorf("%s no-data text:\n%s", role, r.Text)
		}
		if n := strings.Count(r.Text, "\n"); n > 20 || strings.Contains(r.Text, "unknown") {
			t.Errorf("%s no-data email is %d lines or shows unknowns:\n%s", role, n, r.Text)
		}
		if len(r.Images) != 0 {
			t.Errorf("%s no-data email has %d charts", role, len(r.Images))
		}
	}
}

// TestLayoutBasics: right-aligned numeric headers after inlining,
// color-scheme support, a visible unsubscribe link, a fluid page.
func TestLayoutBasics(t *testing.T) {
	r := buildFixture(t, messages.RoleCTO)
	th := regexp.MustCompile(`<th class="num" style="([^"]*)">Invocations</th>`).FindStringSubmatch(r.HTML)
	if th == nil || !strings.Contains(th[1], "text-align:right") || strings.Contains(th[1], "text-align:left") {
		t.Errorf("numeric header style %q, want right-aligned", th)
	}
	for _, w := range []string{`<meta name="color-scheme" content="light dark"/>`, `@media (prefers-color-scheme: dark)`, `href="` + UnsubscribePlaceholder + `"`, `>Unsubscribe from these reports</a>`, `max-width:640px`} {
		if !strings.Contains(r.HTML, w) {
			t.Errorf("html lacks %q", w)
		}
	}
	if strings.Contains(r.HTML, `width="640"`) && !strings.Contains(r.HTML, `<!--[if mso]><table role="presentation" width="640"`) {
		t.Error("the page has a fixed 640 px width outside Outlook's conditional")
	}
	if !strings.Contains(r.Text, "Unsubscribe: "+UnsubscribePlaceholder) {
		t.Error("text lacks the unsubscribe link")
	}
}

// TestRoleContent: the CEO sees the pipeline and its coverage among the
// KPIs, the CTO opens with findings and actions, the CMO's one channel
// table carries cost per conversion, CAC and ROAS and is reconciled with
// Stripe, and Accounting's anomalies include the reconciliation gap.
func TestRoleContent(t *testing.T) {
	ceo := buildFixture(t, messages.RoleCEO).Text
	if !strings.Contains(ceo, "- Pipeline (open deals) (at 1 Nov 2026): $12,000.00; target $15,000.00 (November); 80.0 % of November's target covered") {
		t.Errorf("ceo pipeline KPI:\n%s", ceo)
	}
	cto := buildFixture(t, messages.RoleCTO).Text
	if s, a, l := strings.Index(cto, "SECURITY FINDINGS"), strings.Index(cto, "ENGINEERING ACTIONS"), strings.Index(cto, "LAMBDA"); s < 0 || a < s || l < a {
		t.Errorf("cto order: findings at %d, actions at %d, lambda at %d", s, a, l)
	}
	cmo := buildFixture(t, messages.RoleCMO).Text
	for _, w := range []string{
		"- google-ads — Visits: 3,298; Conv.: 93; Spend: $1,860.00; Per conv.: $20.00; CAC: $116.25; ROAS: 3.8×",
		"- Checkouts no channel claims — Count: −46",
		"The channels claim 46 more conversions than Stripe completed",
	} {
		if !strings.Contains(cmo, w) {
			t.Errorf("cmo lacks %q", w)
		}
	}
	acc := buildFixture(t, messages.RoleAccounting).Text
	if !strings.Contains(acc, "- Payouts unreconciled (Stripe balance vs payouts) — Oct 2026: −$6,925.92; Sep 2026: −$6,961.66") {
		t.Errorf("accounting anomalies lack the payout gap:\n%s", acc)
	}
	if strings.Contains(acc, "Status: connected") || !strings.Contains(acc, "All 10 sources are connected and current.") {
		t.Error("accounting coverage lists connected sources")
	}
}
