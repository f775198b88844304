package report

import (
	"fmt"
	"strings"
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
		k.setDelta(moneyDelta(c.V, p.V, higherIsBetter))
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
	rw := d.runway()
	burn := burnKPI(moneyKPI("Net burn", cur.netBurn, prev.netBurn, cur.costsMissing(d), false), cur.netBurn, prev.netBurn, cc, prevLabel)
	if !cur.net.Known && cur.costs.Known {
		// No revenue data: the burn is gross, and says so.
		burn = moneyKPI("Gross burn", cur.costs, prev.costs, nil, false)
		burn.Status, burn.Note = bad, "costs only: revenue unknown (no Stripe data)"
	}
	if rw.burn.known {
		trailing := "monthly burn " + money(rw.burn.monthly, cc) + " (" + rw.burn.basis() + ")"
		if rw.burn.monthly < 0 {
			trailing = "monthly profit " + money(-rw.burn.monthly, cc) + " (" + strings.TrimPrefix(rw.burn.basis(), "net burn, ") + ")"
		}
		burn.Note = strings.TrimPrefix(burn.Note+"; ", "; ") + trailing
	}
	runway := KPI{Label: "Runway", Period: "at " + dateIn(minTime(d.Period.End, d.AsOf), d.Loc), Value: rw.text()}
	switch {
	case rw.profitable:
		runway.Status = good
	case !rw.cash.Known:
		runway.Status, runway.Missing = unknown, &Missing{Source: "cash balance", HowTo: srcCash.howTo(d.Tenant.ID) + ", or " + srcStripeBalance.howTo(d.Tenant.ID)}
	case !rw.known:
		runway.Status, runway.Missing = unknown, cur.costsMissing(d)
	default:
		runway.Note = fmt.Sprintf("cash %s / %s a month (%s)", money(rw.cash.V, cc), money(rw.burn.monthly, cc), rw.burn.basis())
		runway.Status = good
		if rw.months < float64(d.Tenant.Limits().MinRunwayMonths) {
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
		errRate.Value = rate(e, i)
		errRate.Previous = pct(pe, pi) + " (" + prevLabel + ")"
		errRate.Note = fmt.Sprintf("%s errors in %s invocations", count(e), count(i))
		errRate.Status = good
		if i > 0 && e*100 > i {
			errRate.Status = bad
		}
	}
	pipe := KPI{Label: "Pipeline (open deals)", Period: "at " + dateIn(d.AsOf, d.Loc)}
	if !d.Known(metricPipelineValue) {
		pipe.Value, pipe.Status, pipe.Missing = "unknown", unknown, srcPipeline.missing(d)
	} else {
		pipe.Value, pipe.Status = money(d.openPipeline(), cc), neutral
		if pc, ok := d.pipelineCoverage(); ok {
			pipe.Target = money(pc.target, cc) + " (" + pc.month.Start.In(d.Loc).Format("January") + ")"
			pipe.Note = pct(pc.open, pc.target) + " of " + pc.month.Start.In(d.Loc).Format("January") + "'s target covered"
			pipe.Status = good
			if float64(pc.open)*100 < float64(pc.target)*d.Tenant.Limits().PipelineCoveragePct {
				pipe.Status = bad
			}
		}
	}
	for _, k := range []KPI{rev, net, mrr, pipe, burn, runway, awsCost, errRate} {
		if k.Missing != nil {
			v.MissingKPIs = append(v.MissingKPIs, k)
		}
		v.KPIs = append(v.KPIs, k)
	}
	if cur.gross.Known {
		tr := trendSpec{cid: "chart-revenue", title: "Daily gross revenue, " + d.Period.Label(),
			pts: d.daily(messages.MetricRevenueGross, d.Period), prev: d.daily(messages.MetricRevenueGross, d.Prev), prevLabel: d.Prev.Short(),
			format: func(n int64) string { return money(n, cc) }}
		if target, _, ok := d.revenueTarget(d.Period); ok && len(tr.pts) > 0 {
			// The pace line: the period's target spread evenly over its
			// days.
			pace := target / int64(max(1, len(tr.pts)))
			for range tr.pts {
				tr.target = append(tr.target, pace)
			}
			tr.targetLabel = "pace to target: " + money(pace, cc) + " a day"
		}
		v.RevenueChart = drawTrend(tr)
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
			"No Stripe charge has ever been recorded for this business.", "Connect Stripe (your operator has the steps)")
	} else if r := d.Sum(messages.MetricRevenueGross, last30, d.AsOf); r.V == 0 {
		last, _ := d.LatestAt(messages.MetricRevenueGross, d.AsOf)
		add(messages.SeverityCritical, "No revenue in 30 days",
			fmt.Sprintf("No captured charge between %s and %s; the last was on %s.", dateIn(last30, d.Loc), dateIn(d.AsOf, d.Loc), dateIn(last, d.Loc)),
			"Find out why sales stopped: checkout, pricing, traffic")
	}
	if !d.Known(metricPipelineValue) {
		add(messages.SeverityHigh, "No sales pipeline on record",
			"No pipeline has been imported, so future revenue cannot be judged.", "Have the pipeline imported monthly (your operator has the steps)")
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
			"Unit price, cost per unit and fixed costs are not all on record, so break-even cannot be worked out without actuals.",
			"Agree unit price, unit cost and fixed costs, and have them recorded")
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

// burnKPI shows a negative net burn as a profit: "Net profit $4,920.92",
// never a green "−$4,920.92" burn.
func burnKPI(k KPI, cur, prev Num, cc, prevLabel string) KPI {
	if !cur.Known || k.Missing != nil {
		return k
	}
	side := func(n int64) string {
		if n < 0 {
			return "profit " + money(-n, cc)
		}
		return "burn " + money(n, cc)
	}
	k.Previous = side(prev.V) + " (" + prevLabel + ")"
	if cur.V < 0 {
		k.Label, k.Value = "Net profit", money(-cur.V, cc)
		k.Status = good
	} else {
		k.Status = bad
		if cur.V == 0 {
			k.Status = neutral
		}
	}
	if (cur.V < 0) == (prev.V < 0) {
		// The same side both periods: a bigger profit or a smaller burn
		// is good.
		k.setDelta(moneyDelta(abs(cur.V), abs(prev.V), cur.V < 0))
	} else {
		k.Change, k.ChangeStatus = "", ""
	}
	return k
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
