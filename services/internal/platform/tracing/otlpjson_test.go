package tracing

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// collector is an OTLP/HTTP endpoint that keeps what it was sent.
type collector struct {
	mu       sync.Mutex
	status   int
	path     string
	header   http.Header
	requests []map[string]any
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.path, c.header = r.URL.Path, r.Header.Clone()
	c.requests = append(c.requests, body)
	if c.status != 0 {
		http.Error(w, "collector down", c.status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{}`))
}

func newCollector(t *testing.T) (*collector, *httptest.Server) {
	t.Helper()
	c := &collector{}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return c, srv
}

// get walks a decoded JSON document: a string step is an object key, an
// int one an array index.
func get(t *testing.T, doc any, path ...any) any {
	t.Helper()
	cur := doc
	for i, step := range path {
		switch s := step.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				t.Fatalf("%v: not an object at step %d", path, i)
			}
			cur = m[s]
		case int:
			a, ok := cur.([]any)
			if !ok || s >= len(a) {
				t.Fatalf("%v: no element %d at step %d (%v)", path, s, i, cur)
			}
			cur = a[s]
		}
	}
	return cur
}

// attrs maps an OTLP attribute list to key -> value object.
func attrs(t *testing.T, list any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	l, _ := list.([]any)
	for _, kv := range l {
		m := kv.(map[string]any)
		out[m["key"].(string)] = m["value"].(map[string]any)
	}
	return out
}

func TestOTLPExporterSendsSpansAsOTLPJSON(t *testing.T) {
	c, srv := newCollector(t)
	t.Setenv("OTEL_TRACES_EXPORTER", ExporterOTLP)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", ProtocolHTTPJSON)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20tok,X-Scope=a%3Db%2Cc")
	before := time.Now()
	shutdown, err := Setup(context.Background(), "svc")
	if err != nil {
		t.Fatal(err)
	}
	ctx, parent := Start(context.Background(), "parent", trace.WithSpanKind(trace.SpanKindServer))
	linked := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0xab, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
		SpanID:  trace.SpanID{0xcd, 1, 2, 3, 4, 5, 6, 7},
	})
	_, child := Start(ctx, "child",
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithLinks(trace.Link{SpanContext: linked, Attributes: []attribute.KeyValue{attribute.String("why", "batch")}}),
		trace.WithAttributes(
			attribute.String("s", "text"),
			attribute.Int64("i", -42),
			attribute.Bool("b", true),
			attribute.Float64("d", 1.5),
			attribute.StringSlice("ss", []string{"x", "y"}),
		))
	End(child, errors.New("table gone"))
	End(parent, nil)
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := time.Now()

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.path != "/v1/traces" {
		t.Errorf("posted to %q, want /v1/traces", c.path)
	}
	if got := c.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q, want application/json", got)
	}
	if got := c.header.Get("Authorization"); got != "Bearer tok" {
		t.Errorf("Authorization %q, want the URL-decoded %q", got, "Bearer tok")
	}
	if got := c.header.Get("X-Scope"); got != "a=b,c" {
		t.Errorf("X-Scope %q, want %q", got, "a=b,c")
	}
	if len(c.requests) != 1 {
		t.Fatalf("%d requests, want 1 (one batch)", len(c.requests))
	}
	req := c.requests[0]
	rs := get(t, req, "resourceSpans", 0)
	if got := attrs(t, get(t, rs, "resource", "attributes"))["service.name"]["stringValue"]; got != "svc" {
		t.Errorf("resource service.name %v, want svc", got)
	}
	ss := get(t, rs, "scopeSpans", 0)
	if got := get(t, ss, "scope", "name"); got != instrumentation {
		t.Errorf("scope name %v, want %s", got, instrumentation)
	}
	spans := map[string]map[string]any{}
	for _, s := range get(t, ss, "spans").([]any) {
		spans[s.(map[string]any)["name"].(string)] = s.(map[string]any)
	}
	p, ch := spans["parent"], spans["child"]
	if p == nil || ch == nil {
		t.Fatalf("spans %v, want parent and child", spans)
	}
	psc, csc := parent.SpanContext(), child.SpanContext()
	for _, c := range []struct {
		field string
		got   any
		want  any
	}{
		{"child traceId", ch["traceId"], csc.TraceID().String()},
		{"child spanId", ch["spanId"], csc.SpanID().String()},
		{"child parentSpanId", ch["parentSpanId"], psc.SpanID().String()},
		{"parent traceId", p["traceId"], psc.TraceID().String()},
		{"parent parentSpanId", p["parentSpanId"], nil},
		{"child kind", ch["kind"], float64(3)},
		{"parent kind", p["kind"], float64(2)},
		{"child status code", get(t, ch, "status", "code"), float64(2)},
		{"child status message", get(t, ch, "status", "message"), "table gone"},
		{"parent status code", get(t, p, "status", "code"), nil},
		{"child event", get(t, ch, "events", 0, "name"), "exception"},
		{"link traceId", get(t, ch, "links", 0, "traceId"), "ab0102030405060708090a0b0c0d0e0f"},
		{"link spanId", get(t, ch, "links", 0, "spanId"), "cd01020304050607"},
		{"link attribute", attrs(t, get(t, ch, "links", 0, "attributes"))["why"]["stringValue"], "batch"},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v (%T), want %v (%T)", c.field, c.got, c.got, c.want, c.want)
		}
	}
	a := attrs(t, ch["attributes"])
	for _, c := range []struct {
		key, field string
		want       any
	}{
		{"s", "stringValue", "text"},
		{"i", "intValue", "-42"}, // int64 as a string
		{"b", "boolValue", true},
		{"d", "doubleValue", 1.5},
	} {
		if got := a[c.key][c.field]; got != c.want {
			t.Errorf("attribute %s: %v, want {%s: %v}", c.key, a[c.key], c.field, c.want)
		}
	}
	if got := get(t, a["ss"], "arrayValue", "values", 1, "stringValue"); got != "y" {
		t.Errorf("attribute ss: %v, want an arrayValue of x, y", a["ss"])
	}
	start, err1 := strconv.ParseInt(ch["startTimeUnixNano"].(string), 10, 64)
	end, err2 := strconv.ParseInt(ch["endTimeUnixNano"].(string), 10, 64)
	if err1 != nil || err2 != nil || start < before.UnixNano() || end < start || end > after.UnixNano() {
		t.Errorf("child start %v end %v: want decimal strings of nanoseconds in [%d, %d], start <= end",
			ch["startTimeUnixNano"], ch["endTimeUnixNano"], before.UnixNano(), after.UnixNano())
	}
}

// ended records one ended span to export directly.
func ended(t *testing.T) []sdktrace.ReadOnlySpan {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	_, s := tp.Tracer("t").Start(context.Background(), "s")
	s.End()
	return rec.Ended()
}

func TestOTLPExporterNon2xxIsAnError(t *testing.T) {
	c, srv := newCollector(t)
	c.status = http.StatusInternalServerError
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", srv.URL+"/custom/path")
	exp, err := newOTLPExporter()
	if err != nil {
		t.Fatal(err)
	}
	err = exp.ExportSpans(context.Background(), ended(t))
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("export to a collector answering 500: err %v, want one naming 500", err)
	}
	if c.path != "/custom/path" {
		t.Errorf("posted to %q, want the traces endpoint as is, /custom/path", c.path)
	}
	c.status = 0
	if err := exp.ExportSpans(context.Background(), ended(t)); err != nil {
		t.Errorf("export to a collector answering 200: %v", err)
	}
	if err := exp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := exp.ExportSpans(context.Background(), ended(t)); err == nil {
		t.Error("export after shutdown: no error")
	}
}

func TestOTLPExporterSettings(t *testing.T) {
	for _, c := range []struct {
		env         map[string]string
		url         string
		timeout     time.Duration
		headerCount int
	}{
		{map[string]string{}, "http://localhost:4318/v1/traces", 10 * time.Second, 0},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://otel.example.com:4318/"}, "https://otel.example.com:4318/v1/traces", 10 * time.Second, 0},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:1", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://b:2/x"}, "http://b:2/x", 10 * time.Second, 0},
		{map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "250", "OTEL_EXPORTER_OTLP_HEADERS": "a=1, b=2"}, "http://localhost:4318/v1/traces", 250 * time.Millisecond, 2},
		{map[string]string{"OTEL_EXPORTER_OTLP_TIMEOUT": "250", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "900", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"}, "http://localhost:4318/v1/traces", 900 * time.Millisecond, 0},
	} {
		for _, k := range []string{"ENDPOINT", "TIMEOUT", "HEADERS", "PROTOCOL"} {
			t.Setenv("OTEL_EXPORTER_OTLP_"+k, "")
			t.Setenv("OTEL_EXPORTER_OTLP_TRACES_"+k, "")
		}
		for k, v := range c.env {
			t.Setenv(k, v)
		}
		e, err := newOTLPExporter()
		if err != nil {
			t.Errorf("%v: %v", c.env, err)
			continue
		}
		if e.url != c.url || e.timeout != c.timeout || len(e.headers) != c.headerCount {
			t.Errorf("%v: url %s timeout %s %d headers, want %s %s %d", c.env, e.url, e.timeout, len(e.headers), c.url, c.timeout, c.headerCount)
		}
	}
}

func TestOTLPExporterRefusesBadSettings(t *testing.T) {
	for _, c := range []struct{ key, value, want string }{
		{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", "only http/json"},
		{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", "only http/json"},
		{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4318", "OTEL_EXPORTER_OTLP_ENDPOINT"},
		{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://x/v1/traces", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"},
		{"OTEL_EXPORTER_OTLP_HEADERS", "novalue", "OTEL_EXPORTER_OTLP_HEADERS"},
		{"OTEL_EXPORTER_OTLP_HEADERS", "=v", "OTEL_EXPORTER_OTLP_HEADERS"},
		{"OTEL_EXPORTER_OTLP_HEADERS", "k=%zz", "OTEL_EXPORTER_OTLP_HEADERS"},
		{"OTEL_EXPORTER_OTLP_TIMEOUT", "10s", "OTEL_EXPORTER_OTLP_TIMEOUT"},
		{"OTEL_EXPORTER_OTLP_TIMEOUT", "0", "OTEL_EXPORTER_OTLP_TIMEOUT"},
		{"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "-5", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"},
	} {
		t.Setenv(c.key, c.value)
		_, err := newOTLPExporter()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s=%s: err %v, want one saying %s", c.key, c.value, err, c.want)
		}
		t.Setenv(c.key, "")
	}
}
