package report

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// TestCompactMoneyPinned: the subject line's rounding at each step
// (whole units under a thousand, k from 1,000, M from 1,000,000), per
// currency digits and for negative amounts.
func TestCompactMoneyPinned(t *testing.T) {
	for _, c := range []struct {
		minor int64
		code  string
		want  string
	}{
		{0, "USD", "$0"}, {49800, "USD", "$498"}, {99900, "USD", "$999"}, {100000, "USD", "$1k"},
		{1050000, "USD", "$10.5k"}, {99990000, "USD", "$999.9k"}, {100000000, "USD", "$1M"}, {150000000, "USD", "$1.5M"},
		{-692592, "USD", minusSign + "$6.9k"}, {1500, "JPY", "¥1.5k"}, {999, "JPY", "¥999"},
		// Rounding that reaches a thousand moves to the next step.
		{99999999, "USD", "$1M"}, {99994999, "USD", "$999.9k"}, {99960, "USD", "$1k"}, {99949, "USD", "$999"},
		{102500, "USD", "$1k"}, {1025000, "USD", "$10.3k"},
	} {
		if got := compactMoney(c.minor, c.code); got != c.want {
			t.Errorf("compactMoney(%d, %s) = %q, want %q", c.minor, c.code, got, c.want)
		}
	}
}

// TestSubjectLineCounts: none, one and several items that need attention.
func TestSubjectLineCounts(t *testing.T) {
	tn := quietTenant()
	due := monthDue(tn, messages.RoleCEO, 2026, time.October)
	d, err := load(context.Background(), newPinFacts(tn.ID).source(), tn, due, due.PeriodEnd, withAttention(nil), true)
	if err != nil {
		t.Fatal(err)
	}
	v := analysts[messages.RoleCEO].analyse(d)
	pre := tn.Name + " · " + roleTitles[messages.RoleCEO] + " · Oct 2026: revenue unknown · "
	for n, want := range map[int]string{0: "nothing needs attention", 1: "1 needs attention", 2: "2 need attention", 7: "7 need attention"} {
		if got := subjectLine(d, v, n); got != pre+want {
			t.Errorf("%d items: %q, want %q", n, got, pre+want)
		}
	}
}

// TestCheckRefusesEachProblem: each invalid request is refused with
// ErrInvalid, naming the problem; a valid one passes.
func TestCheckRefusesEachProblem(t *testing.T) {
	tn := testTenant()
	ok := monthDue(tn, messages.RoleCEO, 2026, time.October)
	if err := check(tn, ok); err != nil {
		t.Fatalf("valid request: %v", err)
	}
	for name, c := range map[string]struct {
		mod  func(*messages.ReportDue, *string, *string)
		want string
	}{
		"other tenant": {func(d *messages.ReportDue, _, _ *string) { d.TenantID = "other" }, "does not match"},
		"no tenant id": {func(d *messages.ReportDue, id, _ *string) { *id, d.TenantID = "", "" }, "does not match"},
		"role":         {func(d *messages.ReportDue, _, _ *string) { d.Role = "janitor" }, "unknown role"},
		"zero start":   {func(d *messages.ReportDue, _, _ *string) { d.PeriodStart = time.Time{} }, "invalid period"},
		"empty period": {func(d *messages.ReportDue, _, _ *string) { d.PeriodEnd = d.PeriodStart }, "invalid period"},
		"name":         {func(_ *messages.ReportDue, _, n *string) { *n = "Queen\r\nBcc: x" }, "line break"},
	} {
		due, tt := ok, tn
		c.mod(&due, &tt.ID, &tt.Name)
		err := check(tt, due)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), ErrInvalid.Error()) {
			t.Errorf("%s: err = %v, want ErrInvalid naming %q", name, err, c.want)
		}
	}
}

// TestHeadlinePerRole: each role's headline from one small October.
func TestHeadlinePerRole(t *testing.T) {
	tn := quietTenant()
	tn.Finance.MonthlyRevenueTarget = "1000.00"
	at := time.Date(2026, 10, 30, 12, 0, 0, 0, tn.Location())
	p := newPinFacts(tn.ID)
	p.add(at, messages.SourceStripe, messages.MetricRevenueGross, messages.KindAdditive, 50000, "USD", nil)
	p.add(at, messages.SourceStripe, messages.MetricCustomersNew, messages.KindAdditive, 3, "", func(e *messages.MetricEvent) { e.Unit = messages.UnitCount })
	p.add(at, messages.SourceImport, metricChannelSpend, messages.KindState, 9000, "USD", state("channel/ads/2026-10-30", 1, dims("channel", "ads")))
	p.add(at, messages.SourceAWS, messages.MetricAWSCostMonthToDate, messages.KindGauge, 1234, "USD", state("AWS Lambda@2026-10", 0, dims("service", "AWS Lambda", "month", "2026-10")))
	headlineOf := func(src *memSource, role string) string {
		t.Helper()
		v, d, err := analyse(context.Background(), src, tn, monthDue(tn, role, 2026, time.October), time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		return headline(d, v)
	}
	for role, want := range map[string]string{
		messages.RoleCEO:        "$500 revenue, 50.0 % of target",
		messages.RoleCTO:        "$12 AWS",
		messages.RoleCMO:        "3 new customers, CAC $30",
		messages.RoleAccounting: "$500 net revenue",
	} {
		if got := headlineOf(p.source(), role); got != want {
			t.Errorf("%s headline %q, want %q", role, got, want)
		}
	}
	if got := headlineOf(p.source(), messages.RoleCFO); !strings.HasSuffix(got, ", $500 revenue, 50.0 % of target") {
		t.Errorf("cfo headline %q", got)
	}
	empty := newPinFacts(tn.ID).source()
	for role, want := range map[string]string{
		messages.RoleCEO: "revenue unknown", messages.RoleCFO: "runway unknown, revenue unknown",
		messages.RoleCTO: "no data yet", messages.RoleCMO: "no data yet", messages.RoleAccounting: "no data yet",
	} {
		if got := headlineOf(empty, role); got != want {
			t.Errorf("%s headline without data %q, want %q", role, got, want)
		}
	}
}
