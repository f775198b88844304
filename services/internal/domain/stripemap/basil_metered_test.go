package stripemap

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// basilMeteredInvoice is a paid invoice as a 2025-03-31.basil
// invoice.paid sends it: its subscription under parent.subscription_details,
// each line's subscription item under parent.subscription_item_details and
// its price under pricing.price_details, as an id (price is nil) or
// expanded (price is the object). No line has price, plan,
// subscription_item or subscription at its top level.
func basilMeteredInvoice(id string, created time.Time, amountBilled, quantity int64, price any) map[string]any {
	return map[string]any{"id": id, "object": "invoice", "currency": "usd", "customer": "cus_api", "created": created.Unix(), "status": "paid",
		"amount_paid": amountBilled, "total": amountBilled,
		"parent":             map[string]any{"type": "subscription_details", "subscription_details": map[string]any{"subscription": "sub_api", "metadata": map[string]any{}}},
		"status_transitions": map[string]any{"finalized_at": created.Unix(), "paid_at": created.Unix()},
		"lines": map[string]any{"object": "list", "data": []any{map[string]any{"id": "il_" + id, "object": "line_item", "amount": amountBilled, "currency": "usd",
			"quantity": quantity, "discount_amounts": []any{}, "taxes": []any{},
			"parent": map[string]any{"type": "subscription_item_details", "subscription_item_details": map[string]any{
				"subscription": "sub_api", "subscription_item": "si_calls", "proration": false, "invoice_item": nil}},
			"pricing": map[string]any{"type": "price_details", "unit_amount_decimal": "2",
				"price_details": map[string]any{"price": price, "product": "prod_calls"}},
			"period": map[string]any{"start": created.AddDate(0, -1, 0).Unix(), "end": created.Unix()}}}}}
}

// meteredPrice is a metered price of 2 cents per call, billed every
// interval.
func meteredPrice(id string, interval stripe.PriceRecurringInterval) *stripe.Price {
	return &stripe.Price{ID: id, Currency: "usd", UnitAmount: 2, UnitAmountDecimal: 2, BillingScheme: stripe.PriceBillingSchemePerUnit,
		Recurring: &stripe.PriceRecurring{Interval: interval, IntervalCount: 1, UsageType: stripe.PriceRecurringUsageTypeMetered}}
}

func meteredFacts(fs []messages.MetricEvent) []messages.MetricEvent {
	var out []messages.MetricEvent
	for _, f := range fs {
		if f.Metric == messages.MetricMRR && strings.Contains(f.Entity, "/") {
			out = append(out, f)
		}
	}
	return out
}

// TestBasilMeteredLineByPriceID is issue 15 on 2025-03-31.basil: 1,234
// calls at $0.02 billed on the December invoice. The webhook's line names
// its price by id only, which does not say whether the item is metered
// nor its interval: the line's MRR is unknown (never $0), for the
// invoice's customer, naming the event, so the enrichment can price it.
// With the price read ($0.02 per call, metered, monthly) the same
// observation is $24.68 of MRR, which readers prefer to the unknown.
func TestBasilMeteredLineByPriceID(t *testing.T) {
	dec := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	units, unit := int64(1234), int64(2)
	ev := basilEvent(t, "invoice.paid", dec.Unix()+5, basilMeteredInvoice("in_dec", dec, units*unit, units, "price_calls"))
	ev.ID = "evt_dec"
	got := meteredFacts(translateAll(t, ev))
	if len(got) != 1 {
		t.Fatalf("metered facts %+v; want one, unknown", got)
	}
	u := got[0]
	if u.Entity != "sub_api/si_calls" || u.ObjectID != "sub_api" || u.Value != 0 || u.Dimensions[DimensionMRRUnknown] == "" ||
		u.Dimensions["customer"] != "cus_api" || u.Dimensions[DimensionStripeEvent] != "evt_dec" || !u.OccurredAt.Equal(dec) {
		t.Errorf("unknown metered fact %+v", u)
	}
	if !strings.Contains(u.Dimensions[DimensionMRRUnknown], "price_calls") {
		t.Errorf("reason %q does not name the price", u.Dimensions[DimensionMRRUnknown])
	}
	if ids := UnexpandedPrices(ev); len(ids) != 1 || ids[0] != "price_calls" {
		t.Errorf("prices to read %v; want [price_calls]", ids)
	}

	known, err := TranslateWithPrices(tenant, ev, map[string]*stripe.Price{"price_calls": meteredPrice("price_calls", stripe.PriceRecurringIntervalMonth)})
	if err != nil {
		t.Fatal(err)
	}
	k := meteredFacts(known)
	if len(k) != 1 {
		t.Fatalf("priced facts %+v; want one", k)
	}
	if k[0].Value != units*unit || k[0].Value != 2468 || k[0].Currency != "USD" || k[0].Entity != u.Entity || k[0].Version <= u.Version ||
		!k[0].OccurredAt.Equal(u.OccurredAt) || k[0].Dimensions["customer"] != "cus_api" || k[0].EventID == u.EventID {
		t.Errorf("priced fact %+v; want $24.68 of the same observation for cus_api, above its unknown", k[0])
	}
	if _, unknown := k[0].Dimensions[DimensionMRRUnknown]; unknown {
		t.Errorf("priced fact still unknown: %+v", k[0])
	}
	all := append(got, k...)
	if total := readmodel.TotalAt(all, dec.Add(time.Hour)); total != 2468 {
		t.Errorf("MRR %d; want 2468", total)
	}
	if un := readmodel.UnknownMRR(all, dec.Add(time.Hour)); len(un) != 0 {
		t.Errorf("still unknown: %v", un)
	}
	// Without the price the line stays unknown.
	still, err := TranslateWithPrices(tenant, ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := meteredFacts(still); len(s) != 1 || s[0].Dimensions[DimensionMRRUnknown] == "" || s[0].EventID != u.EventID {
		t.Errorf("without the price %+v; want the same unknown fact", s)
	}
}

// TestBasilMeteredShapes: a yearly metered item billed $1,200.06 of
// usage is $100.01 of MRR a month ($1,200.06 / 12 = $100.005, rounded
// half away); a price expanded in the webhook (pricing.price_details.price
// as the object) needs no enrichment; a licensed item's line, once its
// price is read, is 0 known (its MRR is the subscription's), which ends
// the unknown; the invoice's subscription comes from
// parent.subscription_details when the line names none.
func TestBasilMeteredShapes(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	yearly := meteredPrice("price_year", stripe.PriceRecurringIntervalYear)

	ev := basilEvent(t, "invoice.paid", jan.Unix(), basilMeteredInvoice("in_y", jan, 120006, 60003, "price_year"))
	fs, err := TranslateWithPrices(tenant, ev, map[string]*stripe.Price{"price_year": yearly})
	if err != nil {
		t.Fatal(err)
	}
	if m := meteredFacts(fs); len(m) != 1 || m[0].Value != 10001 || m[0].Entity != "sub_api/si_calls" {
		t.Errorf("yearly metered %+v; want 10001 a month", m)
	}

	// The price expanded: known at once, the same fact.
	raw, err := json.Marshal(yearly)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		t.Fatal(err)
	}
	exp := basilEvent(t, "invoice.paid", jan.Unix(), basilMeteredInvoice("in_y", jan, 120006, 60003, obj))
	if ids := UnexpandedPrices(exp); len(ids) != 0 {
		t.Errorf("expanded price still to read: %v", ids)
	}
	if m := meteredFacts(translateAll(t, exp)); len(m) != 1 || m[0].EventID != meteredFacts(fs)[0].EventID {
		t.Errorf("expanded price %+v; want the priced fact %+v", m, meteredFacts(fs))
	}

	// A licensed item: unknown until priced, then 0, known.
	licensed := &stripe.Price{ID: "price_seat", Currency: "usd", UnitAmount: 2000, BillingScheme: stripe.PriceBillingSchemePerUnit,
		Recurring: &stripe.PriceRecurring{Interval: "month", IntervalCount: 1, UsageType: stripe.PriceRecurringUsageTypeLicensed}}
	inv := basilMeteredInvoice("in_s", jan, 2000, 1, "price_seat")
	line := inv["lines"].(map[string]any)["data"].([]any)[0].(map[string]any)
	delete(line["parent"].(map[string]any)["subscription_item_details"].(map[string]any), "subscription")
	sev := basilEvent(t, "invoice.paid", jan.Unix(), inv)
	un := meteredFacts(translateAll(t, sev))
	if len(un) != 1 || un[0].Entity != "sub_api/si_calls" || un[0].Dimensions[DimensionMRRUnknown] == "" {
		t.Fatalf("licensed by id %+v; want unknown for sub_api/si_calls", un)
	}
	priced, err := TranslateWithPrices(tenant, sev, map[string]*stripe.Price{"price_seat": licensed})
	if err != nil {
		t.Fatal(err)
	}
	k := meteredFacts(priced)
	if len(k) != 1 || k[0].Value != 0 || k[0].Dimensions[DimensionMRRUnknown] != "" || k[0].Dimensions["customer"] != "cus_api" ||
		k[0].Version <= un[0].Version || !k[0].OccurredAt.Equal(un[0].OccurredAt) || k[0].EventID == un[0].EventID {
		t.Errorf("licensed priced %+v; want 0 known, same observation above its unknown, its own event id", k)
	}
	if u := readmodel.UnknownMRR(append(un, k...), jan.Add(time.Hour)); len(u) != 0 {
		t.Errorf("unknown after pricing: %v", u)
	}
	// A metered price whose interval MRR cannot normalise stays unknown.
	odd := meteredPrice("price_seat", "fortnight")
	if o := meteredFacts(Must(TranslateWithPrices(tenant, sev, map[string]*stripe.Price{"price_seat": odd}))); len(o) != 1 || o[0].Dimensions[DimensionMRRUnknown] == "" {
		t.Errorf("metered by the fortnight %+v; want unknown", o)
	}
	// Another event type is not priced.
	if _, err := TranslateWithPrices(tenant, basilEvent(t, "customer.created", jan.Unix(), map[string]any{"id": "cus_1", "object": "customer"}), nil); !errors.Is(err, ErrUnhandled) {
		t.Errorf("customer.created priced: %v", err)
	}
}

// TestPreBasilMeteredUnchanged: a 2023-10-16 line carries its price and
// subscription item: metered MRR at once, nothing unknown, nothing to read.
func TestPreBasilMeteredUnchanged(t *testing.T) {
	dec := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	raw, _ := json.Marshal(meteredPrice("price_calls", stripe.PriceRecurringIntervalMonth))
	var price map[string]any
	_ = json.Unmarshal(raw, &price)
	ev := event(t, "invoice.paid", dec.Unix(), map[string]any{"id": "in_old", "object": "invoice", "currency": "usd", "customer": "cus_api",
		"created": dec.Unix(), "status": "paid", "amount_paid": 2468, "subscription": "sub_api",
		"lines": map[string]any{"object": "list", "data": []any{map[string]any{"id": "il_old", "object": "line_item", "amount": 2468, "currency": "usd",
			"quantity": 1234, "price": price, "subscription_item": "si_calls", "subscription": "sub_api"}}}})
	m := meteredFacts(translateAll(t, ev))
	if len(m) != 1 || m[0].Value != 2468 || m[0].Dimensions[DimensionMRRUnknown] != "" || m[0].Dimensions["customer"] != "cus_api" {
		t.Errorf("2023-10-16 metered %+v; want 2468 for cus_api", m)
	}
	if ids := UnexpandedPrices(ev); ids != nil {
		t.Errorf("prices to read %v", ids)
	}
}

// TestBasilSubscriptionEndEndsEveryItemsLine: on 2025-03-31.basil a
// licensed item's invoice line may have left "<subscription>/<item>"
// unknown (its price read by no enrichment: a tenant without a key);
// customer.subscription.deleted, whose item carries its whole price,
// says the item is licensed (known 0 from the subscription's creation:
// no unknown before the end either) and ends it as it ends a metered
// item's, 0 for the customer, while a 2023-10-16 deletion keeps to the
// metered items.
func TestBasilSubscriptionEndEndsEveryItemsLine(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	end := jan.AddDate(0, 0, 20)
	inv := basilEvent(t, "invoice.paid", jan.Unix(), basilMeteredInvoice("in_s", jan, 2000, 1, "price_seat"))
	sub := map[string]any{"id": "sub_api", "object": "subscription", "status": "canceled", "currency": "usd", "customer": "cus_api",
		"created": jan.AddDate(0, -2, 0).Unix(), "ended_at": end.Unix(), "canceled_at": end.Unix(),
		"items": map[string]any{"object": "list", "data": []any{map[string]any{"id": "si_calls", "object": "subscription_item", "quantity": 1,
			"price": map[string]any{"id": "price_seat", "object": "price", "currency": "usd", "unit_amount": 2000, "billing_scheme": "per_unit",
				"recurring": map[string]any{"interval": "month", "interval_count": 1, "usage_type": "licensed"}}}}}}
	if u := readmodel.UnknownMRR(translateAll(t, inv), jan.Add(time.Hour)); fmt.Sprint(u) != "[sub_api/si_calls]" {
		t.Fatalf("invoice alone: unknown %v; want the line", u)
	}
	facts := translateAll(t, inv, basilEvent(t, "customer.subscription.deleted", end.Unix(), sub))
	if u := readmodel.UnknownMRR(facts, jan.Add(time.Hour)); len(u) != 0 {
		t.Fatalf("unknown before the end %v; want none (the item is licensed)", u)
	}
	if u := readmodel.UnknownMRR(facts, end.Add(time.Hour)); len(u) != 0 {
		t.Errorf("unknown after the end %v; want none", u)
	}
	var ended bool
	for _, f := range meteredFacts(facts) {
		if f.Entity == "sub_api/si_calls" && f.OccurredAt.Equal(end) && f.Value == 0 && f.Dimensions["customer"] == "cus_api" {
			ended = true
		}
	}
	if !ended {
		t.Errorf("no end of the line's MRR in %+v", meteredFacts(facts))
	}
	old := event(t, "customer.subscription.deleted", end.Unix(), sub)
	if m := meteredFacts(translateAll(t, old)); len(m) != 0 {
		t.Errorf("2023-10-16 deletion of a licensed item %+v; want no item fact", m)
	}
}

// TestBasilLineEdges: lines that are not a subscription item's (an
// invoice item: parent.invoice_item_details), or whose pricing names no
// price, give no MRR fact and nothing to read; a line of a subscription
// named nowhere (neither the line nor the invoice) gives none either.
func TestBasilLineEdges(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	line := func(inv map[string]any) map[string]any {
		return inv["lines"].(map[string]any)["data"].([]any)[0].(map[string]any)
	}
	item := basilMeteredInvoice("in_ii", jan, 500, 1, "price_once")
	line(item)["parent"] = map[string]any{"type": "invoice_item_details", "invoice_item_details": map[string]any{"invoice_item": "ii_1", "proration": false, "subscription": "sub_api"}}
	noPrice := basilMeteredInvoice("in_np", jan, 500, 1, nil)
	orphan := basilMeteredInvoice("in_or", jan, 500, 1, "price_calls")
	delete(orphan, "parent")
	delete(line(orphan)["parent"].(map[string]any)["subscription_item_details"].(map[string]any), "subscription")
	for name, inv := range map[string]map[string]any{"invoice item": item, "no price": noPrice, "no subscription": orphan} {
		ev := basilEvent(t, "invoice.paid", jan.Unix(), inv)
		if m := meteredFacts(translateAll(t, ev)); len(m) != 0 {
			t.Errorf("%s: metered facts %+v; want none", name, m)
		}
		if ids := UnexpandedPrices(ev); name != "no subscription" && len(ids) != 0 {
			t.Errorf("%s: prices to read %v; want none", name, ids)
		}
	}
	// Not an invoice.paid: nothing to read.
	if ids := UnexpandedPrices(basilEvent(t, "invoice.payment_failed", jan.Unix(), orphan)); ids != nil {
		t.Errorf("invoice.payment_failed: prices to read %v", ids)
	}
}
