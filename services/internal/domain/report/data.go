package report

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// Data is what an analyst reads: the tenant, the period, and the facts of
// the metrics it asked for up to AsOf, read for the report's window
// (History): every fold at an instant from History on has the value it
// has over the whole history (readmodel.ReadWindow).
type Data struct {
	Tenant tenants.Tenant
	Loc    *time.Location
	Due    messages.ReportDue
	// Period is the report's period; Prev the one before, of the same kind
	// (the previous calendar month, or the same span shifted back).
	Period, Prev Period
	// AsOf is min(now, period end): no fact after it is read.
	AsOf time.Time
	// Now is the build time.
	Now time.Time
	// History is the earliest instant any figure of the report looks at
	// (historyStart).
	History time.Time
	// snap is everything the report reads, loaded once (readmodel.Read).
	snap *readmodel.Snapshot
	// split memoises inCurrency: analyses ask for the same metric many
	// times (each period, each comparison), and a year of facts is large.
	split map[string]currencySplit
}

type currencySplit struct {
	mine  []messages.MetricEvent
	other []string
}

func load(ctx context.Context, src Source, t tenants.Tenant, due messages.ReportDue, now time.Time, metrics []string, findings bool) (*Data, error) {
	loc := t.Location()
	p := Period{Start: due.PeriodStart, End: due.PeriodEnd, Kind: due.PeriodKind, Loc: loc}
	asOf := due.PeriodEnd
	if now.Before(asOf) {
		asOf = now
	}
	if asOf.Before(due.PeriodStart) {
		return nil, fmt.Errorf("%w: period [%s, %s) starts after now (%s)", ErrInvalid,
			due.PeriodStart.Format(time.RFC3339), due.PeriodEnd.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	prev := p.previous()
	from := historyStart(p, prev, asOf, loc)
	if !boundedReads {
		from = time.Time{}
	}
	snap, err := readmodel.ReadWindow(ctx, src, t.ID, from, asOf, metrics, datedMetrics, findings)
	if err != nil {
		return nil, err
	}
	return &Data{Tenant: t, Loc: loc, Due: due, Period: p, Prev: prev, AsOf: asOf, Now: now, History: from, snap: snap}, nil
}

// The history the analyses look back on, in one place. A report reads its
// period plus this much, whatever the tenant's age (readmodel.ReadWindow
// keeps the state before it as a small carry): the previous period (every
// "vs previous" column), trendMonths calendar months ending with the
// period's (the CFO's targets vs actuals table), and recentDays before
// AsOf (the CEO's "no revenue in 30 days" rule). A role that looks further
// back must widen this, or TestBoundedReportEqualsFullHistory fails.
const (
	trendMonths = 6
	recentDays  = 30
)

// datedMetrics are the period-dated metrics (readmodel.ReadWindow): one
// entity per UTC day (dayStates, dayGaugeMax) or month (cost to date), or
// an imported row dated by its OccurredAt (rows). The analyses select
// their entities by period, so the carry keeps none of their states: it
// would grow by a few entities a day with the tenant's age. Targets are
// not among them: a target for a month may be imported long before it.
var datedMetrics = []string{
	messages.MetricAWSLambdaInvocations, messages.MetricAWSLambdaErrors, messages.MetricAWSLambdaThrottles, messages.MetricAWSLambdaDurationP95,
	messages.MetricAWSCloudFrontRequests, messages.MetricAWSCloudFront4xxRate, messages.MetricAWSCloudFront5xxRate,
	messages.MetricAWSCostMonthToDate,
	metricExpenses, metricChannelSessions, metricChannelConversion, metricChannelSpend,
}

// boundedReads is false only in the test that compares bounded reports
// with ones read over the whole history.
var boundedReads = true

// historyStart is the earliest instant a report of period p (previous
// period prev, as of asOf) looks at.
func historyStart(p, prev Period, asOf time.Time, loc *time.Location) time.Time {
	start := minTime(p.Start, prev.Start)
	if m := months(minTime(p.End, asOf).Add(-1), loc, trendMonths)[0].Start; m.Before(start) {
		start = m
	}
	if r := asOf.AddDate(0, 0, -recentDays); r.Before(start) {
		start = r
	}
	return start
}

// Facts returns the loaded facts of a metric (in any currency).
func (d *Data) Facts(metric string) []messages.MetricEvent { return d.snap.Facts(metric) }

// Known reports whether the metric's source ever delivered a fact (up to
// AsOf): without one, a figure is unknown rather than zero.
func (d *Data) Known(metric string) bool { return len(d.Facts(metric)) > 0 }

// inCurrency splits facts into those in the tenant's currency (or without
// one, for counts) and the set of other currencies seen.
func (d *Data) inCurrency(metric string) ([]messages.MetricEvent, []string) {
	if c, ok := d.split[metric]; ok {
		return c.mine, c.other
	}
	var mine []messages.MetricEvent
	other := map[string]bool{}
	for _, f := range d.Facts(metric) {
		switch {
		case f.Currency == d.Tenant.Currency:
			mine = append(mine, f)
		case f.Currency != "":
			other[f.Currency] = true
		case f.Unit == "" && f.Source == messages.SourceStripe:
			// A Stripe amount whose currency is unknown is nobody's:
			// never counted in the tenant's currency.
			other["(no currency)"] = true
		case f.Dimensions["currency"] == "" || f.Dimensions["currency"] == d.Tenant.Currency:
			mine = append(mine, f) // counts, imported rows
		}
	}
	if d.split == nil {
		d.split = map[string]currencySplit{}
	}
	d.split[metric] = currencySplit{mine: mine, other: slices.Sorted(maps.Keys(other))}
	return mine, d.split[metric].other
}

// Sum is an additive metric over [from, to) in the tenant's currency.
func (d *Data) Sum(metric string, from, to time.Time) Num {
	fs, other := d.inCurrency(metric)
	return Num{V: readmodel.Sum(fs, from, to), Known: d.Known(metric), Other: other}
}

// sumIf is Sum over the facts that keep selects.
func (d *Data) sumIf(metric string, from, to time.Time, keep func(messages.MetricEvent) bool) Num {
	fs, other := d.inCurrency(metric)
	// Summed fact by fact rather than over a filtered copy: a year of
	// facts copied per call was a tenth of a report's CPU.
	var v int64
	for i := range fs {
		if keep(fs[i]) {
			v += readmodel.Sum(fs[i:i+1], from, to)
		}
	}
	return Num{V: v, Known: d.Known(metric), Other: other}
}

// Moved is a money metric over [from, to) whose facts are additive (before
// this round) or states dated at the object (payouts): the additive sum
// plus the states' change.
func (d *Data) Moved(metric string, from, to time.Time) Num {
	a, c := d.Sum(metric, from, to), d.Change(metric, from, to)
	return Num{V: a.V + c.V, Known: a.Known, Other: a.Other}
}

// Count counts additive facts over [from, to) in the tenant's currency
// (charges), or without one (checkouts): a count never sits beside a total
// that leaves some of its facts out.
func (d *Data) Count(metric string, from, to time.Time) Num {
	fs, other := d.inCurrency(metric)
	return Num{V: int64(readmodel.Count(fs, from, to)), Known: d.Known(metric), Other: other}
}

// Change is a state metric's movement over [from, to).
func (d *Data) Change(metric string, from, to time.Time) Num {
	fs, other := d.inCurrency(metric)
	return Num{V: readmodel.Change(fs, from, to), Known: d.Known(metric), Other: other}
}

// TotalAt is a state metric's (or gauge's) total just before t.
func (d *Data) TotalAt(metric string, t time.Time) Num {
	fs, other := d.inCurrency(metric)
	return Num{V: readmodel.TotalAt(fs, t), Known: d.Known(metric), Other: other}
}

// rows returns the latest state of each imported row dated in p, in the
// tenant's currency (or without one), tombstones dropped: a corrected
// re-import replaces rows instead of adding to them.
func (d *Data) rows(metric string, p Period) []messages.MetricEvent {
	fs, _ := d.inCurrency(metric)
	var out []messages.MetricEvent
	for _, f := range readmodel.StatesAt(fs, minTime(p.End, d.AsOf.Add(time.Nanosecond))) {
		if f.OccurredAt.Before(p.Start) || f.Dimensions[messages.DimRemoved] == "true" {
			continue
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Entity < out[j].Entity })
	return out
}

// RowSum sums the imported rows dated in p.
func (d *Data) RowSum(metric string, p Period) Num {
	_, other := d.inCurrency(metric)
	var v int64
	for _, f := range d.rows(metric, p) {
		v += f.Value
	}
	return Num{V: v, Known: d.Known(metric), Other: other}
}

// rowsBy sums the imported rows dated in p per dimension.
func (d *Data) rowsBy(metric, dim string, p Period) map[string]int64 {
	out := map[string]int64{}
	for _, f := range d.rows(metric, p) {
		k := f.Dimensions[dim]
		if k == "" {
			k = "(uncategorised)"
		}
		out[k] += f.Value
	}
	return out
}

// LatestAt returns the time of the metric's latest fact before t.
func (d *Data) LatestAt(metric string, t time.Time) (time.Time, bool) {
	f, ok := readmodel.Latest(d.Facts(metric), t)
	return f.OccurredAt, ok
}

// Findings returns the open findings as of AsOf, most severe first.
func (d *Data) Findings() []messages.Finding { return readmodel.OpenFindings(d.snap.Findings()) }

// FindingsKnown reports whether any finding was ever observed.
func (d *Data) FindingsKnown() bool { return len(d.snap.Findings()) > 0 }

// Num is a figure and whether its source is known.
type Num struct {
	V     int64
	Known bool
	// Other lists currencies whose facts were left out of V (never
	// converted).
	Other []string
}

// Period is [Start, End) in the tenant's time zone.
type Period struct {
	Start, End time.Time
	Kind       string
	Loc        *time.Location
}

// Days is the number of calendar days the period spans.
func (p Period) Days() int {
	n := 0
	for d := startOfDay(p.Start.In(p.Loc)); d.Before(p.End); d = d.AddDate(0, 0, 1) {
		n++
	}
	return n
}

func (p Period) monthly() bool {
	s := p.Start.In(p.Loc)
	return s.Day() == 1 && s.Hour() == 0 && s.Minute() == 0 &&
		(p.Kind == messages.PeriodMonth || p.Kind == messages.PeriodPreviousMonth || p.Kind == messages.PeriodMonthToDate)
}

// previous is the period before: the previous calendar month (the same
// number of days into it for month-to-date), otherwise the same span on
// the wall clock shifted back by calendar: a week is seven calendar days
// even when one of them has 23 or 25 hours (stepping back by elapsed time
// made the week before 26 Oct–1 Nov "18–25 Oct").
func (p Period) previous() Period {
	q := Period{Kind: p.Kind, Loc: p.Loc}
	if p.monthly() {
		s := p.Start.In(p.Loc)
		q.Start = s.AddDate(0, -1, 0)
		// As far into the month on the wall clock, not in elapsed time:
		// 1–7 Nov in Los Angeles holds the 25-hour day, and "6 days 1 h"
		// after 1 Oct ended the month before at 01:00 on 7 Oct.
		days, rest := wallSpan(s, p.End.In(p.Loc))
		q.End = q.Start.AddDate(0, 0, days).Add(rest)
		if q.End.After(s) || p.Kind != messages.PeriodMonthToDate {
			q.End = s
		}
		return q
	}
	q.Start, q.End = stepBack(p.Start.In(p.Loc), p.End.In(p.Loc)), p.Start
	return q
}

// stepBack returns start minus the wall-clock distance from start to end:
// whole calendar days plus the clock difference.
func stepBack(start, end time.Time) time.Time {
	days, rest := wallSpan(start, end)
	return start.AddDate(0, 0, -days).Add(-rest)
}

// wallSpan is the wall-clock distance from start to end: the whole
// calendar days, and the elapsed time after the last of them.
func wallSpan(start, end time.Time) (days int, rest time.Duration) {
	for d := start.AddDate(0, 0, 1); !d.After(end); d = d.AddDate(0, 0, 1) {
		days++
	}
	return days, end.Sub(start.AddDate(0, 0, days))
}

// Label names the period for a reader ("October 2026", "1–15 Nov 2026
// (month to date)").
func (p Period) Label() string {
	s := p.Start.In(p.Loc)
	last := p.End.Add(-time.Nanosecond).In(p.Loc)
	if p.monthly() && p.End.Equal(s.AddDate(0, 1, 0)) {
		return s.Format("January 2006")
	}
	var label string
	switch {
	case s.Year() != last.Year():
		label = s.Format("2 Jan 2006") + " – " + last.Format("2 Jan 2006")
	case s.Month() != last.Month():
		label = s.Format("2 Jan") + " – " + last.Format("2 Jan 2006")
	case s.Day() != last.Day():
		label = fmt.Sprintf("%d–%s", s.Day(), last.Format("2 Jan 2006"))
	default:
		label = s.Format("2 Jan 2006")
	}
	switch p.Kind {
	case messages.PeriodMonthToDate:
		label += " (month to date)"
	case messages.PeriodPreviousWeek:
		label += " (week)"
	}
	return label
}

// Short is a compact label for table cells ("Oct 2026", "1–15 Nov").
func (p Period) Short() string {
	s := p.Start.In(p.Loc)
	last := p.End.Add(-time.Nanosecond).In(p.Loc)
	if p.monthly() && p.End.Equal(s.AddDate(0, 1, 0)) {
		return s.Format("Jan 2006")
	}
	if s.Month() != last.Month() {
		return s.Format("2 Jan") + "–" + last.Format("2 Jan")
	}
	if s.Day() == last.Day() {
		return s.Format("2 Jan")
	}
	return fmt.Sprintf("%d–%s", s.Day(), last.Format("2 Jan"))
}

// months returns the n calendar months ending with the one containing t
// (oldest first), in loc.
func months(t time.Time, loc *time.Location, n int) []Period {
	s := t.In(loc)
	first := time.Date(s.Year(), s.Month(), 1, 0, 0, 0, 0, loc)
	out := make([]Period, n)
	for i := 0; i < n; i++ {
		m := first.AddDate(0, -(n - 1 - i), 0)
		out[i] = Period{Start: m, End: m.AddDate(0, 1, 0), Kind: messages.PeriodMonth, Loc: loc}
	}
	return out
}

func startOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}
