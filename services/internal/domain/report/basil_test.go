package report

import (
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// basilFacts translates events as an endpoint on 2025-03-31.basil sends
// them.
func basilFacts(t *testing.T, tenantID string, evs ...stripeEv) []messages.MetricEvent {
	t.Helper()
	return stripeFactsAt(t, tenantID, "2025-03-31.basil", evs...)
}

// TestAccountingBasilRefundReducesItsInvoice: the history of
// TestAccountingRecognisesAnAnnualPrepaymentByDay in 2025-03-31.basil
// shapes: the invoice names no charge and no charge an invoice;
// invoice_payment.paid says pi_year paid it, and the $20 refund names
// pi_year. The accounting report reduces the invoice by the refund and
// counts the $30 charge no invoice payment links as a one-off, exactly as
// on 2023-10-16, with the link delivered before the charge or after it:
// October bills $1,263.22 ($1,250 less $16.78, plus $30), recognises
// $179.88, defers $1,083.34, and collects $236.78 of tax ($3.22 given
// back).
func TestAccountingBasilRefundReducesItsInvoice(t *testing.T) {
	tn := testTenant()
	oct := pdt(time.October, 1, 0)
	paid := oct.Add(2 * time.Hour)
	inv := basilYearInvoice(oct, paid)
	pay := map[string]any{"id": "inpay_year", "object": "invoice_payment", "invoice": "in_year", "amount_paid": 149000, "amount_requested": 149000, "currency": "usd",
		"status": "paid", "payment": map[string]any{"type": "payment_intent", "payment_intent": "pi_year"}, "status_transitions": map[string]any{"paid_at": paid.Unix()}}
	ch := chargeObj("ch_year", 149000, "usd", paid, true)
	ch["payment_intent"] = "pi_year"
	re := refundObj("re_1", "ch_year", 2000, "succeeded", pdt(time.October, 20, 9))
	re["payment_intent"] = "pi_year"
	once := chargeObj("ch_once", 3000, "usd", pdt(time.October, 5, 9), true)
	once["payment_intent"] = "pi_once"
	evs := []stripeEv{
		{"invoice.paid", paid, inv},
		{"invoice_payment.paid", paid, pay},
		{"charge.succeeded", paid, ch},
		{"charge.succeeded", pdt(time.October, 5, 9), once},
		{"refund.created", pdt(time.October, 20, 9), re},
	}
	for name, order := range map[string][]int{"link first": {0, 1, 2, 3, 4}, "charge first": {4, 3, 2, 0, 1}} {
		var seq []stripeEv
		for _, i := range order {
			seq = append(seq, evs[i])
		}
		text := accountingText(t, basilFacts(t, tn.ID, seq...), time.October)
		for _, want := range []string{
			"- Billed (invoice lines and one-off charges, net of discounts, credit notes, refunds and disputed funds, excluding invoice tax) — Oct 2026: $1,263.22; Sep 2026: $0.00",
			"- Recognised revenue — Oct 2026: $179.88; Sep 2026: $0.00",
			"- Deferred revenue at period end — Oct 2026: $1,083.34; Sep 2026: $0.00",
			"- Cash collected (charges captured − refunds) — Oct 2026: $1,500.00; Sep 2026: $0.00",
			"- Tax collected (not revenue, net of refunds and credit notes) — Oct 2026: $236.78; Sep 2026: $0.00",
			"- Oct 2026 — Billed: $1,263.22; Rec. Aug: –; Rec. Sep: –; Rec. Oct: $179.88; Deferred to later months: $1,083.34",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: missing %q in\n%s", name, want, text)
			}
		}
	}
}

// TestAccountingBasilInvoiceWithoutLink: the basil history of
// TestAccountingBasilRefundReducesItsInvoice without invoice_payment.paid
// (an endpoint not subscribed to it, or facts stored before the link
// existed): nothing says pi_year paid in_year, so ch_year counts as a
// one-off as well as the invoice's lines, and the $20 refund reduces
// that one-off instead of the invoice ($1,250 + $1,490 − $20 + $30
// billed); tax collected keeps the whole $240. Nothing is guessed: the
// report says so, counting the invoice and naming the remedy. With the
// link the note is gone and the figures are
// TestAccountingBasilRefundReducesItsInvoice's.
func TestAccountingBasilInvoiceWithoutLink(t *testing.T) {
	tn := testTenant()
	oct := pdt(time.October, 1, 0)
	paid := oct.Add(2 * time.Hour)
	inv := basilYearInvoice(oct, paid)
	ch := chargeObj("ch_year", 149000, "usd", paid, true)
	ch["payment_intent"] = "pi_year"
	once := chargeObj("ch_once", 3000, "usd", pdt(time.October, 5, 9), true)
	re := refundObj("re_1", "ch_year", 2000, "succeeded", pdt(time.October, 20, 9))
	re["payment_intent"] = "pi_year"
	evs := []stripeEv{
		{"invoice.paid", paid, inv},
		{"charge.succeeded", paid, ch},
		{"charge.succeeded", pdt(time.October, 5, 9), once},
		{"refund.created", pdt(time.October, 20, 9), re},
	}
	note := "1 invoice billed in Oct 2026 names neither the charge nor an invoice payment that paid it"
	text := accountingText(t, basilFacts(t, tn.ID, evs...), time.October)
	mustContain(t, text,
		"- Billed (invoice lines and one-off charges, net of discounts, credit notes, refunds and disputed funds, excluding invoice tax) — Oct 2026: $2,750.00; Sep 2026: $0.00",
		"- Tax collected (not revenue, net of refunds and credit notes) — Oct 2026: $240.00; Sep 2026: $0.00",
		note, "Subscribe the webhook endpoint to invoice_payment.paid and run reportctl stripe backfill to link them.")
	pay := map[string]any{"id": "inpay_year", "object": "invoice_payment", "invoice": "in_year", "amount_paid": 149000, "currency": "usd",
		"status": "paid", "payment": map[string]any{"type": "payment_intent", "payment_intent": "pi_year"}, "status_transitions": map[string]any{"paid_at": paid.Unix()}}
	if linked := accountingText(t, basilFacts(t, tn.ID, append(evs, stripeEv{"invoice_payment.paid", paid, pay})...), time.October); strings.Contains(linked, "name neither") ||
		!strings.Contains(linked, "Oct 2026: $1,263.22") {
		t.Errorf("linked: want $1,263.22 billed and no note:\n%s", linked)
	}
}

// basilYearInvoice is in_year in basil's shape (no charge named): a
// $1,200 yearly plan from oct plus $240 tax, and a $50 setup line, paid
// $1,490 at paid.
func basilYearInvoice(oct, paid time.Time) map[string]any {
	return map[string]any{"id": "in_year", "object": "invoice", "currency": "usd", "created": oct.Unix(), "amount_paid": 149000, "total": 149000, "tax": 24000,
		"status": "paid", "status_transitions": map[string]any{"finalized_at": oct.Add(time.Hour).Unix(), "paid_at": paid.Unix()},
		"lines": map[string]any{"object": "list", "data": []any{
			map[string]any{"id": "il_plan", "object": "line_item", "amount": 120000, "currency": "usd",
				"period": map[string]any{"start": oct.Unix(), "end": oct.AddDate(1, 0, 0).Unix()}, "tax_amounts": []any{map[string]any{"amount": 24000, "inclusive": false}}},
			map[string]any{"id": "il_setup", "object": "line_item", "amount": 5000, "currency": "usd",
				"period": map[string]any{"start": oct.Unix(), "end": oct.Unix()}},
		}}}
}
