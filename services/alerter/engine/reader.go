package engine

import (
	"context"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// ReadModel is alerting.Reader over the read model: each figure reads the
// metric's facts (readmodel.Read: distinct, one tenant) and folds them.
type ReadModel struct{ Source readmodel.Source }

func (r ReadModel) facts(ctx context.Context, tenantID, metric, cur string, asOf time.Time) ([]messages.MetricEvent, error) {
	snap, err := readmodel.Read(ctx, r.Source, tenantID, asOf, []string{metric}, false)
	if err != nil {
		return nil, err
	}
	var out []messages.MetricEvent
	for _, f := range snap.Facts(metric) {
		if f.Currency == "" || f.Currency == cur {
			out = append(out, f)
		}
	}
	return out, nil
}

// Sum implements alerting.Reader.
func (r ReadModel) Sum(ctx context.Context, tenantID, metric, cur string, from, to time.Time) (int64, error) {
	fs, err := r.facts(ctx, tenantID, metric, cur, to)
	return readmodel.Sum(fs, from, to), err
}

// Change implements alerting.Reader.
func (r ReadModel) Change(ctx context.Context, tenantID, metric, cur string, from, to time.Time) (int64, error) {
	fs, err := r.facts(ctx, tenantID, metric, cur, to)
	return readmodel.Change(fs, from, to), err
}

// TotalAt implements alerting.Reader.
func (r ReadModel) TotalAt(ctx context.Context, tenantID, metric, cur string, t time.Time) (int64, error) {
	fs, err := r.facts(ctx, tenantID, metric, cur, t)
	return readmodel.TotalAt(fs, t), err
}

// Churn implements alerting.Reader.
func (r ReadModel) Churn(ctx context.Context, tenantID, cur string, from, to time.Time) (int64, error) {
	fs, err := r.facts(ctx, tenantID, messages.MetricMRR, cur, to)
	return readmodel.MRRMovements(fs, from, to).Churn, err
}
