package collector_test

import (
	"context"
	"testing"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// BenchmarkPassOneTenant measures one complete pass (every API read, the
// folds, the publishes to SNS) for one tenant with the seeded resources of
// TestOnePassAgainstMoto, against moto:
//
//	cd services/aws-collector && go test -run '^$' -bench PassOneTenant -benchtime 5x ./internal/collector
//
// moto answers GetCostForecast with a 500 (not implemented): the
// with-cost figure includes that failed call and its one retry.
func BenchmarkPassOneTenant(b *testing.B) {
	env := mototest.Bootstrap(b, resources.Spec{})
	seed(b, env.AWS, env.Endpoint)
	svc, _ := newTestService(b, env, &tenants.AWS{RoleARN: "arn:aws:iam::" + env.Account.ID + ":role/boardpack-reader", ExternalID: "Zq3vX9LmP2rT8wYk"})
	ctx := context.Background()
	pass := func(b *testing.B) {
		for b.Loop() {
			res, err := svc.Pass(ctx)
			if err != nil || len(res) != 1 || res[0].Err != nil {
				b.Fatalf("pass: %v %+v", err, res)
			}
		}
	}
	// Every pass reads Cost Explorer (the first pass, and -once).
	b.Run("with-cost", pass)
	// Passes between two cost reads (BOARDPACK_AWS_COLLECTOR_COST_INTERVAL).
	svc.CostInterval = 1 << 62
	b.Run("without-cost", pass)
}
