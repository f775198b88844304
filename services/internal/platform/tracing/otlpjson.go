package tracing

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// ProtocolHTTPJSON is the one OTLP protocol the otlp exporter speaks.
const ProtocolHTTPJSON = "http/json"

// Defaults of the OTLP exporter (the OTLP specification's).
const (
	DefaultOTLPEndpoint = "http://localhost:4318"
	DefaultOTLPTimeout  = 10 * time.Second
	otlpTracesPath      = "/v1/traces"
)

// otlpExporter sends spans as OTLP over HTTP with JSON encoding (the
// http/json protocol of the OTLP specification): it is ours rather than
// otlptracehttp because that one links the generated protobuf packages,
// which cost every service megabytes of resident memory at init whether
// tracing is on or off.
type otlpExporter struct {
	url     string
	headers map[string]string
	timeout time.Duration
	client  *http.Client
	stopped atomic.Bool
}

var _ sdktrace.SpanExporter = (*otlpExporter)(nil)

// otlpEnv returns the signal-specific variable OTEL_EXPORTER_OTLP_TRACES_x
// if set, else the generic OTEL_EXPORTER_OTLP_x, and the name of the one
// it read (for errors).
func otlpEnv(x string) (value, name string, generic bool) {
	name = "OTEL_EXPORTER_OTLP_TRACES_" + x
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v, name, false
	}
	name = "OTEL_EXPORTER_OTLP_" + x
	return strings.TrimSpace(os.Getenv(name)), name, true
}

// newOTLPExporter configures the exporter from the OTEL_EXPORTER_OTLP_*
// variables; a bad one is an error naming it.
func newOTLPExporter() (*otlpExporter, error) {
	if p, name, _ := otlpEnv("PROTOCOL"); p != "" && p != ProtocolHTTPJSON {
		return nil, fmt.Errorf("%s %q: only %s is supported", name, p, ProtocolHTTPJSON)
	}
	e := &otlpExporter{timeout: DefaultOTLPTimeout, client: &http.Client{}}

	endpoint, name, generic := otlpEnv("ENDPOINT")
	switch {
	case endpoint == "":
		endpoint = DefaultOTLPEndpoint + otlpTracesPath
	case generic:
		endpoint = strings.TrimRight(endpoint, "/") + otlpTracesPath
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s %q: want an http:// or https:// URL", name, os.Getenv(name))
	}
	e.url = u.String()

	raw, name, _ := otlpEnv("HEADERS")
	if e.headers, err = parseOTLPHeaders(raw); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}

	if ms, name, _ := otlpEnv("TIMEOUT"); ms != "" {
		n, err := strconv.ParseInt(ms, 10, 64)
		if err != nil || n <= 0 || n > math.MaxInt64/int64(time.Millisecond) {
			return nil, fmt.Errorf("%s %q: want a positive whole number of milliseconds", name, ms)
		}
		e.timeout = time.Duration(n) * time.Millisecond
	}
	return e, nil
}

// parseOTLPHeaders reads key=value,key2=value2 with URL-encoded keys and
// values (the OTEL_EXPORTER_OTLP_HEADERS format).
func parseOTLPHeaders(raw string) (map[string]string, error) {
	headers := map[string]string{}
	if raw == "" {
		return headers, nil
	}
	for _, pair := range strings.Split(raw, ",") {
		k, v, ok := strings.Cut(pair, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want key=value", pair)
		}
		key, err := url.PathUnescape(strings.TrimSpace(k))
		if err != nil || key == "" {
			return nil, fmt.Errorf("%q: want a non-empty URL-encoded key", pair)
		}
		value, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("%q: value is not URL-encoded: %w", pair, err)
		}
		headers[key] = value
	}
	return headers, nil
}

// ExportSpans posts spans in one ExportTraceServiceRequest; an answer
// other than 2xx is an error (the batch span processor reports it).
func (e *otlpExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if e.stopped.Load() {
		return errors.New("otlp exporter: shut down")
	}
	if len(spans) == 0 {
		return nil
	}
	body, err := json.Marshal(otlpRequest(spans))
	if err != nil {
		return fmt.Errorf("otlp exporter: encode spans: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("otlp exporter: %w", err)
	}
	for k, v := range e.headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("otlp exporter: post %s: %w", e.url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20)) // reuse the connection
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("otlp exporter: post %s: %s: %s", e.url, resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}

// Shutdown stops the exporter: later exports fail.
func (e *otlpExporter) Shutdown(context.Context) error {
	e.stopped.Store(true)
	e.client.CloseIdleConnections()
	return nil
}

// OTLP JSON (the protobuf JSON mapping, except that trace and span ids
// are hex): the fields of ExportTraceServiceRequest the SDK fills.
type (
	otlpTraceRequest struct {
		ResourceSpans []otlpResourceSpans `json:"resourceSpans"`
	}
	otlpResourceSpans struct {
		Resource   otlpResource     `json:"resource"`
		ScopeSpans []otlpScopeSpans `json:"scopeSpans"`
		SchemaURL  string           `json:"schemaUrl,omitempty"`
	}
	otlpResource struct {
		Attributes []otlpKeyValue `json:"attributes,omitempty"`
	}
	otlpScopeSpans struct {
		Scope     otlpScope  `json:"scope"`
		Spans     []otlpSpan `json:"spans"`
		SchemaURL string     `json:"schemaUrl,omitempty"`
	}
	otlpScope struct {
		Name       string         `json:"name"`
		Version    string         `json:"version,omitempty"`
		Attributes []otlpKeyValue `json:"attributes,omitempty"`
	}
	otlpSpan struct {
		TraceID                string         `json:"traceId"`
		SpanID                 string         `json:"spanId"`
		TraceState             string         `json:"traceState,omitempty"`
		ParentSpanID           string         `json:"parentSpanId,omitempty"`
		Name                   string         `json:"name"`
		Kind                   int            `json:"kind"`
		StartTimeUnixNano      string         `json:"startTimeUnixNano"`
		EndTimeUnixNano        string         `json:"endTimeUnixNano"`
		Attributes             []otlpKeyValue `json:"attributes,omitempty"`
		DroppedAttributesCount int            `json:"droppedAttributesCount,omitempty"`
		Events                 []otlpEvent    `json:"events,omitempty"`
		DroppedEventsCount     int            `json:"droppedEventsCount,omitempty"`
		Links                  []otlpLink     `json:"links,omitempty"`
		DroppedLinksCount      int            `json:"droppedLinksCount,omitempty"`
		Status                 otlpStatus     `json:"status"`
	}
	otlpEvent struct {
		TimeUnixNano           string         `json:"timeUnixNano"`
		Name                   string         `json:"name"`
		Attributes             []otlpKeyValue `json:"attributes,omitempty"`
		DroppedAttributesCount int            `json:"droppedAttributesCount,omitempty"`
	}
	otlpLink struct {
		TraceID                string         `json:"traceId"`
		SpanID                 string         `json:"spanId"`
		TraceState             string         `json:"traceState,omitempty"`
		Attributes             []otlpKeyValue `json:"attributes,omitempty"`
		DroppedAttributesCount int            `json:"droppedAttributesCount,omitempty"`
	}
	otlpStatus struct {
		Code    int    `json:"code,omitempty"`
		Message string `json:"message,omitempty"`
	}
	otlpKeyValue struct {
		Key   string       `json:"key"`
		Value otlpAnyValue `json:"value"`
	}
	otlpAnyValue struct {
		StringValue *string        `json:"stringValue,omitempty"`
		BoolValue   *bool          `json:"boolValue,omitempty"`
		IntValue    *string        `json:"intValue,omitempty"` // int64 as a decimal string
		DoubleValue *otlpDouble    `json:"doubleValue,omitempty"`
		ArrayValue  *otlpValues    `json:"arrayValue,omitempty"`
		KvlistValue *otlpKeyValues `json:"kvlistValue,omitempty"`
		BytesValue  *string        `json:"bytesValue,omitempty"` // base64
	}
	otlpValues struct {
		Values []otlpAnyValue `json:"values"`
	}
	otlpKeyValues struct {
		Values []otlpKeyValue `json:"values"`
	}
)

// otlpDouble is a double the way the protobuf JSON mapping writes it:
// NaN and the infinities as strings (encoding/json refuses them).
type otlpDouble float64

func (d otlpDouble) MarshalJSON() ([]byte, error) {
	f := float64(d)
	switch {
	case math.IsNaN(f):
		return []byte(`"NaN"`), nil
	case math.IsInf(f, 1):
		return []byte(`"Infinity"`), nil
	case math.IsInf(f, -1):
		return []byte(`"-Infinity"`), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// otlpRequest groups spans by resource and instrumentation scope.
func otlpRequest(spans []sdktrace.ReadOnlySpan) otlpTraceRequest {
	var req otlpTraceRequest
	resources := map[*resource.Resource]int{}
	type scopeKey struct {
		resource                 int
		name, version, schemaURL string
	}
	scopes := map[scopeKey]int{}
	for _, s := range spans {
		ri, ok := resources[s.Resource()]
		if !ok {
			ri = len(req.ResourceSpans)
			resources[s.Resource()] = ri
			rs := otlpResourceSpans{}
			if r := s.Resource(); r != nil {
				rs.Resource.Attributes = otlpAttributes(r.Attributes())
				rs.SchemaURL = r.SchemaURL()
			}
			req.ResourceSpans = append(req.ResourceSpans, rs)
		}
		rs := &req.ResourceSpans[ri]
		sc := s.InstrumentationScope()
		key := scopeKey{resource: ri, name: sc.Name, version: sc.Version, schemaURL: sc.SchemaURL}
		si, ok := scopes[key]
		if !ok {
			si = len(rs.ScopeSpans)
			scopes[key] = si
			rs.ScopeSpans = append(rs.ScopeSpans, otlpScopeSpans{
				Scope:     otlpScope{Name: sc.Name, Version: sc.Version, Attributes: otlpAttributes(sc.Attributes.ToSlice())},
				SchemaURL: sc.SchemaURL,
			})
		}
		rs.ScopeSpans[si].Spans = append(rs.ScopeSpans[si].Spans, otlpSpanOf(s))
	}
	return req
}

func otlpSpanOf(s sdktrace.ReadOnlySpan) otlpSpan {
	sc := s.SpanContext()
	out := otlpSpan{
		TraceID:                sc.TraceID().String(),
		SpanID:                 sc.SpanID().String(),
		TraceState:             sc.TraceState().String(),
		Name:                   s.Name(),
		Kind:                   int(s.SpanKind()), // trace.SpanKind's values are OTLP's
		StartTimeUnixNano:      otlpTime(s.StartTime()),
		EndTimeUnixNano:        otlpTime(s.EndTime()),
		Attributes:             otlpAttributes(s.Attributes()),
		DroppedAttributesCount: s.DroppedAttributes(),
		DroppedEventsCount:     s.DroppedEvents(),
		DroppedLinksCount:      s.DroppedLinks(),
		Status:                 otlpStatus{Message: s.Status().Description},
	}
	if p := s.Parent(); p.SpanID().IsValid() {
		out.ParentSpanID = p.SpanID().String()
	}
	switch s.Status().Code {
	case codes.Ok:
		out.Status.Code = 1 // STATUS_CODE_OK
	case codes.Error:
		out.Status.Code = 2 // STATUS_CODE_ERROR
	}
	for _, ev := range s.Events() {
		out.Events = append(out.Events, otlpEvent{
			TimeUnixNano:           otlpTime(ev.Time),
			Name:                   ev.Name,
			Attributes:             otlpAttributes(ev.Attributes),
			DroppedAttributesCount: ev.DroppedAttributeCount,
		})
	}
	for _, l := range s.Links() {
		out.Links = append(out.Links, otlpLink{
			TraceID:                l.SpanContext.TraceID().String(),
			SpanID:                 l.SpanContext.SpanID().String(),
			TraceState:             l.SpanContext.TraceState().String(),
			Attributes:             otlpAttributes(l.Attributes),
			DroppedAttributesCount: l.DroppedAttributeCount,
		})
	}
	return out
}

func otlpTime(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.UnixNano(), 10)
}

func otlpAttributes(kvs []attribute.KeyValue) []otlpKeyValue {
	if len(kvs) == 0 {
		return nil
	}
	out := make([]otlpKeyValue, 0, len(kvs))
	for _, kv := range kvs {
		out = append(out, otlpKeyValue{Key: string(kv.Key), Value: otlpValue(kv.Value)})
	}
	return out
}

func otlpValue(v attribute.Value) otlpAnyValue {
	var out otlpAnyValue
	switch v.Type() {
	case attribute.BOOL:
		b := v.AsBool()
		out.BoolValue = &b
	case attribute.INT64:
		i := strconv.FormatInt(v.AsInt64(), 10)
		out.IntValue = &i
	case attribute.FLOAT64:
		d := otlpDouble(v.AsFloat64())
		out.DoubleValue = &d
	case attribute.STRING:
		s := v.AsString()
		out.StringValue = &s
	case attribute.BOOLSLICE:
		out.ArrayValue = otlpArray(v.AsBoolSlice(), attribute.BoolValue)
	case attribute.INT64SLICE:
		out.ArrayValue = otlpArray(v.AsInt64Slice(), attribute.Int64Value)
	case attribute.FLOAT64SLICE:
		out.ArrayValue = otlpArray(v.AsFloat64Slice(), attribute.Float64Value)
	case attribute.STRINGSLICE:
		out.ArrayValue = otlpArray(v.AsStringSlice(), attribute.StringValue)
	case attribute.SLICE:
		out.ArrayValue = otlpArray(v.AsSlice(), func(v attribute.Value) attribute.Value { return v })
	case attribute.BYTESLICE:
		b := base64.StdEncoding.EncodeToString(v.AsByteSlice())
		out.BytesValue = &b
	case attribute.MAP:
		out.KvlistValue = &otlpKeyValues{Values: otlpAttributes(v.AsMap())}
		if out.KvlistValue.Values == nil {
			out.KvlistValue.Values = []otlpKeyValue{}
		}
	}
	return out // EMPTY: an AnyValue with no value set
}

func otlpArray[T any](vs []T, of func(T) attribute.Value) *otlpValues {
	out := &otlpValues{Values: make([]otlpAnyValue, 0, len(vs))}
	for _, v := range vs {
		out.Values = append(out.Values, otlpValue(of(v)))
	}
	return out
}
