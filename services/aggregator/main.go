// Command aggregator consumes metric events and findings from its SQS queue
// (subscribed to SNS metrics-v1) into the DynamoDB read model.
//
// Exactly once in effect: each event becomes one immutable fact keyed by
// its event id (see package readmodel), so a redelivery, a duplicate from
// the source, an SDK retry of a write whose response was lost, or a crash
// between the write and the SQS delete all end with the fact recorded once.
// A message is deleted from the queue only after its fact is durably
// written.
//
// Throughput: the queue is read with bus.BatchSubscriber (whole batches of
// 10 handled concurrently, acked ones deleted with one DeleteMessageBatch),
// and by default the facts of concurrent messages are coalesced into one
// BatchWriteItem of up to 25 (readmodel.WriteBatch explains why an
// unconditional write of an immutable fact is still exactly once).
//
// Settings (BOARDPACK_*, printed at start):
//
//	BOARDPACK_HTTP_ADDR                   127.0.0.1:8081  /healthz, /readyz, /metrics
//	BOARDPACK_AGGREGATOR_WORKERS          1               receive loops (each pipelined: up to 2 batches in hand)
//	BOARDPACK_AGGREGATOR_BATCH_SIZE       10              messages per ReceiveMessage (1-10)
//	BOARDPACK_AGGREGATOR_WRITES           batch           batch (BatchWriteItem) or conditional (PutItem per fact, counts duplicates)
//	BOARDPACK_AGGREGATOR_LINGER           5ms             how long a batch of facts waits for more
//	BOARDPACK_AGGREGATOR_RECEIVE_LINGER   50ms            wait after a partial receive, so batches fill (0-1s)
//	BOARDPACK_AGGREGATOR_HANDLER_TIMEOUT  20s             per message, retries included; well inside the visibility timeout
//	BOARDPACK_PREFIX, BOARDPACK_TABLE                     resource names
//
// Deprecated name, still read with a warning: BOARDPACK_HANDLER_TIMEOUT.
//
// Failures: transient DynamoDB errors are retried by the SDK (standard
// retryer, 5 attempts with jittered backoff), then by the router (a short
// in-process retry), then by the queue (redelivery after the visibility
// timeout). A message that can never succeed (no tenant, bad JSON, unknown
// event name) is refused as permanent and reaches the DLQ after the queue's
// redrive count; `reportctl dlq list|redrive` handles it from there.
//
// This package wires; the handler is package internal/aggregate. The
// coalescer of batched writes (coalesce.go) stays here until it moves next
// to readmodel.WriteBatch.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/platform/awsconf"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/httpserver"
	"github.com/boardpack/boardpack/services/internal/platform/lifecycle"
	"github.com/boardpack/boardpack/services/internal/platform/readiness"
	"github.com/boardpack/boardpack/services/internal/platform/resources"

	"github.com/boardpack/boardpack/services/aggregator/internal/aggregate"
)

func main() { lifecycle.Main("aggregator", run) }

func run(ctx context.Context, log *slog.Logger) error {
	cfg, err := loadConfig(log)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	return serve(ctx, log, cfg)
}

// serve runs the aggregator until ctx ends, then stops taking messages,
// lets the in-flight ones finish (within HandlerTimeout) and returns.
func serve(ctx context.Context, log *slog.Logger, cfg config) error {
	awsCfg, err := awsconf.Load(ctx, cfg.awsOpts...)
	if err != nil {
		return err
	}
	queue := cfg.Names.Queue(resources.QueueAggregatorMetrics)
	db := dynamodb.NewFromConfig(awsCfg)
	sqsc := sqs.NewFromConfig(awsCfg)

	srv := httpserver.New(cfg.HTTPAddr, log)
	srv.AddReadyCheck("table", readiness.Table(db, cfg.Names.Table))
	srv.AddReadyCheck("queue", readiness.Queue(sqsc, queue))

	wlog := bus.Logger(log)
	sub := bus.NewBatchSubscriber(awsCfg, bus.SubscriberConfig{
		Queue: queue, Workers: cfg.Workers, BatchSize: int32(cfg.BatchSize), Linger: cfg.ReceiveLinger,
	}, wlog)
	router, err := bus.NewRouter(wlog, cfg.HandlerTimeout)
	if err != nil {
		return err
	}
	// Started in this order, stopped in reverse: the router drains its
	// in-flight messages (within HandlerTimeout) while the coalescer still
	// writes their facts, and /healthz answers until the end.
	runner := lifecycle.New(log)
	runner.Add(srv.Component(5 * time.Second))
	var store aggregate.FactWriter = readmodel.Store{DB: db, Table: cfg.Names.Table}
	if cfg.Writes == writesBatch {
		c := readmodel.NewCoalescer(db, cfg.Names.Table, cfg.Linger)
		runner.Add(lifecycle.Component{Name: "coalescer", Run: func(ctx context.Context) error {
			c.Run(ctx)
			return nil
		}, Timeout: 5 * time.Second})
		store = c
	}
	h := &aggregate.Handler{
		Store:   store,
		Count:   aggregate.NewCounters(srv.Registry),
		Log:     log,
		Timeout: cfg.HandlerTimeout,
	}
	router.AddConsumerHandler("aggregate_metrics", queue, sub, h.Handle)
	runner.Add(bus.RouterComponent("router", router, cfg.HandlerTimeout+5*time.Second))

	err = runner.Run(ctx)
	log.Info("aggregator stopped")
	return err
}
