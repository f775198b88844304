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
// collected $1,500.00 of cash and $240.00 of tax, and the waterfall
// carries the deferred balance to later months.
func TestAccountingRecognisesAnAnnualPrepaymentByDay(t *testing.T) {
	tn := testTenant()
	oct := pdt(time.October, 1, 0)
	inv := map[string]any{"id": "in_year", "object": "invoice", "currency": "usd", "created": oct.Unix(), "amount_paid": 149000, "total": 149000, "tax": 24000, "charge": "ch_year",
		"status": "paid", "status_transitions": map[string]any{"finalized_at": oct.Add(time.Hour).Unix(), "paid_at": oct.Add(2 * time.Hour).Unix()},
		"lines": map[string]any{"object": "list", "data": []any{
			map[string]any{"id": "il_plan", "object": "line_item", "amount": 120000, "currency": "usd",
				"period": map[string]any{"start": oct.Unix(), "end": oct.AddDate(1, 0, 0).Unix()}, "tax_amounts": []any{map[string]any{"amount": 24000, "inclusive": false}}},
			map[string]any{"id": "il_setup", "object": "line_item", "amount": 5000, "currency": "usd",
				"period": map[string]any{"start": oct.Unix(), "end": oct.Unix()}},
		}}}
	facts := stripeFacts(t, tn.ID,
		stripeEv{"invoice.paid", oct.Add(2 * time.Hour), inv},
		stripeEv{"charge.succeeded", oct.Add(2 * time.Hour), paying(chargeObj("ch_year", 149000, "usd", oct.Add(2*time.Hour), true), "in_year")},
		stripeEv{"charge.succeeded", pdt(time.October, 5, 9), paying(chargeObj("ch_once", 3000, "usd", pdt(time.October, 5, 9), true), nil)},
		stripeEv{"refund.created", pdt(time.October, 20, 9), refundObj("re_1", "ch_year", 2000, "succeeded", pdt(time.October, 20, 9))},
	)
	mustContain(t, accountingText(t, facts, time.October),
		"REVENUE RECOGNITION (ACCRUAL)",
		"- Billed (invoice lines and one-off charges, net of discounts, credit notes and refunds, excluding invoice tax) — Oct 2026: $1,263.22; Sep 2026: $0.00",
		"- Recognised revenue — Oct 2026: $179.88; Sep 2026: $0.00",
		"- Deferred revenue at period end — Oct 2026: $1,083.34; Sep 2026: $0.00",
		"- Cash collected (charges captured − refunds) — Oct 2026: $1,500.00; Sep 2026: $0.00",
		"- Tax collected (not revenue) — Oct 2026: $240.00; Sep 2026: $0.00",
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

// paying sets the invoice a charge paid (nil: none, a one-off).
func paying(ch map[string]any, invoice any) map[string]any {
	ch["invoice"] = invoice
	return ch
}
