package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// CFOView is the CFO's report: the burn model, net burn and runway,
// break-even units, revenue targets against actuals, the tenant's
// financial rules checked, and the capital-deployment tier that follows.
type CFOView struct {
	Header
	Burn        Table
	MonthlyBurn Table
	Runway      KPI
	BreakEven   Table
	Targets     Table
	TargetChart *Chart
	// MRRMovements is ChartMogul's five movements per month, with a chart.
	MRRMovements      *Table
	MRRMovementsChart *Chart
	Rules             []Check
	Tiers             Table
}

func (*CFOView) template() string { return "cfo" }

func init() {
	analysts[messages.RoleCFO] = analyst{
		metrics: append([]string{metricRevenueTarget, messages.MetricMRR}, financeMetrics...),
		analyse: analyseCFO,
	}
}

func analyseCFO(d *Data) View {
	v := &CFOView{Header: newHeader(d, "finance")}
	cc := d.Tenant.Currency
	m := func(n int64) string { return money(n, cc) }
	cur, prev := d.finance(d.Period), d.finance(d.Prev)
	v.noteOther("Revenue", cur.gross)
	v.noteOther("AWS cost", cur.aws)
	if n := cur.awsNote(d.Tenant.Currency); n != "" {
		v.Notes = append(v.Notes, n)
	}

	// Burn model.
	v.Burn = Table{Title: "Burn model", Period: d.Period.Label() + " vs " + d.Prev.Short(), Head: []string{"Line", d.Period.Short(), d.Prev.Short()}}
	line := func(label string, c, p Num, missing *Missing, status string) Row {
		if !c.Known {
			return Row{Cells: []string{label, "unknown — No " + missing.Source, "unknown"}, Status: unknown}
		}
		return Row{Cells: []string{label, m(c.V), m(p.V)}, Status: status}
	}
	v.Burn.Rows = []Row{
		line(cur.netLabel()+" (Stripe)", cur.net, prev.net, srcStripe.missing(d), ""),
		line("AWS cost", cur.aws, prev.aws, srcAWSCost.missing(d), ""),
		line("Other expenses (imported)", cur.expenses, prev.expenses, srcExpenses.missing(d), ""),
		line("Total costs", cur.costs, prev.costs, &Missing{Source: "cost data"}, ""),
	}
	nb := line("Net burn (costs − net revenue)", cur.netBurn, prev.netBurn, &Missing{Source: "revenue or cost data"}, "")
	switch {
	case cur.netBurn.Known:
		nb = burnRow(cur.netBurn.V, prev.netBurn.V, cc)
	case cur.costs.Known:
		// No revenue data: the burn is gross, and says so.
		nb = Row{Cells: []string{"Gross burn (costs; revenue unknown)", m(cur.costs.V), m(prev.costs.V)}}
		nb.mark(1, bad)
	}
	v.Burn.Rows = append(v.Burn.Rows, nb)
	// The monthly burn that runway uses, beside this month's actuals
	// (never extrapolated from its days).
	rw := d.runway()
	v.MonthlyBurn = Table{Title: "Monthly burn", Period: "used for runway", Head: []string{"Basis", "A month"}}
	if !rw.burn.known {
		v.MonthlyBurn.Missing = &Missing{Source: "cost data"}
	} else {
		tr := Row{Cells: []string{"Trailing: " + rw.burn.basis(), money(rw.burn.monthly, cc)}}
		if rw.burn.monthly < 0 {
			tr.Cells[0], tr.Cells[1] = "Trailing profit: "+strings.Replace(rw.burn.basis(), "net burn", "net revenue − costs", 1), money(-rw.burn.monthly, cc)
		}
		v.MonthlyBurn.Rows = append(v.MonthlyBurn.Rows, tr)
		if rw.burn.mtd != nil && len(rw.burn.months) > 0 {
			v.MonthlyBurn.Rows = append(v.MonthlyBurn.Rows, Row{Cells: []string{"This month so far (" + rw.burn.mtdLabel + ", actuals, not extrapolated)", money(rw.burn.mtdBurn(), cc)}})
		}
	}
	var missing []string
	for _, s := range []source{srcStripe, srcAWSCost, srcExpenses} {
		if !s.known(d) {
			missing = append(missing, "No "+s.name+" yet.")
		}
	}
	v.Burn.Note = joinLines(missing)

	// Runway.
	v.Runway = KPI{Label: "Runway", Period: "cash as of " + dateIn(rw.cashAsOf, d.Loc), Value: rw.text()}
	switch {
	case !rw.cash.Known:
		v.Runway.Period = "as of " + v.AsOf
		v.Runway.Status, v.Runway.Missing = unknown, &Missing{Source: "cash balance", HowTo: srcCash.howTo(d.Tenant.ID)}
	case rw.profitable:
		v.Runway.Status = good
		v.Runway.Note = "cash " + m(rw.cash.V) + "; revenue covers costs"
	case !rw.known:
		v.Runway.Status, v.Runway.Missing = unknown, &Missing{Source: "burn figures", HowTo: "see the burn model above"}
	default:
		v.Runway.Status = good
		if rw.months < float64(d.Tenant.Limits().MinRunwayMonths) {
			v.Runway.Status = bad
		}
		v.Runway.Note = fmt.Sprintf("cash %s / %s a month (%s)", m(rw.cash.V), m(rw.burn.monthly), rw.burn.basis())
	}

	// Break-even (one computation with Accounting's: see breakeven.go).
	be := d.breakEven()
	v.BreakEven = Table{Title: "Break-even", Period: d.Period.Label(), Head: []string{"Input", "Value"}}
	if !be.known {
		v.BreakEven.Missing = configSource("finance.unit_price, finance.variable_cost_per_unit and finance.fixed_costs_monthly", "unit economics")
	} else {
		v.BreakEven.Rows = []Row{
			{Cells: []string{"Costs to cover", m(be.costs)}},
			{Cells: []string{"Contribution per charge", m(be.perUnit)}},
		}
		need := Row{Cells: []string{"Charges needed to break even", be.unitsText()}}
		if be.never {
			need.mark(1, bad)
		}
		v.BreakEven.Rows = append(v.BreakEven.Rows, need)
		if be.soldKnown && !be.never {
			st := bad
			if be.sold >= be.units {
				st = good
			}
			r := Row{Cells: []string{"Charges in " + d.Period.Short(), count(be.sold) + " (" + pct(be.sold, be.units) + " of break-even)"}}
			v.BreakEven.Rows = append(v.BreakEven.Rows, *r.mark(1, st))
		}
		v.BreakEven.Note = "From " + be.basis + "."
		if be.model {
			v.BreakEven.Period += " · model"
		}
	}

	// Targets vs actuals, six months.
	v.Targets = Table{Title: "Revenue targets vs actuals", Period: "gross revenue, last 6 months", Head: []string{"Month", "Target", "Actual", "Variance"}}
	_, hasTarget := d.Tenant.Amount(d.Tenant.Finance.MonthlyRevenueTarget)
	imported := d.Known(metricRevenueTarget)
	v.Targets.Note = "An imported month target (targets.csv) wins over finance.monthly_revenue_target."
	switch {
	case !d.Known(messages.MetricRevenueGross):
		v.Targets.Missing = srcStripe.missing(d)
	case !hasTarget && !imported:
		v.Targets.Missing = configSource("finance.monthly_revenue_target (or import targets.csv)", "revenue target")
	default:
		var pts []point
		var targets []int64
		for _, mo := range months(minTime(d.Period.End, d.AsOf).Add(-1), d.Loc, 6) {
			actual := d.Sum(messages.MetricRevenueGross, mo.Start, mo.End).V
			t, _, ok := d.monthTarget(mo)
			if !ok {
				continue
			}
			st := good
			if actual < t {
				st = bad
			}
			label := mo.Short()
			if mo.End.After(d.AsOf) {
				label += " (to date)"
			}
			v.Targets.Rows = append(v.Targets.Rows, Row{Cells: []string{label, m(t), m(actual), signedMoney(actual-t, cc)}, Status: st})
			pts = append(pts, point{Label: mo.Short(), Value: actual})
			targets = append(targets, t)
		}
		v.TargetChart = drawTrend(trendSpec{cid: "chart-revenue-months", title: "Gross revenue by month", pts: pts,
			target: targets, targetLabel: "target of each month", format: m})
		v.Charts = append(v.Charts, v.TargetChart)
	}

	v.MRRMovements, v.MRRMovementsChart = d.mrrMovements()
	if v.MRRMovementsChart != nil {
		v.Charts = append(v.Charts, v.MRRMovementsChart)
	}

	// Rules.
	min := d.Tenant.Limits().MinRunwayMonths
	runwayRule := Check{Rule: fmt.Sprintf("Runway at least %d months (finance.min_runway_months)", min)}
	switch {
	case rw.profitable:
		runwayRule.Result, runwayRule.Evidence = "PASS", "not burning cash"
	case !rw.known:
		runwayRule.Result, runwayRule.Evidence = "UNKNOWN", "runway unknown"
	case rw.months >= float64(min):
		runwayRule.Result, runwayRule.Evidence = "PASS", fmt.Sprintf("%.1f months", rw.months)
	default:
		runwayRule.Result, runwayRule.Evidence = "FAIL", fmt.Sprintf("%.1f months", rw.months)
	}
	targetRule := Check{Rule: "Revenue on target (" + d.Period.Short() + ")"}
	if t, ok := d.targetFor(d.Period); !ok || !cur.gross.Known {
		targetRule.Result, targetRule.Evidence = "UNKNOWN", "needs a target and Stripe revenue"
	} else if cur.gross.V >= t {
		targetRule.Result, targetRule.Evidence = "PASS", m(cur.gross.V)+" vs "+m(t)
	} else {
		targetRule.Result, targetRule.Evidence = "FAIL", m(cur.gross.V)+" vs "+m(t)
	}
	refundRule := Check{Rule: "Refunds and disputes under 5 % of gross"}
	if !cur.gross.Known {
		refundRule.Result, refundRule.Evidence = "UNKNOWN", "no Stripe data"
	} else if (cur.refunds.V+cur.disputes.V)*20 <= cur.gross.V {
		refundRule.Result, refundRule.Evidence = "PASS", pct(cur.refunds.V+cur.disputes.V, cur.gross.V)
	} else {
		refundRule.Result, refundRule.Evidence = "FAIL", pct(cur.refunds.V+cur.disputes.V, cur.gross.V)
	}
	awsRule := Check{Rule: "AWS cost under 20 % of net revenue"}
	if !cur.aws.Known || !cur.net.Known {
		awsRule.Result, awsRule.Evidence = "UNKNOWN", "needs AWS cost and Stripe revenue"
	} else if cur.aws.V*5 <= cur.net.V {
		awsRule.Result, awsRule.Evidence = "PASS", m(cur.aws.V)+" vs "+m(cur.net.V)
	} else {
		awsRule.Result, awsRule.Evidence = "FAIL", m(cur.aws.V)+" vs "+m(cur.net.V)
	}
	v.Rules = []Check{runwayRule, targetRule, refundRule, awsRule}

	// Capital-deployment tiers, decided by runway.
	v.Tiers = Table{Title: "Capital deployment", Period: "tier follows runway", Head: []string{"Tier", "Runway", "Discretionary spend"}}
	tiers := []struct {
		name, runway, spend string
		lo, hi              float64
	}{
		{"1 Preserve", "< 6 months", "none: cut to essentials, raise or reach break-even", 0, 6},
		{"2 Protect", "6–12 months", "only spend that pays back within 3 months", 6, 12},
		{"3 Invest", "12–18 months", "up to 10 % of cash on growth experiments", 12, 18},
		{"4 Deploy", "> 18 months or profitable", "up to 25 % of cash on growth", 18, 1e9},
	}
	for _, t := range tiers {
		r := Row{Cells: []string{t.name, t.runway, t.spend}}
		if (rw.profitable && t.hi > 1e8) || (rw.known && rw.months >= t.lo && rw.months < t.hi) {
			r.Cells[0] = "► " + t.name
			r.mark(0, good)
		}
		v.Tiers.Rows = append(v.Tiers.Rows, r)
	}
	if !rw.known && !rw.profitable {
		v.Tiers.Note = "No tier applies until runway is known."
	}
	return v
}

// burnRow is the burn model's bottom line. A negative burn is a profit
// and says so ("Net profit (net revenue − costs) $4,920.92"), so no
// reader meets a green double negative; only the current figure is
// coloured.
func burnRow(cur, prev int64, cc string) Row {
	side := func(n int64) string {
		if (n < 0) == (cur < 0) {
			return money(abs(n), cc)
		}
		if n < 0 {
			return "profit " + money(-n, cc)
		}
		return "burn " + money(n, cc)
	}
	r := Row{Cells: []string{"Net burn (costs − net revenue)", side(cur), side(prev)}}
	st := bad
	if cur < 0 {
		r.Cells[0], st = "Net profit (net revenue − costs)", good
	}
	return *r.mark(1, st)
}

// targetInMonth is the imported revenue target of a month (the latest
// state of "target/<YYYY-MM>/revenue").
func (d *Data) targetInMonth(mo Period) Num {
	key := mo.Start.Format("2006-01")
	for _, f := range readmodel.StatesAt(d.Facts(metricRevenueTarget), d.AsOf.Add(time.Hour*24*31)) {
		if f.Dimensions[messages.DimMonth] == key && f.Dimensions[messages.DimMetric] == messages.TargetRevenue &&
			f.Currency == d.Tenant.Currency && f.Dimensions[messages.DimRemoved] != "true" {
			return Num{V: f.Value, Known: true}
		}
	}
	return Num{}
}

func joinLines(s []string) string {
	out := ""
	for i, l := range s {
		if i > 0 {
			out += " "
		}
		out += l
	}
	return out
}
