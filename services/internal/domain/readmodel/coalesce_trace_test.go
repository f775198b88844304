package readmodel_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/platform/tracing"
)

// With tracing on, each batched request is a span under its first
// writer's span, linked to every writer whose record it carries.
func TestCoalescerSpanLinksEveryWriter(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	defer tracing.Use(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := readmodel.NewCoalescer(&batchRecorder{}, "t", 50*time.Millisecond)
	go c.Run(ctx)
	const n = 12
	writers := make(chan trace.SpanID, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			wctx, span := tracing.Start(ctx, "write")
			defer span.End()
			writers <- span.SpanContext().SpanID()
			if _, err := c.Put(wctx, readmodel.Record{TenantID: "jada", SK: fmt.Sprintf("F#m#%03d", i), Doc: []byte("{}"), Occurred: time.Now()}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	close(writers)
	linked := map[trace.SpanID]bool{}
	batches := 0
	for _, s := range rec.Ended() {
		if s.Name() != "dynamodb BatchWriteItem" {
			continue
		}
		batches++
		parentLinked := false
		for _, l := range s.Links() {
			linked[l.SpanContext.SpanID()] = true
			parentLinked = parentLinked || l.SpanContext.SpanID() == s.Parent().SpanID()
		}
		if !parentLinked || s.SpanKind() != trace.SpanKindClient {
			t.Errorf("batch span kind %v, parent %v: want a client span under one of its writers", s.SpanKind(), s.Parent().SpanID())
		}
	}
	if batches == 0 {
		t.Fatal("no BatchWriteItem span")
	}
	for id := range writers {
		if !linked[id] {
			t.Errorf("writer %v not linked from any batch span", id)
		}
	}
}
