package enrich

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stripe/stripe-go/v76"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/stripemap"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// basilUsageInvoice is a 2025-03-31.basil invoice.paid object: 1,234 API
// calls (si_calls, price_calls) billed at $0.02 and three seats
// (si_seats, price_seat) at $20, each line naming its price by id only.
func basilUsageInvoice(id string, created time.Time, calls int64) string {
	line := func(lid, item, price string, amount, qty int64) string {
		return fmt.Sprintf(`{"id":%q,"object":"line_item","amount":%d,"currency":"usd","quantity":%d,"discount_amounts":[],"taxes":[],
			"parent":{"type":"subscription_item_details","subscription_item_details":{"subscription":"sub_u","subscription_item":%q,"proration":false}},
			"pricing":{"type":"price_details","price_details":{"price":%q,"product":"prod_u"}},
			"period":{"start":%d,"end":%d}}`, lid, amount, qty, item, price, created.AddDate(0, -1, 0).Unix(), created.Unix())
	}
	total := calls*2 + 6000
	return fmt.Sprintf(`{"id":%q,"object":"invoice","currency":"usd","customer":"cus_u","created":%d,"status":"paid","amount_paid":%d,"total":%d,
		"parent":{"type":"subscription_details","subscription_details":{"subscription":"sub_u"}},
		"status_transitions":{"finalized_at":%d,"paid_at":%d},
		"lines":{"object":"list","data":[%s,%s]}}`, id, created.Unix(), total, total, created.Unix(), created.Unix(),
		line("il_"+id+"_calls", "si_calls", "price_calls", calls*2, calls), line("il_"+id+"_seats", "si_seats", "price_seat", 6000, 3))
}

// priceAPI is a test Stripe API server: the events it sent and the
// prices it has; it counts the requests.
type priceAPI struct {
	mu     sync.Mutex
	events map[string]stripe.Event
	prices map[string]string
	calls  map[string]int
}

func (s *priceAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[r.URL.Path]++
	w.Header().Set("Content-Type", "application/json")
	if id, ok := strings.CutPrefix(r.URL.Path, "/v1/prices/"); ok && s.prices[id] != "" {
		_, _ = fmt.Fprint(w, s.prices[id])
		return
	}
	if id, ok := strings.CutPrefix(r.URL.Path, "/v1/events/"); ok {
		if ev, ok := s.events[id]; ok {
			b, _ := json.Marshal(map[string]any{"id": ev.ID, "object": "event", "type": ev.Type, "created": ev.Created, "api_version": ev.APIVersion,
				"data": map[string]any{"object": json.RawMessage(ev.Data.Raw)}})
			_, _ = w.Write(b)
			return
		}
	}
	w.WriteHeader(http.StatusNotFound)
	_, _ = fmt.Fprint(w, `{"error":{"type":"invalid_request_error","message":"No such object"}}`)
}

const (
	priceCalls = `{"id":"price_calls","object":"price","currency":"usd","unit_amount":2,"unit_amount_decimal":"2","billing_scheme":"per_unit",
		"recurring":{"interval":"month","interval_count":1,"usage_type":"metered"}}`
	priceSeat = `{"id":"price_seat","object":"price","currency":"usd","unit_amount":2000,"unit_amount_decimal":"2000","billing_scheme":"per_unit",
		"recurring":{"interval":"month","interval_count":1,"usage_type":"licensed"}}`
)

// TestEnrichmentPricesBasilMeteredLines is issue 15's metered prices on
// 2025-03-31.basil: the webhook's lines name their prices by id only, so
// their MRR is unknown. The enrichment reads the event again and the two
// prices with the tenant's key: 1,234 calls at $0.02 a month are $24.68
// of MRR for cus_u, the seats' line is 0 (the seats' $60 is the
// subscription's own fact), nothing is left unknown. The next month's
// invoice (2,000 calls: $40.00) reads no price again (cached); a price
// Stripe no longer has leaves its line unknown, read once.
func TestEnrichmentPricesBasilMeteredLines(t *testing.T) {
	api := &priceAPI{events: map[string]stripe.Event{}, prices: map[string]string{"price_calls": priceCalls, "price_seat": priceSeat}, calls: map[string]int{}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	jada := tenants.Tenant{ID: "jada", Stripe: tenants.Stripe{APIKey: "env:KEY"}}
	e, l, m := enrichHarness(t, srv.URL, jada)
	ctx := context.Background()
	deliver := func(evID, invID string, at time.Time, calls int64) []messages.MetricEvent {
		ev := stripe.Event{ID: evID, Type: stripe.EventTypeInvoicePaid, Created: at.Unix(), APIVersion: "2025-03-31.basil",
			Data: &stripe.EventData{Raw: json.RawMessage(basilUsageInvoice(invID, at, calls))}}
		api.events[evID] = ev
		fs, err := stripemap.Translate("jada", ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if _, err := l.mem.PutFact(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		return fs
	}
	state := func(at time.Time) (int64, []string) {
		fs, err := l.mem.Facts(ctx, "jada", messages.MetricMRR, enrichNow.AddDate(0, -3, 0), enrichNow.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		fs = readmodel.Distinct(fs)
		return readmodel.TotalAt(fs, at), readmodel.UnknownMRR(fs, at)
	}
	first := enrichNow.AddDate(0, 0, -30)
	deliver("evt_nov", "in_nov", first, 1234)
	if total, unknown := state(enrichNow); total != 0 || fmt.Sprint(unknown) != "[sub_u/si_calls sub_u/si_seats]" {
		t.Fatalf("before the enrichment: %d, unknown %v; want 0 and both lines unknown", total, unknown)
	}
	if err := e.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if total, unknown := state(enrichNow); total != 2468 || len(unknown) != 0 {
		t.Fatalf("after the enrichment: %d, unknown %v; want 2468 and none", total, unknown)
	}
	byEntity := map[string]messages.MetricEvent{}
	for _, p := range l.published {
		if p.Metric != messages.MetricMRR {
			t.Errorf("published %s; want only MRR", p.Metric)
		}
		byEntity[p.Entity] = p
	}
	if c := byEntity["sub_u/si_calls"]; c.Value != 2468 || c.Dimensions["customer"] != "cus_u" || !c.OccurredAt.Equal(first.Truncate(time.Second)) {
		t.Errorf("metered fact %+v; want 2468 for cus_u at the invoice", c)
	}
	if s, ok := byEntity["sub_u/si_seats"]; !ok || s.Value != 0 {
		t.Errorf("licensed fact %+v; want 0, known", s)
	}
	if api.calls["/v1/prices/price_calls"] != 1 || api.calls["/v1/prices/price_seat"] != 1 || api.calls["/v1/events/evt_nov"] != 1 {
		t.Errorf("requests %v; want the event and each price once", api.calls)
	}

	// December: 2,000 calls, prices from the cache.
	deliver("evt_dec", "in_dec", enrichNow.Add(-time.Hour), 2000)
	if err := e.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if total, unknown := state(enrichNow); total != 4000 || len(unknown) != 0 {
		t.Errorf("after December: %d, unknown %v; want 4000 and none", total, unknown)
	}
	if api.calls["/v1/prices/price_calls"] != 1 || api.calls["/v1/events/evt_dec"] != 1 || api.calls["/v1/events/evt_nov"] != 1 {
		t.Errorf("requests %v; want no second price read, November's event not read again", api.calls)
	}

	// A price Stripe no longer has: its line stays unknown, read once.
	delete(api.prices, "price_calls")
	e.prices = nil
	deliver("evt_gone", "in_gone", enrichNow.Add(-30*time.Minute), 10)
	for range 2 {
		if err := e.Pass(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if api.calls["/v1/events/evt_gone"] != 1 {
		t.Errorf("evt_gone read %d times; want once", api.calls["/v1/events/evt_gone"])
	}
	if _, unknown := state(enrichNow); fmt.Sprint(unknown) != "[sub_u/si_calls]" {
		t.Errorf("unknown %v; want the metered line only", unknown)
	}
	if n := testutil.ToFloat64(m.failures.WithLabelValues("jada", "price_not_found")); n != 1 {
		t.Errorf("given up %v times; want once", n)
	}
}

// Against stripe-mock: the price read is a request Stripe's API accepts.
func TestEnrichmentPriceRequestOnStripeMock(t *testing.T) {
	base := startStripeMock(t)
	p, err := StripeClient(base)("sk_test_123").Price(context.Background(), "price_123")
	if err != nil || p.ID == "" {
		t.Fatalf("price: %+v, %v", p, err)
	}
}
