package report

import (
	"testing"
	"time"
)

// TestAccountingRecognisesAnAnnualPrepaymentByDay is issue 15 problem 6:
// a $1,200 annual plan and a $50 setup fee invoiced on 1 October (Los
// Angeles) with $240 of tax, paid by a $1,490 charge, $20 of it refunded
// on 20 October. The cash basis shows $1,490 of charges; October
// recognises 31/365 of the plan ($101.92) plus the setup fee = $151.92,
// defers $1,098.08, collected $1,470.00 of cash and $240.00 of tax, and the
// waterfall carries the deferred balance to later months.
func TestAccountingRecognisesAnAnnualPrepaymentByDay(t *testing.T) {
	tn := testTenant()
	oct := pdt(time.October, 1, 0)
	inv := map[string]any{"id": "in_year", "object": "invoice", "currency": "usd", "created": oct.Unix(), "amount_paid": 149000, "tax": 24000,
		"status": "paid", "status_transitions": map[string]any{"finalized_at": oct.Add(time.Hour).Unix(), "paid_at": oct.Add(2 * time.Hour).Unix()},
		"lines": map[string]any{"object": "list", "data": []any{
			map[string]any{"id": "il_plan", "object": "line_item", "amount": 120000, "currency": "usd",
				"period": map[string]any{"start": oct.Unix(), "end": oct.AddDate(1, 0, 0).Unix()}, "tax_amounts": []any{map[string]any{"amount": 24000, "inclusive": false}}},
			map[string]any{"id": "il_setup", "object": "line_item", "amount": 5000, "currency": "usd",
				"period": map[string]any{"start": oct.Unix(), "end": oct.Unix()}},
		}}}
	facts := stripeFacts(t, tn.ID,
		stripeEv{"invoice.paid", oct.Add(2 * time.Hour), inv},
		stripeEv{"charge.succeeded", oct.Add(2 * time.Hour), chargeObj("ch_year", 149000, "usd", oct.Add(2*time.Hour), true)},
		stripeEv{"refund.created", pdt(time.October, 20, 9), refundObj("re_1", "ch_year", 2000, "succeeded", pdt(time.October, 20, 9))},
	)
	mustContain(t, accountingText(t, facts, time.October),
		"REVENUE RECOGNITION (ACCRUAL)",
		"- Billed (invoice lines net of discounts and credit notes, excluding tax) — Oct 2026: $1,250.00; Sep 2026: $0.00",
		"- Recognised revenue — Oct 2026: $151.92; Sep 2026: $0.00",
		"- Deferred revenue at period end — Oct 2026: $1,098.08; Sep 2026: $0.00",
		"- Cash collected (charges captured − refunds) — Oct 2026: $1,470.00; Sep 2026: $0.00",
		"- Tax collected (not revenue) — Oct 2026: $240.00; Sep 2026: $0.00",
		"REVENUE WATERFALL",
		"- Oct 2026 — Billed: $1,250.00; Rec. Aug: –; Rec. Sep: –; Rec. Oct: $151.92; Deferred to later months: $1,098.08",
		"CASH BASIS: CHARGES, REFUNDS, DISPUTES AND FEES",
		"- Gross charges — Oct 2026: $1,490.00",
	)
	// November to date (as of 2 Nov): one more day, 1/365 ($3.29),
	// nothing billed; October stays as it was.
	mustContain(t, accountingText(t, facts, time.November),
		"- Recognised revenue — Nov 2026: $3.29; Oct 2026: $151.92",
		"- Deferred revenue at period end — Nov 2026: $1,094.79; Oct 2026: $1,098.08",
		"- Oct 2026 — Billed: $1,250.00; Rec. Sep: –; Rec. Oct: $151.92; Rec. Nov: $3.29; Deferred to later months: $1,094.79")
}
