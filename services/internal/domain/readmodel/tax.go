package readmodel

import (
	"time"

	"github.com/boardpack/boardpack/messages"
)

// Tax collected, net of what refunds and credit notes give back.
//
// An invoice's tax (messages.MetricRevenueTax, additive) is collected when
// the invoice is paid. Stripe Tax ("Refunds and credit notes",
// docs.stripe.com/tax/invoicing/refunds): "Stripe Tax adjusts your tax
// liability in proportion to the refunded amount, splitting the refund
// between the net amount and tax based on the original tax rate" — its
// example: a $125 invoice ($100 net, $25 tax), refunded $25, is $5 of tax
// refunded. So a refund of an invoice's charge that no credit note
// accounts for (the refunds revenue recognition applies to the invoice's
// lines, refundsOfLines) gives back refunded × tax / invoice total, dated
// at the refund, in the refund's currency only, and 0 again from when the
// refund failed or was cancelled, as its cash. It is rounded so that with
// the lines' share it is the whole refund: the invoice's tax is the last
// term of the running total the lines' shares are rounded on.
//
// A credit note carries its own tax (tax_amounts; the same page: credit
// notes "track tax liability decreases"): stripemap records it as a state
// of revenue.tax per credit note, negative, at its effective date, 0 once
// voided. A refund that the credit note made is accounted for by the
// credit note, never twice.

// TaxCollected is the tax collected over [from, to), in the facts'
// currency (minor units): the tax of the invoices paid in it, less the
// tax share of the refunds made in it and the tax of the credit notes
// issued in it, plus those of earlier refunds and credit notes that
// failed or were voided in it.
//
// facts are revenue.tax, revenue.billed, invoices.payment (the links
// from payments to the invoices they paid) and revenue.refunded facts, of one
// currency (a refund in another currency than its invoice's tax reduces
// nothing); other facts are ignored.
func TaxCollected(facts []messages.MetricEvent, from, to time.Time) int64 {
	var tax, lines, refunds []messages.MetricEvent
	for _, f := range facts {
		switch f.Metric {
		case messages.MetricRevenueTax:
			tax = append(tax, f)
		case messages.MetricRevenueBilled, messages.MetricInvoicesPayment:
			lines = append(lines, f)
		case messages.MetricRevenueRefunded:
			refunds = append(refunds, f)
		}
	}
	// A redelivered invoice's tax counts once.
	tax = Distinct(tax)
	states := append(RefundedTax(tax, lines, PreferParts(refunds)), tax...)
	return Sum(tax, from, to) + Change(states, from, to)
}

// RefundedTax is the tax share of each refund of an invoice's charge: a
// state per refund and invoice (entity "<refund>/<invoice>/tax", the refund's version and date),
// minus refunded × the invoice's tax / its total (see TaxCollected). tax
// are the invoices' revenue.tax facts (ObjectID the invoice), lines their
// revenue.billed lines and the invoices.payment links, refunds the revenue.refunded states (PreferParts
// applied).
func RefundedTax(tax, lines, refunds []messages.MetricEvent) []messages.MetricEvent {
	type key struct{ invoice, currency string }
	invoiceTax := map[key]int64{}
	for _, f := range Distinct(tax) {
		if f.Kind == messages.KindAdditive && f.ObjectID != "" {
			invoiceTax[key{f.ObjectID, f.Currency}] += f.Value
		}
	}
	if len(invoiceTax) == 0 {
		return nil
	}
	var out []messages.MetricEvent
	pairs := refundsOfLines(lines, refunds)
	for _, p := range pairs {
		r := p.refund
		t := invoiceTax[key{p.invoice, r.Currency}]
		if t == 0 {
			continue
		}
		// The tax is the last term of the running total the lines'
		// shares are rounded on (refundLines).
		shares := split(p.refunded, append(lineValues(p.lines), t), p.total)
		share := shares[len(shares)-1]
		// One state per refund and invoice: a payment that paid several
		// invoices (basil) gives back each one's tax.
		key := "/" + p.invoice + "/tax"
		out = append(out, messages.MetricEvent{
			Header:   messages.Header{EventID: r.EventID + key, TenantID: r.TenantID, OccurredAt: r.OccurredAt, Source: r.Source},
			Metric:   messages.MetricRevenueTax,
			Kind:     messages.KindState,
			Entity:   r.Entity + key,
			ObjectID: p.invoice,
			Version:  r.Version,
			Value:    -share,
			Currency: r.Currency,
		})
	}
	return out
}
