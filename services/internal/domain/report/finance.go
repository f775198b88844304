package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// money figures shared by the CEO, CFO and Accounting analyses.
type finance struct {
	gross, refunds, disputes, fees Num
	withdrawn, reinstated          Num // disputes = withdrawn − reinstated
	net                            Num
	aws                            Num
	expenses                       Num
	costs                          Num
	netBurn                        Num
	// profitable: net revenue covered the costs (net burn at or below 0).
	profitable bool
	// chargeFees says Stripe's processing fees on charges are known (from
	// balance transactions, which need the tenant's API key); without
	// them net revenue is before Stripe fees (a dispute fee alone does not
	// make them known).
	chargeFees bool
	// awsRows and awsRowsSum are the imported AWS expense rows of the
	// period left out because Cost Explorer covers their month.
	awsRows    int
	awsRowsSum int64
}

// netLabel names net revenue truthfully.
func (f finance) netLabel() string {
	if f.chargeFees {
		return "Net revenue"
	}
	return "Net revenue (before Stripe fees)"
}

// netFormula says what net revenue takes off.
func (f finance) netFormula() string {
	if f.chargeFees {
		return "gross − refunds − disputes − fees"
	}
	return "gross − refunds − disputes (and dispute fees); Stripe's processing fees are not known: connect the Stripe API key"
}

// financeMetrics are what finance reads.
var financeMetrics = []string{
	messages.MetricRevenueGross, messages.MetricRevenueRefunded, messages.MetricRevenueDisputed,
	messages.MetricRevenueFees, messages.MetricRevenueFeeUnknown, messages.MetricRevenueSettled, messages.MetricDisputesAtStake, messages.MetricDisputesWon, messages.MetricDisputesLost,
	messages.MetricAWSCostMonthToDate, metricExpenses,
	messages.MetricCashStripe, messages.MetricCashStripePending, metricCashBalance,
}

func (d *Data) finance(p Period) finance {
	var f finance
	end := p.End
	if d.AsOf.Before(end) {
		end = d.AsOf
	}
	f.gross = d.Sum(messages.MetricRevenueGross, p.Start, p.End)
	f.refunds = d.Change(messages.MetricRevenueRefunded, p.Start, end)
	// Disputes are money moved (funds withdrawn, less reinstated); the
	// state facts of earlier versions (amount at stake) are not summed.
	f.withdrawn = d.sumIf(messages.MetricRevenueDisputed, p.Start, p.End, func(f messages.MetricEvent) bool { return f.Value > 0 })
	f.reinstated = d.sumIf(messages.MetricRevenueDisputed, p.Start, p.End, func(f messages.MetricEvent) bool { return f.Value < 0 })
	f.reinstated.V = -f.reinstated.V
	f.disputes = Num{V: f.withdrawn.V - f.reinstated.V, Known: f.withdrawn.Known, Other: f.withdrawn.Other}
	// Fees are in the settlement currency: a fee on a charge in another
	// currency belongs with that charge (shown as settled), not with the
	// tenant-currency gross.
	f.fees = d.sumIf(messages.MetricRevenueFees, p.Start, p.End, func(e messages.MetricEvent) bool {
		c := e.Dimensions["charge_currency"]
		return c == "" || c == d.Tenant.Currency
	})
	f.chargeFees = d.chargeFeesKnown()
	// Refunds, disputes and fees are known as zero once Stripe delivers
	// anything: they arrive on the same webhook.
	stripe := f.gross.Known
	f.net = Num{V: f.gross.V - f.refunds.V - f.disputes.V - f.fees.V, Known: stripe}
	_, f.aws = d.awsCostByService(p)
	f.expenses, f.awsRows, f.awsRowsSum = d.expensesOnce(p)
	f.costs = Num{V: f.aws.V + f.expenses.V, Known: f.aws.Known || f.expenses.Known}
	f.netBurn = Num{V: f.costs.V - f.net.V, Known: f.costs.Known && f.net.Known}
	f.profitable = f.netBurn.Known && f.netBurn.V <= 0
	return f
}

// costsMissing names what the cost side lacks.
func (f finance) costsMissing(d *Data) *Missing {
	switch {
	case !f.aws.Known && !f.expenses.Known:
		return &Missing{Source: "cost data", HowTo: srcExpenses.howTo(d.Tenant.ID) + "; " + srcAWSCost.howTo(d.Tenant.ID)}
	default:
		return nil
	}
}

// targetFor is p's revenue target (see revenueTarget for the
// precedence).
func (d *Data) targetFor(p Period) (int64, bool) {
	t, _, ok := d.revenueTarget(p)
	return t, ok
}

// disputesNote reports the disputes apart from the money: the amount at
// stake in disputes and inquiries still open at the period's end, and how
// many closed won or lost in the period ("" without any dispute).
func (d *Data) disputesNote(p Period) string {
	if !d.Known(messages.MetricDisputesAtStake) && !d.Known(messages.MetricDisputesWon) && !d.Known(messages.MetricDisputesLost) {
		return ""
	}
	end := minTime(p.End, d.AsOf)
	fs, _ := d.inCurrency(messages.MetricDisputesAtStake)
	var stake int64
	inquiries := 0
	for _, f := range readmodel.StatesAt(fs, end) {
		if f.Value > 0 {
			stake += f.Value
			if f.Dimensions["inquiry"] == "true" {
				inquiries++
			}
		}
	}
	won := d.countIn(messages.MetricDisputesWon, p.Start, p.End)
	lost := d.countIn(messages.MetricDisputesLost, p.Start, p.End)
	noun := "inquiries"
	if inquiries == 1 {
		noun = "inquiry"
	}
	return fmt.Sprintf("Disputes and inquiries open at %s: %s at stake (not money moved; %d %s). Closed in the period: %d won, %d lost.",
		dateIn(end, d.Loc), money(stake, d.Tenant.Currency), inquiries, noun, won, lost)
}

// countIn counts a count metric's facts over [from, to) that belong to the
// tenant's currency (dimension "currency"), or have none.
func (d *Data) countIn(metric string, from, to time.Time) int {
	n := 0
	for _, f := range d.Facts(metric) {
		if c := f.Dimensions["currency"]; (c == "" || c == d.Tenant.Currency) && f.Kind == messages.KindAdditive && !f.OccurredAt.Before(from) && f.OccurredAt.Before(to) {
			n++
		}
	}
	return n
}

// chargeFeesKnown reports whether any charge's fee was ever recorded (a
// dispute's or a refund's fee says nothing of the charges').
func (d *Data) chargeFeesKnown() bool {
	for _, f := range d.Facts(messages.MetricRevenueFees) {
		if t := f.Dimensions["type"]; t != "dispute" && t != "refund" {
			return true
		}
	}
	return false
}

// awsExpense reports whether an imported expense row is an AWS bill:
// category "aws", vendor AWS / Amazon Web Services, or category "hosting"
// without a vendor.
func awsExpense(f messages.MetricEvent) bool {
	cat := strings.ToLower(strings.TrimSpace(f.Dimensions[messages.DimCategory]))
	vendor := strings.ToLower(strings.TrimSpace(f.Dimensions[messages.DimVendor]))
	switch {
	case cat == "aws", vendor == "aws", strings.HasPrefix(vendor, "amazon web services"), strings.HasPrefix(vendor, "aws "):
		return true
	case cat == "hosting" && vendor == "":
		return true
	}
	return false
}

// ceMonths are the UTC months (YYYY-MM) Cost Explorer reported a cost for
// in the tenant's currency.
func (d *Data) ceMonths() map[string]bool {
	fs, _ := d.inCurrency(messages.MetricAWSCostMonthToDate)
	out := map[string]bool{}
	for _, f := range fs {
		if m := f.Dimensions["month"]; m != "" {
			out[m] = true
		}
	}
	return out
}

// doubleCounted reports whether an imported row is AWS cost Cost Explorer
// already counts (its month, UTC, is covered).
func (d *Data) doubleCounted(f messages.MetricEvent, ce map[string]bool) bool {
	return awsExpense(f) && ce[f.OccurredAt.UTC().Format("2006-01")]
}

// expensesOnce is the imported expenses of p without the AWS rows whose
// month Cost Explorer covers (AWS cost is counted once, from Cost
// Explorer), and how many rows and how much were left out.
func (d *Data) expensesOnce(p Period) (Num, int, int64) {
	n := d.RowSum(metricExpenses, p)
	ce := d.ceMonths()
	rows, sum := 0, int64(0)
	for _, f := range d.rows(metricExpenses, p) {
		if d.doubleCounted(f, ce) {
			rows++
			sum += f.Value
		}
	}
	n.V -= sum
	return n, rows, sum
}

// awsNote says which source AWS cost was counted from ("" when no
// imported row overlaps Cost Explorer).
func (f finance) awsNote(cc string) string {
	if f.awsRows == 0 {
		return ""
	}
	rows := plural(int64(f.awsRows), "imported AWS expense row")
	return fmt.Sprintf("AWS cost is counted from Cost Explorer; %s (%s) %s listed, not added again.", rows, money(f.awsRowsSum, cc), map[bool]string{true: "is", false: "are"}[f.awsRows == 1])
}

// feesNote counts the charges whose fee is unknown and shows what charges
// in other currencies settled as in the tenant's ("" when neither).
func (d *Data) feesNote(p Period) string {
	var parts []string
	if n := d.countIn(messages.MetricRevenueFeeUnknown, p.Start, p.End); n > 0 {
		parts = append(parts, fmt.Sprintf("%s with fee unknown (Stripe did not return %s balance transaction): net revenue leaves %s fee out.",
			plural(int64(n), "charge"), map[bool]string{true: "its", false: "their"}[n == 1], map[bool]string{true: "its", false: "their"}[n == 1]))
	}
	for _, st := range d.settlements(p) {
		if st.settleCur == d.Tenant.Currency {
			parts = append(parts, fmt.Sprintf("Settled in %s: %s from %s charges (fees %s, at Stripe's exchange rate).",
				d.Tenant.Currency, money(st.settled, d.Tenant.Currency), st.chargeCur, money(st.fees, d.Tenant.Currency)))
		}
	}
	return strings.Join(parts, " ")
}
