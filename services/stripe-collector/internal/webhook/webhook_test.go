package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	stripehook "github.com/stripe/stripe-go/v76/webhook"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

func TestMain(m *testing.M) { mototest.Main(m) }

const fixtureDir = "../../../../deploy/demo/stripe"

// fixture reads a demo fixture, sets a fresh event id and applies edit to
// the whole envelope.
func fixture(t testing.TB, name string, edit func(env map[string]any)) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]any
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	env["id"] = "evt_test_" + mototest.UniqueID()
	if edit != nil {
		edit(env)
	}
	out, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func object(env map[string]any) map[string]any {
	return env["data"].(map[string]any)["object"].(map[string]any)
}

// capturedCharge is a charge.succeeded of 4200 cents with a fresh charge id.
func capturedCharge(t testing.TB) []byte {
	return fixture(t, "charge_succeeded.json", func(env map[string]any) {
		o := object(env)
		o["id"] = "ch_test_" + mototest.UniqueID()
		o["amount"], o["amount_captured"], o["captured"] = 4200, 4200, true
	})
}

func sign(body []byte, secret string, at time.Time) string {
	return stripehook.GenerateTestSignedPayload(&stripehook.UnsignedPayload{Payload: body, Secret: secret, Timestamp: at}).Header
}

const (
	secretOld   = "whsec_old_acme_secret"
	secretOther = "whsec_other_tenant_secret"
	secretEnv   = "BOARDPACK_TEST_ACME_WEBHOOK_SECRET"
	secretNew   = "whsec_new_acme_secret_from_env"
)

func tenantDoc(id string, stripe tenants.Stripe) tenants.Tenant {
	return tenants.Tenant{
		ID: id, Name: "Test " + id, Timezone: "America/Los_Angeles", Currency: "USD",
		Stripe: stripe,
		Email:  tenants.Email{From: "Boardpack <reports@example.com>"},
	}
}

type harness struct {
	url     string
	sqs     *sqs.Client
	queue   string
	metrics *Metrics
	env     mototest.Env
}

// newHarness bootstraps fresh resources in moto, applies three tenants and
// serves the webhook over real HTTP on loopback.
func newHarness(t testing.TB, configure func(*Webhook)) *harness {
	t.Helper()
	env := mototest.Bootstrap(t, resources.Spec{})
	t.Setenv(secretEnv, secretNew)
	store := tenants.Store{DB: dynamodb.NewFromConfig(env.AWS), Table: env.Names.Table}
	ctx := context.Background()
	if err := store.Apply(ctx, tenants.File{Tenants: []tenants.Tenant{
		tenantDoc("acme", tenants.Stripe{WebhookSecrets: []string{secretOld, "env:" + secretEnv}}),
		tenantDoc("other", tenants.Stripe{WebhookSecrets: []string{secretOther}}),
		tenantDoc("lenient", tenants.Stripe{WebhookSecrets: []string{secretOther}, Livemode: true, AllowOtherMode: true, IgnoreAPIVersionMismatch: true}),
		tenantDoc("strict", tenants.Stripe{WebhookSecrets: []string{secretOther}, APIVersions: []string{"2023-10-16", "2025-03-31.basil"}}),
	}}); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	pub := bus.NewGroupPublisherFromConfig(env.AWS, env.Names, env.Account, bus.GroupConfig{}, bus.Logger(quiet))
	t.Cleanup(func() { pub.Close() })
	m := NewMetrics(prometheus.NewRegistry())
	h := &Webhook{
		Tenants:        &tenants.Cache{Store: store, TTL: time.Minute},
		Secrets:        tenants.NewSecretResolver(env.AWS, time.Minute),
		Publisher:      pub,
		Log:            quiet,
		Metrics:        m,
		PublishTimeout: 10 * time.Second,
	}
	if configure != nil {
		configure(h)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/stripe/{tenant}", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &harness{url: srv.URL, sqs: sqs.NewFromConfig(env.AWS), queue: env.Resource.QueueURLs[resources.QueueAggregatorMetrics], metrics: m, env: env}
}

func (h *harness) post(t testing.TB, tenant string, body []byte, sig string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.url+"/webhooks/stripe/"+tenant, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set("Stripe-Signature", sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// received drains what reached the aggregator's queue, waiting up to wait
// seconds (at least 1: 0 would mean the queue's 20 s default) for the
// first message. moto delivers SNS to SQS within the Publish call and
// returns every visible message up to 10 at once, so a short batch is the
// end.
func (h *harness) received(t testing.TB, wait int32) []messages.MetricEvent {
	t.Helper()
	var out []messages.MetricEvent
	for {
		resp, err := h.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(h.queue), MaxNumberOfMessages: 10, WaitTimeSeconds: wait,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Messages) == 0 {
			return out
		}
		short := len(resp.Messages) < 10
		for _, m := range resp.Messages {
			var ev messages.MetricEvent
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
				t.Fatalf("queue body is not a metric event: %v", err)
			}
			out = append(out, ev)
			_, _ = h.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(h.queue), ReceiptHandle: m.ReceiptHandle})
		}
		if short {
			return out
		}
		wait = 1
	}
}

func TestWebhookRejectsBadInputAndPublishesNothing(t *testing.T) {
	h := newHarness(t, nil)
	good := capturedCharge(t)
	big := append(bytes.Repeat([]byte(" "), MaxBodyBytes), good...)
	changed := append(bytes.Clone(good[:len(good)-1]), ' ', '}')
	// sig signs signed (the body when nil) with secret, offset from the
	// moment of the request; raw replaces it when set.
	type sig struct {
		secret string
		offset time.Duration
		signed []byte
		raw    string
		none   bool
		// prefix goes before the signed header (a repeated t=).
		prefix string
	}
	cases := []struct {
		name   string
		tenant string
		body   []byte
		sig    sig
		want   int
		reason string
	}{
		{"unknown tenant", "nobody", good, sig{secret: secretOld}, 404, reasonUnknownTenant},
		{"malformed tenant id", "Not_A_Tenant", good, sig{secret: secretOld}, 404, reasonUnknownTenant},
		{"missing signature", "acme", good, sig{none: true}, 400, reasonNoSignature},
		{"invalid signature", "acme", good, sig{secret: "whsec_wrong"}, 400, reasonBadSignature},
		{"garbage signature header", "acme", good, sig{raw: "garbage"}, 400, reasonBadSignature},
		{"other tenant's secret", "acme", good, sig{secret: secretOther}, 400, reasonBadSignature},
		{"body changed after signing", "acme", changed, sig{secret: secretOld, signed: good}, 400, reasonBadSignature},
		{"body over 1 MiB", "acme", big, sig{secret: secretOld}, 413, reasonTooLarge},
		{"stale timestamp", "acme", good, sig{secret: secretOld, offset: -Tolerance - 5*time.Second}, 400, reasonStale},
		{"future timestamp", "acme", good, sig{secret: secretOld, offset: Tolerance + 5*time.Second}, 400, reasonFuture},
		// stripe-go reads the last t=, so a first t= of now must not hide
		// the future one the signature is for.
		{"future timestamp behind a repeated t=", "acme", good, sig{secret: secretOld, offset: time.Hour, prefix: fmt.Sprintf("t=%d,", time.Now().Unix())}, 400, reasonFuture},
		{"live event into a test tenant", "acme", fixture(t, "charge_succeeded.json", func(e map[string]any) { e["livemode"] = true }), sig{secret: secretOld}, 400, reasonWrongMode},
		{"API version older than the translator reads", "acme", fixture(t, "charge_succeeded.json", func(e map[string]any) { e["api_version"] = "2019-12-03" }), sig{secret: secretOld}, 400, reasonAPIVersion},
		{"API version not in the tenant's stripe.api_versions", "strict", fixture(t, "charge_succeeded.json", func(e map[string]any) { e["api_version"] = "2024-06-20" }), sig{secret: secretOther}, 400, reasonAPIVersion},
		{"signed body that is not an event", "acme", []byte(`[1,2,3]`), sig{secret: secretOld}, 400, reasonMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			header := c.sig.raw
			if header == "" && !c.sig.none {
				signed := c.sig.signed
				if signed == nil {
					signed = c.body
				}
				header = c.sig.prefix + sign(signed, c.sig.secret, time.Now().Add(c.sig.offset))
			}
			before := testutil.ToFloat64(h.metrics.rejected.WithLabelValues(labelFor(c.tenant, c.want), c.reason))
			status := h.post(t, c.tenant, c.body, header)
			published := h.received(t, 1)
			if status != c.want {
				t.Errorf("status = %d, want %d", status, c.want)
			}
			if len(published) != 0 {
				t.Errorf("%d metric events reached the queue: %+v", len(published), published)
			}
			after := testutil.ToFloat64(h.metrics.rejected.WithLabelValues(labelFor(c.tenant, c.want), c.reason))
			if after != before+1 {
				t.Errorf("rejected{reason=%s} went %v -> %v", c.reason, before, after)
			}
		})
	}
}

func labelFor(tenant string, status int) string {
	if status == http.StatusNotFound {
		return "unknown"
	}
	return tenant
}

func TestWebhookPublishesThenAnswers200(t *testing.T) {
	h := newHarness(t, nil)
	now := time.Now()

	body := fixture(t, "charge_refunded.json", func(env map[string]any) {
		o := object(env)
		o["id"] = "ch_test_refund"
		o["amount"], o["amount_captured"], o["captured"], o["amount_refunded"] = 5000, 5000, true, 1500
	})
	// The second secret (an env: reference) verifies: rotation.
	if got := h.post(t, "acme", body, sign(body, secretNew, now)); got != 200 {
		t.Fatalf("status = %d, want 200", got)
	}
	// charge.refunded does not date the capture: only the refund state
	// (the gross comes from charge.succeeded, below).
	got := h.received(t, 1)
	if len(got) != 1 {
		t.Fatalf("got %d metric events, want 1 (refund state): %+v", len(got), got)
	}
	byMetric := map[string]messages.MetricEvent{}
	for _, e := range got {
		if err := e.Validate(); err != nil {
			t.Errorf("invalid event on the queue: %v", err)
		}
		if e.TenantID != "acme" {
			t.Errorf("tenant = %q", e.TenantID)
		}
		byMetric[e.Metric] = e
	}
	if e := byMetric[messages.MetricRevenueRefunded]; e.Value != 1500 || e.Entity != "ch_test_refund" || e.Kind != messages.KindState {
		t.Errorf("refund = %+v", e)
	}

	// Within the tolerance in the future (a slightly fast clock) is fine,
	// the old secret still verifies, and a redelivery is counted.
	charge := capturedCharge(t)
	for i := 0; i < 2; i++ {
		if got := h.post(t, "acme", charge, sign(charge, secretOld, now.Add(time.Minute))); got != 200 {
			t.Fatalf("delivery %d: status = %d, want 200", i, got)
		}
	}
	evs := h.received(t, 2)
	if len(evs) != 2 || evs[0].EventID != evs[1].EventID {
		t.Fatalf("redelivery: got %+v, want the same event twice", evs)
	}
	if e := evs[0]; e.Metric != messages.MetricRevenueGross || e.Currency != "USD" || e.Kind != messages.KindAdditive || e.Value <= 0 {
		t.Errorf("gross = %+v", e)
	}
	if d := testutil.ToFloat64(h.metrics.duplicates.WithLabelValues("acme")); d != 1 {
		t.Errorf("duplicates = %v, want 1", d)
	}

	// A type that yields no figure: 200, counted, nothing published.
	pi := fixture(t, "payment_intent_succeeded.json", nil)
	if got := h.post(t, "acme", pi, sign(pi, secretOld, now)); got != 200 {
		t.Fatalf("unhandled type: status = %d, want 200", got)
	}
	if evs := h.received(t, 1); len(evs) != 0 {
		t.Fatalf("unhandled type published %+v", evs)
	}
	if n := testutil.ToFloat64(h.metrics.unhandled.WithLabelValues("acme")); n != 1 {
		t.Errorf("unhandled = %v, want 1", n)
	}

	// Any version the translator reads is accepted, and counted.
	for _, v := range []string{"2020-03-02", "2024-06-20", "2025-03-31.basil"} {
		body := fixture(t, "payout_paid.json", func(e map[string]any) { e["api_version"] = v })
		if got := h.post(t, "acme", body, sign(body, secretOld, now)); got != 200 {
			t.Fatalf("API version %s: status = %d, want 200", v, got)
		}
		if evs := h.received(t, 1); len(evs) != 1 || evs[0].Metric != messages.MetricPayoutsPaid {
			t.Fatalf("API version %s published %+v", v, evs)
		}
		if n := testutil.ToFloat64(h.metrics.versions.WithLabelValues("acme", v)); n != 1 {
			t.Errorf("events of API version %s = %v, want 1", v, n)
		}
	}
	strict := fixture(t, "payout_paid.json", func(e map[string]any) { e["api_version"] = "2025-03-31.basil" })
	if got := h.post(t, "strict", strict, sign(strict, secretOther, now)); got != 200 {
		t.Fatalf("listed API version: status = %d, want 200", got)
	}
	h.received(t, 1)

	// A tenant that allows the other mode and other API versions.
	live := fixture(t, "payout_paid.json", func(e map[string]any) { e["livemode"] = false; e["api_version"] = "2019-12-03" })
	if got := h.post(t, "lenient", live, sign(live, secretOther, now)); got != 200 {
		t.Fatalf("lenient tenant: status = %d, want 200", got)
	}
	if evs := h.received(t, 2); len(evs) != 1 || evs[0].TenantID != "lenient" || evs[0].Metric != messages.MetricPayoutsPaid {
		t.Fatalf("lenient tenant published %+v", evs)
	}
	if n := testutil.ToFloat64(h.metrics.versions.WithLabelValues("lenient", "other")); n != 1 {
		t.Errorf("events of a version older than the translator reads, counted as other = %v, want 1", n)
	}
}

func TestWebhookAnswers503WhenPublishingFails(t *testing.T) {
	h := newHarness(t, func(w *Webhook) {
		// A publisher to topics that do not exist: SNS refuses every
		// publish, as it would without permission or with a deleted topic.
		names := resources.Names{Prefix: "missing-" + mototest.UniqueID() + "-", Table: "x"}
		acct := resources.Account{ID: "123456789012", Region: "us-east-1", Partition: "aws"}
		cfg := mototest.Config(t)
		pub := bus.NewGroupPublisherFromConfig(cfg, names, acct, bus.GroupConfig{}, bus.Logger(slog.New(slog.NewTextHandler(io.Discard, nil))))
		t.Cleanup(func() { pub.Close() })
		w.Publisher = pub
		w.PublishTimeout = 2 * time.Second
	})
	body := capturedCharge(t)
	if got := h.post(t, "acme", body, sign(body, secretOld, time.Now())); got != 503 {
		t.Fatalf("status = %d, want 503", got)
	}
	if n := testutil.ToFloat64(h.metrics.publishFailures.WithLabelValues("acme")); n != 1 {
		t.Errorf("publish failures = %v, want 1", n)
	}
	if evs := h.received(t, 1); len(evs) != 0 {
		t.Fatalf("published %+v", evs)
	}
}
