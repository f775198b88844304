package stripemap

import (
	"errors"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

const basilVersion = "2025-03-31.basil"

// basilEvent is event() as an endpoint pinned to 2025-03-31.basil sends it.
func basilEvent(t *testing.T, typ string, created int64, obj map[string]any) stripe.Event {
	ev := event(t, typ, created, obj)
	ev.APIVersion = basilVersion
	return ev
}

// translateAll translates every event, failing on any error.
func translateAll(t *testing.T, evs ...stripe.Event) []messages.MetricEvent {
	t.Helper()
	var out []messages.MetricEvent
	for _, ev := range evs {
		fs, err := Translate(tenant, ev)
		if err != nil {
			t.Fatalf("%s: %v", ev.Type, err)
		}
		out = append(out, fs...)
	}
	return out
}

// basilYear is a $1,320 annual invoice ($1,200 plan, $120 tax) finalised
// and paid on 1 January 2026, as a 2025-03-31.basil invoice.paid sends
// it: no charge, no payment_intent, payments not included.
func basilYear(jan time.Time) map[string]any {
	return map[string]any{"id": "in_year", "object": "invoice", "currency": "usd", "created": jan.Unix(), "status": "paid",
		"amount_paid": 132000, "total": 132000, "tax": 12000,
		"status_transitions": map[string]any{"finalized_at": jan.Unix(), "paid_at": jan.Unix()},
		"lines": map[string]any{"object": "list", "data": []any{map[string]any{"id": "il_plan", "object": "line_item", "amount": 120000, "currency": "usd",
			"period": map[string]any{"start": jan.Unix(), "end": jan.AddDate(1, 0, 0).Unix()}}}}}
}

// basilPayment is the invoice payment that paid in_year with pi_year.
func basilPayment(jan time.Time) map[string]any {
	return map[string]any{"id": "inpay_year", "object": "invoice_payment", "amount_paid": 132000, "amount_requested": 132000, "created": jan.Unix(),
		"currency": "usd", "invoice": "in_year", "is_default": true, "livemode": false, "status": "paid",
		"payment": map[string]any{"type": "payment_intent", "payment_intent": "pi_year"}, "status_transitions": map[string]any{"canceled_at": nil, "paid_at": jan.Unix()}}
}

// basilRefund is a $330 refund on 15 February of the charge ch_year of
// pi_year (a basil refund names both; neither names the invoice).
func basilRefund(feb15 time.Time) map[string]any {
	return map[string]any{"id": "re_1", "object": "refund", "amount": 33000, "currency": "usd", "charge": "ch_year", "payment_intent": "pi_year",
		"status": "succeeded", "created": feb15.Unix()}
}

// TestBasilRefundReducesItsInvoice: on 2025-03-31.basil the invoice no
// longer names the charge that paid it; invoice_payment.paid says which
// payment intent did. A $330 refund of that payment on 15 February (a
// quarter of the invoice's $1,320) takes a quarter of the $1,200 line,
// $300, off from then ($48.49 of it already earned: 46 of 365 days,
// i.e. 15.19 % — the February catch-up), and $30 off the tax collected,
// exactly as the same refund of a 2023-10-16 invoice's charge does.
func TestBasilRefundReducesItsInvoice(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	feb := jan.AddDate(0, 1, 0)
	feb15 := time.Date(2026, 2, 15, 0, 0, 0, 0, time.UTC)
	facts := translateAll(t,
		basilEvent(t, "invoice.paid", jan.Unix(), basilYear(jan)),
		basilEvent(t, "invoice_payment.paid", jan.Unix()+2, basilPayment(jan)),
		basilEvent(t, "refund.created", feb15.Unix(), basilRefund(feb15)))
	ms := readmodel.MonthlyRecognition(facts, time.UTC, jan, jan.AddDate(0, 2, 0))
	// January earns 31/365 of $1,200 = $101.92; February, before the
	// refund, 28/365 = $92.05, less the refund's share of 59 days
	// ($300 × 59/365 = $48.49).
	if j := ms[0]; j.Billed != 120000 || j.Recognised != 10192 {
		t.Errorf("January %+v; want billed 120000, recognised 10192", j)
	}
	if f := ms[1]; f.Billed != -30000 || f.Recognised != 9205-4849 || f.DeferredEnd != (120000-19397)-(30000-4849) {
		t.Errorf("February %+v; want billed -30000, recognised %d, deferred %d", f, 9205-4849, (120000-19397)-(30000-4849))
	}
	if tj, tf := readmodel.TaxCollected(facts, jan, feb), readmodel.TaxCollected(facts, feb, feb.AddDate(0, 1, 0)); tj != 12000 || tf != -3000 {
		t.Errorf("tax collected: January %d, February %d; want 12000 and -3000", tj, tf)
	}
}

// TestVoidedCreditNoteReversesWhenVoided: a $100 credit note (and its $10
// tax) on the $1,200 annual line, effective 20 January, voided on 10
// February. January keeps the credit: billed $1,100, recognised $8.49
// less (the credit is spread over the line's year: 31 of 365 days of
// $100, caught up when issued), tax collected $10 less; February gets it
// back — billed +$100, the $8.49 recognised again, tax +$10 — instead of
// January changing after it closed. The backfill's voided credit note
// (voided_at set) gives the same facts.
func TestVoidedCreditNoteReversesWhenVoided(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	feb := jan.AddDate(0, 1, 0)
	jan20 := time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC)
	feb10 := time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC)
	cn := func(status string, voided int64) map[string]any {
		o := map[string]any{"id": "cn_1", "object": "credit_note", "currency": "usd", "created": jan20.Unix(), "effective_at": jan20.Unix(), "status": status,
			"invoice": "in_year", "tax_amounts": []any{map[string]any{"amount": 1000}},
			"lines": map[string]any{"object": "list", "data": []any{map[string]any{"id": "cnli_1", "object": "credit_note_line_item", "amount": 10000, "invoice_line_item": "il_plan"}}}}
		if voided > 0 {
			o["voided_at"] = voided
		}
		return o
	}
	web := translateAll(t,
		basilEvent(t, "invoice.paid", jan.Unix(), basilYear(jan)),
		basilEvent(t, "credit_note.created", jan20.Unix(), cn("issued", 0)),
		basilEvent(t, "credit_note.voided", feb10.Unix()+3, cn("void", feb10.Unix())))
	ms := readmodel.MonthlyRecognition(web, time.UTC, jan, jan.AddDate(0, 2, 0))
	// January: 31/365 of $1,200 = $101.92, less 31/365 of $100 = $8.49.
	if j := ms[0]; j.Billed != 110000 || j.Recognised != 10192-849 {
		t.Errorf("January %+v; want billed 110000, recognised %d", j, 10192-849)
	}
	// February: 28/365 of $1,200 = $92.05, and the $8.49 back.
	if f := ms[1]; f.Billed != 10000 || f.Recognised != 9205+849 || f.DeferredEnd != 120000-19397 {
		t.Errorf("February %+v; want billed 10000 (the credit reversed), recognised %d, deferred %d", f, 9205+849, 120000-19397)
	}
	if tj, tf := readmodel.TaxCollected(web, jan, feb), readmodel.TaxCollected(web, feb, feb.AddDate(0, 1, 0)); tj != 12000-1000 || tf != 1000 {
		t.Errorf("tax collected: January %d, February %d; want 11000 and 1000", tj, tf)
	}
	// The backfill reads the voided note once: the same facts, dated the
	// same (the webhook's object carries voided_at).
	back := translateAll(t, basilEvent(t, "credit_note.updated", feb10.Unix()+60, cn("void", feb10.Unix())))
	for _, f := range web[len(web)-len(back):] {
		contains(t, back, f)
	}
	if len(back) != 4 {
		t.Errorf("voided credit note read once: %d facts; want the issued line and tax, and both 0 at the void", len(back))
	}
}

// febFigures are February's billed and recognised revenue and tax
// collected of facts about basilYear.
func febFigures(facts []messages.MetricEvent) [3]int64 {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	feb := jan.AddDate(0, 1, 0)
	ms := readmodel.MonthlyRecognition(facts, time.UTC, jan, jan.AddDate(0, 2, 0))
	return [3]int64{ms[1].Billed, ms[1].Recognised, readmodel.TaxCollected(facts, feb, feb.AddDate(0, 1, 0))}
}

// refunded is February with a refund of $330 of in_year's $1,320: the
// figures of TestBasilRefundReducesItsInvoice.
var refunded = [3]int64{-30000, 9205 - 4849, -3000}

// TestBasilLinksInAnyOrderAndShape: the same refund reduces the invoice
// the same whichever shape says what paid it — invoice_payment.paid
// (payment.payment_intent, or the 2025-11-17.preview's top-level
// payment_intent), an invoice.paid or invoice.payment_succeeded with
// payments expanded (the ids or the objects), a charge-type payment, or
// the 2023-10-16 invoice's charge together with the link (a backfill
// after the webhooks) — delivered in any order, twice: once, never twice.
func TestBasilLinksInAnyOrderAndShape(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	feb15 := time.Date(2026, 2, 15, 0, 0, 0, 0, time.UTC)
	inv, pay, re := basilYear(jan), basilPayment(jan), basilRefund(feb15)
	preview := basilPayment(jan)
	delete(preview, "payment")
	preview["payment_intent"], preview["charge"] = "pi_year", nil
	expanded := basilYear(jan)
	expanded["payments"] = map[string]any{"object": "list", "data": []any{map[string]any{"id": "inpay_year", "object": "invoice_payment", "amount_paid": 132000,
		"currency": "usd", "status": "paid", "status_transitions": map[string]any{"paid_at": jan.Unix()},
		"payment": map[string]any{"type": "payment_intent", "payment_intent": map[string]any{"id": "pi_year", "object": "payment_intent"}}}}}
	byCharge := basilPayment(jan)
	byCharge["payment"] = map[string]any{"type": "charge", "charge": "ch_year"}
	old := basilYear(jan)
	old["charge"] = "ch_year"
	cases := map[string][]stripe.Event{
		"invoice_payment.paid": {basilEvent(t, "invoice.paid", jan.Unix(), inv), basilEvent(t, "invoice_payment.paid", jan.Unix(), pay), basilEvent(t, "refund.created", feb15.Unix(), re)},
		"preview shape":        {basilEvent(t, "invoice.paid", jan.Unix(), inv), basilEvent(t, "invoice_payment.paid", jan.Unix(), preview), basilEvent(t, "refund.created", feb15.Unix(), re)},
		"payments expanded":    {basilEvent(t, "invoice.paid", jan.Unix(), expanded), basilEvent(t, "refund.created", feb15.Unix(), re)},
		"payment_succeeded":    {basilEvent(t, "invoice.paid", jan.Unix(), inv), basilEvent(t, "invoice.payment_succeeded", jan.Unix(), expanded), basilEvent(t, "refund.created", feb15.Unix(), re)},
		"charge payment":       {basilEvent(t, "invoice.paid", jan.Unix(), inv), basilEvent(t, "invoice_payment.paid", jan.Unix(), byCharge), basilEvent(t, "refund.created", feb15.Unix(), re)},
		"charge and link": {event(t, "invoice.paid", jan.Unix(), old), basilEvent(t, "invoice.paid", jan.Unix(), expanded), basilEvent(t, "invoice_payment.paid", jan.Unix(), pay),
			basilEvent(t, "invoice_payment.paid", jan.Unix(), byCharge), basilEvent(t, "refund.created", feb15.Unix(), re)},
	}
	for name, evs := range cases {
		for k := range len(evs) {
			// Every rotation, and every event twice.
			order := append(append(append([]stripe.Event(nil), evs[k:]...), evs[:k]...), evs...)
			var facts []messages.MetricEvent
			for _, fs := range store(t, order...) {
				facts = append(facts, fs...)
			}
			if got := febFigures(facts); got != refunded {
				t.Errorf("%s, rotation %d: February (billed, recognised, tax) = %v; want %v", name, k, got, refunded)
			}
		}
	}
	// Without a link the refund reduces nothing: the gap this closes.
	if got := febFigures(translateAll(t, basilEvent(t, "invoice.paid", jan.Unix(), inv), basilEvent(t, "refund.created", feb15.Unix(), re))); got != [3]int64{0, 9205, 0} {
		t.Errorf("no link: February %v; want [0 9205 0]", got)
	}
}

// TestBasilPartialPayments: in_year paid in two halves by pi_a and pi_b
// ($660 each); a $330 refund of pi_a is a quarter of the invoice, as
// before. One payment intent attached to in_year ($990) and to in_fee
// ($330, a one-off $300 line and $30 tax) splits its $440 refund in
// proportion to what it paid each: $330 (a quarter of in_year: -$300)
// and $110 (a third of in_fee: -$100 earned at once, $10 tax).
func TestBasilPartialPayments(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	feb15 := time.Date(2026, 2, 15, 0, 0, 0, 0, time.UTC)
	pay := func(id, invoice, pi string, amt int64) stripe.Event {
		p := basilPayment(jan)
		p["id"], p["invoice"], p["amount_paid"], p["payment"] = id, invoice, amt, map[string]any{"type": "payment_intent", "payment_intent": pi}
		return basilEvent(t, "invoice_payment.paid", jan.Unix(), p)
	}
	refund := func(pi string, amt int64) stripe.Event {
		re := basilRefund(feb15)
		re["payment_intent"], re["charge"], re["amount"] = pi, "ch_"+pi, amt
		return basilEvent(t, "refund.created", feb15.Unix(), re)
	}
	halves := translateAll(t, basilEvent(t, "invoice.paid", jan.Unix(), basilYear(jan)),
		pay("inpay_a", "in_year", "pi_a", 66000), pay("inpay_b", "in_year", "pi_b", 66000), refund("pi_a", 33000))
	if got := febFigures(halves); got != refunded {
		t.Errorf("half-paid twice, a quarter refunded: February %v; want %v", got, refunded)
	}

	fee := map[string]any{"id": "in_fee", "object": "invoice", "currency": "usd", "created": jan.Unix(), "status": "paid", "amount_paid": 33000, "total": 33000, "tax": 3000,
		"status_transitions": map[string]any{"finalized_at": jan.Unix(), "paid_at": jan.Unix()},
		"lines":              map[string]any{"object": "list", "data": []any{map[string]any{"id": "il_fee", "object": "line_item", "amount": 30000, "currency": "usd"}}}}
	year := basilYear(jan)
	year["amount_paid"] = 99000 // partly paid: the rest is still due
	shared := translateAll(t, basilEvent(t, "invoice.paid", jan.Unix(), year), basilEvent(t, "invoice.paid", jan.Unix(), fee),
		pay("inpay_y", "in_year", "pi_both", 99000), pay("inpay_f", "in_fee", "pi_both", 33000), refund("pi_both", 44000))
	// in_year: -$300 over its year (February's share as above); in_fee:
	// -$100 at once.
	if got := febFigures(shared); got != [3]int64{-30000 - 10000, 9205 - 4849 - 10000, -3000 - 1000} {
		t.Errorf("one payment intent on two invoices: February %v; want %v", got, [3]int64{-40000, 9205 - 4849 - 10000, -4000})
	}
}

// TestBasilInvoicePaymentEdges: only a paid invoice payment links (open
// and canceled ones paid nothing), at its paid_at, valued at what it paid;
// an invoice payment that does not decode is malformed; a basil
// charge.refunded whose refunds are not listed joins through its payment
// intent like a refund does.
func TestBasilInvoicePaymentEdges(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	feb15 := time.Date(2026, 2, 15, 0, 0, 0, 0, time.UTC)
	for _, status := range []string{"open", "canceled"} {
		p := basilPayment(jan)
		p["status"], p["amount_paid"] = status, nil
		if out := translateAll(t, basilEvent(t, "invoice_payment.paid", jan.Unix(), p)); len(out) != 0 {
			t.Errorf("%s invoice payment: %+v; want no link", status, out)
		}
	}
	p := basilPayment(jan)
	p["status_transitions"] = map[string]any{"paid_at": jan.Unix() + 7}
	out := translateAll(t, basilEvent(t, "invoice_payment.paid", jan.Unix()+9, p))
	if len(out) != 1 || out[0].Metric != messages.MetricInvoicesPayment || out[0].Entity != "inpay_year" || out[0].ObjectID != "in_year" || out[0].Value != 132000 ||
		out[0].Currency != "USD" || !out[0].OccurredAt.Equal(unix(jan.Unix()+7)) || out[0].Dimensions["payment_intent"] != "pi_year" || out[0].Dimensions["invoice"] != "in_year" {
		t.Errorf("paid invoice payment = %+v; want the link in_year <- pi_year, 132000 USD at paid_at", out)
	}
	bad := basilEvent(t, "invoice_payment.paid", jan.Unix(), p)
	bad.Data.Raw = []byte(`{"id":"inpay_1","invoice":{"id":7}}`)
	if _, err := Translate(tenant, bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("undecodable invoice payment: %v; want ErrMalformed", err)
	}
	ch := map[string]any{"id": "ch_year", "object": "charge", "amount": 132000, "amount_captured": 132000, "amount_refunded": 33000, "captured": true,
		"currency": "usd", "status": "succeeded", "created": jan.Unix(), "payment_intent": "pi_year"}
	facts := translateAll(t, basilEvent(t, "invoice.paid", jan.Unix(), basilYear(jan)), basilEvent(t, "invoice_payment.paid", jan.Unix(), basilPayment(jan)),
		basilEvent(t, "charge.refunded", feb15.Unix(), ch))
	if got := febFigures(facts); got != refunded {
		t.Errorf("cumulative refund of a basil charge: February %v; want %v", got, refunded)
	}
}

// TestBasilCreditNoteRefunds: a basil credit note names the refunds that
// paid it back in refunds[] (refund is deprecated, and absent here): a
// $220 credit ($200 of the line, $20 tax) paid back by two $110 refunds of
// pi_year reduces February by $200 and $20 of tax, once — the refunds
// count through the credit note only, not again as refunds of the
// invoice's payment ($400 and $40).
func TestBasilCreditNoteRefunds(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	feb15 := time.Date(2026, 2, 15, 0, 0, 0, 0, time.UTC)
	re := func(id string) stripe.Event {
		r := basilRefund(feb15)
		r["id"], r["amount"] = id, 11000
		return basilEvent(t, "refund.created", feb15.Unix(), r)
	}
	cn := map[string]any{"id": "cn_1", "object": "credit_note", "currency": "usd", "created": feb15.Unix(), "effective_at": feb15.Unix(), "status": "issued",
		"invoice": "in_year", "tax_amounts": []any{map[string]any{"amount": 2000}},
		"refunds": []any{map[string]any{"amount_refunded": 11000, "refund": "re_b", "type": "refund"},
			map[string]any{"amount_refunded": 11000, "refund": map[string]any{"id": "re_a", "object": "refund"}, "type": "refund"}},
		"lines": map[string]any{"object": "list", "data": []any{map[string]any{"id": "cnli_1", "object": "credit_note_line_item", "amount": 20000, "invoice_line_item": "il_plan"}}}}
	facts := translateAll(t, basilEvent(t, "invoice.paid", jan.Unix(), basilYear(jan)), basilEvent(t, "invoice_payment.paid", jan.Unix(), basilPayment(jan)),
		basilEvent(t, "credit_note.created", feb15.Unix(), cn), re("re_a"), re("re_b"))
	// The credit over the line's year: February bills -$200 and earns
	// 28/365 of $1,200 less 59/365 of $200 ($32.33).
	if got := febFigures(facts); got != [3]int64{-20000, 9205 - 3233, -2000} {
		t.Errorf("credit note paid back by two refunds: February %v; want %v", got, [3]int64{-20000, 9205 - 3233, -2000})
	}
}

// TestBasilTaxes: basil invoices and credit notes carry their tax in
// total_taxes[] and their lines' in taxes[] (tax_amounts and
// total_tax_amounts are gone). A €120 monthly line with €20 of VAT
// included bills €100 and collects €20 of tax; a €60 credit of it (€10
// VAT included) takes €50 off the line and €10 off the tax collected —
// as the same amounts in 2023-10-16's tax_amounts do.
func TestBasilTaxes(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	jan20 := time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC)
	vat := func(amt int64) []any {
		return []any{map[string]any{"amount": amt, "tax_behavior": "inclusive", "taxable_amount": amt * 5, "type": "tax_rate_details",
			"tax_rate_details": map[string]any{"tax_rate": "txr_1"}}}
	}
	inv := map[string]any{"id": "in_m", "object": "invoice", "currency": "eur", "created": jan.Unix(), "status": "paid", "amount_paid": 12000, "total": 12000,
		"total_taxes":        vat(2000),
		"status_transitions": map[string]any{"finalized_at": jan.Unix(), "paid_at": jan.Unix()},
		"lines": map[string]any{"object": "list", "data": []any{map[string]any{"id": "il_m", "object": "line_item", "amount": 12000, "currency": "eur",
			"taxes": vat(2000), "period": map[string]any{"start": jan.Unix(), "end": jan.AddDate(0, 1, 0).Unix()}}}}}
	cn := map[string]any{"id": "cn_m", "object": "credit_note", "currency": "eur", "created": jan20.Unix(), "effective_at": jan20.Unix(), "status": "issued",
		"invoice": "in_m", "total_taxes": vat(1000),
		"lines": map[string]any{"object": "list", "data": []any{map[string]any{"id": "cnli_m", "object": "credit_note_line_item", "amount": 6000,
			"invoice_line_item": "il_m", "taxes": vat(1000)}}}}
	facts := translateAll(t, basilEvent(t, "invoice.paid", jan.Unix(), inv), basilEvent(t, "credit_note.created", jan20.Unix(), cn))
	feb := jan.AddDate(0, 1, 0)
	ms := readmodel.MonthlyRecognition(facts, time.UTC, jan, feb)
	if ms[0].Billed != 10000-5000 || ms[0].Recognised != 5000 {
		t.Errorf("January %+v; want billed and recognised 5000 (€100 net of VAT less the €50 credit)", ms[0])
	}
	if got := readmodel.TaxCollected(facts, jan, feb); got != 2000-1000 {
		t.Errorf("tax collected %d; want 1000 (€20 less the credit's €10)", got)
	}
	// A credit note whose tax is only in its total_taxes (its line names
	// none): that tax comes off the tax collected too.
	cn2 := map[string]any{"id": "cn_t", "object": "credit_note", "currency": "eur", "created": jan20.Unix(), "effective_at": jan20.Unix(), "status": "issued",
		"invoice": "in_m", "total_taxes": []any{map[string]any{"amount": 500, "tax_behavior": "exclusive"}},
		"lines": map[string]any{"object": "list", "data": []any{map[string]any{"id": "cnli_t", "object": "credit_note_line_item", "amount": 2500, "invoice_line_item": "il_m"}}}}
	if got := readmodel.TaxCollected(append(facts, translateAll(t, basilEvent(t, "credit_note.created", jan20.Unix(), cn2))...), jan, feb); got != 1000-500 {
		t.Errorf("with a credit note taxed in total_taxes only: tax collected %d; want 500", got)
	}
	// The same in 2023-10-16's fields.
	delete(inv, "total_taxes")
	inv["total_tax_amounts"] = []any{map[string]any{"amount": 2000, "inclusive": true}}
	inv["lines"].(map[string]any)["data"].([]any)[0].(map[string]any)["tax_amounts"] = []any{map[string]any{"amount": 2000, "inclusive": true}}
	delete(inv["lines"].(map[string]any)["data"].([]any)[0].(map[string]any), "taxes")
	old := translateAll(t, event(t, "invoice.paid", jan.Unix(), inv))
	for _, f := range old {
		contains(t, facts, f)
	}
}

// permutations calls f with every order of n items (Heap's algorithm).
func permutations(n int, f func(order []int)) {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	var gen func(k int)
	gen = func(k int) {
		if k <= 1 {
			f(order)
			return
		}
		for i := 0; i < k-1; i++ {
			gen(k - 1)
			if k%2 == 0 {
				order[i], order[k-1] = order[k-1], order[i]
			} else {
				order[0], order[k-1] = order[k-1], order[0]
			}
		}
		gen(k - 1)
	}
	gen(n)
}

// TestBasilOneOffCharges: on 2025-03-31.basil a charge no longer names
// its invoice, so a charge is a one-off unless an invoice payment links
// it (by its payment intent or, for a charge without one, by itself) to
// an invoice. In January: a $50 one-off charge (ch_once, pi_once) on 10
// January, refunded $20 on 3 February; in_year's $1,200 annual line
// ($1,320 with tax) paid by pi_year's charge ch_year; in_fee's $300
// one-off line ($330 with tax) paid by ch_fee, a charge without a payment
// intent (payment type charge). January bills $1,200 + $300 + $50 and
// recognises 31/365 of $1,200 ($101.92) + $300 + $50; February bills
// −$20 and recognises −$20 + 28/365 of $1,200 ($92.05). The invoices'
// charges are never billed a second time, whichever comes first, the
// charge or the link that says what it paid, in every order of the
// events, each delivered twice.
func TestBasilOneOffCharges(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	jan10 := jan.AddDate(0, 0, 9)
	feb3 := time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC)
	charge := func(id, pi string, amt int64, at time.Time) stripe.Event {
		ch := map[string]any{"id": id, "object": "charge", "amount": amt, "amount_captured": amt, "captured": true, "paid": true,
			"currency": "usd", "status": "succeeded", "created": at.Unix()}
		if pi != "" {
			ch["payment_intent"] = pi
		}
		return basilEvent(t, "charge.succeeded", at.Unix(), ch)
	}
	fee := map[string]any{"id": "in_fee", "object": "invoice", "currency": "usd", "created": jan.Unix(), "status": "paid", "amount_paid": 33000, "total": 33000, "tax": 3000,
		"status_transitions": map[string]any{"finalized_at": jan.Unix(), "paid_at": jan.Unix()},
		"lines":              map[string]any{"object": "list", "data": []any{map[string]any{"id": "il_fee", "object": "line_item", "amount": 30000, "currency": "usd"}}}}
	feePay := basilPayment(jan)
	feePay["id"], feePay["invoice"], feePay["amount_paid"], feePay["payment"] = "inpay_fee", "in_fee", 33000, map[string]any{"type": "charge", "charge": "ch_fee"}
	evs := []stripe.Event{
		charge("ch_once", "pi_once", 5000, jan10),
		charge("ch_year", "pi_year", 132000, jan),
		basilEvent(t, "invoice.paid", jan.Unix(), basilYear(jan)),
		basilEvent(t, "invoice_payment.paid", jan.Unix()+1, basilPayment(jan)),
		charge("ch_fee", "", 33000, jan),
		basilEvent(t, "invoice.paid", jan.Unix(), fee),
		basilEvent(t, "invoice_payment.paid", jan.Unix()+1, feePay),
		basilEvent(t, "refund.created", feb3.Unix(), map[string]any{"id": "re_once", "object": "refund", "amount": 2000, "currency": "usd",
			"charge": "ch_once", "payment_intent": "pi_once", "status": "succeeded", "created": feb3.Unix()}),
	}
	// $1,200 × 31/365 = $101.918 and × 28/365 = $92.055, to the cent.
	yearJan, yearFeb := int64(10192), int64(9205)
	want := [2]readmodel.Recognition{
		{Billed: 120000 + 30000 + 5000, Recognised: yearJan + 30000 + 5000},
		{Billed: -2000, Recognised: -2000 + yearFeb},
	}
	figures := func(facts []messages.MetricEvent) [2]readmodel.Recognition {
		ms := readmodel.MonthlyRecognition(facts, time.UTC, jan, jan.AddDate(0, 2, 0))
		var out [2]readmodel.Recognition
		for i := range out {
			out[i] = readmodel.Recognition{Billed: ms[i].Billed, Recognised: ms[i].Recognised}
		}
		return out
	}
	// Seven of the events in every order (the refund after them), then
	// all of them again.
	n := 0
	permutations(7, func(order []int) {
		var seq []stripe.Event
		for _, i := range order {
			seq = append(seq, evs[i])
		}
		seq = append(append(seq, evs[7:]...), evs...)
		var facts []messages.MetricEvent
		for _, fs := range store(t, seq...) {
			facts = append(facts, fs...)
		}
		if got := figures(facts); got != want {
			t.Fatalf("order %v: January and February %+v; want %+v", order, got, want)
		}
		n++
	})
	if n != 5040 {
		t.Fatalf("%d orders; want 5040", n)
	}
	// The link fact is what tells: without in_year's, ch_year's $1,320
	// is a one-off too, billed at once beside the line.
	var noLink []messages.MetricEvent
	for i, ev := range evs {
		if i != 3 {
			fs, err := Translate(tenant, ev)
			if err != nil {
				t.Fatal(err)
			}
			noLink = append(noLink, fs...)
		}
	}
	if got := figures(noLink)[0].Billed; got != want[0].Billed+132000 {
		t.Errorf("without in_year's link: January billed %d; want %d", got, want[0].Billed+132000)
	}
}
