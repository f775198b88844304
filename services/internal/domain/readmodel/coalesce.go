package readmodel

import (
	"context"
	"time"

	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/boardpack/boardpack/services/internal/platform/tracing"
)

// Coalescer gathers the records that concurrent writers put into batches
// of up to MaxBatch, one WriteBatch each: with a received SQS batch
// handled concurrently (the aggregator's bus.BatchSubscriber), the facts
// of a whole batch reach DynamoDB in one request instead of ten. Each
// writer still waits for its own record to be written before Put returns
// (and the aggregator acks its message), so nothing is acknowledged that
// is not stored.
type Coalescer struct {
	db     BatchAPI
	table  string
	linger time.Duration
	in     chan pendingWrite
}

type pendingWrite struct {
	ctx  context.Context
	rec  Record
	done chan error
}

// NewCoalescer returns a coalescer that writes to table, each batch
// lingering after its first record for more; Run must be running for Put
// to return.
func NewCoalescer(db BatchAPI, table string, linger time.Duration) *Coalescer {
	return &Coalescer{db: db, table: table, linger: linger, in: make(chan pendingWrite)}
}

// Put writes rec in the next batch and waits until that batch is written
// or ctx ends. duplicate is always false: a batched write cannot tell a
// new fact from a rewritten one (WriteBatch).
func (c *Coalescer) Put(ctx context.Context, rec Record) (duplicate bool, err error) {
	return false, c.write(ctx, rec)
}

func (c *Coalescer) write(ctx context.Context, rec Record) error {
	p := pendingWrite{ctx: ctx, rec: rec, done: make(chan error, 1)}
	select {
	case c.in <- p:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run flushes a batch when it is full or linger after its first record,
// until ctx ends. Batches are written one after another by this loop and
// concurrently by flush goroutines, so a slow request never stops the
// next batch from forming.
func (c *Coalescer) Run(ctx context.Context) {
	for {
		var batch []pendingWrite
		select {
		case <-ctx.Done():
			return
		case p := <-c.in:
			batch = append(batch, p)
		}
		timer := time.NewTimer(c.linger)
	fill:
		for len(batch) < MaxBatch {
			select {
			case p := <-c.in:
				batch = append(batch, p)
			case <-timer.C:
				break fill
			}
		}
		timer.Stop()
		go c.flush(batch)
	}
}

// flush writes one batch by the latest deadline among its writers (a
// writer whose own deadline passes stops waiting and is retried through
// the queue; the write itself is idempotent).
func (c *Coalescer) flush(batch []pendingWrite) {
	deadline := time.Now().Add(defaultWriteTimeout)
	for _, p := range batch {
		if d, ok := p.ctx.Deadline(); ok && d.After(deadline) {
			deadline = d
		}
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	recs := make([]Record, len(batch))
	for i, p := range batch {
		recs[i] = p.rec
	}
	var span trace.Span
	if tracing.Enabled() {
		ctx, span = c.startSpan(ctx, batch)
	}
	err := WriteBatch(ctx, c.db, c.table, recs)
	if span != nil {
		tracing.End(span, err)
	}
	for _, p := range batch {
		p.done <- err
	}
}

// startSpan starts the span of one batch's request, a child of the first
// writer's span (its trace shows the request) and linked to every
// writer's, since one request serves several traces.
func (c *Coalescer) startSpan(ctx context.Context, batch []pendingWrite) (context.Context, trace.Span) {
	links := make([]trace.Link, 0, len(batch))
	for _, p := range batch {
		links = append(links, trace.LinkFromContext(p.ctx))
	}
	parent := trace.ContextWithSpanContext(ctx, trace.SpanContextFromContext(batch[0].ctx))
	return tracing.Start(parent, "dynamodb BatchWriteItem", trace.WithSpanKind(trace.SpanKindClient), trace.WithLinks(links...),
		trace.WithAttributes(
			semconv.DBSystemNameAWSDynamoDB,
			semconv.DBOperationName("BatchWriteItem"),
			semconv.DBCollectionName(c.table),
			semconv.DBOperationBatchSize(len(batch)),
		))
}

// defaultWriteTimeout bounds a batch whose writers set no deadline.
const defaultWriteTimeout = 20 * time.Second
