package report

import (
	"testing"
	"time"
)

// TestAccountingRecognisesAnAnnualPrepaymentByDay is issue 15 problem 6:
// a $1,200 annual plan and a $50 setup fee invoiced on 1 October (Los
// Angeles) with $240 of tax, paid by a $1,490 charge, $20 of it refunded
// on 20 October with no credit note, and a $30 one-off charge (no
// invoice) on 5 October. The cash basis shows $1,520 of charges; October
// bills $1,250 less the refund's share net of tax ($16.78: $16.11 of the
// plan, $0.67 of the fee) plus the $30 one-off, recognises 31/365 of the
// plan ($101.92) plus the setup fee, less what the refund takes back of
// them ($1.37 + $0.67), plus the one-off = $179.88, defers $1,083.34,
// collected $1,500.00 of cash and $236.78 of tax ($240.00 less the
// refund's tax share, $3.22: Stripe Tax splits a refund between net and
// tax at the invoice's rate), and the waterfall carries the deferred
// balance to later months.
func TestAccountingRecognisesAnAnnualPrepaymentByDay(t *testing.T) {
	tn := testTenant()
	oct := pdt(time.October, 1, 0)
	inv := yearInvoice(oct)
	facts := stripeFacts(t, tn.ID,
		stripeEv{"invoice.paid", oct.Add(2 * time.Hour), inv},
		stripeEv{"charge.succeeded", oct.Add(2 * time.Hour), paying(chargeObj("ch_year", 149000, "usd", oct.Add(2*time.Hour), true), "in_year")},
		stripeEv{"charge.succeeded", pdt(time.October, 5, 9), paying(chargeObj("ch_once", 3000, "usd", pdt(time.October, 5, 9), true), nil)},
		stripeEv{"refund.created", pdt(time.October, 20, 9), refundObj("re_1", "ch_year", 2000, "succeeded", pdt(time.October, 20, 9))},
	)
	mustContain(t, accountingText(t, facts, time.October),
		"REVENUE RECOGNITION (ACCRUAL)",
		"- Billed (invoice lines and one-off charges, net of discounts, credit notes, refunds and disputed funds, excluding invoice tax) — Oct 2026: $1,263.22; Sep 2026: $0.00",
		"- Recognised revenue — Oct 2026: $179.88; Sep 2026: $0.00",
		"- Deferred revenue at period end — Oct 2026: $1,083.34; Sep 2026: $0.00",
		"- Cash collected (charges captured − refunds) — Oct 2026: $1,500.00; Sep 2026: $0.00",
		"- Tax collected (not revenue, net of refunds and credit notes) — Oct 2026: $236.78; Sep 2026: $0.00",
		"REVENUE WATERFALL",
		"- Oct 2026 — Billed: $1,263.22; Rec. Aug: –; Rec. Sep: –; Rec. Oct: $179.88; Deferred to later months: $1,083.34",
		"CASH BASIS: CHARGES, REFUNDS, DISPUTES AND FEES",
		"- Gross charges — Oct 2026: $1,520.00",
	)
	// November to date (as of 2 Nov): one more day, 1/365 of the plan
	// ($3.29) less the refund's share of it ($0.04), nothing billed;
	// October stays as it was.
	mustContain(t, accountingText(t, facts, time.November),
		"- Recognised revenue — Nov 2026: $3.25; Oct 2026: $179.88",
		"- Deferred revenue at period end — Nov 2026: $1,080.09; Oct 2026: $1,083.34",
		"- Oct 2026 — Billed: $1,263.22; Rec. Sep: –; Rec. Oct: $179.88; Rec. Nov: $3.25; Deferred to later months: $1,080.09")
}

// yearInvoice is a $1,200 annual plan and a $50 setup fee invoiced at oct
// with $240 of tax, paid by ch_year ($1,490).
func yearInvoice(oct time.Time) map[string]any {
	return map[string]any{"id": "in_year", "object": "invoice", "currency": "usd", "created": oct.Unix(), "amount_paid": 149000, "total": 149000, "tax": 24000, "charge": "ch_year",
		"status": "paid", "status_transitions": map[string]any{"finalized_at": oct.Add(time.Hour).Unix(), "paid_at": oct.Add(2 * time.Hour).Unix()},
		"lines": map[string]any{"object": "list", "data": []any{
			map[string]any{"id": "il_plan", "object": "line_item", "amount": 120000, "currency": "usd",
				"period": map[string]any{"start": oct.Unix(), "end": oct.AddDate(1, 0, 0).Unix()}, "tax_amounts": []any{map[string]any{"amount": 24000, "inclusive": false}}},
			map[string]any{"id": "il_setup", "object": "line_item", "amount": 5000, "currency": "usd",
				"period": map[string]any{"start": oct.Unix(), "end": oct.Unix()}},
		}}}
}

// TestAccountingRecognitionNetOfDisputes: funds a dispute withdraws take
// back the charge's invoice lines as a refund would, net of the
// invoice's tax. Half of the $1,490 charge of
// TestAccountingRecognisesAnAnnualPrepaymentByDay is disputed on 16
// October ($745: $600 of the plan, $25 of the setup fee, $120 of tax):
// October bills $1,250 − $625 = $625.00 and recognises $101.92 + $50 −
// 31/365 of $600 ($50.96) − $25 = $75.96, deferring $549.04.
func TestAccountingRecognitionNetOfDisputes(t *testing.T) {
	tn := testTenant()
	oct := pdt(time.October, 1, 0)
	disputed := pdt(time.October, 16, 9)
	facts := stripeFacts(t, tn.ID,
		stripeEv{"invoice.paid", oct.Add(2 * time.Hour), yearInvoice(oct)},
		stripeEv{"charge.succeeded", oct.Add(2 * time.Hour), paying(chargeObj("ch_year", 149000, "usd", oct.Add(2*time.Hour), true), "in_year")},
		stripeEv{"charge.dispute.funds_withdrawn", disputed, disputeObj("dp_year", "ch_year", 74500, "needs_response", disputed, btObj("txn_dp", -74500, 1500, disputed))},
	)
	mustContain(t, accountingText(t, facts, time.October),
		"- Billed (invoice lines and one-off charges, net of discounts, credit notes, refunds and disputed funds, excluding invoice tax) — Oct 2026: $625.00; Sep 2026: $0.00",
		"- Recognised revenue — Oct 2026: $75.96; Sep 2026: $0.00",
		"- Deferred revenue at period end — Oct 2026: $549.04; Sep 2026: $0.00",
		"- Oct 2026 — Billed: $625.00; Rec. Aug: –; Rec. Sep: –; Rec. Oct: $75.96; Deferred to later months: $549.04",
	)
}

// paying sets the invoice a charge paid (nil: none, a one-off).
func paying(ch map[string]any, invoice any) map[string]any {
	ch["invoice"] = invoice
	return ch
}

// TestTaxCollectedIsNetOfRefunds: tax collected gives back the tax share
// of a refund in the refund's month (Stripe Tax: in proportion to the
// refunded amount, at the invoice's tax rate) and collects it again in
// the month the refund fails; a credit note's tax comes off at its
// effective date; a refund in euros never touches the dollar tax. A
// $100 plan with $25 of tax, paid on 1 October by a $125 charge: $25
// refunded on 10 October ($5 of tax), failing on 1 November; a credit
// note of $20 + $5 tax on 15 October; and a €50 invoice with €10 of tax,
// refunded €12.
func TestTaxCollectedIsNetOfRefunds(t *testing.T) {
	tn := testTenant()
	oct := pdt(time.October, 1, 0)
	invoice := func(id, cur, charge string, net, tax int64) map[string]any {
		return map[string]any{"id": id, "object": "invoice", "currency": cur, "created": oct.Unix(), "amount_paid": net + tax, "total": net + tax, "tax": tax, "charge": charge,
			"status": "paid", "status_transitions": map[string]any{"finalized_at": oct.Add(time.Hour).Unix(), "paid_at": oct.Add(2 * time.Hour).Unix()},
			"lines": map[string]any{"object": "list", "data": []any{
				map[string]any{"id": "il_" + id, "object": "line_item", "amount": net, "currency": cur,
					"period": map[string]any{"start": oct.Unix(), "end": oct.AddDate(0, 1, 0).Unix()}, "tax_amounts": []any{map[string]any{"amount": tax, "inclusive": false}}},
			}}}
	}
	eurRefund := refundObj("re_eur", "ch_eur", 1200, "succeeded", pdt(time.October, 12, 9))
	eurRefund["currency"] = "eur"
	failed := refundObj("re_1", "ch_plan", 2500, "failed", pdt(time.October, 10, 9))
	failed["failure_balance_transaction"] = map[string]any{"id": "txn_f", "object": "balance_transaction", "created": pdt(time.November, 1, 9).Unix()}
	cn := map[string]any{"id": "cn_1", "object": "credit_note", "currency": "usd", "created": pdt(time.October, 15, 9).Unix(), "effective_at": pdt(time.October, 15, 9).Unix(),
		"status": "issued", "invoice": "in_plan", "amount": 2500, "total": 2500, "tax_amounts": []any{map[string]any{"amount": 500, "inclusive": false}},
		"lines": map[string]any{"object": "list", "data": []any{map[string]any{"id": "cnli_1", "object": "credit_note_line_item", "amount": 2000, "invoice_line_item": "il_in_plan",
			"tax_amounts": []any{map[string]any{"amount": 500, "inclusive": false}}}}}}
	evs := []stripeEv{
		{"invoice.paid", oct.Add(2 * time.Hour), invoice("in_plan", "usd", "ch_plan", 10000, 2500)},
		{"charge.succeeded", oct.Add(2 * time.Hour), paying(chargeObj("ch_plan", 12500, "usd", oct.Add(2*time.Hour), true), "in_plan")},
		{"refund.created", pdt(time.October, 10, 9), refundObj("re_1", "ch_plan", 2500, "succeeded", pdt(time.October, 10, 9))},
		{"credit_note.created", pdt(time.October, 15, 9), cn},
		{"invoice.paid", oct.Add(2 * time.Hour), invoice("in_eur", "eur", "ch_eur", 5000, 1000)},
		{"refund.created", pdt(time.October, 12, 9), eurRefund},
	}
	// $25 − $5 (the refund's share) − $5 (the credit note's).
	mustContain(t, accountingText(t, stripeFacts(t, tn.ID, evs...), time.October),
		"- Tax collected (not revenue, net of refunds and credit notes) — Oct 2026: $15.00; Sep 2026: $0.00")
	// The refund fails on 1 November: its $5 is collected again then,
	// October's figure stays.
	evs = append(evs, stripeEv{"refund.failed", pdt(time.November, 1, 9), failed})
	mustContain(t, accountingText(t, stripeFacts(t, tn.ID, evs...), time.November),
		"- Tax collected (not revenue, net of refunds and credit notes) — Nov 2026: $5.00; Oct 2026: $15.00")
}
