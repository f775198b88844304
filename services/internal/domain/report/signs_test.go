package report

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// buildFixture renders a role of the rich fixture for October 2026.
func buildFixture(t *testing.T, role string) Rendered {
	t.Helper()
	tn := testTenant()
	r, err := Build(context.Background(), fixtureSource(), tn, monthDue(tn, role, 2026, time.October), fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var fixtureCache *memSource

func fixtureSource() *memSource {
	if fixtureCache == nil {
		fixtureCache = fullData(testTenant().ID, fixtureEnd)
	}
	return fixtureCache
}

func TestFormattingSignsAndSmallNumbers(t *testing.T) {
	for _, c := range []struct{ name, got, want string }{
		{"no refund is no deduction", deduction(0, "USD"), "$0.00"},
		{"a deduction has a minus sign", deduction(4500, "USD"), "−$45.00"},
		{"negative money", money(-492092, "USD"), "−$4,920.92"},
		{"64 errors in 1,391,900 calls", rate(64, 1391900), "<0.1 %"},
		{"zero errors", rate(0, 1391900), "0.0 %"},
		{"5,184 in 1,546,900", rate(5184, 1546900), "0.3 %"},
		{"with counts", rateWithCounts(64, 1391900), "<0.1 % · 64 of 1,391,900"},
		{"one deploy to none", countDelta(0, 1, true).String(), "▼ −1"},
		{"same deploys", countDelta(1, 1, true).String(), "no change"},
		{"counts from 10 get a percentage", countDelta(12, 10, true).String(), "▲ +20.0 %"},
		{"cost down", moneyDelta(90, 100, false).String(), "▼ −10.0 %"},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if s := moneyDelta(12900, 11600, false).Status; s != bad {
		t.Errorf("cost up: status %q, want bad", s)
	}
	if s := moneyDelta(12900, 11600, true).Status; s != good {
		t.Errorf("revenue up: status %q, want good", s)
	}
}

func TestRenderedSignsAndColours(t *testing.T) {
	ceo, cfo, cto, acc := buildFixture(t, messages.RoleCEO), buildFixture(t, messages.RoleCFO), buildFixture(t, messages.RoleCTO), buildFixture(t, messages.RoleAccounting)
	for _, c := range []struct {
		role, text string
		want       []string
		not        []string
	}{
		{"ceo", ceo.Text, []string{"Net profit (Oct 2026): $4,920.92 (▲ +11.1 %); prev. profit $4,427.66 (Sep 2026); monthly profit $4,824.19 (average of 3 months Aug–Oct 2026)"}, []string{"-$", "−$4,824.19", "Net burn (Oct 2026): -"}},
		{"cfo", cfo.Text, []string{"Net profit (net revenue − costs) — Oct 2026: $4,920.92; Sep 2026: $4,427.66"}, []string{"-$"}},
		{"cto", cto.Text, []string{"api — Invocations: 1,391,900; Errors (rate): 64 (<0.1 %)", "Deploys (October 2026): 1 (no change)", "Amazon DynamoDB — Cost: $129.00; Previous: $116.00; Change: ▲ +11.2 %"}, []string{"0.0 %", "(+0.0 %)"}},
		{"accounting", acc.Text, []string{"Disputes: funds withdrawn — Oct 2026: $0.00"}, []string{"−$0.00", "-$0.00"}},
	} {
		for _, w := range c.want {
			if !strings.Contains(c.text, w) {
				t.Errorf("%s: text lacks %q", c.role, w)
			}
		}
		for _, n := range c.not {
			if strings.Contains(c.text, n) {
				t.Errorf("%s: text contains %q", c.role, n)
			}
		}
	}
	// Only the offending cell is coloured: the label of the burn line is
	// not green, its current figure is.
	row := regexp.MustCompile(`<tr><td class="([^"]*)"[^>]*>Net profit \(net revenue − costs\)</td><td class="num ([^"]*)"`).FindStringSubmatch(cfo.HTML)
	if row == nil || row[1] != "" || row[2] != "good" {
		t.Errorf("cfo burn row classes %q, want label uncoloured and the figure good", row)
	}
	// Cost up is bad: DynamoDB's ▲ is red.
	if !regexp.MustCompile(`<td class="num bad"[^>]*>▲ \+11\.2 %</td>`).MatchString(cto.HTML) {
		t.Error("cto: DynamoDB's cost increase is not coloured bad")
	}
	// Revenue up is good: the CEO's ▲ is green.
	if !regexp.MustCompile(`<span class="note good"[^>]*>▲ \+5\.4 %</span>`).MatchString(ceo.HTML) {
		t.Error("ceo: revenue's increase is not coloured good")
	}
}

// TestSubjectCarriesTheHeadline: never a bare role name; the inbox line
// says how the period went and how many items need attention.
func TestSubjectCarriesTheHeadline(t *testing.T) {
	want := map[string]string{
		messages.RoleCEO:        "Queen of San Diego <script>alert(1)</script> · CEO · Oct 2026: $10.5k revenue, 87.5 % of target · 5 need attention",
		messages.RoleCFO:        "Queen of San Diego <script>alert(1)</script> · CFO · Oct 2026: profitable, $10.5k revenue, 87.5 % of target · 3 need attention",
		messages.RoleCTO:        "Queen of San Diego <script>alert(1)</script> · CTO · Oct 2026: 0.2 % Lambda errors, $498 AWS · 2 need attention",
		messages.RoleCMO:        "Queen of San Diego <script>alert(1)</script> · CMO · Oct 2026: 32 new customers, CAC $116 · 3 need attention",
		messages.RoleAccounting: "Queen of San Diego <script>alert(1)</script> · Accounting · Oct 2026: $10k net revenue, payouts off by $6.9k · 1 needs attention",
	}
	for role, w := range want {
		r := buildFixture(t, role)
		if r.Subject != w {
			t.Errorf("%s subject %q, want %q", role, r.Subject, w)
		}
	}
	if r := buildFixture(t, messages.RoleAccounting); !strings.Contains(r.HTML, ">Payouts do not reconcile: −$6,925.92 unreconciled (69 % of net revenue)</div>") {
		t.Error("accounting preheader is not the top item")
	}
	for _, c := range []struct {
		minor int64
		want  string
	}{{1050000, "$10.5k"}, {49800, "$498"}, {-692592, "−$6.9k"}, {123456789, "$1.2M"}, {1000000, "$10k"}} {
		if got := compactMoney(c.minor, "USD"); got != c.want {
			t.Errorf("compactMoney(%d) = %q, want %q", c.minor, got, c.want)
		}
	}
}
