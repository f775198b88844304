package stripemap

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// licensedSub is sub_api for cus_api, created on created: a $50 a month
// seat (si_seat, price_seat, licensed, created with the subscription
// unless itemCreated is 0) and, when calls, a metered item (si_calls,
// price_calls) created with it.
func licensedSub(status string, created time.Time, itemCreated int64, calls bool) map[string]any {
	items := []any{map[string]any{"id": "si_seat", "object": "subscription_item", "quantity": 1, "created": itemCreated,
		"price": map[string]any{"id": "price_seat", "object": "price", "currency": "usd", "unit_amount": 5000, "billing_scheme": "per_unit",
			"recurring": map[string]any{"interval": "month", "interval_count": 1, "usage_type": "licensed"}}}}
	if calls {
		items = append(items, map[string]any{"id": "si_calls", "object": "subscription_item", "created": created.Unix(),
			"price": map[string]any{"id": "price_calls", "object": "price", "currency": "usd", "unit_amount": 2, "billing_scheme": "per_unit",
				"recurring": map[string]any{"interval": "month", "interval_count": 1, "usage_type": "metered"}}})
	}
	return map[string]any{"id": "sub_api", "object": "subscription", "status": status, "currency": "usd", "customer": "cus_api",
		"created": created.Unix(), "start_date": created.Unix(), "items": map[string]any{"object": "list", "data": items}}
}

// licensedInvoice is the basil invoice.paid of sub_api on created: the
// seat's $50 line and, when calls, 1,234 calls at $0.02, each naming its
// price by id only.
func licensedInvoice(id string, created time.Time, calls bool) map[string]any {
	inv := basilMeteredInvoice(id, created, 5000, 1, "price_seat")
	lines := inv["lines"].(map[string]any)
	seat := lines["data"].([]any)[0].(map[string]any)
	seat["id"] = "il_seat_" + id
	seat["parent"].(map[string]any)["subscription_item_details"].(map[string]any)["subscription_item"] = "si_seat"
	if calls {
		call := basilMeteredInvoice(id, created, 2468, 1234, "price_calls")["lines"].(map[string]any)["data"].([]any)[0]
		lines["data"] = append(lines["data"].([]any), call)
		inv["amount_paid"], inv["total"] = 5000+2468, 5000+2468
	}
	return inv
}

// mrrAt is the MRR total, the unknown subscriptions and the month's
// movements of the MRR facts, as readers fold them (the aggregator keeps
// one fact per event id: readmodel.Distinct).
func mrrAt(facts []messages.MetricEvent, t time.Time) (int64, []string, readmodel.Movements) {
	var mrr []messages.MetricEvent
	for _, f := range readmodel.Distinct(facts) {
		if f.Metric == messages.MetricMRR {
			mrr = append(mrr, f)
		}
	}
	month := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return readmodel.TotalAt(mrr, t), readmodel.UnknownMRR(mrr, t), readmodel.MRRMovements(mrr, month, month.AddDate(0, 1, 0))
}

// TestBasilLicensedItemKnownWithoutKey: a tenant without a Stripe API key
// on 2025-03-31.basil (no enrichment reads the price an invoice line
// names by id). Its $50 a month subscription, created on 1 December, is
// $50.00 of MRR in January and nothing unknown, whether the January
// invoice comes before the subscription's event or after it: the
// subscription says si_seat is licensed (a known 0 of its own, from its
// creation, above every invoice's observation). The invoice alone still
// leaves the line unknown, as nothing says what it is.
func TestBasilLicensedItemKnownWithoutKey(t *testing.T) {
	dec := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	jan := dec.AddDate(0, 1, 0)
	inv := basilEvent(t, "invoice.paid", jan.Unix(), licensedInvoice("in_jan", jan, false))
	created := basilEvent(t, "customer.subscription.created", dec.Unix(), licensedSub("active", dec, dec.Unix(), false))
	for name, evs := range map[string][]stripe.Event{"invoice first": {inv, created}, "subscription first": {created, inv}} {
		total, unknown, mv := mrrAt(translateAll(t, evs...), jan.AddDate(0, 0, 10))
		if total != 5000 || len(unknown) != 0 {
			t.Errorf("%s: MRR %d, unknown %v; want 5000 and none", name, total, unknown)
		}
		if mv.Start != 5000 || mv.End != 5000 || mv.Unknown != 0 || mv.Net() != 0 {
			t.Errorf("%s: January movements %+v; want 5000 throughout, nothing unknown", name, mv)
		}
		if err := mv.Check(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, unknown, _ := mrrAt(translateAll(t, inv), jan.AddDate(0, 0, 10)); fmt.Sprint(unknown) != "[sub_api/si_seat]" {
		t.Errorf("invoice alone: unknown %v; want the line", unknown)
	}
	// The fact itself: known 0 of the item, at its creation, for the
	// customer, with a version no invoice's reaches.
	var item []messages.MetricEvent
	for _, f := range translateAll(t, created) {
		if f.Entity == "sub_api/si_seat" {
			item = append(item, f)
		}
	}
	// The claim sits above the line's unknown and below any priced
	// observation of the line (the enrichment's, at the invoice's time);
	// the second fact is the seat's known 0 as of the event.
	un := meteredFacts(translateAll(t, inv))[0]
	priced := meteredVersion(&stripe.Invoice{Created: jan.Unix()})
	if len(item) != 2 || item[0].Value != 0 || item[0].Kind != messages.KindState || item[0].ObjectID != "sub_api" || item[0].Currency != "USD" ||
		!item[0].OccurredAt.Equal(dec) || item[0].Dimensions["customer"] != "cus_api" || item[0].Dimensions[DimensionMRRUnknown] != "" ||
		item[0].Version <= un.Version || item[0].Version >= priced {
		t.Errorf("licensed item facts %+v; want a known 0 at %s for cus_api between versions %d and %d", item, dec, un.Version, priced)
	}
	if now := item[1]; now.Value != 0 || !now.OccurredAt.Equal(dec) || now.Version != subscriptionVersion(&stripe.Subscription{Status: "active"}, dec) || now.Dimensions[DimensionMRRUnknown] != "" {
		t.Errorf("seat as of the event %+v; want a known 0 at %s with the event's version", now, dec)
	}
}

// TestBasilLicensedItemOnceForEverySubscriptionEvent: every subscription
// event (created, updated, later a deletion) says the same of si_seat:
// one fact, the same event id and content, which the aggregator keeps
// once. A later cancellation still takes the subscription to $0.00, the
// seat's own MRR stays a known 0, and nothing is unknown after it.
func TestBasilLicensedItemOnceForEverySubscriptionEvent(t *testing.T) {
	dec := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	jan, feb := dec.AddDate(0, 1, 0), dec.AddDate(0, 2, 0)
	end := feb.AddDate(0, 0, 14)
	canceled := licensedSub("canceled", dec, dec.Unix(), false)
	canceled["ended_at"], canceled["canceled_at"] = end.Unix(), end.Unix()
	evs := []stripe.Event{
		basilEvent(t, "customer.subscription.created", dec.Unix(), licensedSub("active", dec, dec.Unix(), false)),
		basilEvent(t, "customer.subscription.updated", jan.Unix()+60, licensedSub("active", dec, dec.Unix(), false)),
		basilEvent(t, "invoice.paid", jan.Unix(), licensedInvoice("in_jan", jan, false)),
		basilEvent(t, "invoice.paid", feb.Unix(), licensedInvoice("in_feb", feb, false)),
		basilEvent(t, "customer.subscription.deleted", end.Unix(), canceled),
	}
	facts := translateAll(t, evs...)
	byID := map[string][]messages.MetricEvent{}
	for _, f := range facts {
		if f.Entity == "sub_api/si_seat" && f.Dimensions[DimensionMRRUnknown] == "" && f.Version == licensedVersion {
			byID[f.EventID] = append(byID[f.EventID], f)
		}
	}
	if len(byID) != 1 {
		t.Fatalf("licensed facts under %d event ids; want 1: %+v", len(byID), byID)
	}
	for _, fs := range byID {
		if len(fs) != 3 || !slices.EqualFunc(fs, slices.Repeat(fs[:1], 3), sameFact) {
			t.Errorf("licensed facts %+v; want the same fact from each of the 3 subscription events", fs)
		}
	}
	if total, unknown, _ := mrrAt(facts, feb.AddDate(0, 0, 1)); total != 5000 || len(unknown) != 0 {
		t.Errorf("February: MRR %d, unknown %v; want 5000 and none", total, unknown)
	}
	total, unknown, mv := mrrAt(facts, end.Add(time.Hour))
	if total != 0 || len(unknown) != 0 {
		t.Errorf("after the end: MRR %d, unknown %v; want 0 and none", total, unknown)
	}
	if mv.Churn != 5000 || mv.ChurnedCustomers != 1 || mv.Unknown != 0 {
		t.Errorf("February movements %+v; want $50.00 of churn by 1 customer, nothing unknown", mv)
	}
	if s := readmodel.StatesAt(readmodel.Distinct(facts), end.Add(time.Hour))["sub_api/si_seat"]; s.Value != 0 || s.Dimensions[DimensionMRRUnknown] != "" {
		t.Errorf("seat's own MRR after the end %+v; want a known 0", s)
	}
}

// TestBasilMeteredItemStaysUnknownWithoutKey: the subscription adds a
// metered item (si_calls) beside the seat. Without a key nothing reads
// price_calls, so si_calls is MRR unknown (the reason says its price is
// known by id only) and only it: the seat's $50.00 is counted, in either
// order. With the price read (the enrichment, a tenant with a key) the
// calls are $24.68 more and nothing is unknown.
func TestBasilMeteredItemStaysUnknownWithoutKey(t *testing.T) {
	dec := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	jan := dec.AddDate(0, 1, 0)
	inv := basilEvent(t, "invoice.paid", jan.Unix(), licensedInvoice("in_jan", jan, true))
	inv.ID = "evt_jan"
	created := basilEvent(t, "customer.subscription.created", dec.Unix(), licensedSub("active", dec, dec.Unix(), true))
	for name, evs := range map[string][]stripe.Event{"invoice first": {inv, created}, "subscription first": {created, inv}} {
		facts := translateAll(t, evs...)
		total, unknown, _ := mrrAt(facts, jan.AddDate(0, 0, 10))
		if total != 5000 || fmt.Sprint(unknown) != "[sub_api/si_calls]" {
			t.Errorf("%s: MRR %d, unknown %v; want 5000 and si_calls only", name, total, unknown)
		}
		s := readmodel.StatesAt(readmodel.Distinct(facts), jan.AddDate(0, 0, 10))["sub_api/si_calls"]
		if want := "invoice line il_in_jan: price price_calls known by id only"; !strings.Contains(s.Dimensions[DimensionMRRUnknown], want) {
			t.Errorf("%s: reason %q; want it to say %q", name, s.Dimensions[DimensionMRRUnknown], want)
		}
	}
	priced, err := TranslateWithPrices(tenant, inv, map[string]*stripe.Price{
		"price_seat":  {ID: "price_seat", Currency: "usd", UnitAmount: 5000, BillingScheme: stripe.PriceBillingSchemePerUnit, Recurring: &stripe.PriceRecurring{Interval: "month", IntervalCount: 1, UsageType: stripe.PriceRecurringUsageTypeLicensed}},
		"price_calls": meteredPrice("price_calls", "month"),
	})
	if err != nil {
		t.Fatal(err)
	}
	total, unknown, _ := mrrAt(slices.Concat(translateAll(t, created, inv), priced), jan.AddDate(0, 0, 10))
	if total != 5000+2468 || len(unknown) != 0 {
		t.Errorf("priced: MRR %d, unknown %v; want 7468 and none", total, unknown)
	}
}

// TestLicensedItemsOnlyOnBasil: a 2023-10-16 subscription event gives no
// fact of its items (its invoices' lines carry their prices: nothing is
// left unknown), exactly as before.
func TestLicensedItemsOnlyOnBasil(t *testing.T) {
	dec := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	old := translateAll(t, event(t, "customer.subscription.created", dec.Unix(), licensedSub("active", dec, dec.Unix(), true)))
	if m := meteredFacts(old); len(m) != 0 {
		t.Errorf("2023-10-16 item facts %+v; want none", m)
	}
	basil := translateAll(t, basilEvent(t, "customer.subscription.created", dec.Unix(), licensedSub("active", dec, dec.Unix(), true)))
	if m := meteredFacts(basil); len(m) != 2 || m[0].Entity != "sub_api/si_seat" || m[1].Entity != "sub_api/si_seat" {
		t.Errorf("basil item facts %+v; want the seat's only (si_calls is metered)", m)
	}
}

// TestLicensedItemDatedAtItsSubscription: an item sent without created is
// dated at its subscription's creation (not its start_date, which may be
// later), before any invoice, so an update in March still makes the
// January invoice's seat line known; a subscription without created
// either, at its start.
func TestLicensedItemDatedAtItsSubscription(t *testing.T) {
	dec := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	jan, mar := dec.AddDate(0, 1, 0), dec.AddDate(0, 3, 0)
	inv := basilEvent(t, "invoice.paid", jan.Unix(), licensedInvoice("in_jan", jan, false))
	noCreated := licensedSub("active", dec, 0, false)
	noCreated["start_date"] = jan.AddDate(0, 0, 20).Unix() // created first
	noStart := licensedSub("active", dec, 0, false)
	delete(noStart, "created")
	for name, sub := range map[string]map[string]any{"subscription created": noCreated, "subscription start": noStart} {
		facts := translateAll(t, inv, basilEvent(t, "customer.subscription.updated", mar.Unix(), sub))
		if total, unknown, _ := mrrAt(facts, jan.AddDate(0, 0, 10)); len(unknown) != 0 {
			t.Errorf("%s: January unknown %v (MRR %d); want none", name, unknown, total)
		}
		for _, f := range meteredFacts(facts) {
			if f.Version == licensedVersion && !f.OccurredAt.Equal(dec) {
				t.Errorf("%s: licensed fact at %s; want %s", name, f.OccurredAt, dec)
			}
		}
	}
}

// sameFact compares two facts by content (Livemode by value).
func sameFact(a, b messages.MetricEvent) bool {
	la, lb := a.Livemode, b.Livemode
	a.Livemode, b.Livemode = nil, nil
	return fmt.Sprint(a) == fmt.Sprint(b) && (la == nil) == (lb == nil) && (la == nil || *la == *lb)
}

// TestBasilLicensedItemsOfAnUnknownSubscription: a subscription whose own
// MRR cannot be valued (an item's billing_scheme Boardpack does not
// know) is one subscription unknown, not one more per invoice line: its
// licensed items are known 0 all the same.
func TestBasilLicensedItemsOfAnUnknownSubscription(t *testing.T) {
	dec := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	jan := dec.AddDate(0, 1, 0)
	sub := licensedSub("active", dec, dec.Unix(), false)
	sub["items"].(map[string]any)["data"].([]any)[0].(map[string]any)["price"].(map[string]any)["billing_scheme"] = "per_outcome"
	facts := translateAll(t, basilEvent(t, "customer.subscription.created", dec.Unix(), sub), basilEvent(t, "invoice.paid", jan.Unix(), licensedInvoice("in_jan", jan, false)))
	if total, unknown, _ := mrrAt(facts, jan.AddDate(0, 0, 10)); total != 0 || fmt.Sprint(unknown) != "[sub_api]" {
		t.Errorf("MRR %d, unknown %v; want 0 and the subscription only", total, unknown)
	}
}

// TestPriceByIDOnlyIsReadmodels: readers match the reason by readmodel's
// copy of the string (the report must not link the Stripe SDK).
func TestPriceByIDOnlyIsReadmodels(t *testing.T) {
	if PriceByIDOnly != readmodel.PriceByIDOnly {
		t.Errorf("stripemap %q, readmodel %q", PriceByIDOnly, readmodel.PriceByIDOnly)
	}
}
