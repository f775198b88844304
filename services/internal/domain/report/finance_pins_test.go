package report

import (
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// burningOctober is a month that burns cash, with refunds, disputes both
// ways, fees of every kind and AWS cost from Cost Explorer and imported
// rows, each with a fact at or just outside the period's ends.
func burningOctober() *pinsBook {
	b := newPinsBook(pinsTenant())
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 1, 0)
	// Gross: 10000 at the first instant, 20000, 30000 at the last second;
	// September's charge and a EUR charge are not October's USD gross.
	b.charge(start.Add(-time.Second), "ch_sep", 99900, "USD")
	b.charge(start, "ch_a", 10000, "USD")
	b.charge(day(10, 10), "ch_b", 20000, "USD")
	b.charge(end.Add(-time.Second), "ch_c", 30000, "USD")
	b.charge(day(10, 12), "ch_eur", 50000, "EUR")
	// Refunds: ch_sep refunded 1000 in September; ch_b 5000, then 8000 in
	// all: October refunded 8000.
	b.refund(day(9, 20), "ch_sep", 1000)
	b.refund(day(10, 12), "ch_b", 5000)
	b.refund(day(10, 20), "ch_b", 8000)
	// Disputes: 7000 withdrawn, 3000 reinstated (and September's 2000).
	b.disputed(day(9, 25), 2000)
	b.disputed(day(10, 15), 7000)
	b.disputed(day(10, 20), -3000)
	// Fees: 300 and 200 on USD charges, a 1500 dispute fee; 999 on the EUR
	// charge settled in USD belongs with that charge.
	b.fee(day(10, 10), 300, "USD", nil)
	b.fee(day(10, 10), 200, "USD", map[string]string{"charge_currency": "USD", "type": "charge"})
	b.fee(day(10, 12), 999, "USD", map[string]string{"charge_currency": "EUR", "type": "charge"})
	b.fee(day(10, 15), 1500, "USD", map[string]string{"type": "dispute"})
	// AWS: Lambda 9000 and S3 1000 month to date at the end of October
	// (September's 5000 is September's).
	b.awsMTD(day(9, 30), "AWS Lambda", 5000)
	b.awsMTD(day(10, 15), "AWS Lambda", 4000)
	b.awsMTD(day(10, 31), "AWS Lambda", 9000)
	b.awsMTD(day(10, 31), "Amazon S3", 1000)
	// Imported rows: rent, a non-AWS host and a vendor that only starts
	// with "aws" count; the five AWS rows (8000, 2000, 1000, 500, 400) are
	// Cost Explorer's, and September's AWS row is September's.
	b.expense(day(9, 15), "aws", "", 6000)
	b.expense(day(10, 1), "rent", "landlord", 100000)
	b.expense(day(10, 2), "AWS", "", 8000)
	b.expense(day(10, 3), "hosting", "", 2000)
	b.expense(day(10, 4), "hosting", "Hetzner", 3000)
	b.expense(day(10, 5), "", "Amazon Web Services EMEA SARL", 1000)
	b.expense(day(10, 6), "software", "AWS Marketplace", 500)
	b.expense(day(10, 7), "", " AWS ", 400)
	b.expense(day(10, 8), "software", "awsome", 700)
	return b
}

func TestFinanceOfABurningMonth(t *testing.T) {
	d := burningOctober().month(t, time.October, day(11, 5))
	f := d.finance(d.Period)
	const (
		gross, refunds, withdrawn, reinstated, fees = 60000, 8000, 7000, 3000, 300 + 200 + 1500
		disputes                                    = withdrawn - reinstated
		net                                         = gross - refunds - disputes - fees
		aws                                         = 9000 + 1000
		expenses                                    = 100000 + 3000 + 700
		costs                                       = aws + expenses
		netBurn                                     = costs - net
	)
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"gross", f.gross.V, gross}, {"refunds", f.refunds.V, refunds},
		{"withdrawn", f.withdrawn.V, withdrawn}, {"reinstated", f.reinstated.V, reinstated}, {"disputes", f.disputes.V, disputes},
		{"fees", f.fees.V, fees}, {"net", f.net.V, net},
		{"aws", f.aws.V, aws}, {"expenses", f.expenses.V, expenses}, {"costs", f.costs.V, costs},
		{"net burn", f.netBurn.V, netBurn},
		{"AWS rows left out", int64(f.awsRows), 5}, {"their sum", f.awsRowsSum, 8000 + 2000 + 1000 + 500 + 400},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	if !f.net.Known || !f.costs.Known || !f.netBurn.Known || !f.chargeFees || f.profitable {
		t.Errorf("known: net %v costs %v burn %v fees %v; profitable %v", f.net.Known, f.costs.Known, f.netBurn.Known, f.chargeFees, f.profitable)
	}
	if got := f.netLabel(); got != "Net revenue" {
		t.Errorf("label %q", got)
	}
	if got := f.netFormula(); got != "gross − refunds − disputes − fees" {
		t.Errorf("formula %q", got)
	}
	if got, want := f.awsNote("USD"), "AWS cost is counted from Cost Explorer; 5 imported AWS expense rows ($119.00) are listed, not added again."; got != want {
		t.Errorf("aws note %q, want %q", got, want)
	}
	if m := f.costsMissing(d); m != nil {
		t.Errorf("costs are known, yet missing %+v", m)
	}
}

// TestFinanceMonthToDate: as of 16 Oct, the refund of 20 Oct is not yet
// there.
func TestFinanceMonthToDate(t *testing.T) {
	d := burningOctober().month(t, time.October, time.Date(2026, 10, 16, 0, 0, 0, 0, time.UTC))
	f := d.finance(d.Period)
	const (
		gross = 10000 + 20000
		net   = gross - 5000 - 7000 - (300 + 200 + 1500)
		costs = 4000 + 100000 + 3000 + 700
	)
	if f.refunds.V != 5000 || f.net.V != net || f.costs.V != costs || f.netBurn.V != costs-net {
		t.Errorf("refunds %d net %d costs %d burn %d, want 5000 %d %d %d", f.refunds.V, f.net.V, f.costs.V, f.netBurn.V, net, costs, costs-net)
	}
}

// evenBook is one month with revenue minus costs equal to burn cents.
func evenBook(burn int64) *pinsBook {
	b := newPinsBook(pinsTenant())
	b.charge(day(10, 3), "ch_1", 5000, "USD")
	b.expense(day(10, 4), "rent", "landlord", 5000+burn)
	return b
}

// TestFinanceProfitableEdges: a month exactly at break-even is
// profitable (net revenue covered the costs); one cent short is not.
func TestFinanceProfitableEdges(t *testing.T) {
	for _, c := range []struct {
		burn       int64
		profitable bool
	}{{0, true}, {1, false}, {-1, true}} {
		d := evenBook(c.burn).month(t, time.October, day(11, 2))
		if f := d.finance(d.Period); f.netBurn.V != c.burn || f.profitable != c.profitable {
			t.Errorf("burn %d: net burn %d, profitable %v", c.burn, f.netBurn.V, f.profitable)
		}
	}
}

func TestFinanceWithoutCostsOrFees(t *testing.T) {
	b := newPinsBook(pinsTenant())
	b.charge(day(10, 3), "ch_1", 5000, "USD")
	b.fee(day(10, 3), 700, "USD", map[string]string{"type": "dispute"})
	d := b.month(t, time.October, day(11, 2))
	f := d.finance(d.Period)
	if f.chargeFees {
		t.Error("a dispute fee alone makes the charge fees known")
	}
	if f.netLabel() != "Net revenue (before Stripe fees)" || f.netFormula() == "gross − refunds − disputes − fees" {
		t.Errorf("label %q formula %q", f.netLabel(), f.netFormula())
	}
	if m := f.costsMissing(d); m == nil || m.Source != "cost data" {
		t.Errorf("no cost source: missing %+v", m)
	}
	if f.netBurn.Known || f.profitable {
		t.Errorf("no costs: burn known %v profitable %v", f.netBurn.Known, f.profitable)
	}
	if f.awsNote("USD") != "" {
		t.Errorf("aws note without rows: %q", f.awsNote("USD"))
	}
	// One AWS row left out reads in the singular.
	b.awsMTD(day(10, 9), "AWS Lambda", 300)
	b.expense(day(10, 9), "aws", "", 250)
	d = b.month(t, time.October, day(11, 2))
	if got, want := d.finance(d.Period).awsNote("USD"), "AWS cost is counted from Cost Explorer; 1 imported AWS expense row ($2.50) is listed, not added again."; got != want {
		t.Errorf("aws note %q, want %q", got, want)
	}
}

func TestAWSExpense(t *testing.T) {
	for _, c := range []struct {
		cat, vendor string
		want        bool
	}{
		{"aws", "anyone", true}, {" AWS ", "", true}, {"", "aws", true}, {"", "Amazon Web Services EMEA", true},
		{"", "AWS Marketplace", true}, {"hosting", "", true},
		{"hosting", "Hetzner", false}, {"software", "awsome", false}, {"", "Amazon", false}, {"rent", "", false},
	} {
		f := messages.MetricEvent{Dimensions: map[string]string{messages.DimCategory: c.cat, messages.DimVendor: c.vendor}}
		if got := awsExpense(f); got != c.want {
			t.Errorf("category %q vendor %q: aws %v, want %v", c.cat, c.vendor, got, c.want)
		}
	}
}

// TestCEMonthsNeedAMonth: a cost fact without its month covers none.
func TestCEMonthsNeedAMonth(t *testing.T) {
	b := newPinsBook(pinsTenant())
	b.awsMTD(day(10, 9), "AWS Lambda", 300)
	b.facts[len(b.facts)-1].Dimensions["month"] = ""
	b.awsMTD(day(9, 9), "AWS Lambda", 300)
	d := b.month(t, time.October, day(11, 2))
	if got := d.ceMonths(); len(got) != 1 || !got["2026-09"] {
		t.Errorf("months %v, want only 2026-09", got)
	}
}

func TestDisputesNote(t *testing.T) {
	b := newPinsBook(pinsTenant())
	d := b.month(t, time.October, day(11, 2))
	if got := d.disputesNote(d.Period); got != "" {
		t.Errorf("no disputes: %q", got)
	}
	// Open at the end: a 70.00 dispute and a 25.00 inquiry; an inquiry
	// closed at 0; an open one after the end.
	b.atStake(day(10, 15), "dp_1", 7000, false)
	b.atStake(day(10, 16), "dp_2", 2500, true)
	b.atStake(day(10, 10), "dp_3", 4000, true)
	b.atStake(day(10, 25), "dp_3", 0, true)
	// Closed: one won in USD, one lost without a currency; a lost EUR
	// dispute and September's win are not the period's.
	b.counted(day(10, 25), messages.MetricDisputesWon, "ch_1", "USD")
	b.counted(day(9, 25), messages.MetricDisputesWon, "ch_0", "USD")
	b.counted(day(10, 26), messages.MetricDisputesLost, "ch_2", "")
	b.counted(day(10, 27), messages.MetricDisputesLost, "ch_3", "EUR")
	d = b.month(t, time.October, day(11, 2))
	want := "Disputes and inquiries open at 1 Nov 2026: $95.00 at stake (not money moved; 1 inquiry). Closed in the period: 1 won, 1 lost."
	if got := d.disputesNote(d.Period); got != want {
		t.Errorf("note %q, want %q", got, want)
	}
	b.atStake(day(10, 28), "dp_4", 100, true)
	d = b.month(t, time.October, day(11, 2))
	want = "Disputes and inquiries open at 1 Nov 2026: $96.00 at stake (not money moved; 2 inquiries). Closed in the period: 1 won, 1 lost."
	if got := d.disputesNote(d.Period); got != want {
		t.Errorf("note %q, want %q", got, want)
	}
}

// TestCountInCountsAdditiveFactsOnly: a count is the additive facts in
// [from, to), never a state of the same metric.
func TestCountInCountsAdditiveFactsOnly(t *testing.T) {
	b := newPinsBook(pinsTenant())
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	b.counted(start, messages.MetricRevenueFeeUnknown, "ch_1", "USD")
	b.counted(day(10, 31), messages.MetricRevenueFeeUnknown, "ch_2", "USD")
	b.counted(day(10, 10), messages.MetricRevenueFeeUnknown, "ch_3", "")
	b.counted(day(10, 12), messages.MetricRevenueFeeUnknown, "ch_5", "")
	b.counted(day(10, 11), messages.MetricRevenueFeeUnknown, "ch_4", "EUR")
	b.add(day(10, 5), messages.SourceStripe, messages.MetricEvent{Metric: messages.MetricRevenueFeeUnknown, Kind: messages.KindState, Entity: "x", Value: 1, Unit: messages.UnitCount})
	d := b.month(t, time.October, day(11, 2))
	// The two USD facts and the two without a currency; not EUR's.
	if n := d.countIn(messages.MetricRevenueFeeUnknown, start, start.AddDate(0, 1, 0)); n != 4 {
		t.Errorf("count %d, want 4", n)
	}
}

func TestFeesNote(t *testing.T) {
	b := newPinsBook(pinsTenant())
	b.charge(day(10, 3), "ch_1", 5000, "USD")
	d := b.month(t, time.October, day(11, 2))
	if got := d.feesNote(d.Period); got != "" {
		t.Errorf("nothing to say: %q", got)
	}
	b.counted(day(10, 3), messages.MetricRevenueFeeUnknown, "ch_1", "USD")
	d = b.month(t, time.October, day(11, 2))
	if got, want := d.feesNote(d.Period), "1 charge with fee unknown (Stripe did not return its balance transaction): net revenue leaves its fee out."; got != want {
		t.Errorf("note %q, want %q", got, want)
	}
	b.counted(day(10, 4), messages.MetricRevenueFeeUnknown, "ch_2", "USD")
	// EUR charges settled in USD: 92.15 and a 3.00 fee; GBP settled in EUR
	// is not the tenant's balance.
	b.settled(day(10, 5), "ch_eur", 9215, "EUR", "USD", "", "0.9215")
	b.fee(day(10, 5), 300, "USD", map[string]string{"charge_currency": "EUR", "type": "charge"})
	b.settled(day(10, 6), "ch_gbp", 1150, "GBP", "EUR", "", "1.15")
	d = b.month(t, time.October, day(11, 2))
	want := "2 charges with fee unknown (Stripe did not return their balance transaction): net revenue leaves their fee out. " +
		"Settled in USD: $92.15 from EUR charges (fees $3.00, at Stripe's exchange rate)."
	if got := d.feesNote(d.Period); got != want {
		t.Errorf("note %q, want %q", got, want)
	}
}

func TestTargetFor(t *testing.T) {
	b := newPinsBook(pinsTenant())
	b.target(day(9, 1), "2026-10", 1200000)
	d := b.month(t, time.October, day(11, 2))
	if v, ok := d.targetFor(d.Period); !ok || v != 1200000 {
		t.Errorf("target %d %v, want the imported 1200000", v, ok)
	}
	if _, ok := d.targetFor(Period{Start: day(12, 1), End: day(12, 2), Loc: time.UTC}); ok {
		t.Error("December has no target")
	}
}
