package enrich

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/stripemap"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

type tenantList []tenants.Tenant

func (l tenantList) List(context.Context) ([]tenants.Tenant, error) { return l, nil }

type keys map[string]string

func (k keys) Resolve(_ context.Context, ref string) (string, error) {
	if v, ok := k[ref]; ok {
		return v, nil
	}
	return "", fmt.Errorf("no secret %s", ref)
}

// ledger is a publisher that records into a read model, as the aggregator
// would, so that a second pass sees the first one's facts.
type ledger struct {
	mu        sync.Mutex
	mem       *readmodel.Memory
	published []messages.MetricEvent
	fail      error
}

func (l *ledger) Publish(ctx context.Context, _ string, evs ...messages.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return l.fail
	}
	for _, e := range evs {
		m := e.(messages.MetricEvent)
		if err := m.Validate(); err != nil {
			return err
		}
		l.published = append(l.published, m)
		if _, err := l.mem.PutFact(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

func startStripeMock(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("STRIPE_MOCK_BIN")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("stripe-mock"); err != nil {
			t.Skip("stripe-mock not installed (go install github.com/stripe/stripe-mock@v0.162.0, or set STRIPE_MOCK_BIN)")
		}
	}
	port, err := mototest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	// -https-addr: stripe-mock also listens for HTTPS, on 12112 unless told;
	// a port of the system's choosing lets two of them run at once.
	cmd := exec.Command(bin, "-http-addr", fmt.Sprintf("127.0.0.1:%d", port), "-https-addr", "127.0.0.1:")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(base + "/v1/balance")
		if err == nil {
			resp.Body.Close()
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("stripe-mock not ready: %v", err)
		}
	}
}

var enrichNow = time.Unix(1760000000, 0).UTC()

func enrichHarness(t *testing.T, base string, ts ...tenants.Tenant) (*Enricher, *ledger, *EnrichMetrics) {
	t.Helper()
	mem := readmodel.NewMemory()
	l := &ledger{mem: mem}
	m := NewEnrichMetrics(prometheus.NewRegistry())
	e := &Enricher{Tenants: tenantList(ts), Facts: mem, Secrets: keys{"env:KEY": "sk_test_123", "env:BAD": "sk_test_revoked"},
		Publisher: l, Stripe: StripeClient(base), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: m, Now: func() time.Time { return enrichNow }}
	return e, l, m
}

func grossFact(t *testing.T, mem *readmodel.Memory, tenantID, chargeID string, at time.Time) {
	t.Helper()
	e := messages.MetricEvent{Header: messages.Header{EventID: stripemap.EventID(tenantID, messages.MetricRevenueGross, chargeID), TenantID: tenantID, OccurredAt: at, Source: messages.SourceStripe},
		Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: 100, Currency: "USD", ObjectID: chargeID}
	if _, err := mem.PutFact(context.Background(), e); err != nil {
		t.Fatal(err)
	}
}

// Fees and net from the balance transaction, read through the Stripe API
// (stripe-mock) off the webhook's path: once per charge, again after a
// crash without harm, never for a tenant without a key.
func TestEnrichmentRecordsFeesFromStripe(t *testing.T) {
	base := startStripeMock(t)
	keyed := tenants.Tenant{ID: "keyed", Stripe: tenants.Stripe{APIKey: "env:KEY"}}
	keyless := tenants.Tenant{ID: "keyless"}
	e, l, m := enrichHarness(t, base, keyed, keyless)
	// stripe-mock's balance transactions are created at 1234567890: the
	// charges were captured then.
	captured := time.Unix(1234567890, 0).UTC()
	e.Now = func() time.Time { return captured.Add(48 * time.Hour) }
	mem := l.mem
	grossFact(t, mem, "keyed", "ch_one", captured)
	grossFact(t, mem, "keyed", "ch_two", captured.Add(-time.Hour))
	grossFact(t, mem, "keyed", "ch_old", captured.Add(-60*24*time.Hour)) // outside the window
	grossFact(t, mem, "keyless", "ch_free", captured)
	live := false
	paid := messages.MetricEvent{Header: messages.Header{EventID: "po-paid", TenantID: "keyed", OccurredAt: captured, Source: messages.SourceStripe},
		Metric: messages.MetricPayoutsPaid, Kind: messages.KindState, Entity: "po_1", ObjectID: "po_1", Version: 3, Value: 1100, Currency: "USD", Livemode: &live}
	if _, err := mem.PutFact(context.Background(), paid); err != nil {
		t.Fatal(err)
	}
	if err := e.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	fees := map[string]messages.MetricEvent{}
	var rec []messages.MetricEvent
	for _, f := range l.published {
		switch {
		case f.TenantID == "keyed" && f.Metric == messages.MetricRevenueFees:
			fees[f.ObjectID] = f
		case f.TenantID == "keyed" && f.Metric == messages.MetricPayoutsUnreconciled:
			rec = append(rec, f)
		default:
			t.Errorf("unexpected fact %+v", f)
		}
	}
	// stripe-mock lists one balance transaction (a charge, net 100) for
	// any payout: the $11.00 payout is $10.00 unexplained.
	if len(rec) != 1 || rec[0].Entity != "po_1" || rec[0].Value != 1000 || rec[0].Dimensions["transactions"] != "1" {
		t.Errorf("payout reconciliation = %+v", rec)
	}
	// stripe-mock's balance transaction: fee 0 in USD, created 1234567890.
	for _, id := range []string{"ch_one", "ch_two"} {
		if f, ok := fees[id]; !ok || f.Value != 0 || f.Currency != "USD" || f.Dimensions["type"] != "charge" || f.OccurredAt.Unix() != 1234567890 {
			t.Errorf("fee of %s = %+v, %t", id, f, ok)
		}
	}
	if len(fees) != 2 {
		t.Errorf("fees for %d charges, want 2 (ch_one, ch_two): %v", len(fees), fees)
	}
	if n := testutil.ToFloat64(m.enriched.WithLabelValues("keyed")); n != 2 {
		t.Errorf("enriched = %v, want 2", n)
	}
	// Nothing left to do: a second pass fetches and publishes nothing.
	before := len(l.published)
	if err := e.Pass(context.Background()); err != nil || len(l.published) != before {
		t.Fatalf("second pass: %v, published %d more", err, len(l.published)-before)
	}
}

// A key Stripe rejects is reported once per tenant and the charges wait
// (retried when it works); a 404 marks the charge "fee unknown" once; an
// outage is retried; a failed publish is an error of the pass, retried.
func TestEnrichmentBadInput(t *testing.T) {
	status := map[string]int{"ch_gone": http.StatusNotFound, "ch_flaky": http.StatusServiceUnavailable}
	var mu sync.Mutex
	rejectKey := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		id := r.URL.Path[len("/v1/charges/"):]
		w.Header().Set("Content-Type", "application/json")
		if user, _, _ := r.BasicAuth(); user == "sk_test_revoked" || (rejectKey && r.Header.Get("Authorization") == "Bearer sk_test_revoked") {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":{"type":"invalid_request_error","code":"api_key_expired","message":"Expired API Key provided"}}`)
			return
		}
		if s, ok := status[id]; ok {
			w.WriteHeader(s)
			_, _ = io.WriteString(w, `{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such charge"}}`)
			return
		}
		_, _ = fmt.Fprintf(w, `{"id":%q,"object":"charge","amount":100,"currency":"usd","captured":true,"balance_transaction":{"id":"txn_%s","object":"balance_transaction","amount":100,"fee":33,"net":67,"currency":"usd","created":1759990000}}`, id, id)
	}))
	defer srv.Close()
	revoked := tenants.Tenant{ID: "revoked", Stripe: tenants.Stripe{APIKey: "env:BAD"}}
	keyed := tenants.Tenant{ID: "keyed", Stripe: tenants.Stripe{APIKey: "env:KEY"}}
	e, l, m := enrichHarness(t, srv.URL, revoked, keyed)
	for _, id := range []string{"ch_a", "ch_b"} {
		grossFact(t, l.mem, "revoked", id, enrichNow.Add(-time.Hour))
	}
	for _, id := range []string{"ch_ok", "ch_gone", "ch_flaky"} {
		grossFact(t, l.mem, "keyed", id, enrichNow.Add(-time.Hour))
	}
	for range 3 {
		if err := e.Pass(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]int64{}
	unknown := map[string]int{}
	for _, f := range l.published {
		switch f.Metric {
		case messages.MetricRevenueFees:
			got[f.ObjectID] += f.Value
		case messages.MetricRevenueFeeUnknown:
			unknown[f.ObjectID]++
		}
	}
	if len(got) != 1 || got["ch_ok"] != 33 {
		t.Errorf("fees = %v, want only ch_ok's 33", got)
	}
	if len(unknown) != 1 || unknown["ch_gone"] != 1 {
		t.Errorf("fee unknown = %v, want ch_gone once", unknown)
	}
	if n := testutil.ToFloat64(m.keyRejected.WithLabelValues("revoked")); n != 1 {
		t.Errorf("key rejected gauge = %v, want 1", n)
	}
	if n := testutil.ToFloat64(m.failures.WithLabelValues("keyed", "stripe_unavailable")); n != 3 {
		t.Errorf("outage retried %v times, want 3 (once a pass)", n)
	}
	// Stripe answers again: the waiting charge is enriched.
	mu.Lock()
	delete(status, "ch_flaky")
	mu.Unlock()
	l.fail = fmt.Errorf("sns down")
	if err := e.Pass(context.Background()); err == nil {
		t.Fatal("a failed publish must fail the pass")
	}
	l.fail = nil
	if err := e.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range l.published {
		if f.ObjectID == "ch_flaky" && f.Metric == messages.MetricRevenueFees && f.Value == 33 {
			n++
		}
	}
	if n != 1 {
		t.Errorf("ch_flaky's fee published %d times after the outage, want 1", n)
	}
}

// storeLedger publishes into the DynamoDB read model, as the aggregator
// would, so that passes read what earlier passes wrote.
type storeLedger struct {
	store     readmodel.Store
	published int
}

func (l *storeLedger) Publish(ctx context.Context, _ string, evs ...messages.Event) error {
	for _, e := range evs {
		if _, err := l.store.PutFact(ctx, e.(messages.MetricEvent)); err != nil {
			return err
		}
		l.published++
	}
	return nil
}

// The production wiring (newEnricher: tenants from the table's GSI, facts
// by Query) against moto and stripe-mock: fees and the payout
// reconciliation land in the table once, and a second pass adds nothing.
func TestEnrichmentOnMotoAndStripeMock(t *testing.T) {
	base := startStripeMock(t)
	env := mototest.Bootstrap(t, resources.Spec{})
	t.Setenv("BOARDPACK_TEST_STRIPE_KEY", "sk_test_123")
	ctx := context.Background()
	ts := tenants.Store{DB: dynamodb.NewFromConfig(env.AWS), Table: env.Names.Table}
	if err := ts.Apply(ctx, tenants.File{Tenants: []tenants.Tenant{
		tenantDoc("enriched", tenants.Stripe{WebhookSecrets: []string{secretOld}, APIKey: "env:BOARDPACK_TEST_STRIPE_KEY"}),
		tenantDoc("plain", tenants.Stripe{WebhookSecrets: []string{secretOld}}),
	}}); err != nil {
		t.Fatal(err)
	}
	ledger := &storeLedger{store: readmodel.Store{DB: dynamodb.NewFromConfig(env.AWS), Table: env.Names.Table}}
	e := New(env.AWS, env.Names.Table, ledger, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	e.Stripe = StripeClient(base)
	captured := time.Unix(1234567890, 0).UTC()
	e.Now = func() time.Time { return captured.Add(24 * time.Hour) }
	live := false
	for _, f := range []messages.MetricEvent{
		{Header: messages.Header{EventID: "g1", TenantID: "enriched", OccurredAt: captured, Source: messages.SourceStripe}, Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: 100, Currency: "USD", ObjectID: "ch_1"},
		{Header: messages.Header{EventID: "g2", TenantID: "plain", OccurredAt: captured, Source: messages.SourceStripe}, Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: 100, Currency: "USD", ObjectID: "ch_2"},
		{Header: messages.Header{EventID: "p1", TenantID: "enriched", OccurredAt: captured, Source: messages.SourceStripe}, Metric: messages.MetricPayoutsPaid, Kind: messages.KindState, Entity: "po_1", ObjectID: "po_1", Version: 3, Value: 100, Currency: "USD", Livemode: &live},
	} {
		if _, err := ledger.store.PutFact(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	for pass := range 2 {
		if err := e.Pass(ctx); err != nil {
			t.Fatalf("pass %d: %v", pass, err)
		}
		if ledger.published != 2 {
			t.Fatalf("after pass %d: %d facts published, want 2 (ch_1's fee, po_1's reconciliation)", pass, ledger.published)
		}
	}
	window := func(m string) []messages.MetricEvent {
		fs, err := ledger.store.Facts(ctx, "enriched", m, captured.Add(-time.Hour), captured.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return fs
	}
	if fs := window(messages.MetricRevenueFees); len(fs) != 1 || fs[0].ObjectID != "ch_1" || fs[0].Value != 0 {
		t.Errorf("fees in the table = %+v", fs)
	}
	// stripe-mock's payout transaction nets 100: the $1.00 payout reconciles.
	if fs := window(messages.MetricPayoutsUnreconciled); len(fs) != 1 || fs[0].Value != 0 || fs[0].Entity != "po_1" {
		t.Errorf("reconciliation in the table = %+v", fs)
	}
	if fs, _ := ledger.store.Facts(ctx, "plain", messages.MetricRevenueFees, time.Time{}, captured.Add(time.Hour)); len(fs) != 0 {
		t.Errorf("a tenant without a key got fees: %+v", fs)
	}
}

func TestMain(m *testing.M) { mototest.Main(m) }

const secretOld = "whsec_old_acme_secret"

func tenantDoc(id string, stripe tenants.Stripe) tenants.Tenant {
	return tenants.Tenant{
		ID: id, Name: "Test " + id, Timezone: "America/Los_Angeles", Currency: "USD",
		Stripe: stripe,
		Email:  tenants.Email{From: "Boardpack <reports@example.com>"},
	}
}

// TestEnrichmentLinksBasilCharges: a basil webhook's charge cannot say
// whether it paid an invoice (one_off=unless_linked). Read again for its
// fee at 2023-10-16, ch_inv names in_1: the pass records the link
// (invoices.payment, object in_1, naming ch_inv and pi_inv), so without
// invoice_payment.paid the $1.00 charge is in_1's payment, not a
// one-off, and ch_once (no invoice) stays a one-off: $1.00 billed at
// capture, not $2.00. A gross of an older shape (one_off=true) gets no
// link.
func TestEnrichmentLinksBasilCharges(t *testing.T) {
	invoice := map[string]string{"ch_inv": `"in_1"`, "ch_once": "null", "ch_old": `"in_2"`}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Path[len("/v1/charges/"):]
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"id":%q,"object":"charge","amount":100,"currency":"usd","captured":true,"created":%d,"invoice":%s,"payment_intent":"pi_%s",`+
			`"balance_transaction":{"id":"txn_%s","object":"balance_transaction","amount":100,"fee":33,"net":67,"currency":"usd","created":%d}}`,
			id, enrichNow.Add(-time.Hour).Unix(), invoice[id], id[3:], id, enrichNow.Add(-time.Hour).Unix())
	}))
	defer srv.Close()
	keyed := tenants.Tenant{ID: "keyed", Stripe: tenants.Stripe{APIKey: "env:KEY"}}
	e, l, _ := enrichHarness(t, srv.URL, keyed)
	gross := func(id, oneOff string) messages.MetricEvent {
		g := messages.MetricEvent{Header: messages.Header{EventID: stripemap.EventID("keyed", messages.MetricRevenueGross, id), TenantID: "keyed", OccurredAt: enrichNow.Add(-time.Hour), Source: messages.SourceStripe},
			Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: 100, Currency: "USD", ObjectID: id,
			Dimensions: map[string]string{readmodel.DimensionOneOff: oneOff, readmodel.DimensionPaymentIntent: "pi_" + id[3:]}}
		if _, err := l.mem.PutFact(context.Background(), g); err != nil {
			t.Fatal(err)
		}
		return g
	}
	facts := []messages.MetricEvent{gross("ch_inv", readmodel.OneOffUnlessLinked), gross("ch_once", readmodel.OneOffUnlessLinked), gross("ch_old", readmodel.OneOff)}
	if err := e.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	var links []messages.MetricEvent
	for _, f := range l.published {
		if f.Metric == messages.MetricInvoicesPayment {
			links = append(links, f)
		}
	}
	if len(links) != 1 || links[0].ObjectID != "in_1" || links[0].Dimensions[readmodel.DimensionCharge] != "ch_inv" ||
		links[0].Dimensions[readmodel.DimensionPaymentIntent] != "pi_inv" || links[0].Value != 0 {
		t.Fatalf("links %+v; want one: in_1 paid by ch_inv (pi_inv), value 0", links)
	}
	from := enrichNow.AddDate(0, 0, -2)
	basil := append(facts[:2:2], links...)
	if got := readmodel.MonthlyRecognition(basil, time.UTC, from, enrichNow)[0].Billed; got != 100 {
		t.Errorf("billed %d; want 100 (ch_once only)", got)
	}
}
