package report

import (
	"fmt"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// money figures shared by the CEO, CFO and Accounting analyses.
type finance struct {
	p                                Period
	gross, refunds, disputes, fees   Num
	net                              Num
	aws                              Num
	awsBy                            map[string]int64
	expenses                         Num
	costs                            Num
	netBurn                          Num
	days                             float64 // days of the period covered (up to AsOf)
	monthlyNetBurn                   int64
	cash                             Num
	cashAsOf                         time.Time
	runwayMonths                     float64
	runwayKnown, burning, profitable bool
}

// financeMetrics are what finance reads.
var financeMetrics = []string{
	messages.MetricRevenueGross, messages.MetricRevenueRefunded, messages.MetricRevenueDisputed,
	messages.MetricRevenueFees, messages.MetricAWSCostMonthToDate, metricExpenses,
	messages.MetricCashStripe, metricCashBalance,
}

func (d *Data) finance(p Period) finance {
	f := finance{p: p}
	end := p.End
	if d.AsOf.Before(end) {
		end = d.AsOf
	}
	f.days = end.Sub(p.Start).Hours() / 24
	f.gross = d.Sum(messages.MetricRevenueGross, p.Start, p.End)
	f.refunds = d.Change(messages.MetricRevenueRefunded, p.Start, end)
	f.disputes = d.Change(messages.MetricRevenueDisputed, p.Start, end)
	f.fees = d.Sum(messages.MetricRevenueFees, p.Start, p.End)
	// Refunds, disputes and fees are known as zero once Stripe delivers
	// anything: they arrive on the same webhook.
	stripe := f.gross.Known
	f.net = Num{V: f.gross.V - f.refunds.V - f.disputes.V - f.fees.V, Known: stripe}
	f.awsBy, f.aws = d.awsCostByService(p)
	f.expenses = d.RowSum(metricExpenses, p)
	f.costs = Num{V: f.aws.V + f.expenses.V, Known: f.aws.Known || f.expenses.Known}
	f.netBurn = Num{V: f.costs.V - f.net.V, Known: f.costs.Known && f.net.Known}
	if f.days > 0 {
		f.monthlyNetBurn = int64(float64(f.netBurn.V) * 30.4 / f.days)
	}
	stripeCash, bank := d.TotalAt(messages.MetricCashStripe, end), d.TotalAt(metricCashBalance, end)
	f.cash = Num{V: stripeCash.V + bank.V, Known: stripeCash.Known || bank.Known}
	for _, m := range []string{messages.MetricCashStripe, metricCashBalance} {
		if t, ok := d.LatestAt(m, end); ok && t.After(f.cashAsOf) {
			f.cashAsOf = t
		}
	}
	f.burning = f.netBurn.Known && f.netBurn.V > 0
	f.profitable = f.netBurn.Known && f.netBurn.V <= 0
	if f.cash.Known && f.burning && f.monthlyNetBurn > 0 {
		f.runwayKnown = true
		f.runwayMonths = float64(f.cash.V) / float64(f.monthlyNetBurn)
	}
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

func (f finance) runwayText() string {
	switch {
	case f.profitable:
		return "not burning cash"
	case f.runwayKnown:
		return fmt.Sprintf("%.1f months", f.runwayMonths)
	default:
		return "unknown"
	}
}

// targetFor is p's revenue target (see revenueTarget for the
// precedence).
func (d *Data) targetFor(p Period) (int64, bool) {
	t, _, ok := d.revenueTarget(p)
	return t, ok
}
