// Command scheduler emits `report due` for every tenant's and portfolio's
// schedules: each (tenant or portfolio, role, period) once, on time in the tenant's time zone, also
// across restarts, downtime (catch-up) and several replicas running at once.
//
// The firings and periods are package schedule's pure logic; this service
// adds the durable part (package internal/scheduler): a conditional write
// of each report's record before it is published, a per-tenant cursor that
// says which firings were handled, and a claimed republish of records a
// crash left unpublished.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/services/internal/domain/schedule"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/awsconf"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/httpserver"
	"github.com/boardpack/boardpack/services/internal/platform/lifecycle"
	"github.com/boardpack/boardpack/services/internal/platform/readiness"
	"github.com/boardpack/boardpack/services/internal/platform/resources"

	"github.com/boardpack/boardpack/services/scheduler/internal/scheduler"
)

func main() { lifecycle.Main("scheduler", run) }

func run(ctx context.Context, log *slog.Logger) error {
	cfg, err := loadConfig(log)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	return serve(ctx, log, cfg, schedule.SystemClock{})
}

// serve runs passes until ctx ends; a pass in progress finishes first.
func serve(ctx context.Context, log *slog.Logger, cfg config, clock schedule.Clock) error {
	awsCfg, err := awsconf.Load(ctx)
	if err != nil {
		return err
	}
	acct, err := resources.ResolveAccount(ctx, awsCfg)
	if err != nil {
		return err
	}
	db := dynamodb.NewFromConfig(awsCfg)
	pub, err := bus.NewPublisher(awsCfg, cfg.Names, acct, bus.Logger(log))
	if err != nil {
		return err
	}
	defer pub.Close()

	srv := httpserver.New(cfg.HTTPAddr, log)
	tenantStore := tenants.Store{DB: db, Table: cfg.Names.Table}
	sched := &scheduler.Scheduler{
		Tenants:    tenantStore,
		Portfolios: tenantStore,
		Store:      scheduler.NewStore(db, cfg.Names.Table),
		Publisher:  pub,
		Clock:      clock,
		Log:        log,
		Metrics:    scheduler.NewMetrics(srv.Registry),
		Owner:      cfg.Owner,
		Catchup:    cfg.Catchup,
		Lease:      cfg.Lease,
		Late:       2 * cfg.Tick,
	}
	srv.AddReadyCheck("table", readiness.Table(db, cfg.Names.Table))
	started := clock.Now()
	srv.AddReadyCheck("passes", func(context.Context) error {
		// Ready once a pass succeeded, and as long as one did recently.
		last := sched.LastPass()
		if last.IsZero() {
			if clock.Now().Sub(started) > 3*cfg.Tick {
				return errors.New("no pass has succeeded since start")
			}
			return errors.New("first pass not done yet")
		}
		if age := clock.Now().Sub(last); age > 3*cfg.Tick {
			return fmt.Errorf("last successful pass %s ago", age.Round(time.Second))
		}
		return nil
	})
	runner := lifecycle.New(log)
	runner.Add(srv.Component(5 * time.Second))
	runner.Add(lifecycle.Component{
		Name: "passes",
		Run:  func(ctx context.Context) error { return loop(ctx, log, sched, clock, cfg.Tick) },
		// A pass in progress finishes first (loop bounds it by the tick
		// plus 30 s).
		Timeout: cfg.Tick + 35*time.Second,
	})
	err = runner.Run(ctx)
	log.Info("scheduler stopped")
	return err
}

// loop runs a pass, then sleeps until the earlier of the next firing and
// one tick, until ctx ends. A pass is not cut short by ctx: it runs under a
// context that outlives the signal by at most the tick.
func loop(ctx context.Context, log *slog.Logger, sched *scheduler.Scheduler, clock schedule.Clock, tick time.Duration) error {
	for {
		passCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tick+30*time.Second)
		next, err := sched.Pass(passCtx)
		cancel()
		if err != nil {
			log.Error("pass failed", "err", err)
		}
		wait := tick
		if !next.IsZero() {
			// Wake just after the firing: firings are whole seconds.
			if d := next.Sub(clock.Now()) + 50*time.Millisecond; d < wait {
				wait = max(d, 0)
			}
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
	}
}
