package tracing

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// record installs an in-memory tracer provider for the test.
func record(t *testing.T) *tracetest.SpanRecorder {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(Use(tp))
	return rec
}

func TestSetupOffByDefault(t *testing.T) {
	for _, env := range [][2]string{{"OTEL_TRACES_EXPORTER", ""}, {"OTEL_TRACES_EXPORTER", "none"}, {"OTEL_SDK_DISABLED", "true"}} {
		t.Setenv("OTEL_TRACES_EXPORTER", "")
		t.Setenv(env[0], env[1])
		if env[0] == "OTEL_SDK_DISABLED" {
			t.Setenv("OTEL_TRACES_EXPORTER", ExporterConsole)
		}
		shutdown, err := Setup(context.Background(), "svc")
		if err != nil {
			t.Fatalf("%s=%q: %v", env[0], env[1], err)
		}
		if Enabled() {
			t.Errorf("%s=%q: tracing on, want off", env[0], env[1])
		}
		if err := shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}
}

func TestSetupOnAndShutdownTurnsOff(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "console")
	shutdown, err := Setup(context.Background(), "svc")
	if err != nil {
		t.Fatal(err)
	}
	if !Enabled() {
		t.Fatal("OTEL_TRACES_EXPORTER=console: tracing off")
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if Enabled() {
		t.Error("still on after shutdown")
	}
}

func TestSetupRefusesUnknownSettings(t *testing.T) {
	for _, c := range []struct{ key, value, want string }{
		{"OTEL_TRACES_EXPORTER", "jaeger", "OTEL_TRACES_EXPORTER"},
		{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", "OTEL_EXPORTER_OTLP_PROTOCOL"},
	} {
		t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
		t.Setenv(c.key, c.value)
		_, err := Setup(context.Background(), "svc")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s=%s: err %v, want one naming %s", c.key, c.value, err, c.want)
		}
		t.Setenv(c.key, "")
	}
	if Enabled() {
		t.Error("a refused setting left tracing on")
	}
}

func TestResourceServiceName(t *testing.T) {
	name := func() string {
		res, err := Resource(context.Background(), "aggregator")
		if err != nil {
			t.Fatal(err)
		}
		v, _ := res.Set().Value(semconv.ServiceNameKey)
		return v.AsString()
	}
	t.Setenv("OTEL_SERVICE_NAME", "")
	if got := name(); got != "aggregator" {
		t.Errorf("service.name %q, want the service's own name", got)
	}
	t.Setenv("OTEL_SERVICE_NAME", "boardpack-aggregator")
	if got := name(); got != "boardpack-aggregator" {
		t.Errorf("service.name %q, want OTEL_SERVICE_NAME's", got)
	}
}

func TestInjectOnlyTraceparent(t *testing.T) {
	record(t)
	parent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled,
		TraceState: mustTraceState(t, "vendor=x"), Remote: true,
	})
	ctx, span := Start(trace.ContextWithRemoteSpanContext(context.Background(), parent), "publish")
	defer span.End()
	md := map[string]string{}
	Inject(ctx, md)
	if len(md) != 1 || md[MetadataTraceparent] == "" {
		t.Fatalf("metadata %v, want traceparent alone", md)
	}
	got := trace.SpanContextFromContext(Extract(context.Background(), md))
	if got.TraceID() != parent.TraceID() || got.SpanID() != span.SpanContext().SpanID() || !got.IsRemote() {
		t.Errorf("extracted %v, want trace %v span %v", got, parent.TraceID(), span.SpanContext().SpanID())
	}
}

func mustTraceState(t *testing.T, s string) trace.TraceState {
	ts, err := trace.ParseTraceState(s)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestOffInjectsNothing(t *testing.T) {
	parent := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled})
	ctx := trace.ContextWithSpanContext(context.Background(), parent)
	md := map[string]string{}
	Inject(ctx, md)
	if len(md) != 0 {
		t.Errorf("tracing off injected %v", md)
	}
	if got := Extract(context.Background(), map[string]string{MetadataTraceparent: "00-01000000000000000000000000000000-0200000000000000-01"}); trace.SpanContextFromContext(got).IsValid() {
		t.Error("tracing off extracted a span context")
	}
	if c, _ := Start(ctx, "x"); c != ctx {
		t.Error("tracing off: Start made a new context")
	}
}

func TestHTTPServerSpan(t *testing.T) {
	rec := record(t)
	var inner trace.SpanContext
	h := HTTP("/webhooks/stripe/{tenant}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner = trace.SpanContextFromContext(r.Context())
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	req := httptest.NewRequest(http.MethodPost, "/webhooks/stripe/acme", nil)
	req.Header.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d: the wrapper changed the answer", w.Code)
	}
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	s := spans[0]
	if s.Name() != "POST /webhooks/stripe/{tenant}" || s.SpanKind() != trace.SpanKindServer {
		t.Errorf("span %q kind %v, want the route as a server span", s.Name(), s.SpanKind())
	}
	if s.Parent().TraceID().String() != "0af7651916cd43dd8448eb211c80319c" || s.Parent().SpanID().String() != "b7ad6b7169203331" {
		t.Errorf("parent %v, want the caller's traceparent", s.Parent())
	}
	if inner.SpanID() != s.SpanContext().SpanID() {
		t.Error("the handler's context does not carry the server span")
	}
	if s.Status().Code != codes.Error {
		t.Errorf("status %v for a 503, want error", s.Status())
	}
	found := false
	for _, a := range s.Attributes() {
		if a.Key == semconv.HTTPResponseStatusCodeKey && a.Value.AsInt64() == http.StatusServiceUnavailable {
			found = true
		}
	}
	if !found {
		t.Errorf("attributes %v lack http.response.status_code 503", s.Attributes())
	}
}

func TestHTTPOffPassesThrough(t *testing.T) {
	var sc trace.SpanContext
	h := HTTP("/x", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sc = trace.SpanContextFromContext(r.Context())
		w.WriteHeader(http.StatusTeapot)
	}))
	req := httptest.NewRequest(http.MethodPost, "/x", nil)
	req.Header.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusTeapot || sc.IsValid() {
		t.Errorf("status %d, span context %v: want the handler's answer and no span", w.Code, sc)
	}
}
