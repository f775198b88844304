package readmodel

import (
	"sort"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// Every figure is a pure function of the set of facts: the same facts in any
// order, delivered any number of times, give the same figures.

// Sum adds the values of additive facts with OccurredAt in [from, to).
func Sum(facts []messages.MetricEvent, from, to time.Time) int64 {
	var total int64
	for _, f := range facts {
		if f.Kind == messages.KindAdditive && inRange(f.OccurredAt, from, to) {
			total += f.Value
		}
	}
	return total
}

// Count counts additive facts with OccurredAt in [from, to).
func Count(facts []messages.MetricEvent, from, to time.Time) int {
	n := 0
	for _, f := range facts {
		if f.Kind == messages.KindAdditive && inRange(f.OccurredAt, from, to) {
			n++
		}
	}
	return n
}

// later reports whether a supersedes b as an entity's state: higher
// Version, then later OccurredAt, then a known value over an unknown one
// (DimensionMRRUnknown), then the greater EventID (a total order, so every
// delivery order picks the same winner).
func later(a, b messages.MetricEvent) bool {
	if a.Version != b.Version {
		return a.Version > b.Version
	}
	if !a.OccurredAt.Equal(b.OccurredAt) {
		return a.OccurredAt.After(b.OccurredAt)
	}
	// The same observation known and unknown (an MRR whose discounts the
	// enrichment fetched afterwards): the known one.
	_, au := a.Dimensions[DimensionMRRUnknown]
	_, bu := b.Dimensions[DimensionMRRUnknown]
	if au != bu {
		return bu
	}
	return a.EventID > b.EventID
}

// StatesAt returns each entity's latest state among facts that occurred
// before t (state facts), or each series' latest reading (gauges).
func StatesAt(facts []messages.MetricEvent, t time.Time) map[string]messages.MetricEvent {
	out := map[string]messages.MetricEvent{}
	for _, f := range facts {
		if f.Kind != messages.KindState && f.Kind != messages.KindGauge {
			continue
		}
		if !f.OccurredAt.Before(t) {
			continue
		}
		cur, ok := out[f.Entity]
		if !ok || later(f, cur) {
			out[f.Entity] = f
		}
	}
	return out
}

// TotalAt is the sum of every entity's (or series') latest value before t:
// MRR, cumulative refunds, cash across accounts.
func TotalAt(facts []messages.MetricEvent, t time.Time) int64 {
	var total int64
	for _, f := range StatesAt(facts, t) {
		total += f.Value
	}
	return total
}

// Change is how much the total of a state metric moved over [from, to):
// refunds issued in the period, net new MRR.
func Change(facts []messages.MetricEvent, from, to time.Time) int64 {
	return TotalAt(facts, to) - TotalAt(facts, from)
}

// Latest returns the most recent fact before t across all entities, and
// whether there is one (the "as of" of a gauge).
func Latest(facts []messages.MetricEvent, t time.Time) (messages.MetricEvent, bool) {
	var best messages.MetricEvent
	found := false
	for _, f := range facts {
		if !f.OccurredAt.Before(t) {
			continue
		}
		if !found || f.OccurredAt.After(best.OccurredAt) || (f.OccurredAt.Equal(best.OccurredAt) && f.EventID > best.EventID) {
			best, found = f, true
		}
	}
	return best, found
}

// ByDimension sums additive facts in [from, to) per value of dimension dim
// (facts without it are grouped under "").
func ByDimension(facts []messages.MetricEvent, dim string, from, to time.Time) map[string]int64 {
	out := map[string]int64{}
	for _, f := range facts {
		if f.Kind == messages.KindAdditive && inRange(f.OccurredAt, from, to) {
			out[f.Dimensions[dim]] += f.Value
		}
	}
	return out
}

// Daily sums additive facts per day in loc over [from, to), one entry per
// day including empty ones, for trend charts.
func Daily(facts []messages.MetricEvent, loc *time.Location, from, to time.Time) []DayValue {
	var days []DayValue
	index := map[string]int{}
	for d := startOfDay(from.In(loc)); d.Before(to); d = d.AddDate(0, 0, 1) {
		index[d.Format(time.DateOnly)] = len(days)
		days = append(days, DayValue{Day: d})
	}
	for _, f := range facts {
		if f.Kind != messages.KindAdditive || !inRange(f.OccurredAt, from, to) {
			continue
		}
		if i, ok := index[f.OccurredAt.In(loc).Format(time.DateOnly)]; ok {
			days[i].Value += f.Value
		}
	}
	return days
}

// DayValue is one day's figure.
type DayValue struct {
	Day   time.Time
	Value int64
}

// OpenFindings returns each finding's latest status, keeping the open ones,
// most severe first.
func OpenFindings(findings []messages.Finding) []messages.Finding {
	latest := map[string]messages.Finding{}
	for _, f := range findings {
		cur, ok := latest[f.FindingID]
		if !ok || f.OccurredAt.After(cur.OccurredAt) || (f.OccurredAt.Equal(cur.OccurredAt) && f.EventID > cur.EventID) {
			latest[f.FindingID] = f
		}
	}
	var open []messages.Finding
	for _, f := range latest {
		if f.Status == messages.FindingOpen {
			open = append(open, f)
		}
	}
	sort.Slice(open, func(i, j int) bool {
		if a, b := severityRank[open[i].Severity], severityRank[open[j].Severity]; a != b {
			return a < b
		}
		return open[i].FindingID < open[j].FindingID
	})
	return open
}

var severityRank = map[string]int{
	messages.SeverityCritical: 0, messages.SeverityHigh: 1, messages.SeverityMedium: 2,
	messages.SeverityLow: 3, messages.SeverityInfo: 4,
}

func inRange(t, from, to time.Time) bool { return !t.Before(from) && t.Before(to) }

func startOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// PreferParts drops an object's whole-object states once any of its parts
// is known: a state fact whose Entity is its own ObjectID (a charge's
// cumulative amount_refunded) gives way to the facts of the same ObjectID
// with other entities (the charge's refunds, each its own state), so each
// refund counts once whichever events described it. It depends only on the
// set of facts, not their order.
func PreferParts(facts []messages.MetricEvent) []messages.MetricEvent {
	parts := map[string]bool{}
	for _, f := range facts {
		if f.Kind == messages.KindState && f.ObjectID != "" && f.Entity != f.ObjectID {
			parts[f.ObjectID] = true
		}
	}
	if len(parts) == 0 {
		return facts
	}
	out := make([]messages.MetricEvent, 0, len(facts))
	for _, f := range facts {
		if f.Kind == messages.KindState && f.Entity == f.ObjectID && parts[f.ObjectID] {
			continue
		}
		out = append(out, f)
	}
	return out
}

// Distinct keeps one fact per event id: the earliest (then the least
// FactKey). An event id names one fact (producers derive it from the
// object, not the delivery), yet two deliveries may date it differently —
// a webhook at the event's time, a backfill at the balance transaction's
// — and the store keys facts by time as well, so it can hold both. Folds
// over Distinct's result count each fact once, whatever the order.
func Distinct(facts []messages.MetricEvent) []messages.MetricEvent {
	best := make(map[string]int, len(facts))
	dup := false
	for i, f := range facts {
		j, ok := best[f.EventID]
		switch {
		case !ok:
			best[f.EventID] = i
		case f.OccurredAt.Before(facts[j].OccurredAt) || (f.OccurredAt.Equal(facts[j].OccurredAt) && FactKey(f) < FactKey(facts[j])):
			best[f.EventID], dup = i, true
		default:
			dup = true
		}
	}
	if !dup {
		return facts
	}
	out := make([]messages.MetricEvent, 0, len(best))
	for i, f := range facts {
		if best[f.EventID] == i {
			out = append(out, f)
		}
	}
	return out
}
