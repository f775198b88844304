package report

import "time"

// Revenue targets have one source per month, in this precedence:
//
//  1. the month's imported target (targets.csv, metric "revenue");
//  2. finance.monthly_revenue_target in the tenants file.
//
// A period shorter than its month (month to date, a week) gets the
// share of the month's target for the days it covers up to AsOf. Every
// section of every role reads targets through revenueTarget, so a report
// shows one target per period.

// Target sources, as shown beside a target.
const (
	targetImported = "imported month targets"
	targetConfig   = "standing monthly target"
)

// revenueTarget is p's revenue target and its source.
func (d *Data) revenueTarget(p Period) (int64, string, bool) {
	s := p.Start.In(d.Loc)
	mo := Period{Start: time.Date(s.Year(), s.Month(), 1, 0, 0, 0, 0, d.Loc), Loc: d.Loc}
	mo.End = mo.Start.AddDate(0, 1, 0)
	full, src, ok := d.monthTarget(mo)
	if !ok {
		return 0, "", false
	}
	end := minTime(p.End, d.AsOf)
	if p.Start.Equal(mo.Start) && !end.Before(mo.End) {
		return full, src, true
	}
	monthDays := mo.End.Sub(mo.Start).Hours() / 24
	days := end.Sub(p.Start).Hours() / 24
	return int64(float64(full) * days / monthDays), src, true
}

// monthTarget is a calendar month's whole target and its source.
func (d *Data) monthTarget(mo Period) (int64, string, bool) {
	if it := d.targetInMonth(mo); it.Known {
		return it.V, targetImported, true
	}
	if m, ok := d.Tenant.Amount(d.Tenant.Finance.MonthlyRevenueTarget); ok {
		return m.Amount, targetConfig, true
	}
	return 0, "", false
}
