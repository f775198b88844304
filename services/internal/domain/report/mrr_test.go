package report

import (
	"context"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

func subObj(id, cust, status string, unit, qty int64, interval string, created time.Time) map[string]any {
	return map[string]any{"id": id, "object": "subscription", "status": status, "currency": "usd", "customer": cust, "created": created.Unix(),
		"items": map[string]any{"object": "list", "data": []any{map[string]any{"id": "si_" + id, "object": "subscription_item", "quantity": qty,
			"price": map[string]any{"id": "price_" + id, "object": "price", "currency": "usd", "unit_amount": unit, "billing_scheme": "per_unit",
				"recurring": map[string]any{"interval": interval, "interval_count": 1, "usage_type": "licensed"}}}}}}
}

// TestMRRMovementsTableFollowsChartMogul: ChartMogul's "Lifecycle of a
// customer" example, one step a month, through Stripe's webhooks into the
// CEO and CFO reports: four Gold yearly plans in August (New business
// $166.67, 1 customer), two Silver monthly plans in September (Expansion
// $60.00, 1 customer, not New business), Silver cancelled in October
// (Contraction −$60.00, not Churn), and a second customer's €-free $99
// plan in October whose MRR cannot be valued (a custom billing_scheme):
// named as unknown, not in the figures.
func TestMRRMovementsTableFollowsChartMogul(t *testing.T) {
	tn := testTenant()
	odd := subObj("sub_odd", "cus_other", "active", 9900, 1, "month", pdt(time.October, 12, 9))
	odd["items"].(map[string]any)["data"].([]any)[0].(map[string]any)["price"].(map[string]any)["billing_scheme"] = "per_outcome"
	facts := stripeFacts(t, tn.ID,
		stripeEv{"customer.subscription.created", pdt(time.August, 5, 9), subObj("sub_gold", "cus_sync", "active", 50000, 4, "year", pdt(time.August, 5, 9))},
		stripeEv{"customer.subscription.created", pdt(time.September, 8, 9), subObj("sub_silver", "cus_sync", "active", 3000, 2, "month", pdt(time.September, 8, 9))},
		stripeEv{"customer.subscription.deleted", pdt(time.October, 3, 9), subObj("sub_silver", "cus_sync", "canceled", 3000, 2, "month", pdt(time.September, 8, 9))},
		stripeEv{"customer.subscription.created", pdt(time.October, 12, 9), odd},
	)
	text := ceoText(t, tn, facts)
	mustContain(t, text,
		"MRR MOVEMENTS",
		"- New business — Aug 2026: $166.67 (1); Sep 2026: $0.00 (0); Oct 2026: $0.00 (0)",
		"- Expansion — Aug 2026: $0.00 (0); Sep 2026: $60.00 (1); Oct 2026: $0.00 (0)",
		"- Contraction — Aug 2026: $0.00 (0); Sep 2026: $0.00 (0); Oct 2026: −$60.00 (1)",
		"- Churn — Aug 2026: $0.00 (0); Sep 2026: $0.00 (0); Oct 2026: $0.00 (0)",
		"- Net new MRR — Aug 2026: +$166.67; Sep 2026: +$60.00; Oct 2026: −$60.00",
		"- MRR at month end — Aug 2026: $166.67; Sep 2026: $226.67; Oct 2026: $166.67",
		"MRR unknown for 1 subscription (sub_odd)",
		"MRR unknown for 1 subscription: not included",
		"[Chart: MRR movements by month: Aug net +$166.67 · Sep net +$60.00 · Oct net −$60.00",
	)
	r, err := Build(context.Background(), &memSource{facts: facts}, tn, monthDue(tn, messages.RoleCFO, 2026, time.October), fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, r.Text, "- Expansion — Aug 2026: $0.00 (0); Sep 2026: $60.00 (1); Oct 2026: $0.00 (0)")
}
