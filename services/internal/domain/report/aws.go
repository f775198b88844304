package report

import (
	"sort"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// awsCostByService is each service's cost over p (in the tenant's
// currency): month-to-date gauges are cumulative per calendar month
// (UTC), so the cost in [s, e) inside month m is MTD_m(e) - MTD_m(s).
func (d *Data) awsCostByService(p Period) (map[string]int64, Num) {
	fs, other := d.inCurrency(messages.MetricAWSCostMonthToDate)
	end := p.End
	if d.AsOf.Before(end) {
		end = d.AsOf
	}
	at := func(t time.Time) map[string]map[string]int64 { // month -> service -> MTD
		out := map[string]map[string]int64{}
		for _, f := range readmodel.StatesAt(fs, t) {
			m, svc := f.Dimensions["month"], f.Dimensions["service"]
			if out[m] == nil {
				out[m] = map[string]int64{}
			}
			out[m][svc] += f.Value
		}
		return out
	}
	startAt, endAt := at(p.Start), at(end)
	by := map[string]int64{}
	var total int64
	for _, m := range monthsUTC(p.Start, end) {
		for svc, v := range endAt[m] {
			// A month that begins inside the period starts from zero.
			c := v - startAt[m][svc]
			by[svc] += c
			total += c
		}
	}
	return by, Num{V: total, Known: d.Known(messages.MetricAWSCostMonthToDate), Other: other}
}

// monthsUTC lists the UTC months (YYYY-MM) that [from, to) touches.
func monthsUTC(from, to time.Time) []string {
	var out []string
	f := from.UTC()
	for m := time.Date(f.Year(), f.Month(), 1, 0, 0, 0, 0, time.UTC); m.Before(to); m = m.AddDate(0, 1, 0) {
		out = append(out, m.Format("2006-01"))
	}
	return out
}

// dayStates sums per-day state metrics (one entity per resource and UTC
// day) over the days of p, per resource dimension dim.
// utcDays is the first and last UTC day that [p.Start, p.End) touches: a
// period ending mid-day (month to date) includes that day's figures so far.
func utcDays(p Period) (first, last string) {
	return p.Start.UTC().Format(time.DateOnly), p.End.Add(-time.Nanosecond).UTC().Format(time.DateOnly)
}

func (d *Data) dayStates(metric, dim string, p Period) map[string]int64 {
	out := map[string]int64{}
	from, last := utcDays(p)
	for _, f := range readmodel.StatesAt(d.Facts(metric), d.AsOf) {
		day := f.Dimensions["day"]
		if day >= from && day <= last {
			out[f.Dimensions[dim]] += f.Value
		}
	}
	return out
}

// dayGaugeMax is the highest daily reading per resource over p (p95
// duration, error rates): the worst day is what needs attention.
func (d *Data) dayGaugeMax(metric, dim string, p Period) map[string]int64 {
	out := map[string]int64{}
	from, last := utcDays(p)
	for _, f := range readmodel.StatesAt(d.Facts(metric), d.AsOf) {
		day := f.Dimensions["day"]
		if day >= from && day <= last {
			if v, ok := out[f.Dimensions[dim]]; !ok || f.Value > v {
				out[f.Dimensions[dim]] = f.Value
			}
		}
	}
	return out
}

// inventory returns the resources of an inventory gauge that still exist
// as of AsOf: a series whose last reading is older than the metric's
// latest observation pass is gone.
func (d *Data) inventory(metric string) []messages.MetricEvent {
	states := readmodel.StatesAt(d.Facts(metric), d.AsOf)
	var latest time.Time
	for _, f := range states {
		if f.OccurredAt.After(latest) {
			latest = f.OccurredAt
		}
	}
	var out []messages.MetricEvent
	for _, f := range states {
		// Passes take a while: readings of the same pass are within minutes.
		if latest.Sub(f.OccurredAt) <= 30*time.Minute {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Entity < out[j].Entity })
	return out
}
