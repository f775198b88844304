package aggregate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/aws/smithy-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/logging"
	"github.com/boardpack/boardpack/services/internal/platform/tracing"
)

// memWriter records facts by key, like the conditional put does.
type memWriter struct {
	seen map[string]bool
	err  error
}

func (m *memWriter) put(id string) (bool, error) {
	if m.err != nil {
		return false, m.err
	}
	if m.seen[id] {
		return true, nil
	}
	m.seen[id] = true
	return false, nil
}

func (m *memWriter) Put(_ context.Context, rec readmodel.Record) (bool, error) {
	return m.put(rec.TenantID + "/" + rec.SK)
}

func newTestHandler(w FactWriter) (*Handler, *Counters) {
	c := NewCounters(prometheus.NewRegistry())
	return &Handler{Store: w, Count: c, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Timeout: time.Second}, c
}

func metricMsg(t *testing.T, e messages.MetricEvent) *message.Message {
	t.Helper()
	msg, err := bus.NewMessage(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func sampleMetric(id string) messages.MetricEvent {
	return messages.MetricEvent{
		Header: messages.Header{EventID: id, TenantID: "jada", OccurredAt: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), Source: messages.SourceStripe},
		Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: 1200, Currency: "USD",
	}
}

func TestHandleWritesOnceAndCountsDuplicates(t *testing.T) {
	w := &memWriter{seen: map[string]bool{}}
	h, c := newTestHandler(w)
	for range 3 {
		if err := h.Handle(metricMsg(t, sampleMetric("evt_1"))); err != nil {
			t.Fatal(err)
		}
	}
	f := messages.Finding{
		Header:    messages.Header{EventID: "evt_f", TenantID: "jada", OccurredAt: time.Now(), Source: messages.SourceAWS},
		FindingID: "waf:dist1", Severity: messages.SeverityHigh, Status: messages.FindingOpen,
	}
	fm, err := bus.NewMessage(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Handle(fm); err != nil {
		t.Fatal(err)
	}
	if got := testutil.ToFloat64(c.written.WithLabelValues(messages.EventNameMetric)); got != 1 {
		t.Errorf("metric facts written = %v, want 1", got)
	}
	if got := testutil.ToFloat64(c.duplicates.WithLabelValues(messages.EventNameMetric)); got != 2 {
		t.Errorf("duplicates = %v, want 2", got)
	}
	if got := testutil.ToFloat64(c.written.WithLabelValues(messages.EventNameFinding)); got != 1 {
		t.Errorf("findings written = %v, want 1", got)
	}
}

func TestHandleRefusesWhatCanNeverSucceed(t *testing.T) {
	noTenant := sampleMetric("evt_2")
	noTenant.TenantID = ""
	body, _ := json.Marshal(noTenant)
	cases := map[string]struct {
		msg    *message.Message
		reason string
	}{
		"no tenant":          {withMeta(message.NewMessage("m1", body), messages.EventNameMetric), "missing_tenant"},
		"not json":           {withMeta(message.NewMessage("m2", []byte("{nope")), messages.EventNameMetric), "invalid"},
		"unknown event name": {withMeta(message.NewMessage("m3", body), "invoice_created"), "invalid"},
		"no event name":      {message.NewMessage("m4", body), "invalid"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := &memWriter{seen: map[string]bool{}}
			h, c := newTestHandler(w)
			err := h.Handle(tc.msg)
			if !errors.Is(err, bus.ErrPermanent) {
				t.Fatalf("Handle() = %v, want a permanent error", err)
			}
			if got := testutil.ToFloat64(c.rejected.WithLabelValues(tc.reason)); got != 1 {
				t.Errorf("rejected{reason=%s} = %v, want 1", tc.reason, got)
			}
			if len(w.seen) != 0 {
				t.Errorf("a refused message wrote %d facts", len(w.seen))
			}
		})
	}
}

func withMeta(m *message.Message, name string) *message.Message {
	m.Metadata.Set(messages.MetadataEventName, name)
	return m
}

func TestHandleKeepsTransientErrorsRetryable(t *testing.T) {
	throttled := &smithy.GenericAPIError{Code: "ProvisionedThroughputExceededException", Message: "slow down"}
	h, c := newTestHandler(&memWriter{err: throttled})
	err := h.Handle(metricMsg(t, sampleMetric("evt_3")))
	if err == nil || errors.Is(err, bus.ErrPermanent) {
		t.Fatalf("Handle() = %v, want a transient (retryable) error", err)
	}
	if got := testutil.ToFloat64(c.failed); got != 1 {
		t.Errorf("write failures = %v, want 1", got)
	}

	invalid := &smithy.GenericAPIError{Code: "ValidationException", Message: "Item size has exceeded the maximum allowed size"}
	h, _ = newTestHandler(&memWriter{err: invalid})
	if err := h.Handle(metricMsg(t, sampleMetric("evt_4"))); !errors.Is(err, bus.ErrPermanent) {
		t.Fatalf("Handle() = %v, want permanent for a ValidationException", err)
	}
}

// A line logged while handling a message carries its correlation id, as
// the bus router puts it in the message's context.
func TestHandleLogsCorrelationID(t *testing.T) {
	var buf bytes.Buffer
	h, _ := newTestHandler(&memWriter{seen: map[string]bool{}, err: errors.New("throttled")})
	h.Log = slog.New(slog.NewJSONHandler(&buf, nil))
	msg := metricMsg(t, sampleMetric("evt_log"))
	msg.SetContext(logging.WithAttrs(context.Background(), slog.String(logging.KeyCorrelationID, "evt_stripe_1")))
	if err := h.Handle(msg); err == nil {
		t.Fatal("a failed write was acked")
	}
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log %q: %v", buf.String(), err)
	}
	if line[logging.KeyCorrelationID] != "evt_stripe_1" || line["tenant"] != "jada" {
		t.Errorf("log line %s: want correlation_id evt_stripe_1 and the tenant", buf.String())
	}
}

// With tracing on the write is a client span, a child of the message's
// (consumer) span, and a failed write marks it as an error.
func TestHandleWriteSpan(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	defer tracing.Use(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))()
	for _, fail := range []bool{false, true} {
		w := &memWriter{seen: map[string]bool{}}
		if fail {
			w.err = errors.New("throttled")
		}
		h, _ := newTestHandler(w)
		msg := metricMsg(t, sampleMetric("evt_span"))
		ctx, parent := tracing.Start(context.Background(), "process")
		msg.SetContext(ctx)
		if err := h.Handle(msg); (err != nil) != fail {
			t.Fatalf("fail=%t: Handle returned %v", fail, err)
		}
		parent.End()
		spans := rec.Ended()
		write := spans[len(spans)-2]
		if write.Name() != SpanWrite || write.Parent().SpanID() != parent.SpanContext().SpanID() || write.SpanKind() != trace.SpanKindClient {
			t.Errorf("span %q parent %v kind %v, want %q, a client child of the message's span", write.Name(), write.Parent().SpanID(), write.SpanKind(), SpanWrite)
		}
		if (write.Status().Code == codes.Error) != fail {
			t.Errorf("fail=%t: write span status %v", fail, write.Status())
		}
	}
}
