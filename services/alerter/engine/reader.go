package engine

import (
	"context"
	"time"

	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// ReadModel adapts readmodel.Query to alerting.Reader.
type ReadModel struct{ readmodel.Query }

// Churn is the MRR lost to churn over [from, to).
func (r ReadModel) Churn(ctx context.Context, tenantID string, from, to time.Time) (int64, error) {
	m, err := r.MRRMovements(ctx, tenantID, from, to)
	return m.Churn, err
}
