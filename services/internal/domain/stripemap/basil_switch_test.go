package stripemap

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// switchedSub is licensedSub with si_seat on price: licensed price_seat
// ($50 a month) or metered price_calls ($0.02 a call).
func switchedSub(created time.Time, metered bool) map[string]any {
	sub := licensedSub("active", created, created.Unix(), false)
	if metered {
		seat := sub["items"].(map[string]any)["data"].([]any)[0].(map[string]any)
		delete(seat, "quantity")
		seat["price"] = map[string]any{"id": "price_calls", "object": "price", "currency": "usd", "unit_amount": 2, "billing_scheme": "per_unit",
			"recurring": map[string]any{"interval": "month", "interval_count": 1, "usage_type": "metered"}}
	}
	return sub
}

// updated is the basil customer.subscription.updated of sub on at whose
// previous_attributes hold the items before (as a webhook body, decoded
// as the receiver decodes it: DecodeWebhook).
func updated(t *testing.T, at time.Time, sub, before map[string]any) stripe.Event {
	t.Helper()
	body, err := json.Marshal(map[string]any{"id": fmt.Sprintf("evt_up_%d", at.Unix()), "object": "event", "type": "customer.subscription.updated",
		"created": at.Unix(), "api_version": basilVersion,
		"data": map[string]any{"object": sub, "previous_attributes": map[string]any{"items": before["items"]}}})
	if err != nil {
		t.Fatal(err)
	}
	w, err := DecodeWebhook(body)
	if err != nil {
		t.Fatal(err)
	}
	return w.Event
}

// TestBasilItemMovedBetweenLicensedAndMetered: si_seat is $50 a month,
// licensed, from 1 December; on 10 January its price becomes metered
// price_calls (same item), and 1,234 calls are billed on 1 February.
//   - Without a key (no enrichment) the seat is $50.00 in January before
//     the move, and from the move on its MRR is unknown, never a known 0:
//     the claim it was licensed no longer hides the metered usage.
//   - With the February invoice priced (a tenant with a key) it is the
//     $24.68 of usage, nothing unknown.
//   - Moved back to the licensed price on 10 February, it is a known 0
//     again from then (the subscription counts the $50), while early
//     February keeps the $24.68.
func TestBasilItemMovedBetweenLicensedAndMetered(t *testing.T) {
	dec := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	jan, feb := dec.AddDate(0, 1, 0), dec.AddDate(0, 2, 0)
	move, back := jan.AddDate(0, 0, 9), feb.AddDate(0, 0, 9)
	licensed, metered := switchedSub(dec, false), switchedSub(dec, true)
	evs := []stripe.Event{
		basilEvent(t, "customer.subscription.created", dec.Unix(), licensed),
		basilEvent(t, "invoice.paid", jan.Unix(), licensedInvoice("in_jan", jan, false)),
		updated(t, move, metered, licensed),
	}
	inv := basilMeteredInvoice("in_feb", feb, 2468, 1234, "price_calls")
	line := inv["lines"].(map[string]any)["data"].([]any)[0].(map[string]any)
	line["parent"].(map[string]any)["subscription_item_details"].(map[string]any)["subscription_item"] = "si_seat"
	febInv := basilEvent(t, "invoice.paid", feb.Unix(), inv)
	keyless := translateAll(t, append(evs, febInv)...)

	if total, unknown, _ := mrrAt(keyless, move.Add(-time.Hour)); total != 5000 || len(unknown) != 0 {
		t.Errorf("before the move: MRR %d, unknown %v; want 5000 and none", total, unknown)
	}
	for _, at := range []time.Time{move.Add(time.Hour), feb.Add(time.Hour)} {
		total, unknown, _ := mrrAt(keyless, at)
		if total != 0 || fmt.Sprint(unknown) != "[sub_api/si_seat]" {
			t.Errorf("without a key at %s: MRR %d, unknown %v; want 0 known and si_seat unknown", at, total, unknown)
		}
	}
	s := readmodel.StatesAt(readmodel.Distinct(keyless), move.Add(time.Hour))["sub_api/si_seat"]
	if r := s.Dimensions[DimensionMRRUnknown]; !strings.Contains(r, "moved from licensed price price_seat to metered price price_calls") || !strings.Contains(r, PriceByIDOnly) || s.Dimensions["customer"] != "cus_api" {
		t.Errorf("the move's unknown %+v; want it to name both prices, say the price is read by id and name cus_api", s)
	}

	priced, err := TranslateWithPrices(tenant, febInv, map[string]*stripe.Price{"price_calls": meteredPrice("price_calls", "month")})
	if err != nil {
		t.Fatal(err)
	}
	keyed := append(translateAll(t, evs...), priced...)
	if total, unknown, _ := mrrAt(keyed, feb.Add(time.Hour)); total != 2468 || len(unknown) != 0 {
		t.Errorf("with the price read: MRR %d, unknown %v; want 2468 and none", total, unknown)
	}

	keyed = append(keyed, translateAll(t, updated(t, back, licensed, metered))...)
	if total, unknown, _ := mrrAt(keyed, back.Add(-time.Hour)); total != 2468 || len(unknown) != 0 {
		t.Errorf("before moving back: MRR %d, unknown %v; want 2468 and none", total, unknown)
	}
	if total, unknown, _ := mrrAt(keyed, back.Add(time.Hour)); total != 5000 || len(unknown) != 0 {
		t.Errorf("moved back: MRR %d, unknown %v; want 5000 and none", total, unknown)
	}
}

// TestMeteredSinceNeedsTheLicensedPriceBefore: an update whose
// previous_attributes do not show the item licensed (a metered item that
// stays metered, another item's change, none at all) says nothing of it.
func TestMeteredSinceNeedsTheLicensedPriceBefore(t *testing.T) {
	dec := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	at := dec.AddDate(0, 1, 9)
	metered := switchedSub(dec, true)
	other := licensedSub("active", dec, dec.Unix(), false)
	other["items"].(map[string]any)["data"].([]any)[0].(map[string]any)["id"] = "si_other"
	for name, before := range map[string]map[string]any{"metered before": switchedSub(dec, true), "another item": other, "no items": {}} {
		ev := updated(t, at, metered, before)
		if got := meteredSince(tenant, ev, mustSub(t, ev), at); len(got) != 0 {
			t.Errorf("%s: %+v; want nothing", name, got)
		}
	}
	ev := updated(t, at, metered, switchedSub(dec, false))
	if got := meteredSince(tenant, ev, mustSub(t, ev), at); len(got) != 1 || got[0].Version != subscriptionVersion(&stripe.Subscription{Status: "active"}, at) || !got[0].OccurredAt.Equal(at) {
		t.Errorf("moved: %+v; want one unknown at %s with the event's version", got, at)
	}
}

func mustSub(t *testing.T, ev stripe.Event) *stripe.Subscription {
	t.Helper()
	var sub stripe.Subscription
	if err := json.Unmarshal(ev.Data.Raw, &sub); err != nil {
		t.Fatal(err)
	}
	return &sub
}
