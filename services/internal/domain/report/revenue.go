package report

import (
	"slices"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// waterfallMonths is how many billing months the waterfall shows, ending
// with the report's.
const waterfallMonths = 3

var srcInvoiceLines = &Missing{Source: "Stripe invoice lines",
	HowTo: "subscribe the Stripe webhook endpoint to invoice.paid, or run reportctl stripe backfill"}

// recognised is revenue recognition proper (accrual), beside the cash the
// period collected: invoice lines earned straight-line by day over their
// service periods in the tenant's zone (readmodel.MonthlyRecognition), what
// stays deferred at the period's end, cash collected and tax collected,
// each labelled for exactly what it is; and Stripe Revenue Recognition's
// waterfall (billed per month, recognised per month, deferred to later
// months).
func (d *Data) recognised(cur, prev finance) (Table, Table) {
	cc := d.Tenant.Currency
	t := Table{Title: "Revenue recognition (accrual)", Period: d.Period.Label() + " (prev. " + d.Prev.Short() + ")", Head: []string{"Line", d.Period.Short(), d.Prev.Short()}}
	w := Table{Title: "Revenue waterfall", Head: []string{"Billed in"}}
	if !d.recognitionKnown() {
		t.Missing, w.Missing = srcInvoiceLines, srcInvoiceLines
		return t, w
	}
	lines, other := d.recognitionFacts()
	b, r, def := d.recognisedIn(d.Period)
	pb, pr, pdef := d.recognisedIn(d.Prev)
	tax, ptax := d.taxCollected(d.Period), d.taxCollected(d.Prev)
	t.Rows = []Row{
		{Cells: []string{"Billed (invoice lines and one-off charges, net of discounts, credit notes, refunds and disputed funds, excluding invoice tax)", money(b, cc), money(pb, cc)}},
		{Cells: []string{"Recognised revenue", money(r, cc), money(pr, cc)}, Status: neutral},
		{Cells: []string{"Deferred revenue at period end", money(def, cc), money(pdef, cc)}},
		{Cells: []string{"Cash collected (charges captured − refunds)", money(cur.cashCollected(), cc), money(prev.cashCollected(), cc)}},
		{Cells: []string{"Tax collected (not revenue, net of refunds and credit notes)", money(tax, cc), money(ptax, cc)}},
	}
	t.Note = "Subscription lines are recognised straight-line by day over their service period (" + d.Loc.String() + "); one-off lines when billed, and charges that pay no invoice when captured (as charged: a charge does not show its tax apart). A refund takes back what its lines recognised and clears what they deferred, in proportion, net of the invoice's tax; the rest of it is tax given back, at the invoice's tax rate, in the refund's month. Funds a dispute withdrew take back the charge's lines the same way (Stripe books them to a disputes account), and funds reinstated give them back in the month reinstated."
	if len(other) > 0 {
		t.Note += " Invoice lines in " + joinAnd(other) + " are not in these figures (never summed across currencies)."
	}
	if n := int64(len(readmodel.UnlinkedInvoices(lines, d.Period.Start, minTime(d.Period.End, d.AsOf)))); n > 0 {
		t.Note += " " + plural(n, "invoice") + " billed in " + d.Period.Short() + map[bool]string{true: " names", false: " name"}[n == 1] + " neither the charge nor an invoice payment that paid " +
			map[bool]string{true: "it", false: "them"}[n == 1] + " (Stripe API 2025-03-31 and later send that link only as invoice_payment.paid):" +
			" a refund of such a payment is not taken off its invoice here, and the charge that paid it counts as a one-off charge." +
			" Subscribe the webhook endpoint to invoice_payment.paid and run reportctl stripe backfill to link them."
	}

	end := minTime(d.Period.End, d.AsOf)
	ms := months(end.Add(-time.Nanosecond), d.Loc, waterfallMonths)
	wf := readmodel.MonthlyWaterfall(lines, d.Loc, ms[0].Start, end)
	w.Period = ms[0].Short() + " to " + dateIn(end.Add(-time.Nanosecond), d.Loc) + ", " + cc + "; what each month billed, when it is recognised"
	w.Head = append(w.Head, "Billed")
	for _, m := range wf.Months {
		w.Head = append(w.Head, "Rec. "+m.In(d.Loc).Format("Jan"))
	}
	w.Head = append(w.Head, "Deferred to later months")
	for i, row := range wf.Rows {
		cells := []string{wf.Months[i].In(d.Loc).Format("Jan 2006"), money(row.Billed, cc)}
		for c, v := range row.Cells {
			if c < i && v == 0 {
				cells = append(cells, "–")
				continue
			}
			cells = append(cells, money(v, cc))
		}
		w.Rows = append(w.Rows, Row{Cells: append(cells, money(row.Later, cc))})
	}
	return t, w
}

// recognisedIn is p's billed, recognised and (at its end) deferred
// revenue from the invoice lines in the tenant's currency.
func (d *Data) recognisedIn(p Period) (billed, rec, deferred int64) {
	lines, _ := d.recognitionFacts()
	end := minTime(p.End, d.AsOf)
	for _, m := range readmodel.MonthlyRecognition(lines, d.Loc, p.Start, end) {
		billed += m.Billed
		rec += m.Recognised
		deferred = m.DeferredEnd
	}
	return billed, rec, deferred
}

// taxCollected is the tax p collected in the tenant's currency: invoices'
// tax less the tax share of refunds and credit notes' tax
// (readmodel.TaxCollected).
func (d *Data) taxCollected(p Period) int64 {
	tax, _ := d.inCurrency(messages.MetricRevenueTax)
	lines, _ := d.inCurrency(messages.MetricRevenueBilled)
	refunds, _ := d.inCurrency(messages.MetricRevenueRefunded)
	links, _ := d.inCurrency(messages.MetricInvoicesPayment)
	return readmodel.TaxCollected(slices.Concat(tax, lines, links, refunds), p.Start, p.End)
}

// cashCollected is the cash a period collected: charges captured less
// refunds.
func (f finance) cashCollected() int64 { return f.gross.V - f.refunds.V }

// recognitionFacts are the invoice lines, the one-off charges and the
// refunds and disputes that reduce them, with the invoice payment links that say which
// invoice a refunded payment paid (readmodel.MonthlyRecognition), in the
// tenant's currency, and the other currencies invoice lines came in.
func (d *Data) recognitionFacts() ([]messages.MetricEvent, []string) {
	lines, other := d.inCurrency(messages.MetricRevenueBilled)
	refunds, _ := d.inCurrency(messages.MetricRevenueRefunded)
	disputes, _ := d.inCurrency(messages.MetricRevenueDisputed)
	links, _ := d.inCurrency(messages.MetricInvoicesPayment)
	gross, _ := d.inCurrency(messages.MetricRevenueGross)
	out := slices.Concat(lines, links, refunds, disputes)
	for _, f := range gross {
		// One-offs, and the grosses that say they paid an invoice (a
		// copy of a basil one-off candidate that names its invoice).
		if readmodel.OneOffCandidate(f) || f.Dimensions[readmodel.DimensionInvoice] != "" {
			out = append(out, f)
		}
	}
	return out, other
}

// recognitionKnown reports whether anything bills revenue: invoice lines,
// or charges that may pay no invoice (readmodel.OneOffCandidate). Without either recognised revenue
// is unknown, not zero.
func (d *Data) recognitionKnown() bool {
	if d.Known(messages.MetricRevenueBilled) {
		return true
	}
	for _, f := range d.Facts(messages.MetricRevenueGross) {
		if readmodel.OneOffCandidate(f) {
			return true
		}
	}
	return false
}
