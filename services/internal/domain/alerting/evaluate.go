package alerting

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// Reader is what aggregate rules need of the read model (readmodel.Query
// with a churn adapter in the service; a fake in tests).
//
// Money figures are in one currency (cur, the tenant's): facts in other
// currencies are left out, never added to them. Facts without a currency
// (counts) always count.
type Reader interface {
	Sum(ctx context.Context, tenantID, metric, cur string, from, to time.Time) (int64, error)
	Change(ctx context.Context, tenantID, metric, cur string, from, to time.Time) (int64, error)
	TotalAt(ctx context.Context, tenantID, metric, cur string, t time.Time) (int64, error)
	// Churn is the MRR lost to churn over [from, to).
	Churn(ctx context.Context, tenantID, cur string, from, to time.Time) (int64, error)
}

// Watches reports whether a fact of metric (a messages.Metric* name or
// messages.EventNameFinding) can change the rule's value.
func (c Compiled) Watches(metric string) bool { return slices.Contains(c.Def.Facts, metric) }

// FromFact turns a fact into an observation of a per-entity rule (a
// dispute, a failed payout), and false when the fact says nothing about
// it. A money fact in another currency than the tenant's is compared only
// against a zero threshold ("any"), never converted.
func FromFact(c Compiled, tenantCurrency string, e messages.MetricEvent) (Observation, bool) {
	if !c.Def.PerEntity || !c.Watches(e.Metric) {
		return Observation{}, false
	}
	if c.Def.Unit == UnitMoney && e.Currency != "" && e.Currency != tenantCurrency && c.Threshold != 0 {
		return Observation{}, false
	}
	if c.Metric == MetricDisputeOpened && e.Dimensions["inquiry"] == "true" {
		// An inquiry (warning_*) moves no money and is not a dispute.
		return Observation{}, false
	}
	value := e.Value
	if c.Metric == MetricDisputeOpened && e.Version >= finalVersion {
		// Won, closed or lost: the dispute is no longer open, whatever
		// amount it settled at; its episode ends.
		value = 0
	}
	subject := e.Entity
	if subject == "" {
		subject = e.ObjectID
	}
	if subject == "" {
		subject = e.EventID
	}
	return Observation{Subject: subject, At: e.OccurredAt, Value: value, Currency: e.Currency}, true
}

// finalVersion is what stripemap adds to the version of a final state
// (its "terminal": a closed dispute, a cancelled subscription).
const finalVersion = 1 << 40

// FromFinding observes finding.critical: 1 while a critical finding is
// open, 0 once resolved.
func FromFinding(c Compiled, f messages.Finding) (Observation, bool) {
	if c.Metric != MetricCriticalFinding || f.Severity != messages.SeverityCritical {
		return Observation{}, false
	}
	v := int64(0)
	if f.Status == messages.FindingOpen {
		v = 1
	}
	return Observation{Subject: f.FindingID, At: f.OccurredAt, Value: v}, true
}

// Aggregate evaluates an aggregate rule over the read model at now (in
// the tenant's zone loc). ok is false when the data to decide is missing
// (no gross today, no invocations): missing data never alerts nor
// resolves.
func Aggregate(ctx context.Context, r Reader, c Compiled, tenantID, cur string, loc *time.Location, now time.Time) (Observation, bool, error) {
	value := func(at time.Time) (int64, bool, error) { return aggregateAt(ctx, r, c, tenantID, cur, loc, at) }
	v, ok, err := value(now)
	if err != nil || !ok {
		return Observation{}, false, err
	}
	if c.Condition == ChangePct {
		before, ok, err := value(now.Add(-c.Window))
		if err != nil || !ok || before == 0 {
			return Observation{}, false, err
		}
		v = (v - before) * 10000 / abs(before)
	}
	return Observation{At: now, Value: v}, true, nil
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func aggregateAt(ctx context.Context, r Reader, c Compiled, tenantID, cur string, loc *time.Location, now time.Time) (int64, bool, error) {
	wrap := func(err error) error { return fmt.Errorf("evaluate %s for %s: %w", c.Name, tenantID, err) }
	switch c.Metric {
	case MetricRefundsTodayPct:
		lt := now.In(loc)
		day := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
		gross, err := r.Sum(ctx, tenantID, messages.MetricRevenueGross, cur, day, now)
		if err != nil {
			return 0, false, wrap(err)
		}
		refunded, err := r.Change(ctx, tenantID, messages.MetricRevenueRefunded, cur, day, now)
		if err != nil {
			return 0, false, wrap(err)
		}
		if gross <= 0 {
			return 0, false, nil
		}
		return refunded * 10000 / gross, true, nil
	case MetricLambdaErrorRate:
		from := now.Add(-c.Window)
		inv, err := r.Change(ctx, tenantID, messages.MetricAWSLambdaInvocations, cur, from, now)
		if err != nil {
			return 0, false, wrap(err)
		}
		errs, err := r.Change(ctx, tenantID, messages.MetricAWSLambdaErrors, cur, from, now)
		if err != nil {
			return 0, false, wrap(err)
		}
		if inv <= 0 {
			return 0, false, nil
		}
		return errs * 10000 / inv, true, nil
	case MetricMRRChurnDay:
		v, err := r.Churn(ctx, tenantID, cur, now.Add(-c.Window), now)
		if err != nil {
			return 0, false, wrap(err)
		}
		return v, true, nil
	case MetricMRR, MetricCostForecast:
		m := messages.MetricMRR
		if c.Metric == MetricCostForecast {
			m = messages.MetricAWSCostForecast
		}
		v, err := r.TotalAt(ctx, tenantID, m, cur, now)
		if err != nil {
			return 0, false, wrap(err)
		}
		return v, true, nil
	}
	return 0, false, nil
}

// Stale observes source.stale from the time the rule's source was last
// heard from; never heard from is unknown (a tenant without AWS gets no
// "AWS is stale" alert).
func Stale(c Compiled, lastSeen, now time.Time) (Observation, bool) {
	if c.Metric != MetricSourceStale || lastSeen.IsZero() {
		return Observation{}, false
	}
	return Observation{Subject: c.Source, At: now, Value: int64(now.Sub(lastSeen) / time.Hour)}, true
}
