package webhook

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/boardpack/boardpack/services/internal/platform/logging"
	"github.com/boardpack/boardpack/services/internal/platform/tracing"
)

// The webhook's log line names the Stripe event id, which is the
// correlation id its messages carry, and, with tracing on, the server
// span's trace id; the span learns the tenant.
func TestWebhookLogsCorrelationAndTraceIDs(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	defer tracing.Use(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))()
	h, _ := inProcessWebhook()
	var logs bytes.Buffer
	h.Log = slog.New(slog.NewJSONHandler(&logs, nil))
	body := capturedCharge(t)
	var ev struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" {
		t.Fatalf("captured charge has no id: %v", err)
	}
	req := httptest.NewRequest(http.MethodPost, "/webhooks/stripe/acme", bytes.NewReader(body))
	req.SetPathValue("tenant", "acme")
	req.Header.Set("Stripe-Signature", sign(body, secretOld, time.Now()))
	w := httptest.NewRecorder()
	tracing.HTTP("/webhooks/stripe/{tenant}", h).ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	spans := rec.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want the server span", len(spans))
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(logs.String())), &line); err != nil {
		t.Fatalf("log %q: %v", logs.String(), err)
	}
	if line["msg"] != "webhook accepted" || line["stripe_event"] != ev.ID || line[logging.KeyTraceID] != spans[0].SpanContext().TraceID().String() {
		t.Errorf("log line %s: want webhook accepted with stripe_event %s and the server span's trace id", logs.String(), ev.ID)
	}
	tenant := ""
	for _, a := range spans[0].Attributes() {
		if a.Key == tracing.TenantKey {
			tenant = a.Value.AsString()
		}
	}
	if tenant != "acme" {
		t.Errorf("server span tenant %q, want acme", tenant)
	}
}
