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
