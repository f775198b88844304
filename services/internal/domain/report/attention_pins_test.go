package report

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/attention"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// pinRules loads October 2026 of p's facts (as of its end) for a tenant
// without finance inputs and evaluates every rule.
func pinRules(t *testing.T, tn tenants.Tenant, p *pinFacts) []attention.Item {
	t.Helper()
	due := monthDue(tn, messages.RoleCEO, 2026, time.October)
	d, err := load(context.Background(), p.source(), tn, due, due.PeriodEnd.Add(24*time.Hour), withAttention(nil), true)
	if err != nil {
		t.Fatal(err)
	}
	return evaluateRules(d)
}

func quietTenant() tenants.Tenant {
	tn := testTenant()
	tn.Finance = tenants.Finance{}
	return tn
}

func itemLines(items []attention.Item) string {
	var out []string
	for _, it := range items {
		out = append(out, fmt.Sprintf("%s|%s|%s|%s|%s", it.Rule, it.Severity, it.Title, it.Figure, it.Threshold))
	}
	return strings.Join(out, "\n")
}

func excessOf(t *testing.T, items []attention.Item, title string, want float64) {
	t.Helper()
	for _, it := range items {
		if it.Title == title {
			if math.Abs(it.Excess-want) > 1e-9 {
				t.Errorf("%s: excess %v, want %v", title, it.Excess, want)
			}
			return
		}
	}
	t.Errorf("no item %q", title)
}

// TestRulesAtTheirThresholds: refunds and disputes at exactly 5 % of gross
// and a Lambda at exactly 0.1 % errors do not fire; one cent or one error
// more does, with the excess over the threshold as its rank.
func TestRulesAtTheirThresholds(t *testing.T) {
	tn := quietTenant()
	loc := tn.Location()
	recent := time.Date(2026, 10, 30, 12, 0, 0, 0, loc) // within the stale limits of AsOf
	utcDay := "2026-10-30"
	build := func(disputed int64, errs map[string][2]int64) *pinFacts {
		p := newPinFacts(tn.ID)
		p.add(recent, messages.SourceStripe, messages.MetricRevenueGross, messages.KindAdditive, 100000, "USD", nil)
		p.add(recent, messages.SourceStripe, messages.MetricRevenueRefunded, messages.KindState, 3000, "USD", state("ch_1", 1))
		p.add(recent, messages.SourceStripe, messages.MetricRevenueDisputed, messages.KindAdditive, disputed, "USD", dims("dispute", "dp_1", "funds", "withdrawn"))
		for fn, v := range errs {
			ent := "us-west-2/" + fn + "@" + utcDay
			dd := dims("function", fn, "day", utcDay)
			p.add(recent, messages.SourceAWS, messages.MetricAWSLambdaFunction, messages.KindGauge, 1, "", state("us-west-2/"+fn, 0, dims("function", fn)))
			p.add(recent, messages.SourceAWS, messages.MetricAWSLambdaInvocations, messages.KindState, v[0], "", state(ent, v[0], dd))
			p.add(recent, messages.SourceAWS, messages.MetricAWSLambdaErrors, messages.KindState, v[1], "", state(ent, v[1], dd))
		}
		return p
	}
	at := build(2000, map[string][2]int64{"exact": {10000, 10}, "idle": {0, 3}})
	if got := pinRules(t, tn, at); len(got) != 0 {
		t.Errorf("at the thresholds, fired:\n%s", itemLines(got))
	}
	over := build(2100, map[string][2]int64{
		"exact": {10000, 10}, // 0.1 %: not over
		"b":     {1000, 2},   // 0.2 %: high
		"c":     {1000, 50},  // 5 %: over ten times the limit and at least 5 %: critical
		"d":     {1000, 40},  // 4 %: over ten times the limit but under 5 %: high
	})
	got := pinRules(t, tn, over)
	want := strings.Join([]string{
		"refunds_disputes|high|Refunds and disputes high|$51.00, 5 % of gross|at most 5 % of gross",
		"lambda_error_rate|high|Lambda b is failing|2 errors (0.2 % · 2 of 1,000)|at most 0.1 %",
		"lambda_error_rate|critical|Lambda c is failing|50 errors (5.0 % · 50 of 1,000)|at most 0.1 %",
		"lambda_error_rate|high|Lambda d is failing|40 errors (4.0 % · 40 of 1,000)|at most 0.1 %",
	}, "\n")
	if g := itemLines(got); g != want {
		t.Errorf("over the thresholds:\n%s\nwant:\n%s", g, want)
	}
	excessOf(t, got, "Refunds and disputes high", 5.1/5-1)
	excessOf(t, got, "Lambda b is failing", 0.2/0.1-1)
	excessOf(t, got, "Lambda c is failing", 5/0.1-1)
	excessOf(t, got, "Lambda d is failing", 4/0.1-1)
}

// TestFailedPayoutsRule: one failed payout is over the default of none;
// the item counts and sums them.
func TestFailedPayoutsRule(t *testing.T) {
	tn := quietTenant()
	recent := time.Date(2026, 10, 30, 12, 0, 0, 0, tn.Location())
	p := newPinFacts(tn.ID)
	p.add(recent, messages.SourceStripe, messages.MetricRevenueGross, messages.KindAdditive, 100000, "USD", nil)
	p.add(recent, messages.SourceStripe, messages.MetricPayoutsFailed, messages.KindAdditive, 25000, "USD", nil)
	p.add(recent.Add(time.Hour), messages.SourceStripe, messages.MetricPayoutsFailed, messages.KindAdditive, 5050, "USD", nil)
	got := pinRules(t, tn, p)
	if g, w := itemLines(got), "failed_payouts|high|Payouts failed|2 failed ($300.50)|at most 0"; g != w {
		t.Errorf("items:\n%s\nwant:\n%s", g, w)
	}
	excessOf(t, got, "Payouts failed", 2)
}

// TestStaleSourcesPinned: a stream source quiet for exactly its limit (3
// days) is not stale, one day more is; the longest silence leads and the
// others are named.
func TestStaleSourcesPinned(t *testing.T) {
	tn := quietTenant()
	due := monthDue(tn, messages.RoleCEO, 2026, time.October)
	asOf := due.PeriodEnd
	p := newPinFacts(tn.ID)
	p.add(asOf.Add(-72*time.Hour), messages.SourceStripe, messages.MetricRevenueGross, messages.KindAdditive, 100, "USD", nil)
	p.add(asOf.Add(-96*time.Hour), messages.SourceStripe, messages.MetricCashStripe, messages.KindGauge, 100, "USD", state("USD", 0))
	p.add(asOf.Add(-10*24*time.Hour), messages.SourceAWS, messages.MetricAWSCostMonthToDate, messages.KindGauge, 100, "USD", state("AWS Lambda@2026-10", 0, dims("service", "AWS Lambda", "month", "2026-10")))
	p.add(asOf.Add(-35*24*time.Hour), messages.SourceImport, metricPipelineValue, messages.KindState, 100, "USD", state("deal/a", 1, dims("status", "open")))
	got := pinRules(t, tn, p)
	want := "stale_source|medium|No AWS cost data for 10 days|last data 22 Oct 2026; also quiet: Stripe balance|data at least every 3 days"
	if g := itemLines(got); g != want {
		t.Errorf("items:\n%s\nwant:\n%s", g, want)
	}
	excessOf(t, got, "No AWS cost data for 10 days", 10.0/3-1)
}

func TestAttentionHelpersPinned(t *testing.T) {
	for _, c := range []struct {
		num, den int64
		want     string
	}{{1, 0, "n/a"}, {0, 5, "0 %"}, {1, 1000, "<1 %"}, {-1, 1000, "<1 %"}, {6, 1000, "1 %"}, {-6, 1000, "-1 %"}, {4, 1000, "<1 %"}, {7, 10, "70 %"},
		// Half a per cent rounds away from zero, not to the even 0.
		{5, 1000, "1 %"}, {-5, 1000, "-1 %"}, {25, 1000, "3 %"}} {
		if got := roundPct(c.num, c.den); got != c.want {
			t.Errorf("roundPct(%d, %d) = %q, want %q", c.num, c.den, got, c.want)
		}
	}
	for p, want := range map[float64]string{5: "5 %", 0.1: "0.1 %", 2.5: "2.5 %", 0.126: "0.13 %", 100: "100 %"} {
		if got := fmtPct(p); got != want {
			t.Errorf("fmtPct(%v) = %q, want %q", p, got, want)
		}
	}
	if g := (gap{pending: true}).balanceLabel(); g != "Stripe balance (available + pending) at " {
		t.Errorf("pending label %q", g)
	}
	if g := (gap{}).balanceLabel(); g != "Stripe balance at " {
		t.Errorf("available label %q", g)
	}
	if feesInGap(finance{chargeFees: true}) != "" || !strings.Contains(feesInGap(finance{}), "processing fees") {
		t.Error("feesInGap: want the fees note only when the fees are unknown")
	}
	// Each metric once, the role's first.
	got := withAttention([]string{"x", messages.MetricMRR, "x"})
	if got[0] != "x" || got[1] != messages.MetricMRR {
		t.Errorf("withAttention starts %v", got[:2])
	}
	seen := map[string]int{}
	for _, m := range got {
		seen[m]++
	}
	for m, n := range seen {
		if n != 1 {
			t.Errorf("%s %d times", m, n)
		}
	}
	if seen[messages.MetricPayoutsFailed] != 1 || seen[metricPipelineValue] != 1 {
		t.Error("withAttention lacks the rules' metrics")
	}
}

// TestAgendaFromPinned: items become P1 (critical), P2 (high) or P3 (the
// rest) actions; a shortfall's action already among them, or "no rule
// fired" when one did, is not repeated.
func TestAgendaFromPinned(t *testing.T) {
	items := []attention.Item{
		{Severity: messages.SeverityCritical, Action: "Fix the secret", Title: "Secret", Figure: "1", By: "Nov 3"},
		{Severity: messages.SeverityHigh, Action: "Match payouts", Title: "Gap", Figure: "$5", By: "Nov 7"},
		{Severity: messages.SeverityMedium, Action: "Add deals", Title: "Pipeline", Figure: "80 %", By: "Nov 14"},
	}
	rest := []Action{{Priority: "P2", Title: "Match payouts", Why: "x"}, {Priority: "P3", Title: "Keep going", Why: "No rule fired this period"}, {Priority: "P3", Title: "Hire", Why: "growth"}}
	var got []string
	for _, a := range agendaFrom(nil, items, rest) {
		got = append(got, a.Priority+" "+a.Title+" ("+a.Why+") "+a.By)
	}
	want := "P1 Fix the secret (Secret: 1) Nov 3|P2 Match payouts (Gap: $5) Nov 7|P3 Add deals (Pipeline: 80 %) Nov 14|P3 Hire (growth) "
	if g := strings.Join(got, "|"); g != want {
		t.Errorf("agenda:\n%s\nwant:\n%s", g, want)
	}
	// With no items, "no rule fired" stays.
	if a := agendaFrom(nil, nil, rest[1:2]); len(a) != 1 || a[0].Title != "Keep going" {
		t.Errorf("agenda without items: %+v", a)
	}
}

// TestCostGrowthAtItsThreshold: costs up exactly 20 % do not fire; one
// cent more does, with its excess over the threshold.
func TestCostGrowthAtItsThreshold(t *testing.T) {
	tn := quietTenant()
	loc := tn.Location()
	for _, c := range []struct {
		oct   int64
		fires bool
	}{{120000, false}, {120001, true}} {
		p := newPinFacts(tn.ID)
		p.add(time.Date(2026, 9, 2, 12, 0, 0, 0, loc), messages.SourceImport, metricExpenses, messages.KindState, 100000, "USD", state("expense/sep", 1, dims(messages.DimCategory, "rent")))
		p.add(time.Date(2026, 10, 30, 12, 0, 0, 0, loc), messages.SourceImport, metricExpenses, messages.KindState, c.oct, "USD", state("expense/oct", 1, dims(messages.DimCategory, "rent")))
		got := pinRules(t, tn, p)
		if !c.fires {
			if len(got) != 0 {
				t.Errorf("costs +20 %%: fired\n%s", itemLines(got))
			}
			continue
		}
		if len(got) != 1 || got[0].Rule != attention.CostGrowth || got[0].Title != "Costs growing fast" || !strings.HasPrefix(got[0].Figure, "$1,200.01, ") || got[0].Threshold != "at most 20 % a period" {
			t.Errorf("costs +20.001 %%:\n%s", itemLines(got))
		}
		excessOf(t, got, "Costs growing fast", 20.001/20-1)
	}
}

// TestSecurityFindingsRule: findings below the configured severity do not
// fire; those at or above it are counted by severity, the worst named
// first, and the item is critical only when a critical finding is open.
func TestSecurityFindingsRule(t *testing.T) {
	tn := quietTenant()
	at := time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC)
	run := func(fs ...messages.Finding) []attention.Item {
		p := newPinFacts(tn.ID)
		for i, f := range fs {
			f.Header = messages.Header{EventID: fmt.Sprintf("f%d", i), TenantID: tn.ID, OccurredAt: at, Source: messages.SourceAWS}
			f.FindingID, f.Status = fmt.Sprintf("f%d", i), messages.FindingOpen
			p.src.findings = append(p.src.findings, f)
		}
		return pinRules(t, tn, p)
	}
	if got := run(messages.Finding{Severity: messages.SeverityMedium, Title: "Medium", Resource: "r1"}, messages.Finding{Severity: messages.SeverityLow, Title: "Low", Resource: "r0"}); len(got) != 0 {
		t.Errorf("medium and low findings fired:\n%s", itemLines(got))
	}
	got := run(messages.Finding{Severity: messages.SeverityHigh, Title: "High one", Resource: "r2"}, messages.Finding{Severity: messages.SeverityMedium, Title: "Medium", Resource: "r1"})
	if g, w := itemLines(got), "security_findings|high|1 security findings open|1 high; worst: High one on r2|none at high or above"; g != w {
		t.Errorf("one high:\n%s\nwant:\n%s", g, w)
	}
	excessOf(t, got, "1 security findings open", 1)
	got = run(messages.Finding{Severity: messages.SeverityHigh, Title: "High one", Resource: "r2"}, messages.Finding{Severity: messages.SeverityCritical, Title: "Key leaked", Resource: "r3"},
		messages.Finding{Severity: messages.SeverityHigh, Title: "High two", Resource: "r4"})
	if g, w := itemLines(got), "security_findings|critical|3 security findings open|1 critical, 2 high; worst: Key leaked on r3|none at high or above"; g != w {
		t.Errorf("critical and highs:\n%s\nwant:\n%s", g, w)
	}
	excessOf(t, got, "3 security findings open", 3)
}

// TestPipelineCoverageAtItsThreshold: an open pipeline of exactly next
// month's target covers it; a cent less does not.
func TestPipelineCoverageAtItsThreshold(t *testing.T) {
	tn := quietTenant()
	tn.Finance.MonthlyRevenueTarget = "1000.00"
	for _, c := range []struct {
		open  int64
		fires bool
	}{{100000, false}, {99999, true}} {
		p := newPinFacts(tn.ID)
		p.add(time.Date(2026, 10, 29, 12, 0, 0, 0, tn.Location()), messages.SourceImport, metricPipelineValue, messages.KindState, c.open, "USD", state("deal/a", 1, dims("deal", "A", "stage", "proposal", "status", "open")))
		got := pinRules(t, tn, p)
		if !c.fires {
			if len(got) != 0 {
				t.Errorf("pipeline at 100 %%: fired\n%s", itemLines(got))
			}
			continue
		}
		if len(got) != 1 || got[0].Title != "Pipeline does not cover next month's target" || !strings.HasPrefix(got[0].Figure, "$999.99 open, ") || !strings.HasSuffix(got[0].Figure, " of November's target") {
			t.Errorf("pipeline under 100 %%:\n%s", itemLines(got))
		}
		excessOf(t, got, "Pipeline does not cover next month's target", 1-99.999/100)
	}
}

// TestUnreconciledPayoutsAtItsThreshold: opening balance $1,000.00, net
// revenue $500.00, payouts $300.00: the closing balance should be
// $1,200.00. A difference of exactly 1 % of net revenue ($5.00) is
// tolerated; $5.01 is not.
func TestUnreconciledPayoutsAtItsThreshold(t *testing.T) {
	tn := quietTenant()
	loc := tn.Location()
	for _, c := range []struct {
		diff  int64
		fires bool
	}{{500, false}, {-500, false}, {501, true}} {
		p := newPinFacts(tn.ID)
		p.add(time.Date(2026, 9, 30, 12, 0, 0, 0, loc), messages.SourceStripe, messages.MetricCashStripe, messages.KindGauge, 100000, "USD", state("USD", 0))
		p.add(time.Date(2026, 10, 30, 12, 0, 0, 0, loc), messages.SourceStripe, messages.MetricRevenueGross, messages.KindAdditive, 50000, "USD", nil)
		p.add(time.Date(2026, 10, 30, 13, 0, 0, 0, loc), messages.SourceStripe, messages.MetricPayoutsPaid, messages.KindAdditive, 30000, "USD", nil)
		p.add(time.Date(2026, 10, 31, 12, 0, 0, 0, loc), messages.SourceStripe, messages.MetricCashStripe, messages.KindGauge, 120000+c.diff, "USD", state("USD", 0))
		got := pinRules(t, tn, p)
		if !c.fires {
			if len(got) != 0 {
				t.Errorf("difference %d: fired\n%s", c.diff, itemLines(got))
			}
			continue
		}
		if len(got) != 1 || got[0].Title != "Payouts do not reconcile" || !strings.HasPrefix(got[0].Figure, "+$5.01 unreconciled (1 % of net revenue; it includes Stripe's processing fees") || got[0].Threshold != "at most 1 % of net revenue" {
			t.Errorf("difference %d:\n%s", c.diff, itemLines(got))
		}
		excessOf(t, got, "Payouts do not reconcile", 501.0*100/50000/1-1)
	}
}

// TestRevenueBelowTargetRuns: a target of $1,000.00 a month. Exactly the
// target does not fire; a cent under does, and the run counts the months
// in a row under target back to the first revenue, stopped by a month at
// target.
func TestRevenueBelowTargetRuns(t *testing.T) {
	tn := quietTenant()
	tn.Finance.MonthlyRevenueTarget = "1000.00"
	loc := tn.Location()
	run := func(gross map[time.Month]int64) []attention.Item {
		p := newPinFacts(tn.ID)
		for m, v := range gross {
			p.add(time.Date(2026, m, 28, 12, 0, 0, 0, loc), messages.SourceStripe, messages.MetricRevenueGross, messages.KindAdditive, v, "USD", nil)
		}
		p.add(time.Date(2026, 10, 30, 12, 0, 0, 0, loc), messages.SourceStripe, messages.MetricCustomersNew, messages.KindAdditive, 1, "", nil)
		return pinRules(t, tn, p)
	}
	if got := run(map[time.Month]int64{time.October: 100000}); len(got) != 0 {
		t.Errorf("at target: fired\n%s", itemLines(got))
	}
	for _, c := range []struct {
		gross    map[time.Month]int64
		sev, ttl string
	}{
		{map[time.Month]int64{time.October: 99999}, messages.SeverityMedium, "Revenue below target in Oct 2026"},
		{map[time.Month]int64{time.August: 50000, time.September: 50000, time.October: 99999}, messages.SeverityHigh, "Revenue below target 3 months running"},
		{map[time.Month]int64{time.September: 50000, time.October: 99999}, messages.SeverityMedium, "Revenue below target in Oct 2026"},
		{map[time.Month]int64{time.August: 50000, time.September: 100000, time.October: 99999}, messages.SeverityMedium, "Revenue below target in Oct 2026"},
		{map[time.Month]int64{time.May: 1, time.June: 1, time.July: 1, time.August: 1, time.September: 1, time.October: 99999}, messages.SeverityHigh, "Revenue below target in each of the last 6 months"},
	} {
		got := run(c.gross)
		if len(got) != 1 || got[0].Severity != c.sev || got[0].Title != c.ttl || !strings.HasPrefix(got[0].Figure, "$999.99, ") ||
			got[0].Action != "Decide how to close the $0.01 gap: price, volume or a new target" {
			t.Errorf("%v:\n%s\nwant %s|%s", c.gross, itemLines(got), c.sev, c.ttl)
			continue
		}
		excessOf(t, got, c.ttl, 1-99999.0/100000)
	}
}

// TestCACAboveAOVAtItsThreshold: two charges of $50.00 (an average order
// of $50.00) and two new customers; channel spend of $100.00 is a CAC of
// exactly the average order and does not fire; $100.02 ($50.01) does.
func TestCACAboveAOVAtItsThreshold(t *testing.T) {
	tn := quietTenant()
	loc := tn.Location()
	for _, c := range []struct {
		spend int64
		fires bool
	}{{10000, false}, {10002, true}} {
		p := newPinFacts(tn.ID)
		at := time.Date(2026, 10, 30, 12, 0, 0, 0, loc)
		for i := 0; i < 2; i++ {
			p.add(at, messages.SourceStripe, messages.MetricRevenueGross, messages.KindAdditive, 5000, "USD", nil)
		}
		p.add(at, messages.SourceStripe, messages.MetricCustomersNew, messages.KindAdditive, 2, "", func(e *messages.MetricEvent) { e.Unit = messages.UnitCount })
		p.add(at, messages.SourceImport, metricChannelSpend, messages.KindState, c.spend, "USD", state("channel/ads/2026-10-30", 1, dims("channel", "ads", "status", "active")))
		got := pinRules(t, tn, p)
		if !c.fires {
			if len(got) != 0 {
				t.Errorf("CAC at the average order: fired\n%s", itemLines(got))
			}
			continue
		}
		if g, w := itemLines(got), "cac_above_aov|high|Customers cost more than they buy|CAC $50.01 vs average order $50.00|CAC at most 100 % of the average order"; g != w {
			t.Errorf("CAC over the average order:\n%s\nwant:\n%s", g, w)
		}
		excessOf(t, got, "Customers cost more than they buy", 5001.0/5000-1)
	}
}

// TestFinishPinned: with no data the header says so and names every
// source; with one item the preheader is its title and figure.
func TestFinishPinned(t *testing.T) {
	tn := quietTenant()
	h := attentionOf(t, tn, newPinFacts(tn.ID).source(), messages.RoleCFO)
	var names []string
	for _, s := range allSources {
		names = append(names, s.name)
	}
	if !h.NoData || strings.Join(h.MissingSources, ",") != strings.Join(names, ",") || len(h.Attention) != 0 ||
		h.AttentionNone != "Nothing crossed a threshold in Oct 2026." || h.Preheader != h.AttentionNone ||
		h.UnsubscribeURL != UnsubscribePlaceholder || h.ViewURL != ViewPlaceholder {
		t.Errorf("no data: %+v", h)
	}
	p := newPinFacts(tn.ID)
	at := time.Date(2026, 10, 30, 12, 0, 0, 0, tn.Location())
	p.add(at, messages.SourceStripe, messages.MetricRevenueGross, messages.KindAdditive, 100000, "USD", nil)
	p.add(at, messages.SourceStripe, messages.MetricPayoutsFailed, messages.KindAdditive, 2500, "USD", nil)
	h = attentionOf(t, tn, p.source(), messages.RoleCFO)
	if h.NoData || len(h.MissingSources) != len(allSources)-1 || h.AttentionNone != "" || h.Preheader != "Payouts failed: 1 failed ($25.00)" ||
		!strings.HasSuffix(h.Subject, " · 1 needs attention") {
		t.Errorf("one item: %+v", h)
	}
}
