package mailer

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/logging"
	"github.com/boardpack/boardpack/services/internal/platform/tracing"
)

// A report due's handling (the message context as the bus router sets
// it: a consumer span and the correlation id) sends through SES inside
// client spans of that trace, and its log lines carry the correlation
// and trace ids.
func TestReportDueTraceAndLogs(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	defer tracing.Use(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))()
	w := newWorld(t)
	m := w.mailer(t, testSender)
	var logs bytes.Buffer
	m.log = slog.New(slog.NewJSONHandler(&logs, nil))
	d := due(w.tenant.ID, messages.RoleCEO)
	msg, err := bus.NewMessage(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	ctx, consumer := tracing.Start(context.Background(), "process report due", trace.WithSpanKind(trace.SpanKindConsumer))
	msg.SetContext(logging.WithAttrs(ctx, slog.String(logging.KeyCorrelationID, "sched-corr-1")))
	if err := m.HandleReportDue(msg); err != nil {
		t.Fatal(err)
	}
	consumer.End()

	sends := 0
	for _, s := range rec.Ended() {
		if s.Name() != SpanSend {
			continue
		}
		sends++
		if s.Parent().SpanID() != consumer.SpanContext().SpanID() || s.SpanKind() != trace.SpanKindClient {
			t.Errorf("SES span parent %v kind %v, want a client child of the message's span %v", s.Parent().SpanID(), s.SpanKind(), consumer.SpanContext().SpanID())
		}
	}
	if sends == 0 {
		t.Fatalf("no %q span among %d spans", SpanSend, len(rec.Ended()))
	}

	sent := false
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var line map[string]any
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if line["msg"] != "sent" {
			continue
		}
		sent = true
		if line[logging.KeyCorrelationID] != "sched-corr-1" || line[logging.KeyTraceID] != consumer.SpanContext().TraceID().String() {
			t.Errorf("log line %s: want correlation_id sched-corr-1 and the trace id", l)
		}
	}
	if !sent {
		t.Fatalf("no \"sent\" log line in %s", logs.String())
	}
}
