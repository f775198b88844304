// Command alerter evaluates each tenant's alert rules as metric events and
// findings arrive on its own SQS queue (alerter-metrics, subscribed to SNS
// metrics-v1, with a DLQ), and notifies by email (SES) and Slack once per
// episode. The rules, episodes and senders are in package alerting and its
// subpackages; the work loop is package engine.
//
// Settings (BOARDPACK_*, printed at start):
//
//	BOARDPACK_HTTP_ADDR                   127.0.0.1:8085  /healthz, /readyz, /metrics, POST /alerts/unsubscribe
//	BOARDPACK_SENDER                      reports@boardpack.example.com  SES envelope sender
//	BOARDPACK_ALERTER_PUBLIC_URL          http://127.0.0.1:8085  base of the one-click unsubscribe link
//	BOARDPACK_ALERTER_REPORT_VIEW_URL     (none)          alerts link {base}/{tenant}; none: no link
//	BOARDPACK_ALERTER_UNSUBSCRIBE_KEY     (local only)    HMAC key of unsubscribe links; required unless BOARDPACK_LOCAL=true
//	BOARDPACK_ALERTER_UNSUBSCRIBE_TTL     2160h
//	BOARDPACK_SLACK_ALLOWED_HOSTS         (none)          webhook hosts besides hooks.slack.com (local: 127.0.0.1,localhost)
//	BOARDPACK_ALERTER_WORKERS             1               receive loops (each pipelined: up to 2 batches in hand)
//	BOARDPACK_ALERTER_RECEIVE_LINGER      50ms            wait after a partial receive, so batches fill (0-1s)
//	BOARDPACK_ALERTER_VISIBILITY_TIMEOUT  60s             the queue's; send claims expire within it
//	BOARDPACK_ALERTER_HANDLER_TIMEOUT     1/3 of the visibility timeout  per message
//	BOARDPACK_ALERTER_TICK                30s             re-evaluation, closing, repeats, quiet-hours release
//	BOARDPACK_ALERTER_DEBOUNCE            5s              at most one fact-driven read-model evaluation per rule per interval (plus a trailing one)
//	BOARDPACK_TENANT_CACHE_TTL            30s
//	BOARDPACK_PREFIX, BOARDPACK_TABLE, BOARDPACK_SES_CONFIGURATION_SET
package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/boardpack/boardpack/services/internal/domain/alerting/notify"
	"github.com/boardpack/boardpack/services/internal/platform/awsconf"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/httpserver"
	"github.com/boardpack/boardpack/services/internal/platform/lifecycle"
	"github.com/boardpack/boardpack/services/internal/platform/readiness"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

func main() { lifecycle.Main("alerter", run) }

func run(ctx context.Context, log *slog.Logger) error {
	cfg, err := loadConfig(log)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	return serve(ctx, log, cfg)
}

// serve runs the alerter until ctx ends. Started in this order, stopped
// in reverse: the tick loop stops first, then the router drains its
// in-flight messages, and /healthz answers until the end.
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
	srv.Mux.Handle("POST /alerts/unsubscribe", notify.UnsubscribeHandler([]byte(cfg.UnsubscribeKey), sends, log))

	wlog := bus.Logger(log)
	sub := bus.NewBatchSubscriber(awsCfg, bus.SubscriberConfig{Queue: queue, Workers: cfg.Workers, BatchSize: 10, Linger: cfg.ReceiveLinger}, wlog)
	router, err := bus.NewRouter(wlog, cfg.HandlerTimeout)
	if err != nil {
		return err
	}
	h := &handler{engine: eng, metrics: m, log: log, timeout: cfg.HandlerTimeout}
	router.AddConsumerHandler("alert_metrics", queue, sub, h.Handle)

	runner := lifecycle.New(log)
	runner.Add(srv.Component(5 * time.Second))
	runner.Add(bus.RouterComponent("router", router, cfg.HandlerTimeout+5*time.Second))
	runner.Add(lifecycle.Component{Name: "ticks", Run: func(ctx context.Context) error {
		tickLoop(ctx, eng, cfg.Tick, m, log)
		return nil
	}, Timeout: cfg.HandlerTimeout})
	err = runner.Run(ctx)
	log.Info("alerter stopped")
	return err
}
