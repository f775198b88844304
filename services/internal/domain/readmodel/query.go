package readmodel

import (
	"context"
	"fmt"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// Source is where a Query reads facts: Store (DynamoDB) or Memory.
type Source interface {
	Facts(ctx context.Context, tenantID, metric string, from, until time.Time) ([]messages.MetricEvent, error)
	Findings(ctx context.Context, tenantID string, until time.Time) ([]messages.Finding, error)
}

// Ledger is a Source that also records facts (Store, *Memory).
type Ledger interface {
	Source
	PutFact(ctx context.Context, e messages.MetricEvent) (duplicate bool, err error)
	PutFinding(ctx context.Context, f messages.Finding) (duplicate bool, err error)
}

var (
	_ Ledger = Store{}
	_ Ledger = (*Memory)(nil)
)

// Query answers the figures reports need, per tenant, period and metric.
// Every method takes the tenant first, refuses a malformed tenant id, and
// reads only that tenant's partition (pk TENANT#<id>); the facts it folds
// are checked to carry the same tenant id, so a figure can never include
// another tenant's data.
//
// Periods are [from, to) instants; the caller decides where they fall in
// the tenant's time zone (MonthBounds, Daily's loc).
type Query struct {
	Source Source
}

func (q Query) additive(ctx context.Context, tenantID, metric string, from, to time.Time) ([]messages.MetricEvent, error) {
	return q.facts(ctx, tenantID, metric, from, to)
}

// history reads every fact of a state metric or gauge before t: the state
// at t depends on the whole history.
func (q Query) history(ctx context.Context, tenantID, metric string, t time.Time) ([]messages.MetricEvent, error) {
	return q.facts(ctx, tenantID, metric, time.Time{}, t)
}

func (q Query) facts(ctx context.Context, tenantID, metric string, from, to time.Time) ([]messages.MetricEvent, error) {
	if !messages.ValidTenantID(tenantID) {
		return nil, fmt.Errorf("invalid tenant id %q", tenantID)
	}
	facts, err := q.Source.Facts(ctx, tenantID, metric, from, to)
	if err != nil {
		return nil, err
	}
	// Belt and braces: the partition key already scopes the read.
	for _, f := range facts {
		if f.TenantID != tenantID || f.Metric != metric {
			return nil, fmt.Errorf("read model returned a %s fact of tenant %q for tenant %q", f.Metric, f.TenantID, tenantID)
		}
	}
	return facts, nil
}

// Sum is the total of an additive metric over [from, to).
func (q Query) Sum(ctx context.Context, tenantID, metric string, from, to time.Time) (int64, error) {
	facts, err := q.additive(ctx, tenantID, metric, from, to)
	return Sum(facts, from, to), err
}

// Count is the number of additive facts over [from, to).
func (q Query) Count(ctx context.Context, tenantID, metric string, from, to time.Time) (int, error) {
	facts, err := q.additive(ctx, tenantID, metric, from, to)
	return Count(facts, from, to), err
}

// ByDimension sums an additive metric over [from, to) per value of dim.
func (q Query) ByDimension(ctx context.Context, tenantID, metric, dim string, from, to time.Time) (map[string]int64, error) {
	facts, err := q.additive(ctx, tenantID, metric, from, to)
	if err != nil {
		return nil, err
	}
	return ByDimension(facts, dim, from, to), nil
}

// Daily sums an additive metric per day in loc over [from, to).
func (q Query) Daily(ctx context.Context, tenantID, metric string, loc *time.Location, from, to time.Time) ([]DayValue, error) {
	facts, err := q.additive(ctx, tenantID, metric, from, to)
	if err != nil {
		return nil, err
	}
	return Daily(facts, loc, from, to), nil
}

// TotalAt is a state metric's or gauge's total at t (sum of the latest
// state of every entity or series): MRR, cumulative refunds, cash.
func (q Query) TotalAt(ctx context.Context, tenantID, metric string, t time.Time) (int64, error) {
	facts, err := q.history(ctx, tenantID, metric, t)
	return TotalAt(facts, t), err
}

// Change is how much a state metric's total moved over [from, to).
func (q Query) Change(ctx context.Context, tenantID, metric string, from, to time.Time) (int64, error) {
	facts, err := q.history(ctx, tenantID, metric, to)
	return Change(facts, from, to), err
}

// StatesAt returns each entity's (or series') latest fact before t.
func (q Query) StatesAt(ctx context.Context, tenantID, metric string, t time.Time) (map[string]messages.MetricEvent, error) {
	facts, err := q.history(ctx, tenantID, metric, t)
	if err != nil {
		return nil, err
	}
	return StatesAt(facts, t), nil
}

// Latest returns the metric's most recent fact before t (the "as of" of a
// gauge), and whether there is one.
func (q Query) Latest(ctx context.Context, tenantID, metric string, t time.Time) (messages.MetricEvent, bool, error) {
	facts, err := q.history(ctx, tenantID, metric, t)
	if err != nil {
		return messages.MetricEvent{}, false, err
	}
	f, ok := Latest(facts, t)
	return f, ok, nil
}

// MRRMovements splits the change of MRR over [from, to) into new,
// expansion, contraction, churn and reactivation.
func (q Query) MRRMovements(ctx context.Context, tenantID string, from, to time.Time) (Movements, error) {
	facts, err := q.history(ctx, tenantID, messages.MetricMRR, to)
	return MRRMovements(facts, from, to), err
}

// MonthlyMRRMovements returns the movements per calendar month in loc.
func (q Query) MonthlyMRRMovements(ctx context.Context, tenantID string, loc *time.Location, from, to time.Time) ([]Movements, error) {
	facts, err := q.history(ctx, tenantID, messages.MetricMRR, to)
	if err != nil {
		return nil, err
	}
	return MonthlyMRRMovements(facts, loc, from, to), nil
}

// OpenFindings returns the findings open at t, most severe first.
func (q Query) OpenFindings(ctx context.Context, tenantID string, t time.Time) ([]messages.Finding, error) {
	findings, err := q.findings(ctx, tenantID, t)
	if err != nil {
		return nil, err
	}
	return OpenFindings(findings), nil
}

// FindingStates returns every finding observed before t with its latest
// status and first/last observation: open ones first, most severe first.
func (q Query) FindingStates(ctx context.Context, tenantID string, t time.Time) ([]FindingState, error) {
	findings, err := q.findings(ctx, tenantID, t)
	if err != nil {
		return nil, err
	}
	return FindingStates(findings), nil
}

// findings reads the tenant's finding observations before t and refuses
// any that belongs to another tenant.
func (q Query) findings(ctx context.Context, tenantID string, t time.Time) ([]messages.Finding, error) {
	if !messages.ValidTenantID(tenantID) {
		return nil, fmt.Errorf("invalid tenant id %q", tenantID)
	}
	findings, err := q.Source.Findings(ctx, tenantID, t)
	if err != nil {
		return nil, err
	}
	for _, f := range findings {
		if f.TenantID != tenantID {
			return nil, fmt.Errorf("read model returned a finding of tenant %q for tenant %q", f.TenantID, tenantID)
		}
	}
	return findings, nil
}
