package report

import (
	"fmt"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// CEOView is the CEO's report: headline KPIs against the previous period
// and the target, shortfalls found by rules with their evidence, the KPIs
// that cannot be computed, and a prioritised 30-day agenda.
type CEOView struct {
	Header
	KPIs         []KPI
	RevenueChart *Chart
	// MRRMovements is ChartMogul's five movements per month, with a chart.
	MRRMovements      *Table
	MRRMovementsChart *Chart
	Shortfalls        []Shortfall
	MissingKPIs       []KPI
	Agenda            []Action
}

// Shortfall is a rule that fired, with the evidence.
type Shortfall struct {
	Severity string
	Title    string
	Evidence string
	action   string
}

func (*CEOView) template() string { return "ceo" }

func init() {
	analysts[messages.RoleCEO] = analyst{
		metrics: append([]string{messages.MetricMRR, messages.MetricCustomersNew,
			messages.MetricCheckoutCompleted, messages.MetricCheckoutExpired,
			messages.MetricAWSLambdaInvocations, messages.MetricAWSLambdaErrors,
			metricPipelineValue, metricRevenueTarget}, append(financeMetrics, coverageMetrics()...)...),
		findings: true,
		analyse:  analyseCEO,
	}
}

func analyseCEO(d *Data) View {
	v := &CEOView{Header: newHeader(d, "briefing")}
	cur, prev := d.finance(d.Period), d.finance(d.Prev)
	cc := d.Tenant.Currency
	per, prevLabel := d.Period.Short(), d.Prev.Short()
	v.noteOther("Revenue", cur.gross)

	moneyKPI := func(label string, c, p Num, src *Missing, higherIsBetter bool) KPI {
		k := KPI{Label: label, Period: per}
		if !c.Known {
			k.Value, k.Status, k.Missing = "unknown", unknown, src
			return k
		}
		k.Value = money(c.V, cc)
		k.Previous = money(p.V, cc) + " (" + prevLabel + ")"
		k.Change = change(c.V, p.V)
		k.Status = trend(c.V, p.V, higherIsBetter)
		return k
	}
	rev := moneyKPI("Revenue (gross)", cur.gross, prev.gross, srcStripe.missing(d), true)
	if target, ok := d.targetFor(d.Period); ok && cur.gross.Known {
		rev.Target = money(target, cc)
		if cur.gross.V >= target {
			rev.Status = good
		} else {
			rev.Status = bad
		}
		rev.Note = pct(cur.gross.V, target) + " of target"
	} else if !ok {
		rev.Note = "no target: set finance.monthly_revenue_target"
	}
	net := moneyKPI(cur.netLabel(), cur.net, prev.net, srcStripe.missing(d), true)
	net.Note = cur.netFormula()
	mrrNow, mrrPrev := d.TotalAt(messages.MetricMRR, minTime(d.Period.End, d.AsOf)), d.TotalAt(messages.MetricMRR, d.Period.Start)
	v.noteOther("MRR", mrrNow)
	mrr := moneyKPI("MRR", mrrNow, mrrPrev, srcStripe.missing(d), true)
	mrr.Period = "at " + dateIn(minTime(d.Period.End, d.AsOf), d.Loc)
	if mrr.Previous != "" {
		mrr.Previous = money(mrrPrev.V, cc) + " (at " + dateIn(d.Period.Start, d.Loc) + ")"
	}
	burn := moneyKPI("Net burn", cur.netBurn, prev.netBurn, cur.costsMissing(d), false)
	if cur.netBurn.Known && !cur.net.Known {
		burn.Missing = srcStripe.missing(d)
	}
	runway := KPI{Label: "Runway", Period: "at " + dateIn(minTime(d.Period.End, d.AsOf), d.Loc), Value: cur.runwayText()}
	switch {
	case cur.profitable:
		runway.Status = good
	case !cur.cash.Known:
		runway.Status, runway.Missing = unknown, &Missing{Source: "cash balance", HowTo: srcCash.howTo(d.Tenant.ID) + ", or " + srcStripeBalance.howTo(d.Tenant.ID)}
	case !cur.runwayKnown:
		runway.Status, runway.Missing = unknown, burn.Missing
	default:
		runway.Note = fmt.Sprintf("cash %s / net burn %s a month", money(cur.cash.V, cc), money(cur.monthlyNetBurn, cc))
		runway.Status = good
		if min := d.Tenant.Finance.MinRunwayMonths; min > 0 && cur.runwayMonths < float64(min) {
			runway.Status = bad
		}
	}
	awsCost := moneyKPI("AWS cost", cur.aws, prev.aws, srcAWSCost.missing(d), false)
	inv := d.dayStates(messages.MetricAWSLambdaInvocations, "function", d.Period)
	errs := d.dayStates(messages.MetricAWSLambdaErrors, "function", d.Period)
	pinv := d.dayStates(messages.MetricAWSLambdaInvocations, "function", d.Prev)
	perrs := d.dayStates(messages.MetricAWSLambdaErrors, "function", d.Prev)
	errRate := KPI{Label: "Error rate (Lambda)", Period: per}
	if !d.Known(messages.MetricAWSLambdaInvocations) {
		errRate.Value, errRate.Status, errRate.Missing = "unknown", unknown, srcAWS.missing(d)
	} else {
		i, e, pi, pe := total(inv), total(errs), total(pinv), total(perrs)
		errRate.Value = pct(e, i)
		errRate.Previous = pct(pe, pi) + " (" + prevLabel + ")"
		errRate.Note = fmt.Sprintf("%s errors in %s invocations", count(e), count(i))
		errRate.Status = good
		if i > 0 && e*100 > i {
			errRate.Status = bad
		}
	}
	for _, k := range []KPI{rev, net, mrr, burn, runway, awsCost, errRate} {
		if k.Missing != nil {
			v.MissingKPIs = append(v.MissingKPIs, k)
		}
		v.KPIs = append(v.KPIs, k)
	}
	if cur.gross.Known {
		v.RevenueChart = trendChart("chart-revenue", "Daily gross revenue, "+d.Period.Label(),
			d.daily(messages.MetricRevenueGross, d.Period), func(n int64) string { return money(n, cc) })
		v.Charts = append(v.Charts, v.RevenueChart)
	}

	v.MRRMovements, v.MRRMovementsChart = d.mrrMovements()
	if v.MRRMovementsChart != nil {
		v.Charts = append(v.Charts, v.MRRMovementsChart)
	}
	if n := len(readmodel.UnknownMRR(d.Facts(messages.MetricMRR), minTime(d.Period.End, d.AsOf))); n > 0 {
		v.KPIs[2].Note = fmt.Sprintf("MRR unknown for %s: not included", plural(int64(n), "subscription"))
	}

	v.Shortfalls = ceoShortfalls(d, cur)
	v.Agenda = agenda(d, v.Shortfalls)
	return v
}

func ceoShortfalls(d *Data, cur finance) []Shortfall {
	var out []Shortfall
	add := func(sev, title, evidence, action string) {
		out = append(out, Shortfall{Severity: sev, Title: title, Evidence: evidence, action: action})
	}
	cc := d.Tenant.Currency
	last30 := d.AsOf.AddDate(0, 0, -30)
	if !d.Known(messages.MetricRevenueGross) {
		add(messages.SeverityCritical, "No revenue source connected",
			"No Stripe charge has ever been recorded for this business.", "Connect Stripe: "+srcStripe.howTo(d.Tenant.ID))
	} else if r := d.Sum(messages.MetricRevenueGross, last30, d.AsOf); r.V == 0 {
		last, _ := d.LatestAt(messages.MetricRevenueGross, d.AsOf)
		add(messages.SeverityCritical, "No revenue in 30 days",
			fmt.Sprintf("No captured charge between %s and %s; the last was on %s.", dateIn(last30, d.Loc), dateIn(d.AsOf, d.Loc), dateIn(last, d.Loc)),
			"Find out why sales stopped: checkout, pricing, traffic")
	}
	if !d.Known(metricPipelineValue) {
		add(messages.SeverityHigh, "No sales pipeline on record",
			"No pipeline has been imported, so future revenue cannot be judged.", "Import the pipeline: "+srcPipeline.howTo(d.Tenant.ID))
	} else if p := d.openPipeline(); p <= 0 {
		add(messages.SeverityHigh, "Empty pipeline", fmt.Sprintf("Open pipeline value is %s as of %s.", money(p, cc), dateIn(d.AsOf, d.Loc)),
			"Rebuild the pipeline: outreach and follow-ups this week")
	}
	done, lost := d.Count(messages.MetricCheckoutCompleted, d.Period.Start, d.Period.End), d.Count(messages.MetricCheckoutExpired, d.Period.Start, d.Period.End)
	if started := done.V + lost.V; started >= 5 && done.V*5 < started {
		add(messages.SeverityHigh, "Broken checkout funnel",
			fmt.Sprintf("%s of %s checkout sessions completed in %s (%s).", count(done.V), count(started), d.Period.Short(), pct(done.V, started)),
			"Walk through the checkout and fix where buyers drop off")
	}
	fin := d.Tenant.Finance
	if fin.UnitPrice == "" || fin.FixedCostsMonthly == "" || fin.VariableCostPerUnit == "" {
		add(messages.SeverityMedium, "No profitability model",
			"finance.unit_price, finance.variable_cost_per_unit and finance.fixed_costs_monthly are not all set, so break-even cannot be computed.",
			"Write down unit price, unit cost and fixed costs in the tenants file")
	}
	if min := fin.MinRunwayMonths; min > 0 && cur.runwayKnown && cur.runwayMonths < float64(min) {
		add(messages.SeverityCritical, "Runway below the company's minimum",
			fmt.Sprintf("Runway is %.1f months; the rule is at least %d.", cur.runwayMonths, min), "Cut burn or raise cash")
	}
	for _, f := range d.Findings() {
		if f.Severity == messages.SeverityCritical {
			add(messages.SeverityCritical, "Critical security finding: "+f.Title, f.Resource+": "+f.Detail, "Fix "+f.Title+" on "+f.Resource)
		}
	}
	var missing []string
	for _, s := range allSources {
		if !s.known(d) {
			missing = append(missing, s.name)
		}
	}
	if len(missing) > 0 {
		add(messages.SeverityMedium, "Missing KPI sources", fmt.Sprintf("%d of %d sources have never delivered data: %s.", len(missing), len(allSources), joinAnd(missing)),
			"Connect the missing sources listed below")
	}
	sortSeverity(out)
	return out
}

// agenda turns shortfalls into a prioritised 30-day plan.
func agenda(d *Data, fs []Shortfall) []Action {
	var out []Action
	for _, f := range fs {
		pri, days := "P3", 30
		switch f.Severity {
		case messages.SeverityCritical:
			pri, days = "P1", 7
		case messages.SeverityHigh:
			pri, days = "P2", 14
		}
		out = append(out, Action{Priority: pri, Title: f.action, Why: f.Title, By: dateIn(d.AsOf.Add(time.Duration(days)*24*time.Hour), d.Loc)})
	}
	if len(out) == 0 {
		out = append(out, Action{Priority: "P3", Title: "Keep the course; review this report with the team", Why: "No rule fired this period", By: dateIn(d.AsOf.AddDate(0, 0, 30), d.Loc)})
	}
	return out
}

func trend(cur, prev int64, higherIsBetter bool) string {
	switch {
	case cur == prev:
		return neutral
	case (cur > prev) == higherIsBetter:
		return good
	default:
		return bad
	}
}

func total(m map[string]int64) int64 {
	var t int64
	for _, v := range m {
		t += v
	}
	return t
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// openPipeline sums the latest amounts of open deals (tenant currency).
func (d *Data) openPipeline() int64 {
	fs, _ := d.inCurrency(metricPipelineValue)
	var v int64
	for _, f := range readmodel.StatesAt(fs, d.AsOf.Add(time.Nanosecond)) {
		if f.Dimensions[messages.DimStatus] == messages.DealOpen {
			v += f.Value
		}
	}
	return v
}
