// Package aggregate is the aggregator's message handler: it records each
// metric event or finding from the metrics-v1 queue as one immutable fact
// in the read model (see package readmodel for why that is exactly once
// in effect), and refuses invalid messages as permanent failures.
package aggregate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/aws/smithy-go"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/logging"
	"github.com/boardpack/boardpack/services/internal/platform/tracing"
)

// FactWriter is what the handler needs of the read model: a conditional
// put (readmodel.Store) or a batched one (readmodel.Coalescer).
type FactWriter interface {
	Put(ctx context.Context, rec readmodel.Record) (duplicate bool, err error)
}

// Counters are the aggregator's Prometheus Counters.
type Counters struct {
	written    *prometheus.CounterVec
	duplicates *prometheus.CounterVec
	rejected   *prometheus.CounterVec
	failed     prometheus.Counter
}

// NewCounters registers the counters on reg.
func NewCounters(reg prometheus.Registerer) *Counters {
	c := &Counters{
		written: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boardpack_aggregator_facts_written_total",
			Help: "Facts recorded in the read model, by event name (with batched writes this includes rewrites of redelivered facts).",
		}, []string{"event"}),
		duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boardpack_aggregator_duplicates_total",
			Help: "Redelivered events whose fact was already recorded (no effect), by event name.",
		}, []string{"event"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boardpack_aggregator_rejected_total",
			Help: "Deliveries refused as permanently invalid (they reach the DLQ after the redrive count), by reason.",
		}, []string{"reason"}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "boardpack_aggregator_write_failures_total",
			Help: "Transient write failures after the SDK's retries (the message is retried, never lost).",
		}),
	}
	reg.MustRegister(c.written, c.duplicates, c.rejected, c.failed)
	return c
}

// Handler records each metric event or finding as one immutable fact.
type Handler struct {
	Store FactWriter
	Count *Counters
	Log   *slog.Logger
	// Timeout bounds one message's write, retries included.
	Timeout time.Duration
}

// Handle is the watermill handler. A nil return acks (deletes) the message;
// an error nacks it, and bus.Permanent errors skip the in-process retry.
func (h *Handler) Handle(msg *message.Message) error {
	name := msg.Metadata.Get(messages.MetadataEventName)
	// The write runs on a context detached from the message's: on shutdown
	// the subscriber cancels the message context, and a write that already
	// started should finish rather than be cut (its redelivery would be a
	// harmless duplicate either way). The timeout keeps it inside the
	// visibility timeout.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(msg.Context()), h.Timeout)
	defer cancel()
	var (
		rec readmodel.Record
		dup bool
		err error
	)
	// bus.Decode validates the message, once: the record is encoded from
	// the validated event, and the write does not validate again.
	switch name {
	case messages.EventNameMetric:
		var e messages.MetricEvent
		if e, err = bus.Decode[messages.MetricEvent](msg); err == nil {
			rec, err = readmodel.FactRecord(e)
		}
	case messages.EventNameFinding:
		var f messages.Finding
		if f, err = bus.Decode[messages.Finding](msg); err == nil {
			rec, err = readmodel.FindingRecord(f)
		}
	default:
		err = bus.Permanent(fmt.Errorf("message %s: unknown %s %q (want %q or %q)",
			msg.UUID, messages.MetadataEventName, name, messages.EventNameMetric, messages.EventNameFinding))
	}
	if err == nil {
		dup, err = h.put(ctx, name, rec)
	}
	// logging.For adds the message and correlation ids (and trace id).
	log := logging.For(msg.Context(), h.Log).With("event", name, "tenant", rec.TenantID)
	switch {
	case err == nil && dup:
		h.Count.duplicates.WithLabelValues(name).Inc()
		log.Debug("duplicate event, already recorded")
		return nil
	case err == nil:
		h.Count.written.WithLabelValues(name).Inc()
		return nil
	}
	err = classify(err)
	if errors.Is(err, bus.ErrPermanent) {
		h.Count.rejected.WithLabelValues(rejectReason(err)).Inc()
		log.Warn("event rejected", "err", err)
		return err
	}
	h.Count.failed.Inc()
	log.Warn("write failed, will retry", "err", err)
	return err
}

// put writes the fact, inside a client span (a child of the message's
// consumer span) with tracing on. With batched writes the span covers the
// wait for the batch too: it is this message's write, as it saw it.
func (h *Handler) put(ctx context.Context, name string, rec readmodel.Record) (bool, error) {
	if !tracing.Enabled() {
		return h.Store.Put(ctx, rec)
	}
	ctx, span := tracing.Start(ctx, SpanWrite, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		semconv.DBSystemNameAWSDynamoDB,
		tracing.TenantKey.String(rec.TenantID),
		attribute.String("boardpack.event_name", name),
	))
	dup, err := h.Store.Put(ctx, rec)
	span.SetAttributes(attribute.Bool("boardpack.duplicate", dup))
	tracing.End(span, err)
	return dup, err
}

// SpanWrite names the span of a fact's write to the read model.
const SpanWrite = "dynamodb put fact"

// classify marks as permanent the write errors that no retry can fix: a
// DynamoDB ValidationException (an item over 400 KB, a bad key). Anything
// else (throttling, timeouts, 5xx) stays transient: retried in process,
// then redelivered by the queue.
func classify(err error) error {
	if errors.Is(err, bus.ErrPermanent) {
		return err
	}
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "ValidationException" {
		return bus.Permanent(err)
	}
	return err
}

func rejectReason(err error) string {
	switch {
	case errors.Is(err, messages.ErrMissingTenant):
		return "missing_tenant"
	case errors.As(err, new(smithy.APIError)):
		return "dynamodb_validation"
	default:
		return "invalid"
	}
}
