package readmodel

import (
	"context"
	"fmt"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// Source is where Read reads: Store (DynamoDB) or *Memory, which keep a
// tenant's facts in its own partition.
type Source interface {
	// Facts returns the tenant's facts of one metric in [from, until); a
	// zero from means since the beginning.
	Facts(ctx context.Context, tenantID, metric string, from, until time.Time) ([]messages.MetricEvent, error)
	// Findings returns the tenant's finding observations before until.
	Findings(ctx context.Context, tenantID string, until time.Time) ([]messages.Finding, error)
}

var (
	_ Source = Store{}
	_ Source = (*Memory)(nil)
)

// Snapshot is one tenant's read model as of one instant: every fact of the
// metrics it was read for, from the beginning up to AsOf, and (when asked)
// every finding observation before AsOf. Figures are the folds of this
// package over it (Sum, TotalAt, StatesAt, MRRMovements, FindingStates,
// ...): a report reads once and folds many times, so each figure of one
// report comes from the same facts.
type Snapshot struct {
	TenantID string
	AsOf     time.Time
	facts    map[string][]messages.MetricEvent
	findings []messages.Finding
}

// Read loads a tenant's snapshot as of asOf, for the metrics given and,
// when findings is set, the finding observations. It refuses a malformed
// tenant id, and it refuses a source that returns a fact or finding of
// another tenant (or a fact of another metric): the partition key already
// scopes every read, and this check keeps a mistake there from ever
// putting one tenant's figures into another's report.
//
// Every fact from the beginning is read, not just a period's: the state of
// an entity or gauge at any instant depends on its whole history, and the
// additive folds take their period as arguments.
func Read(ctx context.Context, src Source, tenantID string, asOf time.Time, metrics []string, findings bool) (*Snapshot, error) {
	if !messages.ValidTenantID(tenantID) {
		return nil, fmt.Errorf("invalid tenant id %q", tenantID)
	}
	s := &Snapshot{TenantID: tenantID, AsOf: asOf, facts: make(map[string][]messages.MetricEvent, len(metrics))}
	for _, m := range metrics {
		fs, err := src.Facts(ctx, tenantID, m, time.Time{}, asOf)
		if err != nil {
			return nil, fmt.Errorf("read %s facts of %s: %w", m, tenantID, err)
		}
		for _, f := range fs {
			if f.TenantID != tenantID || f.Metric != m {
				return nil, fmt.Errorf("read model returned a %s fact of tenant %q for tenant %q", f.Metric, f.TenantID, tenantID)
			}
		}
		// One fact per event id, however many times it was stored (see
		// Distinct); a charge's refunds before its cumulative figure.
		fs = Distinct(fs)
		if m == messages.MetricRevenueRefunded {
			fs = PreferParts(fs)
		}
		s.facts[m] = fs
	}
	if findings {
		fs, err := src.Findings(ctx, tenantID, asOf)
		if err != nil {
			return nil, fmt.Errorf("read findings of %s: %w", tenantID, err)
		}
		for _, f := range fs {
			if f.TenantID != tenantID {
				return nil, fmt.Errorf("read model returned a finding of tenant %q for tenant %q", f.TenantID, tenantID)
			}
		}
		s.findings = fs
	}
	return s, nil
}

// Facts returns the snapshot's facts of a metric (nil for a metric it was
// not read for, or that has none), in key order.
func (s *Snapshot) Facts(metric string) []messages.MetricEvent { return s.facts[metric] }

// Findings returns the snapshot's finding observations.
func (s *Snapshot) Findings() []messages.Finding { return s.findings }
