package stripemap

import (
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/boardpack/boardpack/messages"
)

// A dispute on a charge settled in another currency: the funds withdrawn
// count in the charge's currency, the dispute fee in the balance
// transaction's (settlement) currency, marked with the charge's currency
// so that it goes with that charge's settlement, never with the net
// revenue of the settlement currency's own charges.
func TestDisputeFeeOnChargeSettledInAnotherCurrency(t *testing.T) {
	at := time.Unix(1760000000, 0)
	d := &stripe.Dispute{ID: "dp_eur", Amount: 5000, Currency: "eur", Charge: &stripe.Charge{ID: "ch_eur"}, Status: stripe.DisputeStatusNeedsResponse, Created: at.Unix(),
		BalanceTransactions: []*stripe.BalanceTransaction{{ID: "txn_dp", Amount: -5410, Fee: 1500, Net: -6910, Currency: "usd", ExchangeRate: 1.082, Created: at.Unix()}}}
	var withdrawn, fees []messages.MetricEvent
	for _, e := range Dispute(tenant, d, at) {
		switch e.Metric {
		case messages.MetricRevenueDisputed:
			withdrawn = append(withdrawn, e)
		case messages.MetricRevenueFees:
			fees = append(fees, e)
		}
	}
	if len(withdrawn) != 1 || withdrawn[0].Value != 5000 || withdrawn[0].Currency != "EUR" {
		t.Fatalf("withdrawn = %+v, want 5000 EUR (the charge's currency)", withdrawn)
	}
	if len(fees) != 1 || fees[0].Value != 1500 || fees[0].Currency != "USD" || fees[0].ObjectID != "ch_eur" ||
		fees[0].Dimensions["type"] != "dispute" || fees[0].Dimensions["charge_currency"] != "EUR" {
		t.Fatalf("dispute fee = %+v, want 1500 USD with charge_currency EUR", fees)
	}
	// In the charge's own currency the fee is marked with it too.
	d.Currency, d.BalanceTransactions[0].Currency, d.BalanceTransactions[0].Amount = "usd", "usd", -5000
	for _, e := range Dispute(tenant, d, at) {
		if e.Metric == messages.MetricRevenueFees && (e.Currency != "USD" || e.Dimensions["charge_currency"] != "USD") {
			t.Fatalf("same-currency dispute fee = %+v", e)
		}
	}
}

// The funds a dispute on a charge settled in another currency moved, in
// the settlement currency: withdrawn negative, reinstated positive, once
// per dispute and direction; none when the currencies agree or the
// balance transaction is missing.
func TestDisputeSettledFunds(t *testing.T) {
	at := time.Unix(1760000000, 0)
	settled := func(d *stripe.Dispute) []messages.MetricEvent {
		var out []messages.MetricEvent
		for _, e := range Dispute(tenant, d, at) {
			if e.Metric == messages.MetricRevenueSettled {
				out = append(out, e)
			}
		}
		return out
	}
	d := &stripe.Dispute{ID: "dp_eur", Amount: 5000, Currency: "eur", Charge: &stripe.Charge{ID: "ch_eur"}, Status: stripe.DisputeStatusWon, Created: at.Unix(),
		BalanceTransactions: []*stripe.BalanceTransaction{
			{ID: "txn_w", Amount: -5410, Fee: 1500, Currency: "usd", ExchangeRate: 1.082, Created: at.Unix()},
			{ID: "txn_r", Amount: 5390, Fee: -1500, Currency: "usd", ExchangeRate: 1.078, Created: at.Add(48 * time.Hour).Unix()},
		}}
	out := settled(d)
	if len(out) != 2 || out[0].Value != -5410 || out[1].Value != 5390 || out[0].Currency != "USD" || out[0].ObjectID != "ch_eur" ||
		out[0].Dimensions["type"] != "dispute" || out[0].Dimensions["charge_currency"] != "EUR" || out[0].Dimensions["exchange_rate"] != "1.082" ||
		out[1].Dimensions["funds"] != "reinstated" || out[0].EventID == out[1].EventID || out[1].OccurredAt.Unix() != at.Add(48*time.Hour).Unix() {
		t.Fatalf("settled dispute funds = %+v", out)
	}
	if again := settled(d); again[0].EventID != out[0].EventID {
		t.Fatalf("event id not stable: %s vs %s", again[0].EventID, out[0].EventID)
	}
	d.BalanceTransactions[0].Currency, d.BalanceTransactions[1].Currency = "eur", "eur"
	if out := settled(d); len(out) != 0 {
		t.Fatalf("same currency: settled = %+v, want none", out)
	}
	if out := settled(&stripe.Dispute{ID: "dp_x", Amount: 100, Currency: "eur", Status: stripe.DisputeStatusNeedsResponse, Created: at.Unix()}); len(out) != 0 {
		t.Fatalf("no balance transaction: settled = %+v, want none", out)
	}
}

// A refund of a charge settled in another currency leaves the balance in
// the settlement currency, as its balance transaction says: negative when
// it left, positive when a failed refund's money came back, once per
// balance transaction; its fee (usually 0, a known zero) once per balance
// transaction, marked with the refund and the charge's currency. The same
// facts whether the refund is read alone or listed on its charge.
func TestRefundSettledInAnotherCurrency(t *testing.T) {
	const created, failedAt = 1760000000, 1760300000
	re := refund("re_eur", 2000, "failed", created)
	re["currency"], re["charge"] = "eur", "ch_eur"
	re["balance_transaction"] = map[string]any{"id": "txn_re", "object": "balance_transaction", "amount": -2170, "fee": 0, "currency": "usd", "exchange_rate": 1.085, "created": created}
	re["failure_balance_transaction"] = map[string]any{"id": "txn_ref", "object": "balance_transaction", "amount": 2160, "fee": -5, "currency": "usd", "exchange_rate": 1.08, "created": failedAt}
	out, err := Translate(tenant, event(t, "refund.failed", failedAt+60, re))
	if err != nil {
		t.Fatal(err)
	}
	settled, fees := only(out, messages.MetricRevenueSettled), only(out, messages.MetricRevenueFees)
	if len(settled) != 2 || settled[0].Value != -2170 || settled[1].Value != 2160 || settled[0].Currency != "USD" ||
		settled[0].ObjectID != "ch_eur" || settled[0].OccurredAt.Unix() != created || settled[1].OccurredAt.Unix() != failedAt ||
		settled[0].Dimensions["type"] != "refund" || settled[0].Dimensions["refund"] != "re_eur" || settled[0].Dimensions["charge_currency"] != "EUR" ||
		settled[0].Dimensions["exchange_rate"] != "1.085" || settled[0].Dimensions["funds"] != "out" || settled[1].Dimensions["funds"] != "returned" ||
		settled[0].EventID == settled[1].EventID {
		t.Fatalf("settled refund = %+v; want −2170 USD out at %d and +2160 USD back at %d", settled, created, failedAt)
	}
	if len(fees) != 2 || fees[0].Value != 0 || fees[1].Value != -5 || fees[0].Currency != "USD" || fees[0].Dimensions["type"] != "refund" ||
		fees[0].Dimensions["refund"] != "re_eur" || fees[0].Dimensions["charge_currency"] != "EUR" || fees[0].ObjectID != "ch_eur" {
		t.Fatalf("refund fees = %+v; want 0 and −5 USD of re_eur", fees)
	}
	// Listed on its charge (the backfill's charges), the same facts.
	ch := chargeAt("ch_eur", 10000, created-86400, true)
	ch["currency"], ch["amount_refunded"] = "eur", 2000
	ch["refunds"] = map[string]any{"object": "list", "data": []any{re}}
	listed, err := Translate(tenant, event(t, "charge.refunded", failedAt+60, ch))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, f := range append(only(listed, messages.MetricRevenueSettled), only(listed, messages.MetricRevenueFees)...) {
		if f.Dimensions["type"] == "refund" {
			ids[f.EventID] = true
		}
	}
	for _, f := range append(settled, fees...) {
		if !ids[f.EventID] {
			t.Errorf("listed on its charge, %s %s is missing", f.Metric, f.Dimensions["funds"])
		}
	}
	// A refund in the balance's own currency: its fee, no settled amount;
	// an id alone (as webhooks send it): nothing.
	same := refund("re_usd", 2000, "succeeded", created)
	same["balance_transaction"] = map[string]any{"id": "txn_u", "object": "balance_transaction", "amount": -2000, "fee": 0, "currency": "usd", "created": created}
	out, _ = Translate(tenant, event(t, "refund.created", created, same))
	if s, f := only(out, messages.MetricRevenueSettled), only(out, messages.MetricRevenueFees); len(s) != 0 || len(f) != 1 || f[0].Currency != "USD" {
		t.Fatalf("same-currency refund: settled %+v, fees %+v; want no settled amount and one fee", s, f)
	}
	same["balance_transaction"] = "txn_u"
	out, _ = Translate(tenant, event(t, "refund.created", created, same))
	if n := len(out); n != 1 {
		t.Fatalf("refund with its balance transaction's id only: %d facts %+v; want the refund alone", n, out)
	}
}
