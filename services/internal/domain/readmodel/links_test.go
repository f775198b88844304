package readmodel

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// link is an invoice payment link as stripemap records it (API versions
// since 2025-03-31.basil): entity the invoice payment, object the
// invoice, value what it paid, naming the payment intent and/or charge.
func link(id, invoice, pi, charge string, at time.Time, paid int64) messages.MetricEvent {
	f := messages.MetricEvent{
		Header: messages.Header{EventID: "e_" + id, TenantID: "jada", OccurredAt: at, Source: messages.SourceStripe},
		Metric: messages.MetricInvoicesPayment, Kind: messages.KindState, Entity: id, ObjectID: invoice, Version: 1, Value: paid, Currency: "USD",
		Dimensions: map[string]string{"invoice": invoice},
	}
	if pi != "" {
		f.Dimensions[DimensionPaymentIntent] = pi
	}
	if charge != "" {
		f.Dimensions[DimensionCharge] = charge
	}
	return f
}

// ofInvoice is a billed line of invoice inv (total tax included), as a
// basil invoice gives it: no charge.
func ofInvoice(f messages.MetricEvent, inv string, total int64) messages.MetricEvent {
	if f.Dimensions == nil {
		f.Dimensions = map[string]string{}
	}
	f.ObjectID, f.Dimensions[DimensionInvoiceTotal] = inv, strconv.FormatInt(total, 10)
	return f
}

// withPI names a refund's payment intent.
func withPI(f messages.MetricEvent, pi string) messages.MetricEvent {
	dims := map[string]string{DimensionPaymentIntent: pi}
	for k, v := range f.Dimensions {
		dims[k] = v
	}
	f.Dimensions = dims
	return f
}

// TestRefundsJoinTheirInvoiceThroughLinks: a $1,200 annual line ($1,320
// with tax) whose invoice names no charge; a $330 refund of the payment
// intent (or of the charge) a link says paid it takes $300 off the line
// on 1 March and $30 off the tax; without the link nothing; with the
// link twice and the line naming the charge as well, once. A refund of
// a payment intent that paid two invoices ($990 of the annual one, $330
// of a $300 one-off line with $30 tax) splits $440 as $330 and $110.
func TestRefundsJoinTheirInvoiceThroughLinks(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mar := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	apr := mar.AddDate(0, 1, 0)
	plan := ofInvoice(billedLine("il_plan", jan, jan, jan.AddDate(1, 0, 0), 120000), "in_year", 132000)
	tax := invoiceTax("in_year", jan, 12000, "USD")
	re := withPI(refundFact("re_1", "ch_year", mar, 3, 33000), "pi_year")
	march := func(facts ...messages.MetricEvent) [3]int64 {
		ms := MonthlyRecognition(facts, time.UTC, jan, apr)
		return [3]int64{ms[2].Billed, ms[2].Recognised, TaxCollected(facts, mar, apr)}
	}
	// March: 31/365 of $1,200 = $101.92, less a quarter of Jan–Mar's
	// days (90/365 of $300 = $73.97): what Jan–Feb recognised is taken
	// back, March's own days are never earned.
	want := [3]int64{-30000, 10192 - 7397, -3000}
	byPI := link("inpay_1", "in_year", "pi_year", "", jan, 132000)
	byCharge := link("inpay_2", "in_year", "", "ch_year", jan, 132000)
	paidByCharge := plan
	paidByCharge.Dimensions = map[string]string{DimensionPeriodStart: plan.Dimensions[DimensionPeriodStart], DimensionPeriodEnd: plan.Dimensions[DimensionPeriodEnd],
		DimensionInvoiceTotal: "132000", DimensionCharge: "ch_year"}
	cases := map[string][]messages.MetricEvent{
		"payment intent":         {plan, tax, byPI, re},
		"charge":                 {plan, tax, byCharge, re},
		"both links, twice":      {byPI, plan, byCharge, tax, re, byPI, byCharge},
		"line's charge and link": {paidByCharge, tax, byPI, re},
	}
	for name, facts := range cases {
		if got := march(facts...); got != want {
			t.Errorf("%s: March (billed, recognised, tax) = %v; want %v", name, got, want)
		}
	}
	if got := march(plan, tax, re); got != [3]int64{0, 10192, 0} {
		t.Errorf("no link: March %v; want [0 10192 0]", got)
	}
	// A link of another currency's payment still joins (the link says
	// which invoice); a refund in another currency than the lines reduces
	// nothing.
	eur := re
	eur.Currency = "EUR"
	if got := march(plan, tax, byPI, eur); got != [3]int64{0, 10192, 0} {
		t.Errorf("refund in EUR of a USD invoice: March %v; want [0 10192 0]", got)
	}

	fee := ofInvoice(billedLine("il_fee", jan, time.Time{}, time.Time{}, 30000), "in_fee", 33000)
	shared := []messages.MetricEvent{plan, tax, fee, invoiceTax("in_fee", jan, 3000, "USD"),
		link("inpay_y", "in_year", "pi_both", "", jan, 99000), link("inpay_f", "in_fee", "pi_both", "", jan, 33000),
		withPI(refundFact("re_both", "ch_both", mar, 3, 44000), "pi_both")}
	if got := march(shared...); got != [3]int64{-30000 - 10000, 10192 - 7397 - 10000, -3000 - 1000} {
		t.Errorf("one payment intent, two invoices: March %v; want %v", got, [3]int64{-40000, 10192 - 7397 - 10000, -4000})
	}
	// It fails in April: both invoices get their share back, and the tax.
	failed := withPI(refundFact("re_both", "ch_both", apr.Add(time.Hour), 1<<40+4, 0), "pi_both")
	ms := MonthlyRecognition(append(shared, failed), time.UTC, jan, apr.AddDate(0, 1, 0))
	if ms[3].Billed != 40000 || TaxCollected(append(shared, failed), apr, apr.AddDate(0, 1, 0)) != 4000 {
		t.Errorf("failed in April: billed %d, tax %d; want 40000 and 4000", ms[3].Billed, TaxCollected(append(shared, failed), apr, apr.AddDate(0, 1, 0)))
	}
	// Weights are what the payment paid each invoice: $330 of in_year
	// and $990 of in_fee (say) split $440 as $110 and $330, capped at
	// in_fee's total.
	skew := []messages.MetricEvent{plan, fee, link("inpay_y", "in_year", "pi_both", "", jan, 33000), link("inpay_f", "in_fee", "pi_both", "", jan, 99000),
		withPI(refundFact("re_both", "ch_both", mar, 3, 44000), "pi_both")}
	if got := MonthlyRecognition(skew, time.UTC, jan, apr)[2].Billed; got != -10000-30000 {
		t.Errorf("skewed weights: March billed %d; want %d (in_year -$100, in_fee -$300)", got, -40000)
	}
}

// TestLinkedChargeIsNoOneOff: a charge whose own object said it paid no
// invoice (one_off) is billed by the invoice a link says it paid, never
// at capture as well; an unlinked one-off still is.
func TestLinkedChargeIsNoOneOff(t *testing.T) {
	jan := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	gross := func(id, pi string) messages.MetricEvent {
		return messages.MetricEvent{
			Header: messages.Header{EventID: "e_" + id, TenantID: "jada", OccurredAt: jan, Source: messages.SourceStripe},
			Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, ObjectID: id, Value: 5000, Currency: "USD",
			Dimensions: map[string]string{DimensionOneOff: "true", DimensionPaymentIntent: pi},
		}
	}
	facts := []messages.MetricEvent{gross("ch_inv", "pi_inv"), gross("ch_pi", "pi_x"), gross("ch_once", "pi_once"),
		link("inpay_1", "in_1", "", "ch_inv", jan, 5000), link("inpay_2", "in_2", "pi_x", "", jan, 5000)}
	if got := MonthlyRecognition(facts, time.UTC, jan.AddDate(0, 0, -9), jan.AddDate(0, 1, 0))[0].Billed; got != 5000 {
		t.Errorf("January billed %d; want 5000 (ch_once alone: ch_inv and ch_pi paid invoices)", got)
	}
}

// TestCreditNoteNamesSeveralRefunds: a credit note line paid back by two
// refunds (basil refunds[]) accounts for both: neither reduces the lines
// again.
func TestCreditNoteNamesSeveralRefunds(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mar := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	plan := paidBy(billedLine("il_plan", jan, jan, jan.AddDate(1, 0, 0), 120000), "ch_year", 132000)
	cn := billedLine("cnli_1", mar, jan, jan.AddDate(1, 0, 0), -20000)
	cn.ObjectID = plan.ObjectID
	cn.Dimensions[DimensionRefund] = "re_a,re_b"
	facts := []messages.MetricEvent{plan, cn, refundFact("re_a", "ch_year", mar, 3, 11000), refundFact("re_b", "ch_year", mar, 3, 11000)}
	if got := MonthlyRecognition(facts, time.UTC, jan, mar.AddDate(0, 1, 0))[2].Billed; got != -20000 {
		t.Errorf("March billed %d; want -20000 (the credit note only)", got)
	}
}

// TestSplitRefundEdges: the split of a refund between the invoices its
// payment paid. An invoice known only through its lines' charge weighs
// its total ($330 here, as the link's $990 for the other): the same $330
// and $110 as TestRefundsJoinTheirInvoiceThroughLinks. An invoice whose
// lines are not stored keeps its share: the $440 refund takes only its
// $330 share off in_year, not all of it. A cent split between two equal
// payments goes to the first invoice in id order (in_a, earned at once),
// never to both or neither.
func TestSplitRefundEdges(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mar := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	apr := mar.AddDate(0, 1, 0)
	plan := ofInvoice(billedLine("il_plan", jan, jan, jan.AddDate(1, 0, 0), 120000), "in_year", 132000)
	fee := paidBy(billedLine("il_fee", jan, time.Time{}, time.Time{}, 30000), "ch_both", 33000)
	fee.ObjectID = "in_fee"
	re := withPI(refundFact("re_both", "ch_both", mar, 3, 44000), "pi_both")
	facts := []messages.MetricEvent{plan, fee, link("inpay_y", "in_year", "pi_both", "", jan, 99000), re}
	// in_year's $300 over its year (90 of its 365 days earned by the end
	// of March: $73.97), in_fee's $100 at once.
	if m := MonthlyRecognition(facts, time.UTC, jan, apr)[2]; m.Billed != -30000-10000 || m.Recognised != 10192-7397-10000 {
		t.Errorf("in_fee known by its lines' charge: March %+v; want billed -40000, recognised %d", m, 10192-7397-10000)
	}
	unknown := []messages.MetricEvent{plan, link("inpay_y", "in_year", "pi_both", "", jan, 99000), link("inpay_f", "in_gone", "pi_both", "", jan, 33000), re}
	if got := MonthlyRecognition(unknown, time.UTC, jan, apr)[2].Billed; got != -30000 {
		t.Errorf("in_gone's lines unknown: March billed %d; want -30000 (in_year's share only)", got)
	}
	a := ofInvoice(billedLine("il_a", jan, time.Time{}, time.Time{}, 100), "in_a", 100)
	b := ofInvoice(billedLine("il_b", jan, jan, jan.AddDate(1, 0, 0), 100), "in_b", 100)
	cent := []messages.MetricEvent{b, a, link("inpay_b", "in_b", "pi_ab", "", jan, 100), link("inpay_a", "in_a", "pi_ab", "", jan, 100),
		withPI(refundFact("re_cent", "ch_ab", mar, 3, 1), "pi_ab")}
	before := MonthlyRecognition(cent[:4], time.UTC, jan, apr)[2]
	if m := MonthlyRecognition(cent, time.UTC, jan, apr)[2]; m.Billed != -1 || m.Recognised != before.Recognised-1 || m.DeferredEnd != before.DeferredEnd {
		t.Errorf("a cent split: March %+v; want billed -1 and recognised 1 less than %+v (in_a's one-off line)", m, before)
	}
}

// TestBasilOneOffUnlessLinked: a basil charge's gross cannot say whether
// it paid an invoice (one_off=unless_linked): alone it is a $50 one-off;
// linked by its payment intent or by itself it is billed by its invoice
// only. A copy of the same gross (same event id, later: the backfill's
// object read in a shape that names the invoice) that names an invoice
// says so too, in either order; a gross that names its invoice is never
// a one-off, nor a gross without the dimension (stored before it
// existed).
func TestBasilOneOffUnlessLinked(t *testing.T) {
	jan := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	gross := func(id, pi string, dims map[string]string, at time.Time) messages.MetricEvent {
		f := messages.MetricEvent{
			Header: messages.Header{EventID: "e_" + id, TenantID: "jada", OccurredAt: at, Source: messages.SourceStripe},
			Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, ObjectID: id, Value: 5000, Currency: "USD",
			Dimensions: map[string]string{DimensionPaymentIntent: pi},
		}
		for k, v := range dims {
			f.Dimensions[k] = v
		}
		return f
	}
	unless := map[string]string{DimensionOneOff: OneOffUnlessLinked}
	billed := func(facts ...messages.MetricEvent) int64 {
		return MonthlyRecognition(facts, time.UTC, jan.AddDate(0, 0, -9), jan.AddDate(0, 1, 0))[0].Billed
	}
	if got := billed(gross("ch_1", "pi_1", unless, jan)); got != 5000 {
		t.Errorf("unlinked: billed %d; want 5000", got)
	}
	if got := billed(gross("ch_1", "pi_1", unless, jan), link("inpay_1", "in_1", "pi_1", "", jan, 5000)); got != 0 {
		t.Errorf("linked by payment intent: billed %d; want 0", got)
	}
	if got := billed(link("inpay_1", "in_1", "", "ch_1", jan, 5000), gross("ch_1", "", unless, jan)); got != 0 {
		t.Errorf("linked by charge: billed %d; want 0", got)
	}
	named := gross("ch_1", "pi_1", map[string]string{DimensionInvoice: "in_1"}, jan.Add(time.Second))
	if a, b := billed(gross("ch_1", "pi_1", unless, jan), named), billed(named, gross("ch_1", "pi_1", unless, jan)); a != 0 || b != 0 {
		t.Errorf("a copy names the invoice: billed %d and %d; want 0", a, b)
	}
	if got := billed(gross("ch_2", "pi_2", nil, jan), gross("ch_3", "", map[string]string{DimensionInvoice: "in_3"}, jan)); got != 0 {
		t.Errorf("no one_off dimension: billed %d; want 0", got)
	}
	if !OneOffCandidate(gross("ch_1", "", unless, jan)) || !OneOffCandidate(gross("ch_1", "", map[string]string{DimensionOneOff: OneOff}, jan)) ||
		OneOffCandidate(gross("ch_1", "", map[string]string{DimensionOneOff: "false"}, jan)) || OneOffCandidate(named) {
		t.Error("OneOffCandidate: want true for one_off=true and unless_linked only")
	}
}

// TestUnlinkedInvoices: of four paid invoices billed in January, in_old
// names the charge that paid it (2023-10-16), in_basil is linked by its
// invoice payment (delivered before or after its lines), in_free paid
// nothing ($0), and in_lost names neither: only in_lost is unlinked. A
// credit note line of in_lost and in_dec, billed in December, change
// nothing; a link for in_lost, in any order, empties the list.
func TestUnlinkedInvoices(t *testing.T) {
	dec := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	feb := jan.AddDate(0, 1, 0)
	old := paidBy(billedLine("il_old", jan, jan, feb, 5000), "ch_old", 5500)
	basil := ofInvoice(billedLine("il_basil", jan, jan, feb, 5000), "in_basil", 5500)
	free := ofInvoice(billedLine("il_free", jan, jan, feb, 0), "in_free", 0)
	lost := ofInvoice(billedLine("il_lost", jan.Add(time.Hour), jan, feb, 5000), "in_lost", 5500)
	credit := billedLine("cnli_lost", jan.AddDate(0, 0, 5), jan, feb, -1000)
	credit.ObjectID, credit.Dimensions[DimensionInvoiceLine] = "in_lost", "il_lost"
	december := ofInvoice(billedLine("il_dec", dec, dec, jan, 5000), "in_dec", 5500)
	facts := []messages.MetricEvent{link("inpay_basil", "in_basil", "pi_basil", "", jan, 5500), old, basil, free, lost, credit, december}
	if got := UnlinkedInvoices(facts, jan, feb); !slices.Equal(got, []string{"in_lost"}) {
		t.Errorf("January: %v; want [in_lost]", got)
	}
	if got := UnlinkedInvoices(facts, dec, jan); !slices.Equal(got, []string{"in_dec"}) {
		t.Errorf("December: %v; want [in_dec]", got)
	}
	if got := UnlinkedInvoices(append([]messages.MetricEvent{link("inpay_lost", "in_lost", "", "ch_lost", jan, 5500)}, facts...), jan, feb); len(got) != 0 {
		t.Errorf("in_lost linked first: %v; want none", got)
	}
	if got := UnlinkedInvoices(append(facts, link("inpay_lost", "in_lost", "", "ch_lost", jan, 5500)), jan, feb); len(got) != 0 {
		t.Errorf("in_lost linked last: %v; want none", got)
	}
}

// An invoice whose lines cancel out (+$50 and a −$50 credit) has no
// proportion to split a refund by: the refund of its linked payment
// reduces none of its lines, and reading it does not divide by 0.
func TestRefundOfAnInvoiceWhoseLinesCancelOut(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mar := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	apr := mar.AddDate(0, 1, 0)
	facts := []messages.MetricEvent{
		ofInvoice(billedLine("il_plus", jan, time.Time{}, time.Time{}, 5000), "in_zero", 0),
		ofInvoice(billedLine("il_minus", jan, time.Time{}, time.Time{}, -5000), "in_zero", 0),
		link("inpay_z", "in_zero", "pi_z", "", jan, 100),
		withPI(refundFact("re_z", "ch_z", mar, 3, 100), "pi_z"),
	}
	m := MonthlyRecognition(facts, time.UTC, jan, apr)
	if m[0].Billed != 0 || m[2].Billed != 0 || m[2].Recognised != 0 {
		t.Errorf("January %+v, March %+v; want nothing billed and nothing reduced", m[0], m[2])
	}
}
