package report

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// basilSubInvoice is the 2025-03-31.basil invoice.paid of sub (for cust)
// on created: one line per item (its amount, naming the item's price by
// id only, as every basil webhook does).
func basilSubInvoice(id, sub, cust string, created time.Time, lines map[string]int64) map[string]any {
	var data []any
	var total int64
	for item, amount := range lines {
		total += amount
		data = append(data, map[string]any{"id": "il_" + item, "object": "line_item", "amount": amount, "currency": "usd", "quantity": 1,
			"parent":  map[string]any{"type": "subscription_item_details", "subscription_item_details": map[string]any{"subscription": sub, "subscription_item": item, "proration": false}},
			"pricing": map[string]any{"type": "price_details", "price_details": map[string]any{"price": "price_" + strings.TrimPrefix(item, "si_"), "product": "prod_x"}},
			"period":  map[string]any{"start": created.AddDate(0, -1, 0).Unix(), "end": created.Unix()}})
	}
	return map[string]any{"id": id, "object": "invoice", "currency": "usd", "customer": cust, "created": created.Unix(), "status": "paid",
		"amount_paid": total, "total": total,
		"parent":             map[string]any{"type": "subscription_details", "subscription_details": map[string]any{"subscription": sub}},
		"status_transitions": map[string]any{"finalized_at": created.Unix(), "paid_at": created.Unix()},
		"lines":              map[string]any{"object": "list", "data": data}}
}

func roleText(t *testing.T, tn tenants.Tenant, facts []messages.MetricEvent, role string) string {
	t.Helper()
	r, err := Build(context.Background(), &memSource{facts: facts}, tn, monthDue(tn, role, 2026, time.October), fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	return r.Text
}

// TestBasilKeylessLicensedMRRKnown: a tenant without a Stripe API key on
// 2025-03-31.basil (nothing reads the price its invoice lines name by
// id). Its $50 a month subscription, created in August and invoiced on 5
// October, is $50.00 of MRR in the CEO's and the CFO's October reports,
// with no "MRR unknown", whichever of the subscription's event and the
// invoice comes first.
func TestBasilKeylessLicensedMRRKnown(t *testing.T) {
	tn := testTenant()
	aug, oct := pdt(time.August, 5, 9), pdt(time.October, 5, 9)
	sub := stripeEv{"customer.subscription.created", aug, subObj("sub_seat", "cus_a", "active", 5000, 1, "month", aug)}
	inv := stripeEv{"invoice.paid", oct, basilSubInvoice("in_oct", "sub_seat", "cus_a", oct, map[string]int64{"si_sub_seat": 5000})}
	// The invoice alone (no subscription event yet) leaves the seat unknown.
	mustContain(t, roleText(t, tn, basilFacts(t, tn.ID, inv), messages.RoleCEO), "MRR unknown for 1 subscription: not included")
	for name, evs := range map[string][]stripeEv{"subscription first": {sub, inv}, "invoice first": {inv, sub}} {
		facts := basilFacts(t, tn.ID, evs...)
		for role, want := range map[string][]string{
			messages.RoleCEO: {"- MRR (at 1 Nov 2026): $50.00 (no change); prev. $50.00 (at 1 Oct 2026)"},
			messages.RoleCFO: {},
		} {
			text := roleText(t, tn, facts, role)
			mustContain(t, text, append(want, "- MRR at month end — Aug 2026: $50.00; Sep 2026: $50.00; Oct 2026: $50.00")...)
			if strings.Contains(text, "MRR unknown") {
				t.Errorf("%s, %s: says MRR unknown:\n%s", name, role, text)
			}
		}
	}
}

// TestBasilKeylessMeteredItemUnknown: the same tenant's subscription
// with a metered item beside the $50 seat (1,234 calls, $24.68 on the
// October invoice). Without a key nothing reads the calls' price: the
// CEO's MRR is the seat's $50.00 with the calls' item said unknown, and
// the movements note names that item alone and why (the price named by
// id only, read with the tenant's key), apart from the price shapes
// Boardpack cannot value.
func TestBasilKeylessMeteredItemUnknown(t *testing.T) {
	tn := testTenant()
	aug, oct := pdt(time.August, 5, 9), pdt(time.October, 5, 9)
	obj := subObj("sub_mix", "cus_a", "active", 5000, 1, "month", aug)
	items := obj["items"].(map[string]any)
	items["data"] = append(items["data"].([]any), map[string]any{"id": "si_calls", "object": "subscription_item",
		"price": map[string]any{"id": "price_calls", "object": "price", "currency": "usd", "unit_amount": 2, "billing_scheme": "per_unit",
			"recurring": map[string]any{"interval": "month", "interval_count": 1, "usage_type": "metered"}}})
	sub := stripeEv{"customer.subscription.created", aug, obj}
	inv := stripeEv{"invoice.paid", oct, basilSubInvoice("in_oct", "sub_mix", "cus_a", oct, map[string]int64{"si_sub_mix": 5000, "si_calls": 2468})}
	for name, evs := range map[string][]stripeEv{"subscription first": {sub, inv}, "invoice first": {inv, sub}} {
		facts := basilFacts(t, tn.ID, evs...)
		ceo := roleText(t, tn, facts, messages.RoleCEO)
		mustContain(t, ceo,
			"- MRR (at 1 Nov 2026): $50.00 (no change); prev. $50.00 (at 1 Oct 2026)",
			"MRR unknown for 1 subscription: not included",
			"MRR unknown for 1 subscription item (sub_mix/si_calls): the invoice names the price by id only (Stripe API 2025-03-31.basil on), which Boardpack reads with the tenant's Stripe API key (stripe.api_key); not in these figures, not counted as zero.")
		if strings.Contains(ceo, "a price shape Boardpack cannot value") || strings.Contains(ceo, "sub_mix/si_sub_mix") {
			t.Errorf("%s: the seat or a price shape said unknown:\n%s", name, ceo)
		}
	}
}
