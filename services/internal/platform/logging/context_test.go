package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"go.opentelemetry.io/otel/trace"
)

func TestForAddsContextAttrs(t *testing.T) {
	var buf bytes.Buffer
	base := slog.New(slog.NewJSONHandler(&buf, nil))
	if For(context.Background(), base) != base {
		t.Error("For without attributes or span should return the logger itself")
	}
	ctx := WithAttrs(context.Background(), slog.String(KeyCorrelationID, "evt_1"))
	ctx = WithAttrs(ctx, slog.String(KeyMessageID, "m-1"))
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{0xab}, SpanID: trace.SpanID{0xcd}})
	ctx = trace.ContextWithSpanContext(ctx, sc)
	For(ctx, base).Info("handled")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		KeyCorrelationID: "evt_1", KeyMessageID: "m-1",
		KeyTraceID: sc.TraceID().String(), KeySpanID: sc.SpanID().String(),
	} {
		if line[k] != want {
			t.Errorf("%s = %v, want %q (line %s)", k, line[k], want, buf.String())
		}
	}
}
