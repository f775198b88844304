// Command alerter evaluates each tenant's alert rules as metric events and
// findings arrive on its own SQS queue (alerter-metrics, subscribed to SNS
// metrics-v1, with a DLQ), and notifies by email (SES) and Slack once per
// episode. The rules, episodes and senders are in package alerting and its
// subpackages; the work loop is package engine.
//
// Settings (BOARDPACK_*, printed at start):
//
//	BOARDPACK_HTTP_ADDR             127.0.0.1:8085  /healthz, /readyz, /metrics, POST /alerts/unsubscribe
//	BOARDPACK_SENDER                reports@boardpack.example.com  SES envelope sender
//	BOARDPACK_PUBLIC_URL            http://127.0.0.1:8085  base of the one-click unsubscribe link
//	BOARDPACK_REPORT_VIEW_URL       (none)          alerts link {base}/{tenant}; none: no link
//	BOARDPACK_UNSUBSCRIBE_KEY       (local default)  HMAC key of unsubscribe links
//	BOARDPACK_UNSUBSCRIBE_TTL       2160h
//	BOARDPACK_SLACK_ALLOWED_HOSTS   (none)          webhook hosts besides hooks.slack.com (local: 127.0.0.1,localhost)
//	BOARDPACK_WORKERS               2               receive loops
//	BOARDPACK_VISIBILITY_TIMEOUT    60s             the queue's; send claims expire within it
//	BOARDPACK_HANDLER_TIMEOUT       1/3 of the visibility timeout  per message
//	BOARDPACK_ALERTER_TICK          30s             re-evaluation, closing, repeats, quiet-hours release
//	BOARDPACK_ALERTER_DEBOUNCE      5s              at most one fact-driven read-model evaluation per rule per interval (plus a trailing one)
//	BOARDPACK_TENANT_CACHE_TTL      30s
//	BOARDPACK_PREFIX, BOARDPACK_TABLE, BOARDPACK_SES_CONFIGURATION_SET
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/boardpack/boardpack/services/internal/platform/awsconf"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/httpserver"
	"github.com/boardpack/boardpack/services/internal/platform/logging"
	"github.com/boardpack/boardpack/services/internal/platform/readiness"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

func main() { logging.Main("alerter", run) }

func run(ctx context.Context, log *slog.Logger) error {
	cfg, err := loadConfig(log)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	return serve(ctx, log, cfg)
}

// serve runs the alerter until ctx ends, then stops taking messages, lets
// the in-flight ones finish and returns.
func serve(ctx context.Context, log *slog.Logger, cfg config) error {
	awsCfg, err := awsconf.Load(ctx)
	if err != nil {
		return err
	}
	queue := cfg.Names.Queue(resources.QueueAlerterMetrics)
	db := dynamodb.NewFromConfig(awsCfg)
	sqsc := sqs.NewFromConfig(awsCfg)

	srv := httpserver.New(cfg.HTTPAddr, log)
	srv.AddReadyCheck("table", readiness.Table(db, cfg.Names.Table))
	srv.AddReadyCheck("queue", readiness.Queue(sqsc, queue))
	m := newMetrics(srv.Registry)
	eng, sends := newEngine(awsCfg, db, cfg, m, log)
	srv.Mux.Handle("POST /alerts/unsubscribe", unsubscribeHandler([]byte(cfg.UnsubscribeKey), sends, log))
	listener, err := srv.Listen()
	if err != nil {
		return err
	}

	wlog := bus.Logger(log)
	sub := bus.NewBatchSubscriber(awsCfg, bus.SubscriberConfig{Queue: queue, Workers: cfg.Workers, BatchSize: 10}, wlog)
	router, err := bus.NewRouter(wlog, cfg.HandlerTimeout)
	if err != nil {
		listener.Close()
		return err
	}
	h := &handler{engine: eng, metrics: m, log: log, timeout: cfg.HandlerTimeout}
	router.AddConsumerHandler("alert_metrics", queue, sub, h.Handle)

	tickCtx, stopTicks := context.WithCancel(context.WithoutCancel(ctx))
	ticksDone := make(chan struct{})
	go func() { defer close(ticksDone); tickLoop(tickCtx, eng, cfg.Tick, m, log) }()

	httpDone := make(chan error, 1)
	httpCtx, stopHTTP := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHTTP()
	go func() { httpDone <- srv.Serve(httpCtx, listener, 5*time.Second) }()
	routerDone := make(chan error, 1)
	go func() { routerDone <- router.Run(context.WithoutCancel(ctx)) }()

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down: finishing in-flight messages")
	case err := <-routerDone:
		runErr = fmt.Errorf("router stopped: %w", err)
		routerDone <- nil
	case err := <-httpDone:
		runErr = err
		httpDone <- nil
	}
	stopTicks()
	if err := router.Close(); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("close router: %w", err))
	}
	if err := <-routerDone; err != nil && runErr == nil {
		runErr = err
	}
	<-ticksDone
	stopHTTP()
	if err := <-httpDone; err != nil {
		runErr = errors.Join(runErr, err)
	}
	log.Info("alerter stopped")
	return runErr
}
