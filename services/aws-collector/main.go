// Command aws-collector reads each tenant's AWS account on an interval —
// Lambda, CloudWatch, Cost Explorer, CloudFront, S3, Route53 — and
// publishes what it sees as metric events and findings on metrics-v1.
//
//	aws-collector          serve: a pass now and every BOARDPACK_AWS_COLLECT_INTERVAL
//	aws-collector -once    one pass over all tenants; exit 1 if any tenant failed
//
// Each tenant's account is read with the tenant's role (aws.role_arn and
// aws.external_id, assumed through STS) or, without a role and only where
// BOARDPACK_ALLOW_AMBIENT_AWS=true, with the ambient credentials; in
// aws.regions or the ambient region.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/awsconf"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/httpserver"
	"github.com/boardpack/boardpack/services/internal/platform/logging"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

const serviceName = "aws-collector"

func main() {
	log := logging.New(serviceName)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, log, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		log.Error("exit", "err", err)
		os.Exit(1)
	}
}

// errTenantsFailed is returned by -once when a tenant could not be
// collected completely.
var errTenantsFailed = errors.New("some tenants failed")

func run(ctx context.Context, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet(serviceName, flag.ContinueOnError)
	once := fs.Bool("once", false, "run one pass over all tenants and exit (non-zero if any tenant failed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, env := loadConfig()
	env.Log(log, serviceName)
	if err := env.Err(); err != nil {
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
	svc := &Service{
		Tenants:      tenants.Store{DB: db, Table: cfg.Names.Table},
		Accounts:     newSDKAccounts(awsCfg, tenants.PolicyFromEnv().AllowAmbientAWS),
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
		return runOnce(ctx, svc, stdout)
	}

	srv := httpserver.New(cfg.HTTPAddr, log)
	svc.Metrics = newServiceMetrics(srv.Registry)
	srv.AddReadyCheck("tenants", func(ctx context.Context) error {
		_, err := svc.Tenants.List(ctx)
		return err
	})
	l, err := srv.Listen()
	if err != nil {
		return err
	}
	loopDone := make(chan struct{})
	go func() {
		defer close(loopDone)
		svc.Loop(ctx, cfg.Interval)
	}()
	err = srv.Serve(ctx, l, 10*time.Second)
	<-loopDone
	return err
}

// runOnce runs one pass and prints each tenant's outcome.
func runOnce(ctx context.Context, svc *Service, stdout io.Writer) error {
	results, err := svc.Pass(ctx)
	if err != nil {
		return err
	}
	if len(results) == 0 {
		fmt.Fprintln(stdout, "no tenant configures aws")
	}
	failed := 0
	for _, r := range results {
		if r.Err != nil {
			failed++
			fmt.Fprintf(stdout, "tenant %s: FAILED after %s (%d events, %d finding changes published): %v\n",
				r.TenantID, r.Duration.Round(time.Millisecond), r.Events, r.Findings, r.Err)
			continue
		}
		fmt.Fprintf(stdout, "tenant %s: ok in %s: %d events, %d open findings, %d finding changes published\n",
			r.TenantID, r.Duration.Round(time.Millisecond), r.Events, r.Open, r.Findings)
		for _, n := range r.Notes {
			fmt.Fprintf(stdout, "tenant %s: note: %s\n", r.TenantID, n)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%w: %d of %d", errTenantsFailed, failed, len(results))
	}
	return nil
}
