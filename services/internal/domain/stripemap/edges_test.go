package stripemap

import (
	"errors"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// A credit note line takes back its amount net of its discount and of the
// tax included in it (exclusive tax was never in the amount), over the
// credited line's service period when that period is not empty; the
// credit note's tax (here its lines': $5 included, $3 on top) comes off
// the tax collected; voided (credit_note.voided), it takes back nothing
// and is final.
func TestCreditNoteEvents(t *testing.T) {
	const created, start, end = 1760000000, 1759300000, 1790836000
	cn := map[string]any{"id": "cn_1", "object": "credit_note", "currency": "usd", "created": created, "status": "issued",
		"invoice": map[string]any{"id": "in_1", "object": "invoice", "lines": map[string]any{"object": "list", "data": []any{
			map[string]any{"id": "il_year", "object": "line_item", "period": map[string]any{"start": start, "end": end}},
			map[string]any{"id": "il_fee", "object": "line_item", "period": map[string]any{"start": start, "end": start}},
		}}},
		"lines": map[string]any{"object": "list", "data": []any{
			map[string]any{"id": "cnli_1", "object": "credit_note_line_item", "amount": 10000, "discount_amount": 1000, "invoice_line_item": "il_year",
				"tax_amounts": []any{map[string]any{"amount": 500, "inclusive": true}, map[string]any{"amount": 300, "inclusive": false}}},
			map[string]any{"id": "cnli_2", "object": "credit_note_line_item", "amount": 2000, "invoice_line_item": "il_fee"},
		}}}
	out, err := Translate(tenant, event(t, "credit_note.created", created+5, cn))
	if err != nil || len(out) != 3 {
		t.Fatalf("credit_note.created = %+v, %v", out, err)
	}
	year, fee, tax := out[0], out[1], out[2]
	if tax.Metric != messages.MetricRevenueTax || tax.Kind != messages.KindState || tax.Value != -800 || tax.Entity != "cn_1" || tax.ObjectID != "in_1" || tax.Currency != "USD" {
		t.Errorf("credit note's tax = %+v; want a state of -800 for cn_1", tax)
	}
	if year.Value != -(10000-1000-500) || year.Currency != "USD" || year.ObjectID != "in_1" || year.Entity != "cnli_1" || year.Version != created ||
		year.Dimensions["period_start"] != "1759300000" || year.Dimensions["period_end"] != "1790836000" {
		t.Errorf("credited annual line = %+v; want -8500 over its year", year)
	}
	if _, period := fee.Dimensions["period_start"]; fee.Value != -2000 || period || fee.Dimensions["invoice_line"] != "il_fee" {
		t.Errorf("credited one-off line = %+v; want -2000, earned at once", fee)
	}
	// Voided (no voided_at in the object: when the event says): the
	// credit as issued, then both lines and the tax 0, final, from then.
	void, err := Translate(tenant, event(t, "credit_note.voided", created+9, cn))
	if err != nil || len(void) != 6 || void[0].EventID != year.EventID || void[2].EventID != tax.EventID ||
		void[3].Value != 0 || void[3].Version != created+terminal || !void[3].OccurredAt.Equal(unix(created+9)) ||
		void[4].Value != 0 || void[5].Value != 0 || void[5].Version != created+terminal || !void[5].OccurredAt.Equal(unix(created+9)) {
		t.Errorf("credit_note.voided = %+v, %v; want the issued facts, then both lines and the tax 0, final, at the void", void, err)
	}
}

// An invoice line bills its amount net of included tax only; a line
// without a currency is in the invoice's; an empty period is no period.
func TestInvoiceLineEdges(t *testing.T) {
	inv := &stripe.Invoice{ID: "in_e", Currency: "eur", Created: 1760000000, Lines: &stripe.InvoiceLineItemList{Data: []*stripe.InvoiceLineItem{
		{ID: "il_1", Amount: 10000, Period: &stripe.Period{Start: 1760000000, End: 1760000000},
			TaxAmounts: []*stripe.InvoiceTotalTaxAmount{{Amount: 500, Inclusive: true}, {Amount: 300, Inclusive: false}}},
	}}}
	out := InvoiceLines(tenant, inv)
	if len(out) != 1 || out[0].Value != 9500 || out[0].Currency != "EUR" || out[0].Dimensions != nil {
		t.Errorf("line = %+v; want 9500 EUR, no period", out)
	}
}

// A payout without an arrival date counts at its creation; a checkout
// session says its mode when Stripe does.
func TestPayoutAndCheckoutDates(t *testing.T) {
	po := Payout(tenant, &stripe.Payout{ID: "po_n", Amount: 700, Currency: "usd", Status: stripe.PayoutStatusPaid, Created: 1760000000})
	if len(po) != 1 || po[0].OccurredAt.Unix() != 1760000000 {
		t.Errorf("payout without arrival = %+v", po)
	}
	po = Payout(tenant, &stripe.Payout{ID: "po_a", Amount: 700, Currency: "usd", Status: stripe.PayoutStatusPaid, Created: 1760000000, ArrivalDate: 1760200000})
	if len(po) != 1 || po[0].OccurredAt.Unix() != 1760200000 {
		t.Errorf("payout with arrival = %+v", po)
	}
	cs := CheckoutSession(tenant, &stripe.CheckoutSession{ID: "cs_1", Status: stripe.CheckoutSessionStatusComplete, Created: 1760000000, Mode: stripe.CheckoutSessionModeSubscription})
	if len(cs) != 1 || cs[0].Dimensions["mode"] != "subscription" {
		t.Errorf("checkout with mode = %+v", cs)
	}
	cs = CheckoutSession(tenant, &stripe.CheckoutSession{ID: "cs_2", Status: stripe.CheckoutSessionStatusComplete, Created: 1760000000})
	if len(cs) != 1 || cs[0].Dimensions != nil {
		t.Errorf("checkout without mode = %+v", cs)
	}
}

// A metered item's MRR (from its invoices) ends when the subscription
// stops billing: canceled, incomplete_expired, unpaid or paused. Active,
// it keeps the last invoice's figure (no fact from the subscription).
func TestMeteredItemEndsWithTheSubscription(t *testing.T) {
	at := time.Unix(1760000000, 0)
	for status, ends := range map[stripe.SubscriptionStatus]bool{
		stripe.SubscriptionStatusCanceled: true, stripe.SubscriptionStatusIncompleteExpired: true,
		stripe.SubscriptionStatusUnpaid: true, stripe.SubscriptionStatusPaused: true,
		stripe.SubscriptionStatusActive: false, stripe.SubscriptionStatusPastDue: false,
	} {
		m := item(500, 1, stripe.PriceRecurringIntervalMonth, 1)
		m.ID, m.Price.Recurring.UsageType = "si_m", stripe.PriceRecurringUsageTypeMetered
		out, err := Subscription(tenant, sub(status, m), at)
		if err != nil {
			t.Fatal(err)
		}
		var itemFacts []messages.MetricEvent
		for _, e := range out {
			if e.Entity == "sub_1/si_m" {
				itemFacts = append(itemFacts, e)
			}
		}
		if ends && (len(itemFacts) != 1 || itemFacts[0].Value != 0) {
			t.Errorf("%s: metered item facts %+v; want one 0", status, itemFacts)
		}
		if !ends && len(itemFacts) != 0 {
			t.Errorf("%s: metered item facts %+v; want none", status, itemFacts)
		}
	}
}

// An item discount known only by its id cannot be applied: MRR unknown.
// An inclusive tax rate with two decimals (8.25 %) is taken out exactly.
func TestMRRItemDiscountAndTaxPrecision(t *testing.T) {
	at := time.Unix(1760000000, 0)
	it := item(10000, 1, "month", 1)
	it.ID, it.Discounts = "si_d", []*stripe.Discount{{ID: "di_only_id"}}
	if _, err := MRR(sub(stripe.SubscriptionStatusActive, it), at); !errors.Is(err, ErrMRRUnknown) {
		t.Errorf("unexpanded item discount: %v; want ErrMRRUnknown", err)
	}
	out, err := Subscription(tenant, sub(stripe.SubscriptionStatusActive, it), at)
	if err != nil || len(out) != 1 || out[0].Value != 0 || out[0].Dimensions[DimensionMRRUnknown] == "" {
		t.Errorf("unexpanded item discount facts = %+v, %v", out, err)
	}
	taxed := item(10000, 1, "month", 1)
	taxed.TaxRates = []*stripe.TaxRate{{ID: "txr", Percentage: 8.25, Inclusive: true}}
	// 10000 / 1.0825 = 9237.76
	if got, err := MRR(sub(stripe.SubscriptionStatusActive, taxed), at); err != nil || got != 9238 {
		t.Errorf("MRR with 8.25%% inclusive = %d, %v; want 9238", got, err)
	}
}

// Refunds listed on a charge without their charge or currency belong to
// the charge and are in its currency; a refund without a charge has no
// charge dimension.
func TestListedRefundsInheritTheirCharge(t *testing.T) {
	ch := chargeAt("ch_l", 10000, 1759300000, true)
	ch["currency"], ch["amount_refunded"] = "eur", 2500
	ch["refunds"] = map[string]any{"object": "list", "data": []any{
		map[string]any{"id": "re_l", "object": "refund", "amount": 2500, "status": "succeeded", "created": 1759400000},
	}}
	out, err := Translate(tenant, event(t, "charge.refunded", 1759400001, ch))
	if err != nil {
		t.Fatal(err)
	}
	refunds := only(out, messages.MetricRevenueRefunded)
	if len(refunds) != 1 || refunds[0].Value != 2500 || refunds[0].Currency != "EUR" || refunds[0].ObjectID != "ch_l" || refunds[0].Dimensions["charge"] != "ch_l" {
		t.Errorf("listed refund = %+v; want 2500 EUR of ch_l", refunds)
	}
	lone := Refund(tenant, &stripe.Refund{ID: "re_x", Amount: 100, Currency: "usd", Status: stripe.RefundStatusSucceeded, Created: 1759400000}, time.Unix(1759400000, 0))
	if len(lone) != 1 || lone[0].Dimensions != nil || lone[0].ObjectID != "" {
		t.Errorf("refund without a charge = %+v", lone)
	}
}

// A failed refund comes back when its failure balance transaction says
// (expanded), else when the event says. With the failure dated, it was
// out from its creation until then (the backfill sees only the failed
// object, the webhooks saw refund.created first).
func TestFailedRefundDate(t *testing.T) {
	const created, failedAt, eventAt = 1760000000, 1760100000, 1760200000
	re := refund("re_f", 3000, "failed", created)
	re["failure_balance_transaction"] = map[string]any{"id": "txn_f", "object": "balance_transaction", "created": failedAt}
	all, err := Translate(tenant, event(t, "refund.failed", eventAt, re))
	out := only(all, messages.MetricRevenueRefunded)
	if err != nil || len(out) != 2 || out[0].Value != 0 || out[0].OccurredAt.Unix() != failedAt {
		t.Errorf("failed refund with its balance transaction = %+v, %v; want 0 at %d", out, err, failedAt)
	}
	if len(out) == 2 {
		if was := out[1]; was.Value != 3000 || was.OccurredAt.Unix() != created || was.Entity != "re_f" || was.Version >= out[0].Version {
			t.Errorf("failed refund, before it failed = %+v; want 3000 from %d, superseded by the failure", was, created)
		}
		if got := readmodel.TotalAt(out, time.Unix(failedAt, 0)); got != 3000 {
			t.Errorf("refunded just before the failure: %d; want 3000", got)
		}
	}
	re["failure_balance_transaction"] = "txn_f"
	out, err = Translate(tenant, event(t, "refund.failed", eventAt, re))
	if err != nil || len(out) != 1 || out[0].Value != 0 || out[0].OccurredAt.Unix() != eventAt {
		t.Errorf("failed refund, balance transaction not expanded = %+v, %v; want 0 at %d", out, err, eventAt)
	}
}

// The money a dispute moved is its balance transaction's when that is in
// the dispute's currency (a partial withdrawal), else the dispute's amount
// (the balance transaction is in the settlement currency).
func TestDisputeFundsAmount(t *testing.T) {
	partial := dispute("dp_p", 10000, "lost", bt("txn_p", -9000, 1500, 1759000100))
	eur := dispute("dp_e", 10000, "lost", map[string]any{"id": "txn_e", "object": "balance_transaction", "amount": -10850, "fee": 1500,
		"currency": "usd", "created": 1759000100})
	eur["currency"] = "eur"
	for _, c := range []struct {
		obj  map[string]any
		want int64
		cur  string
	}{{partial, 9000, "USD"}, {eur, 10000, "EUR"}} {
		out, err := Translate(tenant, event(t, "charge.dispute.closed", 1759000200, c.obj))
		if err != nil {
			t.Fatal(err)
		}
		d := only(out, messages.MetricRevenueDisputed)
		if len(d) != 1 || d[0].Value != c.want || d[0].Currency != c.cur {
			t.Errorf("%s: disputed %+v; want %d %s", c.obj["id"], d, c.want, c.cur)
		}
	}
}

// A zero-amount charge adds no gross.
func TestZeroChargeNoGross(t *testing.T) {
	out, err := Translate(tenant, event(t, "charge.succeeded", 1759300000, chargeAt("ch_0", 0, 1759300000, true)))
	if err != nil || len(only(out, messages.MetricRevenueGross)) != 0 {
		t.Errorf("zero charge = %+v, %v", out, err)
	}
}

// The reconciliation fact keeps the payout's mode.
func TestPayoutReconciliationMode(t *testing.T) {
	for _, live := range []bool{true, false} {
		lm := live
		paid := messages.MetricEvent{Header: messages.Header{OccurredAt: time.Unix(1760500000, 0)}, Metric: messages.MetricPayoutsPaid, Entity: "po_1", ObjectID: "po_1", Value: 100, Currency: "USD", Livemode: &lm}
		if e := PayoutReconciliation(tenant, paid, nil); e.Livemode == nil || *e.Livemode != live || e.Value != 100 {
			t.Errorf("livemode %v: reconciliation %+v", live, e)
		}
	}
	paid := messages.MetricEvent{Header: messages.Header{OccurredAt: time.Unix(1760500000, 0)}, Metric: messages.MetricPayoutsPaid, Entity: "po_1", ObjectID: "po_1", Value: 100, Currency: "USD"}
	if e := PayoutReconciliation(tenant, paid, nil); e.Livemode == nil || *e.Livemode {
		t.Errorf("no mode: reconciliation %+v; want test mode", e)
	}
}

// A charge read back is observed at its latest refund that went through:
// a refund that failed before it comes back then, not earlier.
func TestChargeHistoryObservedAtLatestRefund(t *testing.T) {
	const c = 1760000000
	ch := &stripe.Charge{ID: "ch_h", Amount: 10000, AmountCaptured: 10000, Captured: true, Currency: "usd", Created: c, AmountRefunded: 2000,
		Refunds: &stripe.RefundList{Data: []*stripe.Refund{
			{ID: "re_fail", Amount: 1000, Currency: "usd", Status: stripe.RefundStatusFailed, Created: c + 100},
			{ID: "re_ok", Amount: 2000, Currency: "usd", Status: stripe.RefundStatusSucceeded, Created: c + 200},
			{ID: "re_cancel", Amount: 500, Currency: "usd", Status: stripe.RefundStatusCanceled, Created: c + 300},
		}}}
	at := map[string]int64{}
	for _, e := range only(ChargeHistory(tenant, ch), messages.MetricRevenueRefunded) {
		at[e.Entity] = e.OccurredAt.Unix()
	}
	if at["re_fail"] != c+200 || at["re_ok"] != c+200 || at["re_cancel"] != c+300 {
		t.Errorf("refund dates %v; want re_fail and re_ok at +200, re_cancel at +300", at)
	}
}

func mrrFacts(fs []messages.MetricEvent) []messages.MetricEvent {
	var out []messages.MetricEvent
	for _, f := range fs {
		if f.Metric == messages.MetricMRR && f.Entity == "sub_1" {
			out = append(out, f)
		}
	}
	return out
}

// SubscriptionHistory makes a fact only where MRR changes, and dates each
// change as its evidence allows.
func TestSubscriptionHistoryEdges(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	feb, mar := jan.AddDate(0, 1, 0), jan.AddDate(0, 2, 0)
	cust := &stripe.Customer{ID: "cus_1"}
	mk := func(price int64) *stripe.Subscription {
		s := sub(stripe.SubscriptionStatusActive, item(price, 1, "month", 1))
		s.Customer, s.Created = cust, jan.Unix()
		return s
	}

	t.Run("three invoices at one price are one fact", func(t *testing.T) {
		s := mk(5000)
		s.CurrentPeriodStart = mar.Unix()
		hist := Must(SubscriptionHistory(tenant, s, []*stripe.Invoice{subInvoice("in_1", jan, 5000, 1), subInvoice("in_2", feb, 5000, 1), subInvoice("in_3", mar, 5000, 1)}))
		if f := mrrFacts(hist); len(f) != 1 || f[0].Value != 5000 || !f[0].OccurredAt.Equal(jan) {
			t.Errorf("facts %+v; want one 5000 at creation", f)
		}
	})

	t.Run("a change not yet invoiced counts just after the last invoice", func(t *testing.T) {
		hist := Must(SubscriptionHistory(tenant, mk(8000), []*stripe.Invoice{subInvoice("in_1", jan, 5000, 1)}))
		f := mrrFacts(hist)
		if len(f) != 2 || f[0].Value != 5000 || !f[0].OccurredAt.Equal(jan) || f[1].Value != 8000 || !f[1].OccurredAt.Equal(jan.Add(time.Second)) {
			t.Errorf("facts %+v; want 5000 at creation, 8000 a second later", f)
		}
	})

	t.Run("cancelled, known by canceled_at only", func(t *testing.T) {
		s := mk(5000)
		s.Status, s.CanceledAt = stripe.SubscriptionStatusCanceled, mar.Unix()
		hist := Must(SubscriptionHistory(tenant, s, nil))
		if got := readmodel.TotalAt(hist, feb); got != 5000 {
			t.Errorf("MRR in February %d; want 5000", got)
		}
		if got := readmodel.TotalAt(hist, mar.Add(time.Second)); got != 0 {
			t.Errorf("MRR at cancellation %d; want 0", got)
		}
	})

	t.Run("a trial ending at creation is no trial", func(t *testing.T) {
		s := mk(5000)
		s.TrialStart, s.TrialEnd = jan.Unix(), jan.Unix()
		if f := mrrFacts(Must(SubscriptionHistory(tenant, s, nil))); len(f) != 1 || f[0].Value != 5000 {
			t.Errorf("facts %+v; want one 5000", f)
		}
	})

	t.Run("cancelled at the trial's end never paid", func(t *testing.T) {
		s := mk(5000)
		s.TrialStart, s.TrialEnd = jan.Unix(), jan.AddDate(0, 0, 14).Unix()
		s.Status, s.EndedAt = stripe.SubscriptionStatusCanceled, s.TrialEnd
		for _, f := range mrrFacts(Must(SubscriptionHistory(tenant, s, nil))) {
			if f.Value != 0 {
				t.Errorf("paying fact %+v for a subscription cancelled in its trial", f)
			}
		}
	})

	t.Run("a cancelled subscription's invoices count up to its end only", func(t *testing.T) {
		end := mar.AddDate(0, 0, 14)
		s := mk(8000)
		s.Status, s.EndedAt = stripe.SubscriptionStatusCanceled, end.Unix()
		hist := Must(SubscriptionHistory(tenant, s, []*stripe.Invoice{
			subInvoice("in_1", jan, 5000, 1), subInvoice("in_2", feb, 8000, 1), subInvoice("in_end", end, 3000, 1)}))
		f := mrrFacts(hist)
		if len(f) != 3 || f[0].Value != 5000 || f[1].Value != 8000 || f[2].Value != 0 || !f[2].OccurredAt.Equal(end) {
			t.Errorf("facts %+v; want 5000, 8000, then 0 at the end", f)
		}
		if got := readmodel.TotalAt(hist, jan.AddDate(0, 0, 14)); got != 5000 {
			t.Errorf("MRR in January %d; want 5000", got)
		}
	})

	t.Run("older invoices bill plans; prorations and one-off lines are not MRR", func(t *testing.T) {
		inv := subInvoice("in_plan", jan, 5000, 1)
		l := inv.Lines.Data[0]
		l.Plan = &stripe.Plan{ID: "plan_1", Amount: 5000, AmountDecimal: 5000, Currency: "usd", Interval: "month", IntervalCount: 1, UsageType: stripe.PlanUsageTypeLicensed}
		l.Price = nil
		extra := item(2000, 1, "month", 1).Price
		inv.Lines.Data = append(inv.Lines.Data,
			&stripe.InvoiceLineItem{ID: "il_pr", Amount: 2000, Proration: true, Price: extra, SubscriptionItem: &stripe.SubscriptionItem{ID: "si_1"}, Quantity: 1},
			&stripe.InvoiceLineItem{ID: "il_once", Amount: 1000, Price: extra, Quantity: 1},
		)
		hist := Must(SubscriptionHistory(tenant, mk(8000), []*stripe.Invoice{inv}))
		if f := mrrFacts(hist); len(f) != 2 || f[0].Value != 5000 || !f[0].OccurredAt.Equal(jan) {
			t.Errorf("facts %+v; want 5000 from the plan line at creation", f)
		}
	})
}
