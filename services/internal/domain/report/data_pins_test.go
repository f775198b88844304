package report

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// TestPeriodLabelsPinned: each shape of period, labelled in full and in
// short, with its day count and previous period.
func TestPeriodLabelsPinned(t *testing.T) {
	loc, _ := time.LoadLocation("America/Los_Angeles")
	at := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, loc) }
	for _, c := range []struct {
		p            Period
		label, short string
		days         int
		prev         string
	}{
		{Period{Start: at(2026, 10, 1, 0), End: at(2026, 11, 1, 0), Kind: messages.PeriodMonth, Loc: loc}, "October 2026", "Oct 2026", 31, "Sep 2026"},
		{Period{Start: at(2026, 10, 1, 0), End: at(2026, 10, 16, 0), Kind: messages.PeriodMonthToDate, Loc: loc}, "1–15 Oct 2026 (month to date)", "1–15 Oct", 15, "1–15 Sep"},
		{Period{Start: at(2026, 3, 1, 0), End: at(2026, 3, 31, 0), Kind: messages.PeriodMonthToDate, Loc: loc}, "1–30 Mar 2026 (month to date)", "1–30 Mar", 30, "Feb 2026"},
		{Period{Start: at(2026, 10, 26, 0), End: at(2026, 11, 2, 0), Kind: messages.PeriodPreviousWeek, Loc: loc}, "26 Oct – 1 Nov 2026 (week)", "26 Oct–1 Nov", 7, "19–25 Oct"},
		{Period{Start: at(2025, 12, 29, 0), End: at(2026, 1, 5, 0), Kind: messages.PeriodInterval, Loc: loc}, "29 Dec 2025 – 4 Jan 2026", "29 Dec–4 Jan", 7, "22–28 Dec"},
		{Period{Start: at(2026, 10, 7, 0), End: at(2026, 10, 8, 0), Kind: messages.PeriodInterval, Loc: loc}, "7 Oct 2026", "7 Oct", 1, "6 Oct"},
		{Period{Start: at(2026, 10, 7, 6), End: at(2026, 10, 7, 18), Kind: messages.PeriodInterval, Loc: loc}, "7 Oct 2026", "7 Oct", 1, "6–7 Oct"},
		{Period{Start: at(2026, 10, 1, 0), End: at(2026, 11, 1, 0), Kind: messages.PeriodInterval, Loc: loc}, "1–31 Oct 2026", "1–31 Oct", 31, "31 Aug–30 Sep"},
	} {
		if g := c.p.Label(); g != c.label {
			t.Errorf("%v: label %q, want %q", c.p.Start, g, c.label)
		}
		if g := c.p.Short(); g != c.short {
			t.Errorf("%v: short %q, want %q", c.p.Start, g, c.short)
		}
		if g := c.p.Days(); g != c.days {
			t.Errorf("%v: %d days, want %d", c.p.Start, g, c.days)
		}
		if g := c.p.previous().Short(); g != c.prev {
			t.Errorf("%v: previous %q, want %q", c.p.Start, g, c.prev)
		}
	}
	ms := months(at(2026, 1, 15, 0), loc, 3)
	var got []string
	for _, m := range ms {
		got = append(got, m.Short())
	}
	if strings.Join(got, ",") != "Nov 2025,Dec 2025,Jan 2026" {
		t.Errorf("months %v", got)
	}
}

// TestCurrencySplitPinned: facts in the tenant's currency count; other
// currencies are named; a Stripe amount without a currency is nobody's;
// counts and imported rows without one count unless their row names
// another currency.
func TestCurrencySplitPinned(t *testing.T) {
	tn := quietTenant()
	at := time.Date(2026, 10, 10, 12, 0, 0, 0, tn.Location())
	p := newPinFacts(tn.ID)
	m := messages.MetricRevenueGross
	p.add(at, messages.SourceStripe, m, messages.KindAdditive, 100, "USD", nil)
	p.add(at, messages.SourceStripe, m, messages.KindAdditive, 200, "EUR", nil)
	p.add(at, messages.SourceStripe, m, messages.KindAdditive, 400, "", nil)
	p.add(at, messages.SourceStripe, m, messages.KindAdditive, 800, "", func(e *messages.MetricEvent) { e.Unit = messages.UnitCount })
	p.add(at, messages.SourceImport, m, messages.KindAdditive, 1600, "", dims("currency", "USD"))
	p.add(at, messages.SourceImport, m, messages.KindAdditive, 3200, "", dims("currency", "GBP"))
	p.add(at, messages.SourceImport, m, messages.KindAdditive, 6400, "", nil)
	due := monthDue(tn, messages.RoleCFO, 2026, time.October)
	d, err := load(context.Background(), p.source(), tn, due, due.PeriodEnd, financeMetrics, false)
	if err != nil {
		t.Fatal(err)
	}
	s := d.Sum(m, d.Period.Start, d.Period.End)
	if s.V != 100+800+1600+6400 || strings.Join(s.Other, ",") != "(no currency),EUR" || !s.Known {
		t.Errorf("sum %+v, want 8,900 with EUR and (no currency) named", s)
	}
	if c := d.Count(m, d.Period.Start, d.Period.End); c.V != 4 {
		t.Errorf("count %d, want 4", c.V)
	}
	if u := d.Sum(messages.MetricRevenueRefunded, d.Period.Start, d.Period.End); u.Known || u.V != 0 {
		t.Errorf("a metric never delivered: %+v, want unknown", u)
	}
}

// TestRowsPinned: imported rows dated in the period, latest state each,
// tombstones dropped, summed and grouped (a row without the dimension is
// "(uncategorised)"); Moved adds additive facts and states' change.
func TestRowsPinned(t *testing.T) {
	tn := quietTenant()
	loc := tn.Location()
	day := func(d int) time.Time { return time.Date(2026, 10, d, 12, 0, 0, 0, loc) }
	p := newPinFacts(tn.ID)
	e := func(at time.Time, ent string, ver, v int64, kv ...string) {
		p.add(at, messages.SourceImport, metricExpenses, messages.KindState, v, "USD", state(ent, ver, dims(kv...)))
	}
	e(day(1), "a", 1, 1000, messages.DimCategory, "rent")
	e(day(1), "a", 2, 1500, messages.DimCategory, "rent") // corrected
	e(day(2), "b", 1, 300)
	e(day(3), "c", 1, 700, messages.DimCategory, "rent", messages.DimRemoved, "true")
	e(time.Date(2026, 9, 30, 12, 0, 0, 0, loc), "d", 1, 50, messages.DimCategory, "rent")
	e(time.Date(2026, 11, 1, 0, 0, 0, 0, loc), "e", 1, 60, messages.DimCategory, "rent")
	e(day(4), "f", 1, 200, messages.DimCategory, "travel")
	p.add(day(5), messages.SourceStripe, messages.MetricPayoutsPaid, messages.KindAdditive, 5000, "USD", nil)
	p.add(day(6), messages.SourceStripe, messages.MetricPayoutsPaid, messages.KindState, 7000, "USD", state("po_1", 1))
	p.add(day(7), messages.SourceStripe, messages.MetricPayoutsPaid, messages.KindState, 7500, "USD", state("po_1", 2))
	due := monthDue(tn, messages.RoleCFO, 2026, time.October)
	d, err := load(context.Background(), p.source(), tn, due, due.PeriodEnd.Add(time.Hour), withAttention(nil), false)
	if err != nil {
		t.Fatal(err)
	}
	if s := d.RowSum(metricExpenses, d.Period); s.V != 1500+300+200 || !s.Known {
		t.Errorf("row sum %+v, want 2,000", s)
	}
	by := d.rowsBy(metricExpenses, messages.DimCategory, d.Period)
	if by["rent"] != 1500 || by["(uncategorised)"] != 300 || by["travel"] != 200 || len(by) != 3 {
		t.Errorf("rows by category %v", by)
	}
	if mv := d.Moved(messages.MetricPayoutsPaid, d.Period.Start, d.Period.End); mv.V != 5000+7500 || !mv.Known {
		t.Errorf("moved %+v, want 12,500", mv)
	}
}
