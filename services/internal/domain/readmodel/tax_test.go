package readmodel

import (
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// invoiceTax is an invoice's tax as stripemap records it: additive, at
// paid_at, object the invoice.
func invoiceTax(invoice string, at time.Time, v int64, cur string) messages.MetricEvent {
	return messages.MetricEvent{
		Header: messages.Header{EventID: "e_tax_" + invoice, TenantID: "jada", OccurredAt: at, Source: messages.SourceStripe},
		Metric: messages.MetricRevenueTax, Kind: messages.KindAdditive, ObjectID: invoice, Value: v, Currency: cur,
	}
}

// creditNoteTax is a credit note's tax as stripemap records it: a state
// per credit note, negative, 0 once voided.
func creditNoteTax(id, invoice string, at time.Time, version, v int64) messages.MetricEvent {
	return messages.MetricEvent{
		Header: messages.Header{EventID: "e_" + id + "_" + at.Format(time.RFC3339), TenantID: "jada", OccurredAt: at, Source: messages.SourceStripe},
		Metric: messages.MetricRevenueTax, Kind: messages.KindState, Entity: id, ObjectID: invoice, Version: version, Value: v, Currency: "USD",
	}
}

// TestTaxCollectedIsNetOfRefundsAndCreditNotes: Stripe Tax's example
// (docs.stripe.com/tax/invoicing/refunds) — lines of $60 and $40, 25 %
// exclusive tax, $125 paid in January; a $25 refund in March gives back
// $5 of tax, in March; the refund fails in April and the $5 is collected
// again then. A credit note's tax comes off when it is issued and back
// when it is voided; a refund a credit note made counts once, through the
// credit note; a refund in another currency touches no tax of this one.
func TestTaxCollectedIsNetOfRefundsAndCreditNotes(t *testing.T) {
	utc := time.UTC
	jan := time.Date(2026, 1, 10, 0, 0, 0, 0, utc)
	month := func(m time.Month) (time.Time, time.Time) {
		s := time.Date(2026, m, 1, 0, 0, 0, 0, utc)
		return s, s.AddDate(0, 1, 0)
	}
	in := func(facts []messages.MetricEvent, m time.Month) int64 {
		s, e := month(m)
		return TaxCollected(facts, s, e)
	}
	l1 := paidBy(billedLine("il_1", jan, time.Time{}, time.Time{}, 6000), "ch_two", 12500)
	l2 := paidBy(billedLine("il_2", jan, time.Time{}, time.Time{}, 4000), "ch_two", 12500)
	l2.ObjectID = l1.ObjectID
	tax := invoiceTax(l1.ObjectID, jan, 2500, "USD")
	mar := time.Date(2026, 3, 5, 0, 0, 0, 0, utc)
	re := refundFact("re_two", "ch_two", mar, 3, 2500)

	facts := []messages.MetricEvent{l1, l2, tax, re}
	if got := in(facts, time.January); got != 2500 {
		t.Errorf("January: %d; want 2500 (the invoice's tax)", got)
	}
	if got := in(facts, time.March); got != -500 {
		t.Errorf("March: %d; want -500 (the $25 refund's tax share, $5)", got)
	}
	// The same refund known only as the charge's cumulative figure.
	cum := refundFact("ch_two", "ch_two", mar, 2500, 2500)
	cum.Dimensions = nil
	if got := in([]messages.MetricEvent{l1, l2, tax, cum}, time.March); got != -500 {
		t.Errorf("cumulative refund, March: %d; want -500", got)
	}

	// The refund fails in April: the tax is collected again then, March
	// stays as it was.
	apr := time.Date(2026, 4, 2, 0, 0, 0, 0, utc)
	failed := refundFact("re_two", "ch_two", apr, 1<<40+4, 0)
	facts = append(facts, failed)
	if m, a := in(facts, time.March), in(facts, time.April); m != -500 || a != 500 {
		t.Errorf("failed refund: March %d, April %d; want -500 and 500", m, a)
	}

	// Rounding: the tax share is what the refund leaves after the lines'
	// shares, so the two make the refund. $14.90 paid ($12.50 + $2.40
	// tax), $2 refunded: the line's share is $1.68 (1.6779), the tax's
	// $0.32 (0.3221).
	one := paidBy(billedLine("il_odd", jan, time.Time{}, time.Time{}, 1250), "ch_odd", 1490)
	oddTax := invoiceTax(one.ObjectID, jan, 240, "USD")
	oddRe := refundFact("re_odd", "ch_odd", mar, 3, 200)
	odd := []messages.MetricEvent{one, oddTax, oddRe}
	rec := MonthlyRecognition(odd, utc, time.Date(2026, 3, 1, 0, 0, 0, 0, utc), time.Date(2026, 4, 1, 0, 0, 0, 0, utc))
	if got := in(odd, time.March); got != -32 || rec[0].Billed != -168 {
		t.Errorf("rounding: tax %d, lines %d; want -32 and -168", got, rec[0].Billed)
	}

	// A credit note with $10 of tax on 5 February, voided on 20 March.
	feb := time.Date(2026, 2, 5, 0, 0, 0, 0, utc)
	cn := creditNoteTax("cn_1", l1.ObjectID, feb, feb.Unix(), -1000)
	void := creditNoteTax("cn_1", l1.ObjectID, mar.AddDate(0, 0, 15), feb.Unix()+1<<40, 0)
	facts = []messages.MetricEvent{l1, l2, tax, cn, void}
	if f, m := in(facts, time.February), in(facts, time.March); f != -1000 || m != 1000 {
		t.Errorf("credit note: February %d, March %d; want -1000 and 1000", f, m)
	}

	// A refund the credit note made: its tax is the credit note's, once.
	cnLine := billedLine("cnli_1", feb, time.Time{}, time.Time{}, -4000)
	cnLine.ObjectID = l1.ObjectID
	cnLine.Dimensions = map[string]string{DimensionRefund: "re_cn", DimensionInvoiceLine: "il_2"}
	linked := refundFact("re_cn", "ch_two", feb, 3, 5000)
	facts = []messages.MetricEvent{l1, l2, tax, cn, cnLine, linked}
	if got := in(facts, time.February); got != -1000 {
		t.Errorf("refund through a credit note: February %d; want -1000 (the credit note's tax alone)", got)
	}

	// A refund in euros of a dollar invoice: no dollar tax comes back.
	eur := refundFact("re_eur", "ch_two", mar, 3, 2500)
	eur.Currency = "EUR"
	if got := in([]messages.MetricEvent{l1, l2, tax, eur}, time.March); got != 0 {
		t.Errorf("refund in EUR: March dollar tax %d; want 0", got)
	}
}
