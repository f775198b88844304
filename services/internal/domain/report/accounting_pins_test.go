package report

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// accountingOf is the accounting view of October 2026 for p's facts.
func accountingOf(t *testing.T, p *pinFacts) *AccountingView {
	t.Helper()
	tn := quietTenant()
	due := monthDue(tn, messages.RoleAccounting, 2026, time.October)
	d, err := load(context.Background(), p.source(), tn, due, due.PeriodEnd.Add(time.Hour), withAttention(analysts[messages.RoleAccounting].metrics), true)
	if err != nil {
		t.Fatal(err)
	}
	return analyseAccounting(d).(*AccountingView)
}

func rowsText(rows []Row) string {
	var out []string
	for _, r := range rows {
		out = append(out, strings.Join(r.Cells, " | "))
	}
	return strings.Join(out, "\n")
}

// TestAccountingAnomaliesAndMilestones: a change is an anomaly when it is
// at least 100 of the currency and over half of last period's (any change
// from nothing counts); the milestones split the gap between costs and
// net revenue in quarters and halves.
func TestAccountingAnomaliesAndMilestones(t *testing.T) {
	tn := quietTenant()
	loc := tn.Location()
	oct, sep := time.Date(2026, 10, 5, 12, 0, 0, 0, loc), time.Date(2026, 9, 5, 12, 0, 0, 0, loc)
	p := newPinFacts(tn.ID)
	exp := func(at time.Time, cat string, v int64) {
		p.add(at, messages.SourceImport, metricExpenses, messages.KindState, v, "USD", state("expense/"+at.Format("01")+"/"+cat, 1, dims(messages.DimCategory, cat, messages.DimVendor, "v")))
	}
	exp(sep, "rent", 10000)
	exp(oct, "rent", 20000) // +$100.00, +100 %: an anomaly
	exp(sep, "travel", 20000)
	exp(oct, "travel", 30000) // +$100.00, +50 % exactly: not
	exp(oct, "meals", 9999)   // from nothing, $99.99: under $100
	exp(oct, "office", 10000) // from nothing, $100.00: an anomaly
	p.add(oct, messages.SourceStripe, messages.MetricRevenueGross, messages.KindAdditive, 30000, "USD", dims("product", "Tour"))
	p.add(oct, messages.SourceStripe, messages.MetricRevenueGross, messages.KindAdditive, 20000, "USD", dims("description", "Gift"))
	p.add(oct, messages.SourceStripe, messages.MetricRevenueGross, messages.KindAdditive, 20001, "USD", nil)
	p.add(sep, messages.SourceStripe, messages.MetricRevenueGross, messages.KindAdditive, 47000, "USD", dims("product", "Tour"))
	v := accountingOf(t, p)
	want := strings.Join([]string{
		// Gross charges +$230.01 on $470.00 is under half: not listed.
		"Expenses: office | $100.00 | $0.00 | ▲ new",
		"Expenses: rent | $200.00 | $100.00 | ▲ +100.0 %",
	}, "\n")
	if g := rowsText(v.Anomalies.Rows); g != want {
		t.Errorf("anomalies:\n%s\nwant:\n%s", g, want)
	}
	if g, w := rowsText(v.ByProduct.Rows), "Tour | $300.00\n(no description) | $200.01\nGift | $200.00"; g != w {
		t.Errorf("by product:\n%s\nwant:\n%s", g, w)
	}
	// Costs $699.99 (the October expenses) against net revenue $700.01.
	if len(v.Milestones) != 1 || !strings.HasPrefix(v.Milestones[0].Title, "Break-even reached in Oct 2026") ||
		!strings.HasPrefix(v.Milestones[0].Why, "net revenue $700.01 covers costs $699.99") {
		t.Errorf("milestones %+v, want break-even reached", v.Milestones)
	}
	// Without the $200.01 charge the gap is $699.99 − $500.00 = $199.99.
	p.src.facts = slices.DeleteFunc(p.src.facts, func(e messages.MetricEvent) bool { return e.Value == 20001 })
	p.src.index, p.src.byMetric = sync.Once{}, nil
	v = accountingOf(t, p)
	var ms []string
	for _, a := range v.Milestones {
		ms = append(ms, a.Priority+" "+a.Title+" ("+a.Why+")")
	}
	want = strings.Join([]string{
		"1 Close a quarter of the gap: +$49.99 net revenue a period (gap is $199.99 in Oct 2026)",
		"2 Close half of the gap: +$99.99 (costs $699.99 vs net revenue $500.00)",
	}, "\n")
	if g := strings.Join(ms, "\n"); len(ms) != 3 || !strings.HasPrefix(g, want) || !strings.HasPrefix(ms[2], "3 Break even: net revenue ≥ $699.99 a period") {
		t.Errorf("milestones:\n%s\nwant first:\n%s", g, want)
	}
}

func TestAccountingHelpersPinned(t *testing.T) {
	if minorUnits("USD", 100) != 10000 || minorUnits("JPY", 100) != 100 || minorUnits("KWD", 100) != 100000 || minorUnits("XXQ", 7) != 7 {
		t.Error("minorUnits: want 100 major units in each currency's minor units")
	}
	if g := strings.Join(union(map[string]int64{"b": 1, "a": 2}, map[string]int64{"c": 0, "a": 3}), ","); g != "a,b,c" {
		t.Errorf("union %s", g)
	}
	loc := time.UTC
	per := Period{Start: time.Date(2026, 10, 1, 0, 0, 0, 0, loc), End: time.Date(2026, 11, 1, 0, 0, 0, 0, loc), Loc: loc}
	f := func(at time.Time, k messages.Kind, v int64, ch string) messages.MetricEvent {
		e := messages.MetricEvent{Header: messages.Header{OccurredAt: at}, Kind: k, Value: v}
		if ch != "" {
			e.Dimensions = map[string]string{"channel": ch}
		}
		return e
	}
	by := byDim([]messages.MetricEvent{
		f(per.Start, messages.KindAdditive, 1, "ads"), f(per.End, messages.KindAdditive, 2, "ads"),
		f(per.Start.Add(time.Hour), messages.KindAdditive, 4, ""), f(per.Start.Add(time.Hour), messages.KindState, 8, "ads"),
		f(per.Start.Add(-time.Nanosecond), messages.KindAdditive, 16, "ads"),
	}, "channel", per)
	if by["ads"] != 1 || by["(uncategorised)"] != 4 || len(by) != 2 {
		t.Errorf("byDim %v, want ads 1 and (uncategorised) 4", by)
	}
	all := payoutsNote(finance{}, gap{diff: 5})
	if !strings.HasPrefix(all, "Net revenue is before Stripe's processing fees") || !strings.Contains(all, "available balance only") {
		t.Errorf("note with unknown fees and no pending funds: %q", all)
	}
	if n := payoutsNote(finance{chargeFees: true}, gap{diff: 5, pending: true}); n != "Any other difference is adjustments Boardpack does not receive." {
		t.Errorf("note with fees and pending funds known: %q", n)
	}
	if n := payoutsNote(finance{}, gap{pending: true}); n != "Any other difference is adjustments Boardpack does not receive." {
		t.Errorf("note without a difference: %q", n)
	}
}
