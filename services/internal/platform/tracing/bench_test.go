package tracing

import (
	"net/http"
	"net/http/httptest"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// BenchmarkHTTP is the server-span wrapper's own cost per request: bare
// (no wrapper), off (the default: tracing not set up) and on (recording
// into memory). Off must match bare: no allocation, a few ns.
func BenchmarkHTTP(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	req := httptest.NewRequest(http.MethodPost, "/webhooks/stripe/acme", nil)
	run := func(b *testing.B, h http.Handler) {
		w := httptest.NewRecorder()
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(w, req)
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, h) })
	b.Run("off", func(b *testing.B) { run(b, HTTP("/webhooks/stripe/{tenant}", h)) })
	b.Run("on", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(tracetest.NewNoopExporter())))
		defer Use(tp)()
		run(b, HTTP("/webhooks/stripe/{tenant}", h))
	})
}
