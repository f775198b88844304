package report

import (
	"fmt"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// Burn and runway have one source each:
//
//   - Monthly burn is the average of the last complete calendar months
//     (finance.burn_months, default 3) before the report's as-of time:
//     costs (AWS + imported expenses) minus net revenue. Months before the
//     first fact of any money source are not averaged in. A month is never
//     extrapolated from its days: a month-to-date report shows the
//     month's actuals beside the trailing average.
//   - Without revenue data the burn is gross (costs only), and says so.
//   - Without a complete month, the burn is the current month's actuals
//     as they stand (labelled month to date), never scaled up.
//   - Runway is cash (Stripe balance + imported bank balances) divided by
//     the monthly burn. A burn at or below zero is a profit: no runway
//     limit.

// burnFigures is the report's burn.
type burnFigures struct {
	known bool
	// monthly is the average monthly burn (negative: a profit).
	monthly int64
	// gross: revenue is unknown, so the burn is costs only.
	gross bool
	// months are the complete months averaged (oldest first); empty when
	// the burn is the current month to date.
	months []Period
	// mtd is the current month's actuals when the period has not ended
	// (or is shorter than a month).
	mtd      *finance
	mtdLabel string
}

// runwayFigures is cash over burn: known when the business burns cash
// and both are known; profitable when the trailing burn is a profit.
type runwayFigures struct {
	known, profitable bool
	months            float64
	cash              Num
	cashAsOf          time.Time
	burn              burnFigures
}

// burn computes the trailing monthly burn as of the report.
func (d *Data) burn() burnFigures {
	asOf := minTime(d.Period.End, d.AsOf)
	first, ok := d.firstMoneyFact()
	var b burnFigures
	if !ok {
		return b
	}
	revenueKnown := d.Known(messages.MetricRevenueGross)
	b.gross = !revenueKnown
	burnOf := func(f finance) int64 {
		if b.gross {
			return f.costs.V
		}
		return f.costs.V - f.net.V
	}
	n := d.Tenant.BurnMonths()
	// The months that ended by asOf, newest last.
	cur := time.Date(asOf.In(d.Loc).Year(), asOf.In(d.Loc).Month(), 1, 0, 0, 0, 0, d.Loc)
	firstMonth := time.Date(first.In(d.Loc).Year(), first.In(d.Loc).Month(), 1, 0, 0, 0, 0, d.Loc)
	var total int64
	for i := n; i >= 1; i-- {
		s := cur.AddDate(0, -i, 0)
		if s.Before(firstMonth) {
			continue
		}
		mo := Period{Start: s, End: s.AddDate(0, 1, 0), Kind: messages.PeriodMonth, Loc: d.Loc}
		f := d.finance(mo)
		if !f.costs.Known {
			continue
		}
		b.months = append(b.months, mo)
		total += burnOf(f)
	}
	if asOf.After(cur) {
		mo := Period{Start: cur, End: asOf, Kind: messages.PeriodMonthToDate, Loc: d.Loc}
		f := d.finance(mo)
		b.mtd, b.mtdLabel = &f, mo.Short()
	}
	switch {
	case len(b.months) > 0:
		b.known = true
		b.monthly = total / int64(len(b.months))
	case b.mtd != nil && b.mtd.costs.Known:
		b.known = true
		b.monthly = burnOf(*b.mtd)
	}
	return b
}

// mtdBurn is the current month's burn so far (same basis as monthly).
func (b burnFigures) mtdBurn() int64 {
	if b.mtd == nil {
		return 0
	}
	if b.gross {
		return b.mtd.costs.V
	}
	return b.mtd.costs.V - b.mtd.net.V
}

// basis says what the monthly burn is ("average of Aug–Oct 2026").
func (b burnFigures) basis() string {
	kind := "net burn"
	if b.gross {
		kind = "gross burn (revenue unknown)"
	}
	switch len(b.months) {
	case 0:
		return kind + ", " + b.mtdLabel + " so far (no complete month yet)"
	case 1:
		return kind + ", " + b.months[0].Short()
	}
	return fmt.Sprintf("%s, average of %d months %s–%s", kind, len(b.months), b.months[0].Start.In(b.months[0].Loc).Format("Jan"), b.months[len(b.months)-1].Short())
}

// runway is cash over the trailing burn as of the report.
func (d *Data) runway() runwayFigures {
	end := minTime(d.Period.End, d.AsOf)
	stripeCash, bank := d.TotalAt(messages.MetricCashStripe, end), d.TotalAt(metricCashBalance, end)
	r := runwayFigures{burn: d.burn()}
	r.cash = Num{V: stripeCash.V + bank.V, Known: stripeCash.Known || bank.Known}
	for _, m := range []string{messages.MetricCashStripe, metricCashBalance} {
		if t, ok := d.LatestAt(m, end); ok && t.After(r.cashAsOf) {
			r.cashAsOf = t
		}
	}
	if !r.burn.known || !r.cash.Known {
		return r
	}
	if r.burn.monthly <= 0 {
		r.profitable = true
		return r
	}
	r.known = true
	r.months = float64(r.cash.V) / float64(r.burn.monthly)
	return r
}

func (r runwayFigures) text() string {
	switch {
	case r.profitable:
		return "not burning cash"
	case r.known:
		return fmt.Sprintf("%.1f months", r.months)
	default:
		return "unknown"
	}
}

// firstMoneyFact is the time of the earliest revenue or cost fact.
func (d *Data) firstMoneyFact() (time.Time, bool) {
	var first time.Time
	found := false
	for _, m := range []string{messages.MetricRevenueGross, messages.MetricAWSCostMonthToDate, metricExpenses} {
		if t, ok := d.firstFact(m); ok && (!found || t.Before(first)) {
			first, found = t, true
		}
	}
	return first, found
}
