package main

import (
	"context"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// coalescer gathers the facts that concurrent handlers write into batches
// of up to 25, one BatchWriteItem each: with a received SQS batch handled
// concurrently (bus.BatchSubscriber), the facts of a whole batch reach
// DynamoDB in one request instead of ten. Each handler still waits for its
// own fact to be written before its message is acked, so nothing is
// acknowledged that is not stored.
type coalescer struct {
	db     readmodel.BatchAPI
	table  string
	linger time.Duration
	in     chan pendingWrite
}

type pendingWrite struct {
	ctx  context.Context
	rec  readmodel.Record
	done chan error
}

func newCoalescer(db readmodel.BatchAPI, table string, linger time.Duration) *coalescer {
	return &coalescer{db: db, table: table, linger: linger, in: make(chan pendingWrite)}
}

// PutFact satisfies factWriter. duplicate is always false: a batched write
// cannot tell a new fact from a rewritten one (readmodel.WriteBatch).
func (c *coalescer) PutFact(ctx context.Context, e messages.MetricEvent) (bool, error) {
	rec, err := readmodel.FactRecord(e)
	if err != nil {
		return false, err
	}
	return false, c.write(ctx, rec)
}

// PutFinding satisfies factWriter.
func (c *coalescer) PutFinding(ctx context.Context, f messages.Finding) (bool, error) {
	rec, err := readmodel.FindingRecord(f)
	if err != nil {
		return false, err
	}
	return false, c.write(ctx, rec)
}

func (c *coalescer) write(ctx context.Context, rec readmodel.Record) error {
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

// run flushes a batch when it is full or linger after its first fact,
// until ctx ends. Batches are written one after another by this loop and
// concurrently by flush goroutines, so a slow request never stops the
// next batch from forming.
func (c *coalescer) run(ctx context.Context) {
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
		for len(batch) < readmodel.MaxBatch {
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
func (c *coalescer) flush(batch []pendingWrite) {
	deadline := time.Now().Add(defaultWriteTimeout)
	for _, p := range batch {
		if d, ok := p.ctx.Deadline(); ok && d.After(deadline) {
			deadline = d
		}
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	recs := make([]readmodel.Record, len(batch))
	for i, p := range batch {
		recs[i] = p.rec
	}
	err := readmodel.WriteBatch(ctx, c.db, c.table, recs)
	for _, p := range batch {
		p.done <- err
	}
}

// defaultWriteTimeout bounds a batch whose writers set no deadline.
const defaultWriteTimeout = 20 * time.Second
