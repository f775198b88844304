package readmodel

import (
	"fmt"
	"sort"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// DimensionCustomer is the dimension of an MRR fact that names the
// subscription's customer. MRR movements are per customer (a second
// subscription of a paying customer is expansion, not new business); an
// MRR fact without it counts its subscription as its own customer.
const DimensionCustomer = "customer"

// DimensionMRRUnknown marks an MRR fact whose value could not be computed
// (messages.MetricMRR): its Value 0 is not a figure. Totals leave it out
// and readers say how many subscriptions are unknown (UnknownMRR);
// movements put a change into or out of the unknown apart (Unknown).
const DimensionMRRUnknown = "mrr_unknown"

// PriceByIDOnly ends the reason of an MRR unknown only because a basil
// invoice line named its price by id (stripemap.PriceByIDOnly, the same
// string: readers must not link the Stripe SDK).
const PriceByIDOnly = "known by id only (usage type and interval unread)"

// UnknownMRR lists, sorted, the subscriptions whose latest MRR state before
// t is unknown.
func UnknownMRR(facts []messages.MetricEvent, t time.Time) []string {
	var out []string
	for entity, f := range StatesAt(facts, t) {
		if f.Dimensions[DimensionMRRUnknown] != "" {
			out = append(out, entity)
		}
	}
	sort.Strings(out)
	return out
}

// Movements splits the change of MRR over [From, To) into ChartMogul's
// movement types, per customer:
//
//   - New: a customer's MRR goes from 0 to more than 0 for the first time;
//   - Reactivation: from 0 to more than 0 after it had been above 0 before
//     (a customer who churned comes back);
//   - Expansion / Contraction: it rises / falls while staying above 0 (an
//     upgrade, an added subscription, a seat change, a discount);
//   - Churn: it falls to 0 (the last subscription cancelled).
//
// Every change of a customer's MRR inside the period is classified at the
// moment it happens, so a customer who starts and cancels within one month
// shows as New and as Churn, as in ChartMogul. Start + New + Expansion +
// Reactivation - Contraction - Churn = End always holds (Check).
type Movements struct {
	From, To time.Time
	// Start and End are the MRR at From and at To (minor units).
	Start, End                                       int64
	New, Expansion, Contraction, Churn, Reactivation int64
	// Customers counted per movement type (a customer counts once per
	// type), as ChartMogul's Chart Data table counts them.
	NewCustomers, ExpansionCustomers, ContractionCustomers, ChurnedCustomers, ReactivatedCustomers int
	// Unknown is the known MRR that became unknown in the period (less
	// what became known again): a price shape the translator cannot
	// price is neither churn nor contraction.
	Unknown int64
}

// Net is the net new MRR of the period.
func (m Movements) Net() int64 {
	return m.New + m.Expansion + m.Reactivation - m.Contraction - m.Churn
}

// Check verifies the roll-forward identity
// start + new + expansion + reactivation - contraction - churn - unknown
// = end.
func (m Movements) Check() error {
	if m.Start+m.Net()-m.Unknown != m.End {
		return fmt.Errorf("mrr roll-forward broken for [%s, %s): start %d + net %d - unknown %d != end %d",
			m.From.Format(time.RFC3339), m.To.Format(time.RFC3339), m.Start, m.Net(), m.Unknown, m.End)
	}
	return nil
}

// MRRMovements computes the movements over [from, to) from MRR facts
// (state facts, one entity per subscription). It needs the facts from the
// beginning, to know each customer's MRR at from and whether a customer
// had ever paid (reactivation versus new). Any order and any duplication of
// facts gives the same result.
func MRRMovements(facts []messages.MetricEvent, from, to time.Time) Movements {
	out := mrrMovements(facts, []time.Time{from, to})
	return out[0]
}

// MonthlyMRRMovements returns one Movements per calendar month in loc that
// overlaps [from, to), each clipped to [from, to).
func MonthlyMRRMovements(facts []messages.MetricEvent, loc *time.Location, from, to time.Time) []Movements {
	bounds := MonthBounds(loc, from, to)
	if len(bounds) < 2 {
		return nil
	}
	return mrrMovements(facts, bounds)
}

// MonthBounds returns from, the start of every month in loc strictly
// inside (from, to), and to: the edges of the calendar months that cover
// [from, to). It returns nil when to is not after from.
func MonthBounds(loc *time.Location, from, to time.Time) []time.Time {
	if !to.After(from) {
		return nil
	}
	bounds := []time.Time{from}
	f := from.In(loc)
	next := time.Date(f.Year(), f.Month(), 1, 0, 0, 0, 0, loc).AddDate(0, 1, 0)
	for ; next.Before(to); next = next.AddDate(0, 1, 0) {
		bounds = append(bounds, next)
	}
	return append(bounds, to)
}

// mrrMovements replays the MRR timeline once and cuts it at bounds
// (ascending): one Movements per [bounds[i], bounds[i+1]).
func mrrMovements(facts []messages.MetricEvent, bounds []time.Time) []Movements {
	// An unknown MRR that a known fact of the same entity and instant
	// supersedes (as high a version: the enrichment's, once it read what
	// the webhook lacked) never held: replayed, it would turn the change
	// it hides into a move into and out of the unknown.
	type instant struct {
		entity string
		at     int64
	}
	known := map[instant]int64{} // highest known version
	for _, f := range facts {
		if f.Kind == messages.KindState && !unknown(f) {
			k := instant{f.Entity, f.OccurredAt.UnixNano()}
			if v, ok := known[k]; !ok || f.Version > v {
				known[k] = f.Version
			}
		}
	}
	var states []messages.MetricEvent
	for _, f := range facts {
		if f.Kind != messages.KindState {
			continue
		}
		if v, ok := known[instant{f.Entity, f.OccurredAt.UnixNano()}]; ok && unknown(f) && v >= f.Version {
			continue
		}
		states = append(states, f)
	}
	// Chronological, and within one instant in supersession order, so
	// that applying "replace when later" leaves exactly StatesAt's winner.
	sort.Slice(states, func(i, j int) bool {
		a, b := states[i], states[j]
		if !a.OccurredAt.Equal(b.OccurredAt) {
			return a.OccurredAt.Before(b.OccurredAt)
		}
		return later(b, a)
	})

	current := map[string]messages.MetricEvent{} // subscription -> applied state
	customerMRR := map[string]int64{}
	everPaid := map[string]bool{}
	var total int64

	out := make([]Movements, len(bounds)-1)
	for i := range out {
		out[i] = Movements{From: bounds[i], To: bounds[i+1]}
	}
	seen := make([]map[string]map[string]bool, len(out)) // period -> type -> customers
	period := -1                                         // index of the period being filled; -1 before the first
	advance := func(t time.Time) bool {
		for period+1 < len(bounds) && !t.Before(bounds[period+1]) {
			period++
			if period < len(out) {
				out[period].Start = total
			}
			if period > 0 {
				out[period-1].End = total
			}
		}
		return period < len(out)
	}
	move := func(customer string, before, after int64) {
		if period >= 0 && before != after { // advance keeps period < len(out)
			m := &out[period]
			if seen[period] == nil {
				seen[period] = map[string]map[string]bool{"new": {}, "churn": {}, "react": {}, "exp": {}, "con": {}}
			}
			switch {
			case before <= 0 && after > 0 && everPaid[customer]:
				m.Reactivation += after - before
				seen[period]["react"][customer] = true
			case before <= 0 && after > 0:
				m.New += after - before
				seen[period]["new"][customer] = true
			case before > 0 && after <= 0:
				m.Churn += before - after
				seen[period]["churn"][customer] = true
			case after > before:
				m.Expansion += after - before
				seen[period]["exp"][customer] = true
			default:
				m.Contraction += before - after
				seen[period]["con"][customer] = true
			}
		}
		if after > 0 {
			everPaid[customer] = true
		}
	}

	for _, f := range states {
		if !advance(f.OccurredAt) {
			break
		}
		cur, had := current[f.Entity]
		if had && !later(f, cur) {
			continue // an older or duplicate state: no effect
		}
		current[f.Entity] = f
		newCust := customerOf(f)
		var old, prev int64
		if had {
			old, prev = cur.Value, cur.Value
			if oldCust := customerOf(cur); oldCust != newCust {
				// The subscription moved to another customer.
				b := customerMRR[oldCust]
				customerMRR[oldCust] = b - old
				move(oldCust, b, b-old)
				old = 0
			}
		}
		b := customerMRR[newCust]
		customerMRR[newCust] = b - old + f.Value
		if unknown(f) || (had && unknown(cur)) {
			// Into or out of the unknown: no ChartMogul movement.
			if period >= 0 {
				out[period].Unknown -= f.Value - old
			}
		} else {
			move(newCust, b, customerMRR[newCust])
		}
		total += f.Value - prev
	}
	advance(bounds[len(bounds)-1])
	for i := range out {
		out[i].NewCustomers = len(seen[i]["new"])
		out[i].ExpansionCustomers = len(seen[i]["exp"])
		out[i].ContractionCustomers = len(seen[i]["con"])
		out[i].ChurnedCustomers = len(seen[i]["churn"])
		out[i].ReactivatedCustomers = len(seen[i]["react"])
	}
	return out
}

func unknown(f messages.MetricEvent) bool { return f.Dimensions[DimensionMRRUnknown] != "" }

func customerOf(f messages.MetricEvent) string {
	if c := f.Dimensions[DimensionCustomer]; c != "" {
		return "c:" + c
	}
	return "s:" + f.Entity
}
