package e2e

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/e2e/stack"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// span is one span as a service exported it.
type span struct {
	service, name     string
	trace, id, parent string
	kind              spanKind
	attrs             map[string]string
}

// spanKind is OTLP's SpanKind enum.
type spanKind int

const (
	kindServer   spanKind = 2
	kindClient   spanKind = 3
	kindProducer spanKind = 4
	kindConsumer spanKind = 5
)

func (k spanKind) String() string {
	if n, ok := map[spanKind]string{1: "internal", kindServer: "server", kindClient: "client", kindProducer: "producer", kindConsumer: "consumer"}[k]; ok {
		return n
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// exportRequest is the part of an OTLP JSON ExportTraceServiceRequest the
// test reads (OTLP JSON writes trace and span ids in hex, which
// protojson would not read).
type exportRequest struct {
	ResourceSpans []struct {
		Resource struct {
			Attributes []keyValue `json:"attributes"`
		} `json:"resource"`
		ScopeSpans []struct {
			Spans []struct {
				TraceID      string     `json:"traceId"`
				SpanID       string     `json:"spanId"`
				ParentSpanID string     `json:"parentSpanId"`
				Name         string     `json:"name"`
				Kind         spanKind   `json:"kind"`
				Attributes   []keyValue `json:"attributes"`
			} `json:"spans"`
		} `json:"scopeSpans"`
	} `json:"resourceSpans"`
}

type keyValue struct {
	Key   string `json:"key"`
	Value struct {
		StringValue string `json:"stringValue"`
	} `json:"value"`
}

// otlpReceiver is the smallest OTLP/HTTP trace endpoint speaking http/json:
// it keeps every span the services export.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []span
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/traces" {
		http.NotFound(w, r)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = gz
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		http.Error(w, "Content-Type "+ct+", want application/json", http.StatusUnsupportedMediaType)
		return
	}
	var req exportRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	for _, rs := range req.ResourceSpans {
		service := ""
		for _, a := range rs.Resource.Attributes {
			if a.Key == "service.name" {
				service = a.Value.StringValue
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				attrs := map[string]string{}
				for _, a := range s.Attributes {
					attrs[a.Key] = a.Value.StringValue
				}
				o.spans = append(o.spans, span{service: service, name: s.Name, kind: s.Kind, attrs: attrs,
					trace: s.TraceID, id: s.SpanID, parent: s.ParentSpanID})
			}
		}
	}
	o.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{}`)) // an ExportTraceServiceResponse: full success
}

func (o *otlpReceiver) all() []span {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]span(nil), o.spans...)
}

// chain finds, for the first span that match accepts, its ancestors up to
// the root of its trace (the span itself first), or nil.
func (o *otlpReceiver) chain(match func(span) bool) []span {
	spans := o.all()
	byID := map[string]span{}
	for _, s := range spans {
		byID[s.trace+"/"+s.id] = s
	}
	for _, s := range spans {
		if !match(s) {
			continue
		}
		out := []span{s}
		for cur := s; cur.parent != "" && cur.parent != "0000000000000000"; {
			p, ok := byID[cur.trace+"/"+cur.parent]
			if !ok {
				break // not exported yet
			}
			out = append(out, p)
			cur = p
		}
		return out
	}
	return nil
}

func describe(c []span) string {
	var parts []string
	for _, s := range c {
		parts = append(parts, fmt.Sprintf("%s:%q(%s)", s.service, s.name, s.kind))
	}
	return strings.Join(parts, " <- ")
}

// TestOneTraceFromWebhookToWriteAndFromReportDueToSES runs the real
// binaries with OTEL_TRACES_EXPORTER=otlp (http/json) pointed at a receiver of the
// test's own, and follows the parent links of what they export: a
// webhook's server span in the stripe-collector, its SNS publish, the
// aggregator's consumer span (from the traceparent the message carried
// through SNS and SQS) and its DynamoDB write form one trace; so do the
// scheduler's report-due publish, the mailer's consumer span and its SES
// send.
func TestOneTraceFromWebhookToWriteAndFromReportDueToSES(t *testing.T) {
	recv := &otlpReceiver{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: recv, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	s := stack.Start(t,
		"OTEL_TRACES_EXPORTER=otlp",
		"OTEL_EXPORTER_OTLP_PROTOCOL=http/json",
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://"+ln.Addr().String(),
		"OTEL_BSP_SCHEDULE_DELAY=200",
		"BOARDPACK_SCHEDULER_TICK=5s",
	)
	// A tenant whose report is due every minute, for the second trace.
	tenant := "traced-" + mototest.UniqueID()
	file := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := os.WriteFile(file, []byte(`tenants:
  - id: `+tenant+`
    name: Traced
    timezone: Europe/Berlin
    currency: EUR
    stripe: {webhook_secrets: [whsec_traced]}
    email: {from: "Traced Reports <reports@boardpack.example.com>"}
    recipients: {ceo: [ceo@traced.example.com]}
    schedules: [{role: ceo, cron: "* * * * *", period: interval}]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	s.Reportctl("tenants", "apply", "-f", file)

	if code := s.PostWebhook(tenant, "whsec_traced", stack.ChargeEvent(t, "trace"+mototest.UniqueID(), 1234, time.Now())); code != http.StatusOK {
		t.Fatalf("webhook answered %d, want 200", code)
	}
	var write []span
	deadline := time.Now().Add(60 * time.Second)
	for write == nil && time.Now().Before(deadline) {
		time.Sleep(500 * time.Millisecond)
		c := recv.chain(func(sp span) bool {
			return sp.service == "aggregator" && sp.name == "dynamodb put fact" && sp.attrs["boardpack.tenant_id"] == tenant
		})
		if len(c) == 4 {
			write = c
		}
	}
	if write == nil {
		t.Fatalf("no complete trace from the webhook to the aggregator's write after 60s; %d spans exported, chain %s",
			len(recv.all()), describe(recv.chain(func(sp span) bool { return sp.service == "aggregator" && sp.name == "dynamodb put fact" })))
	}
	wantWrite := []struct {
		service, name string
		kind          spanKind
	}{
		{"aggregator", "dynamodb put fact", kindClient},
		{"aggregator", "process " + s.Names.Queue(resources.QueueAggregatorMetrics), kindConsumer},
		{"stripe-collector", "send " + s.Names.Topic(messages.TopicMetrics), kindProducer},
		{"stripe-collector", "POST /webhooks/stripe/{tenant}", kindServer},
	}
	for i, w := range wantWrite {
		if got := write[i]; got.service != w.service || got.name != w.name || got.kind != w.kind || got.trace != write[0].trace {
			t.Errorf("webhook trace, span %d: %s %q %s, want %s %q %s (chain %s)", i, got.service, got.name, got.kind, w.service, w.name, w.kind, describe(write))
		}
	}
	if write[3].attrs["boardpack.tenant_id"] != tenant {
		t.Errorf("the server span's tenant %q, want %q", write[3].attrs["boardpack.tenant_id"], tenant)
	}

	// The schedule fires at the next whole minute.
	var send []span
	deadline = time.Now().Add(100 * time.Second)
	for send == nil && time.Now().Before(deadline) {
		time.Sleep(time.Second)
		c := recv.chain(func(sp span) bool { return sp.service == "mailer" && sp.name == "ses SendRawEmail" })
		if len(c) == 3 {
			send = c
		}
	}
	if send == nil {
		t.Fatalf("no complete trace from a report due to SES after 100s; chain %s",
			describe(recv.chain(func(sp span) bool { return sp.service == "mailer" && sp.name == "ses SendRawEmail" })))
	}
	wantSend := []struct {
		service, name string
		kind          spanKind
	}{
		{"mailer", "ses SendRawEmail", kindClient},
		{"mailer", "process " + s.Names.Queue(resources.QueueMailerReportDue), kindConsumer},
		{"scheduler", "send " + s.Names.Topic(messages.TopicReportDue), kindProducer},
	}
	for i, w := range wantSend {
		if got := send[i]; got.service != w.service || got.name != w.name || got.kind != w.kind {
			t.Errorf("report trace, span %d: %s %q %s, want %s %q %s (chain %s)", i, got.service, got.name, got.kind, w.service, w.name, w.kind, describe(send))
		}
	}
}
