package report

import (
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

func TestRevenueTargetShares(t *testing.T) {
	b := newPinsBook(pinsTenant())
	b.tn.Finance.MonthlyRevenueTarget = "15000.00"
	b.target(day(9, 1), "2026-10", 3100000) // 1,000.00 a day of October
	b.add(day(9, 1), messages.SourceImport, messages.MetricEvent{Metric: metricRevenueTarget, Kind: messages.KindState, Version: 1, Entity: "target/2026-11/revenue", Value: 999,
		Currency: "EUR", Dimensions: map[string]string{messages.DimMonth: "2026-11", messages.DimMetric: messages.TargetRevenue}})
	oct := func(d int) time.Time { return time.Date(2026, 10, d, 0, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		name       string
		start, end time.Time
		kind       string
		now        time.Time
		want       int64
		src        string
	}{
		{"the whole month", oct(1), oct(1).AddDate(0, 1, 0), messages.PeriodMonth, day(11, 2), 3100000, targetImported},
		{"ten days to date", oct(1), oct(1).AddDate(0, 1, 0), messages.PeriodMonthToDate, oct(11), 1000000, targetImported},
		{"a week", oct(5), oct(12), messages.PeriodInterval, day(11, 2), 700000, targetImported},
		{"a week to date", oct(5), oct(12), messages.PeriodInterval, oct(8), 300000, targetImported},
		// November's EUR target is not the tenant's: the standing target,
		// 15,000.00 over 30 days.
		{"November's first 6 days", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 7, 0, 0, 0, 0, time.UTC), messages.PeriodInterval, day(11, 9), 300000, targetConfig},
	} {
		d := b.data(t, c.start, c.end, c.kind, c.now)
		v, src, ok := d.revenueTarget(d.Period)
		if !ok || v != c.want || src != c.src {
			t.Errorf("%s: target %d (%s, %v), want %d (%s)", c.name, v, src, ok, c.want, c.src)
		}
	}
	b.tn.Finance.MonthlyRevenueTarget = ""
	d := b.data(t, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 7, 0, 0, 0, 0, time.UTC), messages.PeriodInterval, day(11, 9))
	if v, src, ok := d.revenueTarget(d.Period); ok || v != 0 || src != "" {
		t.Errorf("no target: %d %q %v", v, src, ok)
	}
}
