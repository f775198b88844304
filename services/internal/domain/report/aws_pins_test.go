package report

import (
	"context"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// TestAWSCostByServicePinned: a period's cost per service is, per UTC
// month it touches, the month-to-date at its end less that at its start;
// a month begun inside the period starts from zero, and a revision of a
// month before the period is not the period's.
func TestAWSCostByServicePinned(t *testing.T) {
	tn := quietTenant()
	utc := func(m time.Month, d, h int) time.Time { return time.Date(2026, m, d, h, 0, 0, 0, time.UTC) }
	p := newPinFacts(tn.ID)
	mtd := func(at time.Time, svc, month string, v int64, cc string) {
		p.add(at, messages.SourceAWS, messages.MetricAWSCostMonthToDate, messages.KindGauge, v, cc, state(svc+"@"+month, 0, dims("service", svc, "month", month)))
	}
	mtd(utc(9, 30, 20), "AWS Lambda", "2026-09", 4000, "USD")
	mtd(utc(10, 2, 1), "AWS Lambda", "2026-09", 4700, "USD") // September revised in October
	mtd(utc(10, 1, 6), "AWS Lambda", "2026-10", 300, "USD")  // October so far, before the period's start (07:00 UTC)
	mtd(utc(10, 31, 23), "AWS Lambda", "2026-10", 10000, "USD")
	mtd(utc(11, 1, 6), "AWS Lambda", "2026-11", 50, "USD") // November so far, inside October in Los Angeles
	mtd(utc(11, 1, 8), "AWS Lambda", "2026-11", 90, "USD") // after the period
	mtd(utc(10, 20, 23), "Amazon S3", "2026-10", 2000, "USD")
	mtd(utc(10, 20, 23), "Amazon S3 EU", "2026-10", 777, "EUR")
	due := monthDue(tn, messages.RoleCFO, 2026, time.October)
	d, err := load(context.Background(), p.source(), tn, due, due.PeriodEnd.Add(48*time.Hour), financeMetrics, false)
	if err != nil {
		t.Fatal(err)
	}
	by, total := d.awsCostByService(d.Period)
	if by["AWS Lambda"] != 9750 || by["Amazon S3"] != 2000 || len(by) != 2 {
		t.Errorf("by service %v, want Lambda 9,750 (10,000 − 300 + 50) and S3 2,000", by)
	}
	if total.V != 11750 || !total.Known || len(total.Other) != 1 || total.Other[0] != "EUR" {
		t.Errorf("total %+v, want 11,750 known, EUR named", total)
	}
	// As of mid-October: the readings up to then.
	d, err = load(context.Background(), p.source(), tn, due, utc(10, 25, 0), financeMetrics, false)
	if err != nil {
		t.Fatal(err)
	}
	if by, total := d.awsCostByService(d.Period); by["AWS Lambda"] != 0 || by["Amazon S3"] != 2000 || total.V != 2000 {
		t.Errorf("as of Oct 25: %v, %+v; want S3 2,000 and Lambda 0 (300 − 300)", by, total)
	}
	// Nothing known.
	d, err = load(context.Background(), newPinFacts(tn.ID).source(), tn, due, due.PeriodEnd, financeMetrics, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, total := d.awsCostByService(d.Period); total.Known || total.V != 0 {
		t.Errorf("no cost data: %+v, want unknown", total)
	}
}

func TestMonthsAndDaysUTC(t *testing.T) {
	got := monthsUTC(time.Date(2026, 10, 1, 7, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if len(got) != 2 || got[0] != "2026-10" || got[1] != "2026-11" {
		t.Errorf("months %v, want Oct and Nov (December starts at the end)", got)
	}
	f, l := utcDays(Period{Start: time.Date(2026, 10, 1, 7, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	if f != "2026-10-01" || l != "2026-10-31" {
		t.Errorf("days %s..%s, want 2026-10-01..2026-10-31", f, l)
	}
}

// TestInventoryPinned: resources read within 30 minutes of the latest
// pass still exist; older ones are gone; the list is by entity.
func TestInventoryPinned(t *testing.T) {
	tn := quietTenant()
	last := time.Date(2026, 10, 30, 12, 0, 0, 0, time.UTC)
	p := newPinFacts(tn.ID)
	fn := func(at time.Time, name string) {
		p.add(at, messages.SourceAWS, messages.MetricAWSLambdaFunction, messages.KindGauge, 1, "", state(name, 0))
	}
	fn(last, "zeta")
	fn(last.Add(-30*time.Minute), "alpha")
	fn(last.Add(-31*time.Minute), "gone")
	fn(last.Add(-10*time.Minute), "mid")
	due := monthDue(tn, messages.RoleCTO, 2026, time.October)
	d, err := load(context.Background(), p.source(), tn, due, due.PeriodEnd, withAttention(nil), false)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range d.inventory(messages.MetricAWSLambdaFunction) {
		got = append(got, f.Entity)
	}
	if len(got) != 3 || got[0] != "alpha" || got[1] != "mid" || got[2] != "zeta" {
		t.Errorf("inventory %v, want alpha, mid, zeta", got)
	}
}

// TestDayStatesAndGaugeMaxPinned: October in Los Angeles touches the UTC
// days Oct 1 to Nov 1 (it ends at 07:00 UTC on Nov 1): per-day figures of
// those days add up (a day's latest state), the days either side do not;
// the gauge takes the worst day.
func TestDayStatesAndGaugeMaxPinned(t *testing.T) {
	tn := quietTenant()
	p := newPinFacts(tn.ID)
	for i, c := range []struct {
		day string
		v   int64
	}{{"2026-09-30", 1}, {"2026-10-01", 10}, {"2026-10-15", 100}, {"2026-11-01", 1000}, {"2026-11-02", 10000}} {
		at, _ := time.Parse(time.DateOnly, c.day)
		at = at.Add(-24 * time.Hour) // read before AsOf whatever the day
		ent := "us-west-2/api@" + c.day
		dd := dims("function", "api", "day", c.day)
		p.add(at, messages.SourceAWS, messages.MetricAWSLambdaInvocations, messages.KindState, c.v, "", state(ent, 1, dd))
		p.add(at.Add(time.Minute), messages.SourceAWS, messages.MetricAWSLambdaInvocations, messages.KindState, 2*c.v, "", state(ent, 2, dd))
		p.add(at, messages.SourceAWS, messages.MetricAWSLambdaDurationP95, messages.KindGauge, int64(100*(i%3)), "", state(ent, 0, dd))
	}
	due := monthDue(tn, messages.RoleCTO, 2026, time.October)
	d, err := load(context.Background(), p.source(), tn, due, due.PeriodEnd.Add(72*time.Hour), withAttention([]string{messages.MetricAWSLambdaDurationP95}), false)
	if err != nil {
		t.Fatal(err)
	}
	if got := d.dayStates(messages.MetricAWSLambdaInvocations, "function", d.Period); got["api"] != 2*(10+100+1000) || len(got) != 1 {
		t.Errorf("day states %v, want api 2,220", got)
	}
	// p95 by day: Oct 1 100, Oct 15 200, Nov 1 0: the worst is 200.
	if got := d.dayGaugeMax(messages.MetricAWSLambdaDurationP95, "function", d.Period); got["api"] != 200 || len(got) != 1 {
		t.Errorf("gauge max %v, want api 200", got)
	}
}
