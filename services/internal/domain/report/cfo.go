package report

import (
	"fmt"
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
	if cur.netBurn.Known {
		nb.Status = good
		if cur.netBurn.V > 0 {
			nb.Status = bad
		}
	}
	v.Burn.Rows = append(v.Burn.Rows, nb)
	var missing []string
	for _, s := range []source{srcStripe, srcAWSCost, srcExpenses} {
		if !s.known(d) {
			missing = append(missing, "No "+s.name+": "+s.howTo(d.Tenant.ID)+".")
		}
	}
	v.Burn.Note = joinLines(missing)

	// Runway.
	v.Runway = KPI{Label: "Runway", Period: "cash as of " + dateIn(cur.cashAsOf, d.Loc), Value: cur.runwayText()}
	switch {
	case !cur.cash.Known:
		v.Runway.Period = "as of " + v.AsOf
		v.Runway.Status, v.Runway.Missing = unknown, &Missing{Source: "cash balance", HowTo: srcCash.howTo(d.Tenant.ID)}
	case cur.profitable:
		v.Runway.Status = good
		v.Runway.Note = "cash " + m(cur.cash.V) + "; revenue covers costs"
	case !cur.runwayKnown:
		v.Runway.Status, v.Runway.Missing = unknown, &Missing{Source: "burn figures", HowTo: "see the burn model above"}
	default:
		v.Runway.Status = good
		if min := d.Tenant.Finance.MinRunwayMonths; min > 0 && cur.runwayMonths < float64(min) {
			v.Runway.Status = bad
		}
		v.Runway.Note = fmt.Sprintf("cash %s / net burn %s a month (period burn scaled to 30.4 days)", m(cur.cash.V), m(cur.monthlyNetBurn))
	}

	// Break-even.
	fin := d.Tenant.Finance
	v.BreakEven = Table{Title: "Break-even", Period: "monthly, from the tenant's unit economics", Head: []string{"Input", "Value"}}
	price, okP := d.Tenant.Amount(fin.UnitPrice)
	varCost, okV := d.Tenant.Amount(fin.VariableCostPerUnit)
	fixed, okF := d.Tenant.Amount(fin.FixedCostsMonthly)
	if !okP || !okV || !okF {
		v.BreakEven.Missing = configSource("finance.unit_price, finance.variable_cost_per_unit and finance.fixed_costs_monthly", "unit economics")
	} else {
		contrib := price.Amount - varCost.Amount
		v.BreakEven.Rows = []Row{
			{Cells: []string{"Fixed costs a month", m(fixed.Amount)}},
			{Cells: []string{"Contribution per unit (price − variable cost)", m(price.Amount) + " − " + m(varCost.Amount) + " = " + m(contrib)}},
		}
		if contrib <= 0 {
			v.BreakEven.Rows = append(v.BreakEven.Rows, Row{Cells: []string{"Units a month to break even", "never: each unit loses money"}, Status: bad})
		} else {
			units := (fixed.Amount + contrib - 1) / contrib
			v.BreakEven.Rows = append(v.BreakEven.Rows, Row{Cells: []string{"Units a month to break even", count(units)}})
			if cur.gross.Known {
				sold := d.Count(messages.MetricRevenueGross, d.Period.Start, d.Period.End).V
				st := bad
				if sold >= units {
					st = good
				}
				v.BreakEven.Rows = append(v.BreakEven.Rows, Row{Cells: []string{"Charges in " + d.Period.Short(), count(sold) + " (" + pct(sold, units) + " of break-even)"}, Status: st})
			}
		}
	}

	// Targets vs actuals, six months.
	v.Targets = Table{Title: "Revenue targets vs actuals", Period: "gross revenue, last 6 months", Head: []string{"Month", "Target", "Actual", "Variance"}}
	target, hasTarget := d.Tenant.Amount(fin.MonthlyRevenueTarget)
	imported := d.Known(metricRevenueTarget)
	switch {
	case !d.Known(messages.MetricRevenueGross):
		v.Targets.Missing = srcStripe.missing(d)
	case !hasTarget && !imported:
		v.Targets.Missing = configSource("finance.monthly_revenue_target (or import targets.csv)", "revenue target")
	default:
		var pts []point
		for _, mo := range months(minTime(d.Period.End, d.AsOf).Add(-1), d.Loc, 6) {
			actual := d.Sum(messages.MetricRevenueGross, mo.Start, mo.End).V
			t := target.Amount
			if imported {
				if it := d.targetInMonth(mo); it.Known {
					t = it.V
				}
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
		}
		v.TargetChart = trendChart("chart-revenue-months", "Gross revenue by month", pts, m)
		v.Charts = append(v.Charts, v.TargetChart)
	}

	v.MRRMovements, v.MRRMovementsChart = d.mrrMovements()
	if v.MRRMovementsChart != nil {
		v.Charts = append(v.Charts, v.MRRMovementsChart)
	}

	// Rules.
	min := fin.MinRunwayMonths
	runwayRule := Check{Rule: fmt.Sprintf("Runway at least %d months (finance.min_runway_months)", min)}
	switch {
	case min == 0:
		runwayRule.Result, runwayRule.Evidence = "UNKNOWN", "no rule set: finance.min_runway_months"
	case cur.profitable:
		runwayRule.Result, runwayRule.Evidence = "PASS", "not burning cash"
	case !cur.runwayKnown:
		runwayRule.Result, runwayRule.Evidence = "UNKNOWN", "runway unknown"
	case cur.runwayMonths >= float64(min):
		runwayRule.Result, runwayRule.Evidence = "PASS", fmt.Sprintf("%.1f months", cur.runwayMonths)
	default:
		runwayRule.Result, runwayRule.Evidence = "FAIL", fmt.Sprintf("%.1f months", cur.runwayMonths)
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
		if (cur.profitable && t.hi > 1e8) || (cur.runwayKnown && cur.runwayMonths >= t.lo && cur.runwayMonths < t.hi) {
			r.Status = good
			r.Cells[0] = "► " + t.name
		}
		v.Tiers.Rows = append(v.Tiers.Rows, r)
	}
	if !cur.runwayKnown && !cur.profitable {
		v.Tiers.Note = "No tier applies until runway is known."
	}
	return v
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
