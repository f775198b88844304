package stripemap

import (
	"testing"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

func TestKnownVersion(t *testing.T) {
	for v, want := range map[string]bool{
		"2020-03-02": true, "2020-08-27": true, "2022-11-15": true, "2023-10-16": true, "2024-06-20": true,
		"2024-09-30.acacia": true, "2025-03-31.basil": true, "2025-09-30.clover": true, "2027-01-01.zebra": true,
		"2020-03-01": false, "2019-12-03": false, "": false, "latest": false, "2025-03-31.Basil": false, "2025-03-31basil": false,
	} {
		if got := KnownVersion(v); got != want {
			t.Errorf("KnownVersion(%q) = %t, want %t", v, got, want)
		}
	}
}

// One payload per shape, from Stripe's API reference and changelog: the
// same business facts give the same figures whatever the version.
func TestEveryVersionShapeTranslates(t *testing.T) {
	const created, paidAt = 1760000000, 1760000100
	items := func(item map[string]any) map[string]any {
		return map[string]any{"object": "list", "data": []any{item}}
	}
	price := map[string]any{"id": "price_1", "object": "price", "currency": "eur", "unit_amount": 5000, "billing_scheme": "per_unit", "type": "recurring",
		"recurring": map[string]any{"interval": "month", "interval_count": 1, "usage_type": "licensed"}}
	plan := map[string]any{"id": "plan_1", "object": "plan", "currency": "eur", "amount": 5000, "interval": "month", "interval_count": 1, "usage_type": "licensed", "billing_scheme": "per_unit"}
	refunded := func(extra map[string]any) map[string]any {
		o := map[string]any{"id": "ch_v", "object": "charge", "amount": 10000, "amount_captured": 10000, "amount_refunded": 3000, "captured": true,
			"currency": "eur", "created": created, "refunded": false, "status": "succeeded"}
		for k, v := range extra {
			o[k] = v
		}
		return o
	}
	for _, c := range []struct {
		version, typ string
		obj          map[string]any
		metric       string
		total        int64 // readmodel.TotalAt (states) or Sum (additive) of metric
		entity       string
	}{
		{"2020-03-02", "charge.succeeded", map[string]any{"id": "ch_v", "object": "charge", "amount": 10000, "captured": true, "currency": "eur", "created": created, "status": "succeeded"},
			messages.MetricRevenueGross, 10000, ""},
		{"2020-03-02", "charge.refunded", refunded(map[string]any{"refunds": map[string]any{"object": "list", "data": []any{
			map[string]any{"id": "re_v", "object": "refund", "amount": 3000, "currency": "eur", "charge": "ch_v", "status": "succeeded", "created": created + 50}}}}),
			messages.MetricRevenueRefunded, 3000, "re_v"},
		{"2023-10-16", "charge.refunded", refunded(nil), messages.MetricRevenueRefunded, 3000, "ch_v"},
		{"2024-06-20", "refund.created", map[string]any{"id": "re_v", "object": "refund", "amount": 3000, "currency": "eur", "charge": "ch_v", "status": "pending", "created": created + 50},
			messages.MetricRevenueRefunded, 3000, "re_v"},
		{"2025-03-31.basil", "refund.failed", map[string]any{"id": "re_v", "object": "refund", "amount": 3000, "currency": "eur", "charge": "ch_v", "status": "failed", "created": created + 50,
			"failure_balance_transaction": "txn_f", "failure_reason": "expired_or_canceled_card"}, messages.MetricRevenueRefunded, 0, "re_v"},
		// 2020-03-02: the plan on the subscription and its items, no currency on the subscription.
		{"2020-03-02", "customer.subscription.created", map[string]any{"id": "sub_v", "object": "subscription", "status": "active", "created": created, "plan": plan, "quantity": 1,
			"items": items(map[string]any{"id": "si_v", "object": "subscription_item", "quantity": 1, "plan": plan})}, messages.MetricMRR, 5000, "sub_v"},
		{"2020-08-27", "customer.subscription.created", map[string]any{"id": "sub_v", "object": "subscription", "status": "active", "created": created, "currency": "eur",
			"items": items(map[string]any{"id": "si_v", "object": "subscription_item", "quantity": 1, "price": price, "plan": plan})}, messages.MetricMRR, 5000, "sub_v"},
		{"2020-08-27", "customer.subscription.updated", map[string]any{"id": "sub_v", "object": "subscription", "status": "active", "created": created,
			"items": items(map[string]any{"id": "si_v", "object": "subscription_item", "quantity": 1, "price": price})}, messages.MetricMRR, 5000, "sub_v"},
		// 2025-03-31.basil: current period on the items, discounts a list
		// (ids unless expanded; an id alone makes the MRR unknown, see
		// TestMRRUnknownShapes), the legacy discount gone.
		{"2025-03-31.basil", "customer.subscription.updated", map[string]any{"id": "sub_v", "object": "subscription", "status": "active", "created": created, "currency": "eur",
			"discounts": []any{map[string]any{"id": "di_1", "object": "discount", "coupon": map[string]any{"id": "co_10", "object": "coupon", "percent_off": 10, "duration": "forever"}}},
			"items":     items(map[string]any{"id": "si_v", "object": "subscription_item", "quantity": 1, "price": price, "current_period_start": created, "current_period_end": created + 2678400})},
			messages.MetricMRR, 4500, "sub_v"},
		{"2020-03-02", "invoice.paid", map[string]any{"id": "in_v", "object": "invoice", "amount_paid": 5000, "currency": "eur", "created": created, "subscription": "sub_v", "charge": "ch_v",
			"status_transitions": map[string]any{"paid_at": paidAt}}, messages.MetricInvoicesPaid, 5000, ""},
		// 2025-03-31.basil: subscription under parent.subscription_details, charges under payments.
		{"2025-03-31.basil", "invoice.paid", map[string]any{"id": "in_v", "object": "invoice", "amount_paid": 5000, "currency": "eur", "created": created,
			"parent":             map[string]any{"type": "subscription_details", "subscription_details": map[string]any{"subscription": "sub_v"}},
			"payments":           map[string]any{"object": "list", "data": []any{map[string]any{"id": "inpay_1", "object": "invoice_payment", "payment": map[string]any{"type": "payment_intent", "payment_intent": "pi_v"}, "status": "paid"}}},
			"status_transitions": map[string]any{"paid_at": paidAt}}, messages.MetricInvoicesPaid, 5000, ""},
		{"2025-09-30.clover", "charge.dispute.funds_withdrawn", map[string]any{"id": "dp_v", "object": "dispute", "amount": 10000, "currency": "eur", "charge": "ch_v", "status": "needs_response",
			"created": created, "payment_intent": "pi_v", "balance_transactions": []any{map[string]any{"id": "txn_d", "object": "balance_transaction", "amount": -10000, "fee": 1500, "currency": "eur", "created": created}}},
			messages.MetricRevenueDisputed, 10000, ""},
		{"2020-03-02", "payout.paid", map[string]any{"id": "po_v", "object": "payout", "amount": 8000, "currency": "eur", "status": "paid", "arrival_date": created},
			messages.MetricPayoutsPaid, 8000, "po_v"},
	} {
		t.Run(c.version+"/"+c.typ, func(t *testing.T) {
			if !KnownVersion(c.version) {
				t.Fatalf("version %s not known", c.version)
			}
			ev := event(t, c.typ, created+200, c.obj)
			ev.APIVersion = c.version
			out, err := Translate(tenant, ev)
			if err != nil {
				t.Fatal(err)
			}
			var fs []messages.MetricEvent
			for _, e := range out {
				if e.Metric == c.metric {
					fs = append(fs, e)
				}
			}
			if len(fs) == 0 {
				t.Fatalf("no %s fact in %+v", c.metric, out)
			}
			var got int64
			if fs[0].Kind == messages.KindState {
				got = readmodel.TotalAt(fs, never)
				if fs[0].Entity != c.entity {
					t.Errorf("entity = %q, want %q", fs[0].Entity, c.entity)
				}
			} else {
				got = readmodel.Sum(fs, all, never)
			}
			if got != c.total || fs[0].Currency != "EUR" {
				t.Errorf("%s = %d %s, want %d EUR", c.metric, got, fs[0].Currency, c.total)
			}
		})
	}
}
