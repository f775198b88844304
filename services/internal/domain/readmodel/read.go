package readmodel

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// Source is where Read reads: Store (DynamoDB) or *Memory, which keep a
// tenant's facts in its own partitions.
type Source interface {
	// Facts returns the tenant's facts of one metric in [from, until); a
	// zero from means since the beginning.
	Facts(ctx context.Context, tenantID, metric string, from, until time.Time) ([]messages.MetricEvent, error)
	// Findings returns the tenant's finding observations before until.
	Findings(ctx context.Context, tenantID string, until time.Time) ([]messages.Finding, error)
}

// WindowSource is a Source that can also read the finding observations of
// a time range (Store, Memory); for another Source, ReadWindow reads
// Findings and drops the older ones.
type WindowSource interface {
	Source
	FindingsBetween(ctx context.Context, tenantID string, from, until time.Time) ([]messages.Finding, error)
}

var (
	_ Source       = Store{}
	_ WindowSource = Store{}
	_ WindowSource = (*Memory)(nil)
	_ CarryCache   = Store{}
	_ CarryCache   = (*Memory)(nil)
)

// Snapshot is one tenant's read model as of one instant: the facts of the
// metrics it was read for up to AsOf, and (when asked) the finding
// observations before AsOf. Read loads every fact from the beginning;
// ReadWindow loads those from a boundary before From plus the carry (see
// the package doc), and every fold over it evaluated at instants ≥ From
// equals the fold over the whole history. Figures are the folds of this
// package over it (Sum, TotalAt, StatesAt, MRRMovements, FindingStates,
// ...): a report reads once and folds many times, so each figure of one
// report comes from the same facts.
type Snapshot struct {
	TenantID string
	AsOf     time.Time
	// From is the earliest instant the snapshot's folds are exact at
	// (zero: the whole history was read).
	From     time.Time
	facts    map[string][]messages.MetricEvent
	findings []messages.Finding
}

// Read loads a tenant's snapshot as of asOf, for the metrics given and,
// when findings is set, the finding observations, reading every fact from
// the beginning: it is ReadWindow with a zero from, the reference the
// bounded read is tested against.
func Read(ctx context.Context, src Source, tenantID string, asOf time.Time, metrics []string, findings bool) (*Snapshot, error) {
	return ReadWindow(ctx, src, tenantID, time.Time{}, asOf, metrics, nil, findings)
}

// ReadWindow loads a tenant's snapshot as of asOf whose folds are exact
// at every instant from from on (a report's period and the history its
// charts show): the facts from CarryBoundary(from) to asOf, plus the carry
// as of that boundary, the derived latest states that stand for the facts
// before it (see the package doc, "Bounded reads"). A zero from reads the
// whole history.
//
// The metrics in dated are period-dated: each entity's state describes
// one period (a UTC day or month in its dimensions, an imported row's
// date), is observed at or after that period's start, and the folds over
// it select entities by their period (a day's Lambda invocations, a
// month's cost to date, the expense rows dated in a period). Their carry
// keeps no entity states, only what Known and Latest need (CarryDated): a
// per-day entity per day would otherwise grow the carry with the
// tenant's age.
//
// It refuses a malformed tenant id, and it refuses a source that returns
// a fact or finding of another tenant (or a fact of another metric): the
// partition key already scopes every read, and this check keeps a mistake
// there from ever putting one tenant's figures into another's report.
func ReadWindow(ctx context.Context, src Source, tenantID string, from, asOf time.Time, metrics, dated []string, findings bool) (*Snapshot, error) {
	if !messages.ValidTenantID(tenantID) {
		return nil, fmt.Errorf("invalid tenant id %q", tenantID)
	}
	if from.After(asOf) {
		from = asOf
	}
	s := &Snapshot{TenantID: tenantID, AsOf: asOf, From: from, facts: make(map[string][]messages.MetricEvent, len(metrics))}
	var boundary time.Time
	var carry map[string]Carry
	isDated := map[string]bool{}
	for _, m := range dated {
		isDated[m] = true
	}
	if !from.IsZero() {
		boundary = CarryBoundary(from)
		var err error
		if carry, err = loadCarry(ctx, src, tenantID, boundary, metrics, isDated, findings); err != nil {
			return nil, err
		}
	}
	for _, m := range metrics {
		fs, err := src.Facts(ctx, tenantID, m, boundary, asOf)
		if err != nil {
			return nil, fmt.Errorf("read %s facts of %s: %w", m, tenantID, err)
		}
		if err := checkFacts(fs, tenantID, m); err != nil {
			return nil, err
		}
		// The carry first, in a new array (the carry's may be cached).
		c := carry[factPart(m, isDated[m])].Facts
		fs = append(c[:len(c):len(c)], fs...)
		// One fact per event id, however many times it was stored (see
		// Distinct); a charge's refunds before its cumulative figure.
		fs = Distinct(fs)
		if m == messages.MetricRevenueRefunded {
			fs = PreferParts(fs)
		}
		s.facts[m] = fs
	}
	if findings {
		fs, err := findingsBetween(ctx, src, tenantID, boundary, asOf)
		if err != nil {
			return nil, fmt.Errorf("read findings of %s: %w", tenantID, err)
		}
		if err := checkFindings(fs, tenantID); err != nil {
			return nil, err
		}
		c := carry[partFindings].Findings
		fs = append(c[:len(c):len(c)], fs...)
		s.findings = fs
	}
	return s, nil
}

func checkFacts(fs []messages.MetricEvent, tenantID, metric string) error {
	for _, f := range fs {
		if f.TenantID != tenantID || f.Metric != metric {
			return fmt.Errorf("read model returned a %s fact of tenant %q for tenant %q", f.Metric, f.TenantID, tenantID)
		}
	}
	return nil
}

func checkFindings(fs []messages.Finding, tenantID string) error {
	for _, f := range fs {
		if f.TenantID != tenantID {
			return fmt.Errorf("read model returned a finding of tenant %q for tenant %q", f.TenantID, tenantID)
		}
	}
	return nil
}

// findingsBetween reads the observations in [from, until).
func findingsBetween(ctx context.Context, src Source, tenantID string, from, until time.Time) ([]messages.Finding, error) {
	if w, ok := src.(WindowSource); ok {
		return w.FindingsBetween(ctx, tenantID, from, until)
	}
	fs, err := src.Findings(ctx, tenantID, until)
	if err != nil || from.IsZero() {
		return fs, err
	}
	out := fs[:0:0]
	for _, f := range fs {
		if !f.OccurredAt.Before(from) {
			out = append(out, f)
		}
	}
	return out, nil
}

// Facts returns the snapshot's facts of a metric (nil for a metric it was
// not read for, or that has none), in key order.
func (s *Snapshot) Facts(metric string) []messages.MetricEvent { return s.facts[metric] }

// Findings returns the snapshot's finding observations.
func (s *Snapshot) Findings() []messages.Finding { return s.findings }

// sortFacts orders facts by their sort key.
func sortFacts(fs []messages.MetricEvent) {
	sort.Slice(fs, func(i, j int) bool { return FactKey(fs[i]) < FactKey(fs[j]) })
}
