package enrich

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/stripemap"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// refundFact records a refund's state as the webhook translation does
// (entity the refund, object its charge; entity = object for a charge's
// cumulative refunded figure).
func refundFact(t *testing.T, mem *readmodel.Memory, tenantID, entity, chargeID, cur string, at time.Time, value, version int64) {
	t.Helper()
	e := messages.MetricEvent{Header: messages.Header{EventID: stripemap.EventID(tenantID, messages.MetricRevenueRefunded, entity, fmt.Sprint(version)), TenantID: tenantID, OccurredAt: at, Source: messages.SourceStripe},
		Metric: messages.MetricRevenueRefunded, Kind: messages.KindState, Entity: entity, ObjectID: chargeID, Version: version, Value: value, Currency: cur}
	if _, err := mem.PutFact(context.Background(), e); err != nil {
		t.Fatal(err)
	}
}

// A refund's fee is read from its balance transaction through the Stripe
// API (stripe-mock) once; a charge's cumulative refunded figure names no
// refund and is not fetched; a second pass publishes nothing.
func TestEnrichmentReadsRefundBalances(t *testing.T) {
	base := startStripeMock(t)
	keyed := tenants.Tenant{ID: "keyed", Stripe: tenants.Stripe{APIKey: "env:KEY"}}
	e, l, _ := enrichHarness(t, base, keyed)
	at := time.Unix(1234567890, 0).UTC()
	e.Now = func() time.Time { return at.Add(48 * time.Hour) }
	refundFact(t, l.mem, "keyed", "re_one", "ch_one", "USD", at, 100, 3)
	refundFact(t, l.mem, "keyed", "ch_cum", "ch_cum", "USD", at, 100, 100)
	refundFact(t, l.mem, "keyed", "re_old", "ch_old", "USD", at.Add(-60*24*time.Hour), 100, 3) // outside the window
	if err := e.Pass(context.Background()); err != nil {
		t.Fatal(err)
	}
	var fees []messages.MetricEvent
	for _, f := range l.published {
		if f.Metric != messages.MetricRevenueFees {
			t.Errorf("unexpected fact %+v", f)
			continue
		}
		fees = append(fees, f)
	}
	// stripe-mock's refund: a succeeded refund whose balance transaction
	// is in USD, fee 0, created 1234567890.
	if len(fees) != 1 || fees[0].ObjectID != "ch_one" || fees[0].Dimensions["refund"] != "re_one" || fees[0].Dimensions["type"] != "refund" ||
		fees[0].Dimensions["funds"] != "out" || fees[0].Value != 0 || fees[0].Currency != "USD" || fees[0].OccurredAt.Unix() != 1234567890 {
		t.Fatalf("refund fees = %+v; want re_one's 0 USD, once", fees)
	}
	before := len(l.published)
	if err := e.Pass(context.Background()); err != nil || len(l.published) != before {
		t.Fatalf("second pass: %v, published %d more", err, len(l.published)-before)
	}
}

// A EUR refund of a charge settled in USD: what it took off the USD balance
// and, once it failed, what came back, each read once (the failure is read
// again because the refund changed); a refund Stripe no longer has is
// asked for once; an outage is retried.
func TestEnrichmentSettlesForeignRefunds(t *testing.T) {
	var mu sync.Mutex
	failed := false
	status := map[string]int{"re_gone": http.StatusNotFound, "re_flaky": http.StatusServiceUnavailable}
	gets := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		id := strings.TrimPrefix(r.URL.Path, "/v1/refunds/")
		gets[id]++
		w.Header().Set("Content-Type", "application/json")
		if s, ok := status[id]; ok {
			w.WriteHeader(s)
			_, _ = io.WriteString(w, `{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such refund"}}`)
			return
		}
		if q := r.URL.RawQuery; !strings.Contains(q, "=balance_transaction") || !strings.Contains(q, "=failure_balance_transaction") {
			t.Errorf("refund read with %q; want balance_transaction and failure_balance_transaction expanded", q)
		}
		st, fbt := "succeeded", "null"
		if failed {
			st, fbt = "failed", `{"id":"txn_back","object":"balance_transaction","amount":2160,"fee":0,"currency":"usd","exchange_rate":1.08,"created":1760300000}`
		}
		_, _ = fmt.Fprintf(w, `{"id":%q,"object":"refund","amount":2000,"currency":"eur","charge":"ch_eur","status":%q,"created":1760000000,
			"balance_transaction":{"id":"txn_out","object":"balance_transaction","amount":-2170,"fee":0,"currency":"usd","exchange_rate":1.085,"created":1760000000},
			"failure_balance_transaction":%s}`, id, st, fbt)
	}))
	defer srv.Close()
	keyed := tenants.Tenant{ID: "keyed", Stripe: tenants.Stripe{APIKey: "env:KEY"}}
	e, l, m := enrichHarness(t, srv.URL, keyed)
	at := time.Unix(1760000000, 0).UTC()
	e.Now = func() time.Time { return at.Add(5 * 24 * time.Hour) }
	refundFact(t, l.mem, "keyed", "re_eur", "ch_eur", "EUR", at, 2000, 3)
	refundFact(t, l.mem, "keyed", "re_gone", "ch_eur", "EUR", at, 500, 3)
	refundFact(t, l.mem, "keyed", "re_flaky", "ch_eur", "EUR", at, 700, 3)
	// What the read model keeps: each fact once, however often published.
	settled := func() map[string]int64 {
		out := map[string]int64{}
		seen := map[string]bool{}
		for _, f := range l.published {
			if f.Metric == messages.MetricRevenueSettled && !seen[f.EventID] {
				seen[f.EventID] = true
				out[f.Dimensions["refund"]+"/"+f.Dimensions["funds"]] += f.Value
			}
		}
		return out
	}
	for range 2 {
		if err := e.Pass(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := settled(); len(got) != 1 || got["re_eur/out"] != -2170 {
		t.Fatalf("settled after two passes = %v; want re_eur −2170 USD out", got)
	}
	mu.Lock()
	// re_flaky: each pass, three tries (the client retries twice).
	if gets["re_eur"] != 1 || gets["re_gone"] != 1 || gets["re_flaky"] != 2*3 {
		t.Errorf("reads %v; want re_eur once, re_gone once (not found), re_flaky each pass", gets)
	}
	failed = true
	mu.Unlock()
	if n := testutil.ToFloat64(m.failures.WithLabelValues("keyed", "refund_not_found")); n != 1 {
		t.Errorf("refund_not_found = %v, want 1", n)
	}
	// The refund fails: its money comes back, read once more.
	refundFact(t, l.mem, "keyed", "re_eur", "ch_eur", "EUR", at.Add(72*time.Hour), 0, 1<<40+4)
	for range 2 {
		if err := e.Pass(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := settled(); len(got) != 2 || got["re_eur/out"] != -2170 || got["re_eur/returned"] != 2160 {
		t.Fatalf("settled after the failure = %v; want −2170 out and +2160 returned", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if gets["re_eur"] != 2 {
		t.Errorf("re_eur read %d times; want twice (once out, once returned)", gets["re_eur"])
	}
}
