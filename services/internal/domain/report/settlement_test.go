package report

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// Charges in EUR settled into the USD balance: the Accounting report
// shows their gross in EUR and the settled amount, dispute funds, fees and
// net in USD; USD net revenue keeps only the USD charges' figures (the
// dispute fee of a EUR charge included), and the payouts reconciliation
// adds the USD net the EUR charges settled.
func TestSettlementInAnotherCurrency(t *testing.T) {
	tn := testTenant()
	oct := pdt(time.October, 3, 12)
	bt := func(id string, amount, fee int64, rate float64) map[string]any {
		b := map[string]any{"id": id, "object": "balance_transaction", "amount": amount, "fee": fee, "net": amount - fee, "currency": "usd", "created": oct.Unix()}
		if rate != 0 {
			b["exchange_rate"] = rate
		}
		return b
	}
	usd := chargeObj("ch_usd", 10000, "usd", oct, true)
	usd["balance_transaction"] = bt("txn_usd", 10000, 320, 0)
	eur := chargeObj("ch_eur", 5000, "eur", oct, true)
	eur["balance_transaction"] = bt("txn_eur", 5410, 187, 1.082)
	eur2 := chargeObj("ch_eur2", 2000, "eur", oct, true)
	eur2["balance_transaction"] = bt("txn_eur2", 2170, 93, 1.085)
	dispute := disputeObj("dp_eur2", "ch_eur2", 2000, "needs_response", oct, bt("txn_dp", -2170, 1500, 1.085))
	dispute["currency"] = "eur"
	facts := stripeFacts(t, tn.ID,
		stripeEv{"charge.succeeded", oct, usd},
		stripeEv{"charge.succeeded", oct, eur},
		stripeEv{"charge.succeeded", oct, eur2},
		stripeEv{"charge.dispute.funds_withdrawn", oct, dispute},
	)
	live := true
	cash := func(id string, at time.Time, v int64) messages.MetricEvent {
		return messages.MetricEvent{Header: messages.Header{EventID: id, TenantID: tn.ID, OccurredAt: at, Source: messages.SourceStripe},
			Metric: messages.MetricCashStripe, Kind: messages.KindGauge, Entity: "USD", Value: v, Currency: "USD"}
	}
	facts = append(facts,
		cash("c1", pdt(time.September, 30, 12), 100000),
		// 1,000.00 + 96.80 (USD net) + 36.30 (USD net settled from EUR charges) − 100.00 (payout)
		cash("c2", pdt(time.October, 31, 12), 103310),
		messages.MetricEvent{Header: messages.Header{EventID: "p1", TenantID: tn.ID, OccurredAt: pdt(time.October, 20, 12), Source: messages.SourceStripe},
			Metric: messages.MetricPayoutsPaid, Kind: messages.KindState, Entity: "po_1", ObjectID: "po_1", Version: 3, Value: 10000, Currency: "USD", Livemode: &live},
	)
	text := accountingText(t, facts, time.October)
	mustContain(t, text,
		"- Gross charges — Oct 2026: $100.00",
		"- Disputes: funds withdrawn — Oct 2026: $0.00",
		"- Processor fees — Oct 2026: −$3.20",
		"- Net revenue — Oct 2026: $96.80",
		"SETTLEMENT: CHARGES SETTLED IN ANOTHER CURRENCY",
		"- EUR charges settled in USD (2 charges in the period) — Gross (charge currency): €70.00 EUR; Settled (settlement currency): $75.80 USD; "+
			"Refunds (settlement currency): $0.00 USD; Disputes (settlement currency): −$21.70 USD; Stripe fees (settlement currency): −$17.80 USD; Net settled (settlement currency): $36.30 USD; "+
			"Exchange rate (Stripe's, informative): 1 EUR = 1.082 to 1.085 USD (2 rates)",
		"- Net settled in USD from charges in other currencies — Amount: $36.30",
		"- Expected closing (opening + net + net settled from other currencies − payouts) — Amount: $1,033.10",
		"- Unreconciled difference — Amount: $0.00",
		"Settled in USD: $75.80 from EUR charges (fees $17.80, at Stripe's exchange rate).",
		"The payouts reconciliation adds the USD net settled from EUR charges to the USD balance.")

	// Every charge in the tenant's currency: no settlement section.
	plain := stripeFacts(t, tn.ID, stripeEv{"charge.succeeded", oct, usd})
	if text := accountingText(t, plain, time.October); strings.Contains(text, "SETTLEMENT") {
		t.Fatalf("settlement section without foreign charges:\n%s", text)
	}
}

// Charges in the tenant's currency settled into another balance: their
// fees are in that currency, left out of net revenue and said so.
func TestTenantChargesSettledElsewhere(t *testing.T) {
	tn := testTenant()
	oct := pdt(time.October, 3, 12)
	usd := chargeObj("ch_usd", 10000, "usd", oct, true)
	usd["balance_transaction"] = map[string]any{"id": "txn_gbp", "object": "balance_transaction", "amount": 7900, "fee": 140, "net": 7760, "currency": "gbp", "exchange_rate": 0.79, "created": oct.Unix()}
	mustContain(t, accountingText(t, stripeFacts(t, tn.ID, stripeEv{"charge.succeeded", oct, usd}), time.October),
		"- Processor fees — Oct 2026: $0.00",
		"- USD charges settled in GBP (1 charge in the period) — Gross (charge currency): $100.00 USD; Settled (settlement currency): £79.00 GBP; "+
			"Refunds (settlement currency): £0.00 GBP; Disputes (settlement currency): £0.00 GBP; Stripe fees (settlement currency): −£1.40 GBP; Net settled (settlement currency): £77.60 GBP; "+
			"Exchange rate (Stripe's, informative): 1 USD = 0.79 GBP",
		"The fees of USD charges settled in GBP are in GBP: net revenue in USD leaves them out.")
	if text := accountingText(t, stripeFacts(t, tn.ID, stripeEv{"charge.succeeded", oct, usd}), time.October); strings.Contains(text, "The payouts reconciliation adds") {
		t.Errorf("GBP settlement said to go into the USD reconciliation:\n%s", text)
	}
}

// Exchange rates are listed by value, whatever order they came in.
func TestSortedRates(t *testing.T) {
	got := sortedRates(map[string]bool{"1.1": true, "0.95": true, "1.085": true, "1.0850": true})
	if want := []string{"0.95", "1.085", "1.0850", "1.1"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("sortedRates = %v, want %v", got, want)
	}
}

// A refund of a charge settled in another currency counts in the charge's
// currency. Its balance transaction read (the enrichment's, the
// backfill's), the settlement side takes what it took off the USD balance,
// and so does the payouts reconciliation; not read, the settlement side
// says its net leaves it out.
func TestSettlementRefunds(t *testing.T) {
	tn := testTenant()
	oct := pdt(time.October, 3, 12)
	eur := chargeObj("ch_eur", 5000, "eur", oct, true)
	eur["balance_transaction"] = map[string]any{"id": "txn_eur", "object": "balance_transaction", "amount": 5410, "fee": 187, "net": 5223, "currency": "usd", "exchange_rate": 1.082, "created": oct.Unix()}
	refundedAt := oct.Add(time.Hour)
	re := map[string]any{"id": "re_eur", "object": "refund", "amount": 1000, "currency": "eur", "charge": "ch_eur", "status": "succeeded", "created": refundedAt.Unix(), "balance_transaction": "txn_re"}
	note := "1 refund of EUR charges settled in USD: the refunds count in EUR with the other refunds; what they took off the USD balance is not read yet (it needs the Stripe API key), so the net settled leaves them out."
	facts := stripeFacts(t, tn.ID, stripeEv{"charge.succeeded", oct, eur})
	if text := accountingText(t, facts, time.October); strings.Contains(text, "not read yet") {
		t.Fatalf("refund note without a refund:\n%s", text)
	}
	unread := stripeFacts(t, tn.ID, stripeEv{"charge.succeeded", oct, eur}, stripeEv{"refund.created", refundedAt, re})
	mustContain(t, accountingText(t, unread, time.October),
		"- EUR charges settled in USD (1 charge in the period) — Gross (charge currency): €50.00 EUR; Settled (settlement currency): $54.10 USD; Refunds (settlement currency): $0.00 USD; ",
		"Net settled (settlement currency): $52.23 USD",
		note)

	re["balance_transaction"] = map[string]any{"id": "txn_re", "object": "balance_transaction", "amount": -1085, "fee": 0, "net": -1085, "currency": "usd", "exchange_rate": 1.085, "created": refundedAt.Unix()}
	read := stripeFacts(t, tn.ID, stripeEv{"charge.succeeded", oct, eur}, stripeEv{"refund.created", refundedAt, re})
	live := true
	read = append(read,
		messages.MetricEvent{Header: messages.Header{EventID: "c1", TenantID: tn.ID, OccurredAt: pdt(time.September, 30, 12), Source: messages.SourceStripe},
			Metric: messages.MetricCashStripe, Kind: messages.KindGauge, Entity: "USD", Value: 100000, Currency: "USD"},
		// 1,000.00 + 52.23 settled from the EUR charge − 10.85 its refund took off − 20.00 paid out
		messages.MetricEvent{Header: messages.Header{EventID: "c2", TenantID: tn.ID, OccurredAt: pdt(time.October, 31, 12), Source: messages.SourceStripe},
			Metric: messages.MetricCashStripe, Kind: messages.KindGauge, Entity: "USD", Value: 100000 + 5223 - 1085 - 2000, Currency: "USD"},
		messages.MetricEvent{Header: messages.Header{EventID: "p1", TenantID: tn.ID, OccurredAt: pdt(time.October, 20, 12), Source: messages.SourceStripe},
			Metric: messages.MetricPayoutsPaid, Kind: messages.KindState, Entity: "po_1", ObjectID: "po_1", Version: 3, Value: 2000, Currency: "USD", Livemode: &live})
	text := accountingText(t, read, time.October)
	mustContain(t, text,
		"Refunds (settlement currency): −$10.85 USD; Disputes (settlement currency): $0.00 USD; Stripe fees (settlement currency): −$1.87 USD; Net settled (settlement currency): $41.38 USD",
		"- Net settled in USD from charges in other currencies — Amount: $41.38",
		"- Unreconciled difference — Amount: $0.00")
	if strings.Contains(text, "not read yet") {
		t.Errorf("refund said unread although its balance transaction is known:\n%s", text)
	}

	// The ledger books the refund's conversion: EUR nets to nothing (sale,
	// conversion out, refund, conversion in); USD keeps what settled less
	// the fee and the refund.
	_, d, err := analyse(context.Background(), &memSource{facts: read}, tn, monthDue(tn, messages.RoleAccounting, 2026, time.October), fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	sum := map[string]int64{}
	for _, l := range d.LedgerLines() {
		sum[l.Currency] += l.Amount
	}
	if sum["EUR"] != 0 || sum["USD"] != 5410-187-1085 {
		t.Errorf("ledger sums %v; want EUR 0, USD %d", sum, 5410-187-1085)
	}
}

// The ledger CSV books Stripe's conversions: per currency, the lines add
// up to what moved in that currency's balance (EUR: nothing kept; USD:
// settled amounts, less the dispute's funds and every fee).
func TestLedgerBooksConversions(t *testing.T) {
	tn := testTenant()
	oct := pdt(time.October, 3, 12)
	bt := func(id string, amount, fee int64) map[string]any {
		return map[string]any{"id": id, "object": "balance_transaction", "amount": amount, "fee": fee, "net": amount - fee, "currency": "usd", "exchange_rate": 1.085, "created": oct.Unix()}
	}
	eur := chargeObj("ch_eur", 2000, "eur", oct, true)
	eur["balance_transaction"] = bt("txn_eur", 2170, 93)
	dispute := disputeObj("dp_eur", "ch_eur", 2000, "needs_response", oct, bt("txn_dp", -2170, 1500))
	dispute["currency"] = "eur"
	facts := stripeFacts(t, tn.ID, stripeEv{"charge.succeeded", oct, eur}, stripeEv{"charge.dispute.funds_withdrawn", oct, dispute})
	_, d, err := analyse(context.Background(), &memSource{facts: facts}, tn, monthDue(tn, messages.RoleAccounting, 2026, time.October), fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	sum := map[string]int64{}
	conv := 0
	for _, l := range d.LedgerLines() {
		sum[l.Currency] += l.Amount
		if l.Account == accountConversion {
			conv++
			if !strings.Contains(l.Description, "EUR to USD at 1.085") {
				t.Errorf("conversion line %+v does not name the currencies and rate", l)
			}
		}
	}
	// EUR: +20.00 sale −20.00 converted, −20.00 dispute +20.00 converted back.
	// USD: +21.70 settled −0.93 fee −21.70 dispute funds −15.00 dispute fee.
	if sum["EUR"] != 0 || sum["USD"] != 2170-93-2170-1500 || conv != 4 {
		t.Errorf("ledger sums %v with %d conversion lines; want EUR 0, USD %d, 4 lines", sum, conv, 2170-93-2170-1500)
	}
}

// Only a fact in a currency other than its charge's is a settlement; a
// fact without a currency is nobody's.
func TestForeign(t *testing.T) {
	for _, c := range []struct {
		cur, charge string
		want        bool
	}{{"USD", "EUR", true}, {"USD", "USD", false}, {"USD", "", false}, {"", "EUR", false}, {"", "", false}} {
		f := messages.MetricEvent{Currency: c.cur, Dimensions: map[string]string{"charge_currency": c.charge}}
		if got := foreign(f); got != c.want {
			t.Errorf("foreign(%s, charge %s) = %v, want %v", c.cur, c.charge, got, c.want)
		}
	}
}
