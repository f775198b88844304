package report

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/stripemap"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// stripeFacts translates Stripe events (type, created, data.object) the
// way the stripe-collector does, into the tenant's facts.
func stripeFacts(t *testing.T, tenantID string, evs ...stripeEv) []messages.MetricEvent {
	t.Helper()
	return stripeFactsAt(t, tenantID, stripe.APIVersion, evs...)
}

// stripeFactsAt is stripeFacts for an endpoint on another API version.
func stripeFactsAt(t *testing.T, tenantID, version string, evs ...stripeEv) []messages.MetricEvent {
	t.Helper()
	var out []messages.MetricEvent
	for i, e := range evs {
		raw, err := json.Marshal(e.obj)
		if err != nil {
			t.Fatal(err)
		}
		ev := stripe.Event{ID: "evt_" + itoa(i), Type: stripe.EventType(e.typ), Created: e.at.Unix(), APIVersion: version, Data: &stripe.EventData{Raw: raw}}
		fs, err := stripemap.Translate(tenantID, ev)
		if err != nil {
			t.Fatalf("translate %s: %v", e.typ, err)
		}
		out = append(out, fs...)
	}
	return out
}

type stripeEv struct {
	typ string
	at  time.Time
	obj map[string]any
}

// pdt is a time in the test tenant's zone (America/Los_Angeles).
func pdt(month time.Month, day, hour int) time.Time {
	loc, _ := time.LoadLocation("America/Los_Angeles")
	return time.Date(2026, month, day, hour, 0, 0, 0, loc)
}

func chargeObj(id string, amount int64, cur string, created time.Time, captured bool) map[string]any {
	o := map[string]any{"id": id, "object": "charge", "amount": amount, "currency": cur, "created": created.Unix(), "captured": captured, "status": "succeeded", "livemode": true}
	if captured {
		o["amount_captured"] = amount
	}
	return o
}

func disputeObj(id, charge string, amount int64, status string, created time.Time, bts ...map[string]any) map[string]any {
	list := []any{}
	for _, b := range bts {
		list = append(list, b)
	}
	return map[string]any{"id": id, "object": "dispute", "amount": amount, "currency": "usd", "charge": charge, "status": status,
		"created": created.Unix(), "livemode": true, "balance_transactions": list}
}

func btObj(id string, amount, fee int64, created time.Time) map[string]any {
	return map[string]any{"id": id, "object": "balance_transaction", "amount": amount, "fee": fee, "net": amount - fee, "currency": "usd",
		"created": created.Unix(), "type": "adjustment", "reporting_category": "dispute"}
}

func accountingText(t *testing.T, facts []messages.MetricEvent, month time.Month) string {
	t.Helper()
	tn := testTenant()
	r, err := Build(context.Background(), &memSource{facts: facts}, tn, monthDue(tn, messages.RoleAccounting, 2026, month), fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	return r.Text
}

func mustContain(t *testing.T, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("missing %q in:\n%s", w, text)
		}
	}
}

// Issue 14, problem 2: a $100 dispute (funds withdrawn, $15 fee) and a $50
// inquiry are $100 of disputes, not $150; the dispute won in November
// gives the $100 back there, shown as a reinstatement, never "−-$100.00".
func TestDisputesAreMoneyMovedNotInquiries(t *testing.T) {
	tn := testTenant()
	opened, won := pdt(time.October, 10, 12), pdt(time.November, 1, 12)
	facts := stripeFacts(t, tn.ID,
		stripeEv{"charge.succeeded", pdt(time.October, 1, 12), chargeObj("ch_a", 10000, "usd", pdt(time.October, 1, 12), true)},
		stripeEv{"charge.succeeded", pdt(time.October, 2, 12), chargeObj("ch_b", 5000, "usd", pdt(time.October, 2, 12), true)},
		stripeEv{"charge.dispute.created", opened, disputeObj("dp_a", "ch_a", 10000, "needs_response", opened, btObj("txn_dpa1", -10000, 1500, opened))},
		stripeEv{"charge.dispute.funds_withdrawn", opened, disputeObj("dp_a", "ch_a", 10000, "needs_response", opened, btObj("txn_dpa1", -10000, 1500, opened))},
		stripeEv{"charge.dispute.created", opened, disputeObj("dp_b", "ch_b", 5000, "warning_needs_response", opened)},
		stripeEv{"charge.dispute.updated", opened.Add(time.Hour), disputeObj("dp_b", "ch_b", 5000, "warning_under_review", opened)},
		stripeEv{"charge.dispute.funds_reinstated", won, disputeObj("dp_a", "ch_a", 10000, "won", opened, btObj("txn_dpa1", -10000, 1500, opened), btObj("txn_dpa2", 10000, 0, won))},
		stripeEv{"charge.dispute.closed", won, disputeObj("dp_a", "ch_a", 10000, "won", opened, btObj("txn_dpa1", -10000, 1500, opened), btObj("txn_dpa2", 10000, 0, won))},
	)
	oct := accountingText(t, facts, time.October)
	mustContain(t, oct,
		"- Gross charges — Oct 2026: $150.00",
		"- Disputes: funds withdrawn — Oct 2026: −$100.00",
		"- Disputes: funds reinstated — Oct 2026: $0.00",
		"- Net revenue (before Stripe fees) — Oct 2026: $35.00", // 150 − 100 − 15 dispute fee
		"Disputes and inquiries open at 1 Nov 2026: $150.00 at stake (not money moved; 1 inquiry). Closed in the period: 0 won, 0 lost.")
	nov := accountingText(t, append(facts, stripeFacts(t, tn.ID)...), time.November)
	mustContain(t, nov,
		"- Disputes: funds withdrawn — Nov 2026: $0.00; Oct 2026: −$100.00",
		"- Disputes: funds reinstated — Nov 2026: +$100.00; Oct 2026: $0.00",
		"Closed in the period: 1 won, 0 lost.")
	if strings.Contains(nov, "−-") || strings.Contains(oct, "−-") {
		t.Errorf("double sign rendered:\n%s\n%s", oct, nov)
	}
}

// Issue 14, problem 3: a charge authorised on 29 Sep and captured on 2 Oct
// is October's revenue, whatever event arrives first: September's figure
// does not change after its report was sent.
func TestRevenueCountsAtCapture(t *testing.T) {
	tn := testTenant()
	authorised, capturedAt, refundedAt := pdt(time.September, 29, 10), pdt(time.October, 2, 9), pdt(time.October, 5, 9)
	auth := chargeObj("ch_late", 12000, "usd", authorised, false)
	capt := chargeObj("ch_late", 12000, "usd", authorised, true)
	refunded := chargeObj("ch_late", 12000, "usd", authorised, true)
	refunded["amount_refunded"] = 2000
	facts := stripeFacts(t, tn.ID,
		stripeEv{"charge.refunded", refundedAt, refunded}, // delivered first
		stripeEv{"charge.succeeded", authorised, auth},
		stripeEv{"charge.captured", capturedAt, capt},
		stripeEv{"charge.succeeded", pdt(time.September, 20, 10), chargeObj("ch_sep", 3000, "usd", pdt(time.September, 20, 10), true)},
	)
	mustContain(t, accountingText(t, facts, time.October),
		"- Gross charges — Oct 2026: $120.00; Sep 2026: $30.00",
		"1 charge in the period.")
	mustContain(t, accountingText(t, facts, time.September), "- Gross charges — Sep 2026: $30.00")
}

func refundObj(id, charge string, amount int64, status string, created time.Time) map[string]any {
	return map[string]any{"id": id, "object": "refund", "amount": amount, "currency": "usd", "charge": charge, "status": status, "created": created.Unix()}
}

func payoutObj(id string, amount int64, status string, arrival time.Time) map[string]any {
	return map[string]any{"id": id, "object": "payout", "amount": amount, "currency": "usd", "status": status, "arrival_date": arrival.Unix(), "created": arrival.Add(-48 * time.Hour).Unix()}
}

// Issue 14, problem 4: each refund counts once, from whichever events
// describe it (charge.refunded, charge.refund.updated, refund.*), in any
// order and duplication; failed and cancelled refunds do not count; an
// endpoint subscribed only to refund.* events records refunds; a payout
// paid and then failed counts once, as failed.
func TestRefundsAndPayoutsCountOnceByLatestState(t *testing.T) {
	tn := testTenant()
	d := func(day int) time.Time { return pdt(time.October, day, 12) }
	ch := chargeObj("ch_r", 10000, "usd", d(1), true)
	refundedOnce := chargeObj("ch_r", 10000, "usd", d(1), true)
	refundedOnce["amount_refunded"] = 2000
	refundedTwice := chargeObj("ch_r", 10000, "usd", d(1), true)
	refundedTwice["amount_refunded"] = 5000
	refundedTwice["refunds"] = map[string]any{"object": "list", "data": []any{
		refundObj("re_1", "ch_r", 2000, "succeeded", d(20)), refundObj("re_2", "ch_r", 3000, "pending", d(22))}}
	evs := []stripeEv{
		{"charge.succeeded", d(1), ch},
		// re_1: $20 on 20 Oct, seen through every event type.
		{"refund.created", d(20), refundObj("re_1", "ch_r", 2000, "pending", d(20))},
		{"charge.refunded", d(20), refundedOnce},
		{"charge.refund.updated", d(21), refundObj("re_1", "ch_r", 2000, "succeeded", d(20))},
		{"refund.updated", d(21), refundObj("re_1", "ch_r", 2000, "succeeded", d(20))},
		// re_2: $30 on 22 Oct, failed on 24 Oct.
		{"charge.refunded", d(22), refundedTwice},
		{"refund.created", d(22), refundObj("re_2", "ch_r", 3000, "pending", d(22))},
		{"refund.failed", d(24), refundObj("re_2", "ch_r", 3000, "failed", d(22))},
		// re_3: $10 on 25 Oct, known only from refund.created.
		{"refund.created", d(25), refundObj("re_3", "ch_r", 1000, "pending", d(25))},
		// re_4: $5 on 28 Oct, cancelled the next day.
		{"refund.created", d(28), refundObj("re_4", "ch_r", 500, "requires_action", d(28))},
		{"refund.updated", d(29), refundObj("re_4", "ch_r", 500, "canceled", d(28))},
		// A $50 payout that arrived on 15 Oct, then failed.
		{"payout.paid", d(15), payoutObj("po_1", 5000, "paid", d(15))},
		{"payout.failed", d(17), payoutObj("po_1", 5000, "failed", d(15))},
		{"balance.available", d(2), map[string]any{"object": "balance", "available": []any{map[string]any{"amount": 0, "currency": "usd"}}}},
	}
	rng := rand.New(rand.NewPCG(14, 4))
	for round := range 20 {
		order := append([]stripeEv(nil), evs...)
		for range 5 {
			order = append(order, evs[rng.IntN(len(evs))])
		}
		if round > 0 {
			rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		text := accountingText(t, stripeFacts(t, tn.ID, order...), time.October)
		mustContain(t, text,
			"- Refunds — Oct 2026: −$30.00",
			"- Payouts paid to the bank — Amount: $0.00",
			"- Payouts failed — Amount: $50.00")
		if t.Failed() {
			t.Fatalf("round %d", round)
		}
	}
}

func ceoText(t *testing.T, tn tenants.Tenant, facts []messages.MetricEvent) string {
	t.Helper()
	r, err := Build(context.Background(), &memSource{facts: facts}, tn, monthDue(tn, messages.RoleCEO, 2026, time.October), fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	return r.Text
}

// Issue 14, problem 5: every amount and count per currency. A €50 plan
// whose currency is only on the plan (older API shapes) is not $50 of MRR;
// "1 charge" sits beside a USD total that leaves the EUR charge out; ISK
// (two decimals in Stripe's API, none in ISO 4217) is not shown 100× too
// large; zero-decimal JPY is shown as is.
func TestCurrenciesAreNeverMixed(t *testing.T) {
	tn := testTenant()
	oct := pdt(time.October, 3, 12)
	plan := map[string]any{"id": "plan_eur", "object": "plan", "amount": 5000, "currency": "eur", "interval": "month", "interval_count": 1, "active": true}
	sub := map[string]any{"id": "sub_eur", "object": "subscription", "status": "active", "created": oct.Unix(),
		"items": map[string]any{"object": "list", "data": []any{map[string]any{"id": "si_1", "object": "subscription_item", "quantity": 1, "plan": plan}}}}
	facts := stripeFacts(t, tn.ID,
		stripeEv{"charge.succeeded", oct, chargeObj("ch_usd", 10000, "usd", oct, true)},
		stripeEv{"charge.succeeded", oct, chargeObj("ch_eur", 5000, "eur", oct, true)},
		stripeEv{"customer.subscription.created", oct, sub},
	)
	for _, f := range facts {
		if f.Metric == messages.MetricMRR && (f.Currency != "EUR" || f.Value != 5000) {
			t.Errorf("MRR fact = %d %q, want 5000 EUR (the plan's currency)", f.Value, f.Currency)
		}
	}
	mustContain(t, accountingText(t, facts, time.October),
		"- Gross charges — Oct 2026: $100.00",
		"1 charge in the period.",
		"Revenue: amounts in EUR are not included (no conversion).")
	ceo := ceoText(t, tn, facts)
	mustContain(t, ceo, "- MRR (at 1 Nov 2026): $0.00", "MRR: amounts in EUR are not included (no conversion).")

	// A Stripe money fact without any currency is not the tenant's.
	bare := facts[len(facts)-1]
	bare.EventID, bare.Currency, bare.Entity = "bare", "", "sub_bare"
	mustContain(t, ceoText(t, tn, append(facts, bare)), "- MRR (at 1 Nov 2026): $0.00")

	isk := tn
	isk.Currency = "ISK"
	iskFacts := stripeFacts(t, tn.ID, stripeEv{"charge.succeeded", oct, chargeObj("ch_isk", 1250000, "isk", oct, true)}) // 12,500 kr
	mustContain(t, ceoText(t, isk, iskFacts), "Revenue (gross) (Oct 2026): ISK\u00a012,500")
	jpy := tn
	jpy.Currency = "JPY"
	jpyFacts := stripeFacts(t, tn.ID, stripeEv{"charge.succeeded", oct, chargeObj("ch_jpy", 12500, "jpy", oct, true)})
	mustContain(t, ceoText(t, jpy, jpyFacts), "Revenue (gross) (Oct 2026): ¥12,500")
	huf := tn
	huf.Currency = "HUF"
	hufFacts := stripeFacts(t, tn.ID, stripeEv{"charge.succeeded", oct, chargeObj("ch_huf", 1250000, "huf", oct, true)})
	mustContain(t, ceoText(t, huf, hufFacts), "Revenue (gross) (Oct 2026): HUF\u00a012,500.00")
}

// Issue 14, problem 1: without Stripe's fees (no API key: webhooks carry
// only the balance transaction's id) net revenue is labelled "before
// Stripe fees" on every surface, never a formula that claims fees were
// taken off; a dispute fee alone does not make the charges' fees known.
func TestNetRevenueWithoutFeesIsLabelledBeforeFees(t *testing.T) {
	tn := testTenant()
	oct := pdt(time.October, 3, 12)
	facts := stripeFacts(t, tn.ID,
		stripeEv{"charge.succeeded", oct, chargeObj("ch_1", 10000, "usd", oct, true)},
		stripeEv{"charge.dispute.funds_withdrawn", oct, disputeObj("dp_1", "ch_1", 2000, "needs_response", oct, btObj("txn_d", -2000, 1500, oct))},
	)
	for _, role := range []string{messages.RoleCEO, messages.RoleCFO, messages.RoleAccounting} {
		r, err := Build(context.Background(), &memSource{facts: facts}, tn, monthDue(tn, role, 2026, time.October), fixtureNow)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(r.Text, "− fees") || !strings.Contains(r.Text, "before Stripe fees") {
			t.Errorf("%s: net revenue not labelled before fees:\n%s", role, r.Text)
		}
		if strings.Contains(r.HTML, "− fees") {
			t.Errorf("%s: HTML claims fees were deducted", role)
		}
	}
	mustContain(t, ceoText(t, tn, facts), "- Net revenue (before Stripe fees) (Oct 2026): $65.00") // 100 − 20 − 15 dispute fee
	mustContain(t, accountingText(t, facts, time.October),
		"- Processor fees — Oct 2026: −$15.00 (dispute fees only); Sep 2026: $0.00 (dispute fees only)",
		"- Net revenue (before Stripe fees) — Oct 2026: $65.00")
}

// Issue 14, problem 7: when Cost Explorer covers a month, an imported AWS
// expense row is listed but not added again: a $12,000 bill is $12,000,
// not $14,000, and the report says which source it counted.
func TestAWSCostCountedOnce(t *testing.T) {
	tn := testTenant()
	at := pdt(time.October, 31, 12)
	h := func(id string, src string) messages.Header {
		return messages.Header{EventID: id, TenantID: tn.ID, OccurredAt: at, Source: src}
	}
	ce := func(id, svc string, v int64) messages.MetricEvent {
		return messages.MetricEvent{Header: h(id, messages.SourceAWS), Metric: messages.MetricAWSCostMonthToDate, Kind: messages.KindGauge,
			Entity: svc + "@2026-10", Value: v, Currency: "USD", Dimensions: map[string]string{"service": svc, "month": "2026-10"}}
	}
	row := func(id, cat, vendor string, v int64, day int) messages.MetricEvent {
		e := messages.MetricEvent{Header: h(id, messages.SourceImport), Metric: metricExpenses, Kind: messages.KindState, Version: 1,
			Entity: "expense/" + id, Value: v, Currency: "USD", Dimensions: map[string]string{messages.DimCategory: cat, messages.DimVendor: vendor}}
		e.OccurredAt = pdt(time.October, day, 12)
		return e
	}
	facts := []messages.MetricEvent{
		ce("ce1", "Amazon EC2", 900000), ce("ce2", "Amazon S3", 300000), // $12,000 month to date
		row("aws-invoice", "hosting", "Amazon Web Services", 200000, 3), // $2,000 imported AWS row
		row("aws-cat", "aws", "", 50000, 4),                             // $500 more, by category
		row("rent", "rent", "Landlord", 300000, 1),
		row("hetzner", "hosting", "Hetzner", 10000, 5), // hosting, not AWS: counted
	}
	r, err := Build(context.Background(), &memSource{facts: facts}, tn, monthDue(tn, messages.RoleCFO, 2026, time.October), fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, r.Text,
		"- AWS cost — Oct 2026: $12,000.00",
		"- Other expenses (imported) — Oct 2026: $3,100.00",
		"- Total costs — Oct 2026: $15,100.00",
		"AWS cost is counted from Cost Explorer; 2 imported AWS expense rows ($2,500.00) are listed, not added again.")
	mustContain(t, accountingText(t, facts, time.October),
		"- aws — Account: 6100 Hosting & cloud; Amount: $500.00 (not added: Cost Explorer counted); Previous: $0.00",
		"AWS cost is counted from Cost Explorer; 2 imported AWS expense rows ($2,500.00) are listed, not added again.")

	// Without Cost Explorer for the month, the imported rows are the AWS cost.
	r, err = Build(context.Background(), &memSource{facts: facts[2:]}, tn, monthDue(tn, messages.RoleCFO, 2026, time.October), fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, r.Text, "- Other expenses (imported) — Oct 2026: $5,600.00")
}

// Bad input: charges whose balance transaction Stripe did not return keep
// their figure and are counted as "fee unknown"; a charge settled in
// another currency shows the settlement amount beside the charge's.
func TestFeeUnknownAndSettlementCurrency(t *testing.T) {
	tn := testTenant()
	oct := pdt(time.October, 3, 12)
	eur := chargeObj("ch_eur", 5000, "eur", oct, true)
	eur["balance_transaction"] = map[string]any{"id": "txn_eur", "object": "balance_transaction", "amount": 5410, "fee": 187, "net": 5223, "currency": "usd", "exchange_rate": 1.082, "created": oct.Unix()}
	usd := chargeObj("ch_usd", 10000, "usd", oct, true)
	usd["balance_transaction"] = map[string]any{"id": "txn_usd", "object": "balance_transaction", "amount": 10000, "fee": 320, "net": 9680, "currency": "usd", "created": oct.Unix()}
	facts := stripeFacts(t, tn.ID,
		stripeEv{"charge.succeeded", oct, usd},
		stripeEv{"charge.succeeded", oct, eur},
		stripeEv{"charge.succeeded", oct, chargeObj("ch_nofee", 2000, "usd", oct, true)},
	)
	facts = append(facts, stripemap.FeeUnknown(tn.ID, "ch_nofee", "USD", oct, true))
	mustContain(t, accountingText(t, facts, time.October),
		"- Gross charges — Oct 2026: $120.00",
		"- Processor fees — Oct 2026: −$3.20", // the USD charge's; the EUR charge's fee goes with its settlement
		"- Net revenue — Oct 2026: $116.80",
		"1 charge with fee unknown (Stripe did not return its balance transaction): net revenue leaves its fee out.",
		"Settled in USD: $54.10 from EUR charges (fees $1.87, at Stripe's exchange rate).",
		"Revenue: amounts in EUR are not included (no conversion).")
}

// Payout reconciliation: each payout against its balance transactions.
func TestPayoutsReconciledOneByOne(t *testing.T) {
	tn := testTenant()
	oct := pdt(time.October, 15, 12)
	live := true
	st := func(id, metric, entity string, v int64, dims map[string]string) messages.MetricEvent {
		return messages.MetricEvent{Header: messages.Header{EventID: id, TenantID: tn.ID, OccurredAt: oct, Source: messages.SourceStripe},
			Metric: metric, Kind: messages.KindState, Entity: entity, ObjectID: entity, Version: 3, Value: v, Currency: "USD", Livemode: &live, Dimensions: dims}
	}
	facts := append(stripeFacts(t, tn.ID, stripeEv{"charge.succeeded", oct, chargeObj("ch_1", 10000, "usd", oct, true)}),
		st("p1", messages.MetricPayoutsPaid, "po_a", 9680, nil),
		st("p2", messages.MetricPayoutsPaid, "po_b", 5000, nil),
		st("r1", messages.MetricPayoutsUnreconciled, "po_a", 0, map[string]string{"transactions": "1"}),
		st("r2", messages.MetricPayoutsUnreconciled, "po_b", 2000, map[string]string{"transactions": "2"}),
	)
	mustContain(t, accountingText(t, facts, time.October),
		"- Payouts paid to the bank — Amount: $146.80",
		"- Payout po_a (15 Oct 2026) — Amount: reconciled with 1 balance transaction",
		"- Payout po_b (15 Oct 2026) — Amount: +$20.00 not explained by its 2 balance transactions")
}
