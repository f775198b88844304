package enrich

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
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

// seatsSub is the plan, $1,200/yr × 3 seats, with discounts[] as
// the webhook sends them since 2025-03-31 (ids) or expanded.
func seatsSub(discounts string) string {
	return `{"id":"sub_1","object":"subscription","status":"active","currency":"usd","customer":"cus_1","created":1759000000,
		"discounts":` + discounts + `,
		"items":{"object":"list","data":[{"id":"si_seats","object":"subscription_item","quantity":3,
			"price":{"id":"price_y","object":"price","currency":"usd","unit_amount":120000,"unit_amount_decimal":"120000","billing_scheme":"per_unit",
				"product":"prod_seats","recurring":{"interval":"year","interval_count":1,"usage_type":"licensed"}}}]}}`
}

const discount20 = `[{"id":"di_1","object":"discount","coupon":{"id":"co_20","object":"coupon","percent_off":20,"duration":"forever"}}]`

// stripeAPI is a test Stripe API server: the events it sent, and the
// subscription read with its discounts expanded; it counts the requests.
type stripeAPI struct {
	mu     sync.Mutex
	events map[string]stripe.Event
	calls  map[string]int
}

func (s *stripeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[r.URL.Path]++
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/v1/subscriptions/sub_1":
		_, _ = fmt.Fprint(w, seatsSub(discount20))
	case len(r.URL.Path) > len("/v1/events/") && r.URL.Path[:len("/v1/events/")] == "/v1/events/":
		ev, ok := s.events[r.URL.Path[len("/v1/events/"):]]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = fmt.Fprint(w, `{"error":{"type":"invalid_request_error","message":"No such event"}}`)
			return
		}
		b, _ := json.Marshal(map[string]any{"id": ev.ID, "object": "event", "type": ev.Type, "created": ev.Created, "data": map[string]any{"object": json.RawMessage(ev.Data.Raw)}})
		_, _ = w.Write(b)
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = fmt.Fprint(w, `{"error":{"type":"invalid_request_error","message":"unknown path"}}`)
	}
}

// TestEnrichmentFetchesDiscountsGivenAsIDs is issue 15's discounts[] as
// ids: a customer.subscription.updated whose discounts[] is ["di_1"] gives
// "MRR unknown"; the enrichment reads the event again, fetches the
// discount (20 % off, forever) with the tenant's key and records the
// MRR the event means, $240 rather than $300, at the event's time and
// version. The discount is cached: a second event with it reads no
// subscription; a pass with nothing left reads nothing; an event Stripe
// no longer has stays unknown.
func TestEnrichmentFetchesDiscountsGivenAsIDs(t *testing.T) {
	api := &stripeAPI{events: map[string]stripe.Event{}, calls: map[string]int{}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	jada := tenants.Tenant{ID: "jada", Stripe: tenants.Stripe{APIKey: "env:KEY"}}
	e, l, _ := enrichHarness(t, srv.URL, jada)
	ctx := context.Background()
	deliver := func(id string, at time.Time) []messages.MetricEvent {
		ev := stripe.Event{ID: id, Type: stripe.EventTypeCustomerSubscriptionUpdated, Created: at.Unix(), Data: &stripe.EventData{Raw: json.RawMessage(seatsSub(`["di_1"]`))}}
		api.events[id] = ev
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
	mrrAt := func(at time.Time) int64 {
		fs, err := l.mem.Facts(ctx, "jada", messages.MetricMRR, enrichNow.AddDate(0, -2, 0), enrichNow.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return readmodel.TotalAt(readmodel.Distinct(fs), at)
	}
	first := enrichNow.Add(-2 * time.Hour)
	fs := deliver("evt_1", first)
	if _, unknown := fs[0].Dimensions[stripemap.DimensionMRRUnknown]; !unknown || fs[0].Dimensions[stripemap.DimensionStripeEvent] != "evt_1" {
		t.Fatalf("webhook fact %+v; want MRR unknown naming evt_1", fs[0])
	}
	if err := e.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if got := mrrAt(enrichNow); got != 24000 {
		t.Fatalf("MRR after the enrichment %d; want 24000 ($300 less 20 %%)", got)
	}
	var known messages.MetricEvent
	for _, p := range l.published {
		if p.Metric == messages.MetricMRR {
			known = p
		}
	}
	if known.Version != fs[0].Version || !known.OccurredAt.Equal(fs[0].OccurredAt) || known.Value != 24000 {
		t.Errorf("enriched fact %+v; want the webhook's version %d and time %s, value 24000", known, fs[0].Version, fs[0].OccurredAt)
	}
	if api.calls["/v1/events/evt_1"] != 1 || api.calls["/v1/subscriptions/sub_1"] != 1 {
		t.Errorf("requests %v; want the event and the subscription once", api.calls)
	}

	// A later update with the same discount: from the cache.
	deliver("evt_2", enrichNow.Add(-time.Hour))
	if err := e.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if api.calls["/v1/events/evt_2"] != 1 || api.calls["/v1/subscriptions/sub_1"] != 1 {
		t.Errorf("requests %v; want evt_2 once and no second subscription read", api.calls)
	}
	if got := mrrAt(enrichNow); got != 24000 {
		t.Errorf("MRR after the second event %d; want 24000", got)
	}
	// Nothing left: nothing read.
	before := fmt.Sprint(api.calls)
	if err := e.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	if after := fmt.Sprint(api.calls); after != before {
		t.Errorf("a pass with nothing to do read %s (before %s)", after, before)
	}

	// An event Stripe no longer keeps: MRR stays unknown, read once.
	deliver("evt_gone", enrichNow.Add(-30*time.Minute))
	delete(api.events, "evt_gone")
	for range 2 {
		if err := e.Pass(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if api.calls["/v1/events/evt_gone"] != 1 {
		t.Errorf("evt_gone read %d times; want once", api.calls["/v1/events/evt_gone"])
	}
	if got := mrrAt(enrichNow); got != 0 {
		t.Errorf("MRR with the latest event unknown %d; want 0 (unknown, never guessed)", got)
	}
}

// Against stripe-mock: the client's requests (the event, the
// subscription with discounts and items.data.discounts expanded) are
// ones Stripe's API accepts; an MRR fact naming an event that is not a
// subscription's (stripe-mock's fixture) is given up after one read,
// counted, and publishes nothing.
func TestEnrichmentDiscountRequestsOnStripeMock(t *testing.T) {
	base := startStripeMock(t)
	ctx := context.Background()
	api := StripeClient(base)("sk_test_123")
	if _, err := api.SubscriptionDiscounts(ctx, "sub_123"); err != nil {
		t.Fatalf("subscription with discounts expanded: %v", err)
	}
	if _, err := api.Event(ctx, "evt_123"); err != nil {
		t.Fatalf("event: %v", err)
	}
	jada := tenants.Tenant{ID: "jada", Stripe: tenants.Stripe{APIKey: "env:KEY"}}
	e, l, m := enrichHarness(t, base, jada)
	f := messages.MetricEvent{Header: messages.Header{EventID: "u1", TenantID: "jada", OccurredAt: enrichNow.Add(-time.Hour), Source: messages.SourceStripe},
		Metric: messages.MetricMRR, Kind: messages.KindState, Entity: "sub_1", ObjectID: "sub_1", Version: 9, Currency: "USD",
		Dimensions: map[string]string{stripemap.DimensionMRRUnknown: "mrr unknown: discount di_1 not expanded", stripemap.DimensionStripeEvent: "evt_123"}}
	if _, err := l.mem.PutFact(ctx, f); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := e.Pass(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := testutil.ToFloat64(m.failures.WithLabelValues("jada", "discount_event_not_subscription")); n != 1 {
		t.Errorf("given up %v times; want once", n)
	}
	if len(l.published) != 0 {
		t.Errorf("published %+v; want nothing", l.published)
	}
}
