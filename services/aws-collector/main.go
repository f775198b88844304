// Command aws-collector reads each tenant's AWS account on an interval —
// Lambda, CloudWatch, Cost Explorer, CloudFront, S3, Route53 — and
// publishes what it sees as metric events and findings on metrics-v1.
//
//	aws-collector          serve: a pass now and every BOARDPACK_AWS_COLLECTOR_INTERVAL
//	aws-collector -once    one pass over all tenants; exit 1 if any tenant failed
//
// Each tenant's account is read with the tenant's role (aws.role_arn and
// aws.external_id, assumed through STS) or, without a role and only where
// BOARDPACK_ALLOW_AMBIENT_AWS=true, with the ambient credentials; in
// aws.regions or the ambient region.
//
// This package only wires. The work is in internal/: collector (passes
// over tenants, -once), account (reaching a tenant's account), one package
// per source (lambda, cost, cloudfront, s3, route53, with metricdata for
// CloudWatch), observation (what a pass saw), translate (metric events)
// and checks (findings).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/awsconf"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/httpserver"
	"github.com/boardpack/boardpack/services/internal/platform/lifecycle"
	"github.com/boardpack/boardpack/services/internal/platform/resources"

	"github.com/boardpack/boardpack/services/aws-collector/internal/account"
	"github.com/boardpack/boardpack/services/aws-collector/internal/collector"
)

const serviceName = "aws-collector"

func main() {
	lifecycle.Main(serviceName, func(ctx context.Context, log *slog.Logger) error {
		return run(ctx, log, os.Args[1:], os.Stdout)
	})
}

func run(ctx context.Context, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet(serviceName, flag.ContinueOnError)
	once := fs.Bool("once", false, "run one pass over all tenants and exit (non-zero if any tenant failed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(log)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}

	awsCfg, err := awsconf.Load(ctx)
	if err != nil {
		return err
	}
	acct, err := resources.ResolveAccount(ctx, awsCfg)
	if err != nil {
		return err
	}
	pub, err := bus.NewPublisher(awsCfg, cfg.Names, acct, bus.Logger(log))
	if err != nil {
		return err
	}
	defer pub.Close()
	db := dynamodb.NewFromConfig(awsCfg)
	svc := &collector.Service{
		Tenants:      tenants.Store{DB: db, Table: cfg.Names.Table},
		Accounts:     account.NewSDK(awsCfg, tenants.PolicyFromEnv().AllowAmbientAWS),
		Publisher:    pub,
		Ledger:       readmodel.Store{DB: db, Table: cfg.Names.Table},
		Log:          log,
		Checks:       cfg.Checks,
		LookbackDays: cfg.LookbackDays,
		CostInterval: cfg.CostInterval,
		Concurrency:  cfg.Concurrency,
		PublishBatch: 50,
	}

	if *once {
		return svc.Once(ctx, stdout)
	}

	srv := httpserver.New(cfg.HTTPAddr, log)
	svc.Metrics = collector.NewMetrics(srv.Registry)
	srv.AddReadyCheck("tenants", func(ctx context.Context) error {
		_, err := svc.Tenants.List(ctx)
		return err
	})
	runner := lifecycle.New(log)
	runner.Add(srv.Component(10 * time.Second))
	runner.Add(lifecycle.Component{
		Name: "passes",
		// Stopping cancels the pass in progress: a pass only reads and
		// publishes, and the next start reads everything again.
		Run: func(ctx context.Context) error {
			svc.Loop(ctx, cfg.Interval)
			return nil
		},
		Timeout: 10 * time.Second,
	})
	return runner.Run(ctx)
}
