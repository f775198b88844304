// Package tracing is Boardpack's OpenTelemetry tracing: Setup configures
// it from the standard OTEL_* variables, and the helpers here start spans
// and carry trace context across SNS and SQS in one message attribute.
//
// Tracing is off unless OTEL_TRACES_EXPORTER names an exporter (the
// OpenTelemetry default, otlp, is not assumed: a deployment without a
// collector must not spend a thing on spans nobody reads). Off, every
// helper here returns at once: no span, no allocation, no attribute
// injected, so the webhook path costs what it cost before (see
// BenchmarkHTTPOff).
//
// Read by Setup or by the OpenTelemetry SDK itself:
//
//	OTEL_TRACES_EXPORTER         unset or none: off; otlp: OTLP over HTTP with JSON encoding; console: JSON on stderr
//	OTEL_SDK_DISABLED            true: off whatever the exporter
//	OTEL_SERVICE_NAME            default: the service's own name (stripe-collector, aggregator, ...)
//	OTEL_RESOURCE_ATTRIBUTES     extra resource attributes (deployment.environment=prod,...)
//	OTEL_EXPORTER_OTLP_ENDPOINT  default http://localhost:4318; spans go to its /v1/traces
//	OTEL_EXPORTER_OTLP_TRACES_ENDPOINT  the full URL spans go to, used as is (wins over the above)
//	OTEL_EXPORTER_OTLP_HEADERS   key=value,key2=value2, URL-encoded: sent with every export
//	OTEL_EXPORTER_OTLP_TIMEOUT   milliseconds one export may take, default 10000
//	OTEL_EXPORTER_OTLP_PROTOCOL  unset or http/json, the only one spoken (http/protobuf and grpc are refused)
//	                             (each OTEL_EXPORTER_OTLP_x has an OTEL_EXPORTER_OTLP_TRACES_x that wins over it)
//	OTEL_TRACES_SAMPLER          default parentbased_always_on; e.g. parentbased_traceidratio with OTEL_TRACES_SAMPLER_ARG=0.1
//	OTEL_BSP_SCHEDULE_DELAY      batch span processor settings (OTEL_BSP_*)
//
// Propagation is W3C trace context. Across the bus only `traceparent`
// travels (MetadataTraceparent): SNS raw delivery drops a message with
// more than 10 attributes, and tracestate and baggage would each cost one.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// MetadataTraceparent is the message attribute (watermill metadata key)
// that carries a message's trace context: the W3C traceparent of the span
// that published it.
const MetadataTraceparent = "traceparent"

// instrumentation names Boardpack's tracer.
const instrumentation = "github.com/boardpack/boardpack"

// enabled is set while a tracer provider that records is installed: the
// helpers do nothing otherwise.
var enabled atomic.Bool

// Enabled reports whether tracing is on.
func Enabled() bool { return enabled.Load() }

// Exporter names accepted in OTEL_TRACES_EXPORTER.
const (
	ExporterNone    = "none"
	ExporterOTLP    = "otlp"
	ExporterConsole = "console"
)

// Setup turns tracing on when the environment asks for it (see the
// package doc) and returns the function that flushes and stops it; with
// tracing off that function does nothing. A bad setting is an error
// naming the variable.
func Setup(ctx context.Context, service string) (shutdown func(context.Context) error, err error) {
	noop := func(context.Context) error { return nil }
	if strings.EqualFold(strings.TrimSpace(os.Getenv("OTEL_SDK_DISABLED")), "true") {
		return noop, nil
	}
	var exp sdktrace.SpanExporter
	switch name := strings.ToLower(strings.TrimSpace(os.Getenv("OTEL_TRACES_EXPORTER"))); name {
	case "", ExporterNone:
		return noop, nil
	case ExporterOTLP:
		exp, err = newOTLPExporter()
	case ExporterConsole:
		exp, err = stdouttrace.New(stdouttrace.WithWriter(os.Stderr))
	default:
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER %q: want %s, %s or %s", name, ExporterNone, ExporterOTLP, ExporterConsole)
	}
	if err != nil {
		return nil, fmt.Errorf("trace exporter: %w", err)
	}
	res, err := Resource(ctx, service)
	if err != nil {
		return nil, err
	}
	// The SDK reads OTEL_TRACES_SAMPLER(_ARG) and OTEL_BSP_* itself.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	restore := Use(tp)
	return func(ctx context.Context) error {
		defer restore()
		if err := tp.Shutdown(ctx); err != nil {
			return fmt.Errorf("flush traces: %w", err)
		}
		return nil
	}, nil
}

// Resource describes the service: service.name is the service's own name
// unless OTEL_SERVICE_NAME says otherwise, plus OTEL_RESOURCE_ATTRIBUTES.
func Resource(ctx context.Context, service string) (*resource.Resource, error) {
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(service)),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(), // last: the environment wins
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	return res, nil
}

// Use installs tp as the tracer provider and turns the helpers on, until
// the returned function restores what was there (Setup; tests with
// tracetest's in-memory exporter).
func Use(tp trace.TracerProvider) (restore func()) {
	prev, was := otel.GetTracerProvider(), enabled.Load()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	enabled.Store(true)
	return func() {
		otel.SetTracerProvider(prev)
		enabled.Store(was)
	}
}

// Start starts a span as a child of ctx's. With tracing off it returns ctx
// and a no-op span, without allocating.
func Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	if !enabled.Load() {
		return ctx, trace.SpanFromContext(context.Background())
	}
	return otel.Tracer(instrumentation).Start(ctx, name, opts...)
}

// End records err (if any) on span as its error status and ends it.
func End(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// Inject writes ctx's trace context into a message's metadata: only
// traceparent, never tracestate or baggage (one attribute of raw
// delivery's ten). Nothing is written with tracing off or without a span.
func Inject(ctx context.Context, metadata map[string]string) {
	if !enabled.Load() {
		return
	}
	propagation.TraceContext{}.Inject(ctx, onlyTraceparent(metadata))
}

// Extract returns ctx with the remote span context a message's metadata
// carries, the parent of its consumer span. With tracing off it returns
// ctx.
func Extract(ctx context.Context, metadata map[string]string) context.Context {
	if !enabled.Load() || metadata[MetadataTraceparent] == "" {
		return ctx
	}
	return propagation.TraceContext{}.Extract(ctx, onlyTraceparent(metadata))
}

// onlyTraceparent is a carrier that reads and writes traceparent alone.
type onlyTraceparent map[string]string

func (c onlyTraceparent) Get(key string) string {
	if key != MetadataTraceparent {
		return ""
	}
	return c[key]
}

func (c onlyTraceparent) Set(key, value string) {
	if key == MetadataTraceparent {
		c[key] = value
	}
}

func (c onlyTraceparent) Keys() []string { return []string{MetadataTraceparent} }

// HTTP wraps h in a server span named after route (the pattern, never the
// raw path, whose tenant part is caller-controlled), a child of the
// caller's traceparent header if it sent one. With tracing off it calls h
// directly.
func HTTP(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !enabled.Load() {
			h.ServeHTTP(w, r)
			return
		}
		ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := otel.Tracer(instrumentation).Start(ctx, r.Method+" "+route,
			trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(
				semconv.HTTPRequestMethodKey.String(r.Method),
				semconv.HTTPRoute(route),
				semconv.URLPath(r.URL.Path),
			))
		defer span.End()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r.WithContext(ctx))
		span.SetAttributes(semconv.HTTPResponseStatusCode(sw.status))
		if sw.status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(sw.status))
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Attributes of messaging spans.
var (
	// TenantKey is the tenant id on every span that concerns one tenant.
	TenantKey = attribute.Key("boardpack.tenant_id")
)
