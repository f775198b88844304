package readmodel

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// The carry: what a bounded read keeps of the facts before its boundary
// (see the package doc, "Bounded reads").
const (
	// DistinctMargin is how far before a window's start its facts are
	// read: one event stored with two dates (Distinct) is seen with both
	// as long as they are less than this apart.
	DistinctMargin = 31 * 24 * time.Hour
	// SettleAfter is the age at which a fact is late: writing one that
	// occurred longer ago than this changes the tenant's carry epoch.
	SettleAfter = 35 * 24 * time.Hour
	// clockSkew is the margin between the writers' and readers' clocks:
	// a carry is cached only as of a boundary at least SettleAfter +
	// clockSkew old.
	clockSkew = 24 * time.Hour
	// partFindings is the carry part of the finding observations.
	partFindings = "X"
)

// factPart is the carry part of a metric's facts (CarryFacts), or of a
// period-dated metric's (CarryDated).
func factPart(metric string, dated bool) string {
	if dated {
		return "D:" + metric
	}
	return "F:" + metric
}

// CarryBoundary is where a bounded read whose folds must be exact from
// from on splits history: the first UTC month start at least
// DistinctMargin before from. Facts from it on are read; those before it
// are represented by the carry.
func CarryBoundary(from time.Time) time.Time {
	t := from.UTC().Add(-DistinctMargin)
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// Late reports whether a fact that occurred at occurred is late when
// written at now: older than SettleAfter (a zero time counts as late).
func Late(occurred, now time.Time) bool { return occurred.Before(now.Add(-SettleAfter)) }

// settled reports whether a carry as of boundary may be cached at now:
// the boundary is at least SettleAfter + clockSkew old, so every fact
// before it that is written from now on is late (it changes the epoch).
func settled(boundary, now time.Time) bool {
	return !boundary.After(now.Add(-(SettleAfter + clockSkew)))
}

// Carry is one part of the carry as of a boundary: the facts of one
// metric, or the finding observations, that stand for everything before
// the boundary.
type Carry struct {
	Facts    []messages.MetricEvent `json:"facts,omitempty"`
	Findings []messages.Finding     `json:"findings,omitempty"`
}

// CarryCache is a Source that also caches carries (Store, Memory). The
// cache is keyed by the tenant's carry epoch, which every late write
// changes (after writing its fact): a carry stored under another epoch
// than the current one is not used.
type CarryCache interface {
	// CarryEpoch returns the tenant's current carry epoch, read
	// consistently ("" before any late fact).
	CarryEpoch(ctx context.Context, tenantID string) (string, error)
	// LoadCarry returns the parts of the carry as of boundary that were
	// stored whole under epoch.
	LoadCarry(ctx context.Context, tenantID string, boundary time.Time, epoch string) (map[string]Carry, error)
	// StoreCarry stores parts of the carry as of boundary under epoch.
	StoreCarry(ctx context.Context, tenantID string, boundary time.Time, epoch string, parts map[string]Carry) error
	// FactsConsistent is Facts read consistently (a carry is built from
	// what every write acknowledged before the epoch was read).
	FactsConsistent(ctx context.Context, tenantID, metric string, from, until time.Time) ([]messages.MetricEvent, error)
}

// loadCarry returns the carry parts as of boundary for the metrics (and
// findings) asked: from the cache when it holds them under the current
// epoch, otherwise built from the facts before boundary and cached. A
// boundary too recent to be settled is never cached: it is built each
// time. An error storing the carry is not the report's: it is ignored,
// and the next read builds it again.
func loadCarry(ctx context.Context, src Source, tenantID string, boundary time.Time, metrics []string, dated map[string]bool, findings bool) (map[string]Carry, error) {
	cc, cache := src.(CarryCache)
	cache = cache && settled(boundary, time.Now())
	var epoch string
	have := map[string]Carry{}
	if cache {
		var err error
		// The epoch first, then the facts: a late write changes the
		// epoch only after its fact is stored, so a carry built after
		// reading epoch e holds every fact written before e was set.
		if epoch, err = cc.CarryEpoch(ctx, tenantID); err != nil {
			return nil, fmt.Errorf("read carry epoch of %s: %w", tenantID, err)
		}
		if have, err = cc.LoadCarry(ctx, tenantID, boundary, epoch); err != nil {
			return nil, fmt.Errorf("read carry of %s: %w", tenantID, err)
		}
	}
	built := map[string]Carry{}
	for _, m := range metrics {
		part := factPart(m, dated[m])
		if _, ok := have[part]; ok {
			continue
		}
		var fs []messages.MetricEvent
		var err error
		if cache {
			fs, err = cc.FactsConsistent(ctx, tenantID, m, time.Time{}, boundary)
		} else {
			fs, err = src.Facts(ctx, tenantID, m, time.Time{}, boundary)
		}
		if err != nil {
			return nil, fmt.Errorf("read %s facts of %s before %s: %w", m, tenantID, boundary.Format(time.RFC3339), err)
		}
		if err := checkFacts(fs, tenantID, m); err != nil {
			return nil, err
		}
		if dated[m] {
			built[part] = Carry{Facts: CarryDated(Distinct(fs), boundary)}
		} else {
			built[part] = Carry{Facts: CarryFacts(Distinct(fs), boundary)}
		}
	}
	if _, ok := have[partFindings]; findings && !ok {
		fs, err := src.Findings(ctx, tenantID, boundary)
		if err != nil {
			return nil, fmt.Errorf("read findings of %s before %s: %w", tenantID, boundary.Format(time.RFC3339), err)
		}
		if err := checkFindings(fs, tenantID); err != nil {
			return nil, err
		}
		built[partFindings] = Carry{Findings: CarryFindings(fs)}
	}
	if cache {
		_ = cc.StoreCarry(ctx, tenantID, boundary, epoch, built)
	}
	for k, v := range built {
		have[k] = v
	}
	return have, nil
}

// CarryFacts is the carry of one metric's facts (already Distinct) that
// occurred before boundary: the few facts that give every fold of this
// package, evaluated at boundary or later together with the facts from
// boundary on, the value it has over the whole history:
//
//   - each entity's or series' latest state (StatesAt, TotalAt, Change);
//   - for each customer, the first state that took one of its
//     subscriptions above 0, as MRRMovements applies them (a customer
//     who paid once comes back as a reactivation, not as new);
//   - the latest fact (Latest, and Known: a metric with history stays
//     known);
//   - the latest fact per currency and "type" dimension (the currencies a
//     figure leaves out, whether a kind of fee was ever recorded).
//
// Additive facts before the boundary count in no fold over a later range,
// so only those two latest ones are kept. The result is in key order and
// depends only on the set of facts.
func CarryFacts(facts []messages.MetricEvent, boundary time.Time) []messages.MetricEvent {
	keep := map[string]messages.MetricEvent{}
	add := func(f messages.MetricEvent) { keep[FactKey(f)] = f }
	var before []messages.MetricEvent
	for _, f := range facts {
		if f.OccurredAt.Before(boundary) {
			before = append(before, f)
		}
	}
	for _, f := range StatesAt(before, boundary) {
		add(f)
	}
	for _, f := range firstPaid(before) {
		add(f)
	}
	for _, f := range CarryDated(before, boundary) {
		add(f)
	}
	out := make([]messages.MetricEvent, 0, len(keep))
	for _, f := range keep {
		out = append(out, f)
	}
	sortFacts(out)
	return out
}

// CarryDated is the carry of a period-dated metric (see ReadWindow): the
// latest fact before boundary, overall and per currency and "type"
// dimension. In key order.
func CarryDated(facts []messages.MetricEvent, boundary time.Time) []messages.MetricEvent {
	keep := map[string]messages.MetricEvent{}
	add := func(f messages.MetricEvent) { keep[FactKey(f)] = f }
	var before []messages.MetricEvent
	for _, f := range facts {
		if f.OccurredAt.Before(boundary) {
			before = append(before, f)
		}
	}
	if f, ok := Latest(before, boundary); ok {
		add(f)
	}
	shape := map[string]messages.MetricEvent{}
	for _, f := range before {
		k := f.Currency + "\x00" + f.Dimensions["currency"] + "\x00" + f.Dimensions["type"]
		if cur, ok := shape[k]; !ok || f.OccurredAt.After(cur.OccurredAt) || (f.OccurredAt.Equal(cur.OccurredAt) && f.EventID > cur.EventID) {
			shape[k] = f
		}
	}
	for _, f := range shape {
		add(f)
	}
	out := make([]messages.MetricEvent, 0, len(keep))
	for _, f := range keep {
		out = append(out, f)
	}
	sortFacts(out)
	return out
}

// firstPaid replays state facts as mrrMovements does and returns, per
// customer, the first applied state above 0.
func firstPaid(facts []messages.MetricEvent) []messages.MetricEvent {
	var states []messages.MetricEvent
	for _, f := range facts {
		if f.Kind == messages.KindState {
			states = append(states, f)
		}
	}
	sort.Slice(states, func(i, j int) bool {
		a, b := states[i], states[j]
		if !a.OccurredAt.Equal(b.OccurredAt) {
			return a.OccurredAt.Before(b.OccurredAt)
		}
		return later(b, a)
	})
	current := map[string]messages.MetricEvent{}
	paid := map[string]bool{}
	var out []messages.MetricEvent
	for _, f := range states {
		if cur, had := current[f.Entity]; had && !later(f, cur) {
			continue
		}
		current[f.Entity] = f
		if c := customerOf(f); f.Value > 0 && !paid[c] {
			paid[c] = true
			out = append(out, f)
		}
	}
	return out
}

// CarryFindings is the carry of finding observations: per finding, its
// earliest observation (FirstSeen) and its latest (status now).
func CarryFindings(findings []messages.Finding) []messages.Finding {
	first, last := map[string]messages.Finding{}, map[string]messages.Finding{}
	for _, f := range findings {
		if cur, ok := first[f.FindingID]; !ok || f.OccurredAt.Before(cur.OccurredAt) || (f.OccurredAt.Equal(cur.OccurredAt) && f.EventID < cur.EventID) {
			first[f.FindingID] = f
		}
		if cur, ok := last[f.FindingID]; !ok || f.OccurredAt.After(cur.OccurredAt) || (f.OccurredAt.Equal(cur.OccurredAt) && f.EventID > cur.EventID) {
			last[f.FindingID] = f
		}
	}
	var out []messages.Finding
	for id, f := range first {
		out = append(out, f)
		if l := last[id]; l.EventID != f.EventID || !l.OccurredAt.Equal(f.OccurredAt) {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return findingKey(out[i]) < findingKey(out[j]) })
	return out
}
