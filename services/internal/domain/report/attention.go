package report

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/attention"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// attentionMetrics are what the catalogue's rules read; every role loads
// them, so each can evaluate the rules that speak to it.
var attentionMetrics = append([]string{
	messages.MetricPayoutsPaid, messages.MetricPayoutsFailed, messages.MetricCustomersNew,
	messages.MetricAWSLambdaFunction, messages.MetricAWSLambdaInvocations, messages.MetricAWSLambdaErrors,
	metricRevenueTarget, metricPipelineValue, metricChannelSpend,
}, append(financeMetrics, coverageMetrics()...)...)

// withAttention adds the rules' metrics to a role's, once each.
func withAttention(metrics []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range append(append([]string{}, metrics...), attentionMetrics...) {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}

// finish adds what every role's email opens with: the items that need
// attention.
func finish(d *Data, v View) {
	h := v.header()
	h.UnsubscribeURL = UnsubscribePlaceholder
	h.ViewURL = ViewPlaceholder
	h.NoData = true
	for _, s := range allSources {
		if s.known(d) {
			h.NoData = false
		} else {
			h.MissingSources = append(h.MissingSources, s.name)
		}
	}
	h.Attention = needsAttention(d)
	if len(h.Attention) == 0 {
		h.AttentionNone = "Nothing crossed a threshold in " + d.Period.Short() + "."
	}
	h.Subject = subjectLine(d, v, len(h.Attention))
	h.Preheader = h.AttentionNone
	if len(h.Attention) > 0 {
		h.Preheader = h.Attention[0].Title + ": " + h.Attention[0].Figure
	}
	if c, ok := v.(*CEOView); ok {
		c.Agenda = agendaFrom(d, h.Attention, c.Agenda)
		// A shortfall already among the items that need attention is not
		// said twice.
		covered := map[attention.Rule]bool{}
		for _, it := range h.Attention {
			covered[it.Rule] = true
		}
		var rest []Shortfall
		for _, f := range c.Shortfalls {
			if covered[attention.SecurityFindings] && strings.HasPrefix(f.Title, "Critical security finding") {
				continue
			}
			rest = append(rest, f)
		}
		c.Shortfalls = rest
	}
}

// agendaFrom puts the items that need attention at the top of the CEO's
// 30-day agenda, followed by the shortfalls' actions that say something
// else.
func agendaFrom(d *Data, items []attention.Item, rest []Action) []Action {
	var out []Action
	for _, it := range items {
		pri := map[string]string{messages.SeverityCritical: "P1", messages.SeverityHigh: "P2"}[it.Severity]
		if pri == "" {
			pri = "P3"
		}
		out = append(out, Action{Priority: pri, Title: it.Action, Why: it.Title + ": " + it.Figure, By: it.By})
	}
	for _, a := range rest {
		dup := len(items) > 0 && a.Why == "No rule fired this period"
		for _, o := range out {
			if strings.HasPrefix(o.Title, a.Title) {
				dup = true
			}
		}
		if !dup {
			out = append(out, a)
		}
	}
	return out
}

// needsAttention evaluates the catalogue's rules for the report's role
// and returns the items ranked, at most attention.Max.
func needsAttention(d *Data) []attention.Item {
	var items []attention.Item
	for _, it := range evaluateRules(d) {
		if attention.ForRole(it.Rule, d.Due.Role) {
			items = append(items, it)
		}
	}
	return attention.Rank(items, attention.Max)
}

// evaluateRules runs every rule of the catalogue over the data. A rule
// whose data is missing does not fire: the stale-source rule and the
// missing-data notes speak for it.
func evaluateRules(d *Data) []attention.Item {
	lim := d.Tenant.Limits()
	cc := d.Tenant.Currency
	m := func(n int64) string { return money(n, cc) }
	per := d.Period.Short()
	var out []attention.Item
	add := func(r attention.Rule, sev, title, figure, threshold, period, action string, excess float64) {
		spec := attention.SpecOf(r)
		out = append(out, attention.Item{
			Rule: r, TenantID: d.Tenant.ID, Business: d.Tenant.Name, Severity: sev, Title: title,
			Figure: figure, Threshold: threshold, Period: period, Why: spec.Why, Action: action,
			By: dateIn(d.AsOf.AddDate(0, 0, attention.DaysToAct(sev)), d.Loc), Excess: excess,
		})
	}
	cur := d.finance(d.Period)

	// Revenue below target: this period, and how many months in a row.
	if target, src, ok := d.revenueTarget(d.Period); ok && cur.gross.Known && target > 0 {
		limit := int64(float64(target) * lim.RevenueTargetPct / 100)
		if cur.gross.V < limit {
			run := d.monthsBelowTarget(lim.RevenueTargetPct)
			sev, title := messages.SeverityMedium, "Revenue below target in "+per
			switch {
			case run >= trendMonths && trendMonths >= lim.RevenuePeriods:
				sev, title = messages.SeverityHigh, fmt.Sprintf("Revenue below target in each of the last %d months", run)
			case run >= lim.RevenuePeriods:
				sev, title = messages.SeverityHigh, fmt.Sprintf("Revenue below target %d months running", run)
			}
			add(attention.RevenueBelowTarget, sev, title,
				fmt.Sprintf("%s, %s of target", m(cur.gross.V), pct(cur.gross.V, target)),
				fmt.Sprintf("target %s from the %s", m(target), src), per,
				fmt.Sprintf("Decide how to close the %s gap: price, volume or a new target", m(target-cur.gross.V)),
				1-float64(cur.gross.V)/float64(target))
		}
	}

	// Runway below the minimum.
	if rw := d.runway(); rw.known && !rw.profitable && rw.months < float64(lim.MinRunwayMonths) {
		add(attention.RunwayBelowMinimum, messages.SeverityCritical, "Runway below the minimum",
			fmt.Sprintf("%.1f months", rw.months), fmt.Sprintf("at least %d months", lim.MinRunwayMonths), "at "+dateIn(minTime(d.Period.End, d.AsOf), d.Loc),
			"Cut burn or raise cash: plan it this week", 1-rw.months/float64(lim.MinRunwayMonths))
	}

	// Payouts that do not reconcile.
	if g, ok := d.payoutGap(cur); ok && g.diff != 0 && cur.net.V != 0 {
		share := float64(abs(g.diff)) * 100 / float64(abs(cur.net.V))
		if share > lim.UnreconciledPct {
			// Without the charges' fees a shortfall is, at least in part,
			// the fees the balance paid: the first thing to do is to make
			// them known. A surplus no fee explains.
			sev, title, action := messages.SeverityHigh, "Payouts do not reconcile", "Match the Stripe balance to payouts and the bank statement"
			if !cur.chargeFees && g.diff < 0 {
				sev, title, action = messages.SeverityMedium, "Payouts cannot be reconciled without Stripe's fees",
					"Add the tenant's restricted Stripe API key (stripe.api_key) so fees are read, then match what remains"
			}
			add(attention.UnreconciledPayouts, sev, title,
				fmt.Sprintf("%s unreconciled (%s of net revenue%s)", signedMoney(g.diff, cc), roundPct(abs(g.diff), abs(cur.net.V)), feesInGap(cur)),
				fmt.Sprintf("at most %s of net revenue", fmtPct(lim.UnreconciledPct)), per,
				action, share/max(lim.UnreconciledPct, 0.01)-1)
		}
	}

	// Failed payouts.
	if failed := d.Count(messages.MetricPayoutsFailed, d.Period.Start, d.Period.End); failed.Known && failed.V > int64(lim.FailedPayouts) {
		amt := d.Sum(messages.MetricPayoutsFailed, d.Period.Start, d.Period.End)
		add(attention.FailedPayouts, messages.SeverityHigh, "Payouts failed",
			fmt.Sprintf("%s failed (%s)", count(failed.V), m(amt.V)), fmt.Sprintf("at most %d", lim.FailedPayouts), per,
			"Check the bank account on file in Stripe and retry the payout", float64(failed.V-int64(lim.FailedPayouts)))
	}

	// Refunds and disputes over gross.
	if cur.gross.Known && cur.gross.V > 0 {
		lost := cur.refunds.V + cur.disputes.V
		share := float64(lost) * 100 / float64(cur.gross.V)
		if share > lim.RefundsDisputesPct {
			add(attention.RefundsDisputes, messages.SeverityHigh, "Refunds and disputes high",
				fmt.Sprintf("%s, %s of gross", m(lost), roundPct(lost, cur.gross.V)), "at most "+fmtPct(lim.RefundsDisputesPct)+" of gross", per,
				"Read the refund and dispute reasons and fix the most common one", share/max(lim.RefundsDisputesPct, 0.01)-1)
		}
	}

	// Lambda error rate, per function.
	if d.Known(messages.MetricAWSLambdaFunction) {
		inv := d.dayStates(messages.MetricAWSLambdaInvocations, "function", d.Period)
		errs := d.dayStates(messages.MetricAWSLambdaErrors, "function", d.Period)
		for _, fn := range slices.Sorted(maps.Keys(inv)) {
			if inv[fn] == 0 {
				continue
			}
			r := float64(errs[fn]) * 100 / float64(inv[fn])
			if r > lim.LambdaErrorPct {
				sev := messages.SeverityHigh
				if r > 10*lim.LambdaErrorPct && r >= 5 {
					sev = messages.SeverityCritical
				}
				add(attention.LambdaErrorRate, sev, "Lambda "+fn+" is failing",
					fmt.Sprintf("%s errors (%s)", count(errs[fn]), rateWithCounts(errs[fn], inv[fn])), "at most "+fmtPct(lim.LambdaErrorPct), per,
					"Read "+fn+"'s error logs and fix the top error", r/max(lim.LambdaErrorPct, 0.001)-1)
			}
		}
	}

	// Cost growth, period over period.
	if prev := d.finance(d.Prev); cur.costs.Known && prev.costs.V > 0 && cur.costs.V > prev.costs.V {
		g := float64(cur.costs.V-prev.costs.V) * 100 / float64(prev.costs.V)
		if g > lim.CostGrowthPct {
			add(attention.CostGrowth, messages.SeverityMedium, "Costs growing fast",
				fmt.Sprintf("%s, %s vs %s", m(cur.costs.V), moneyDelta(cur.costs.V, prev.costs.V, false).Text, d.Prev.Short()),
				"at most "+fmtPct(lim.CostGrowthPct)+" a period", per, "Find the line that grew and decide whether it pays back", g/max(lim.CostGrowthPct, 0.01)-1)
		}
	}

	// Acquisition cost over the average order.
	if u := d.unitEconomics(d.Period); u.cacKnown && u.aovKnown && u.aov > 0 {
		limit := float64(u.aov) * lim.CACAOVPct / 100
		if float64(u.cac) > limit {
			add(attention.CACAboveAOV, messages.SeverityHigh, "Customers cost more than they buy",
				fmt.Sprintf("CAC %s vs average order %s", m(u.cac), m(u.aov)), fmt.Sprintf("CAC at most %s of the average order", fmtPct(lim.CACAOVPct)), per,
				"Move spend from the most expensive channel to the cheapest", float64(u.cac)/max(limit, 1)-1)
		}
	}

	// Security findings at or above the configured severity.
	if d.FindingsKnown() {
		bySev := map[string][]messages.Finding{}
		worst := ""
		for _, f := range d.Findings() {
			if severityOrder[f.Severity] <= severityOrder[lim.FindingSeverity] {
				bySev[f.Severity] = append(bySev[f.Severity], f)
				if worst == "" || severityOrder[f.Severity] < severityOrder[worst] {
					worst = f.Severity
				}
			}
		}
		if worst != "" {
			var parts []string
			n := 0
			for _, s := range []string{messages.SeverityCritical, messages.SeverityHigh, messages.SeverityMedium, messages.SeverityLow} {
				if k := len(bySev[s]); k > 0 {
					parts, n = append(parts, fmt.Sprintf("%d %s", k, s)), n+k
				}
			}
			top := bySev[worst][0]
			sev := worst
			if sev != messages.SeverityCritical {
				sev = messages.SeverityHigh
			}
			add(attention.SecurityFindings, sev, fmt.Sprintf("%d security findings open", n),
				strings.Join(parts, ", ")+"; worst: "+top.Title+" on "+top.Resource, "none at "+lim.FindingSeverity+" or above", "open at "+dateIn(d.AsOf, d.Loc),
				"Fix "+top.Title+" on "+top.Resource+" first", float64(n))
		}
	}

	// Pipeline coverage of next month's target.
	if pc, ok := d.pipelineCoverage(); ok {
		{
			open, t, src, next := pc.open, pc.target, pc.src, pc.month
			cov := float64(open) * 100 / float64(t)
			if cov < lim.PipelineCoveragePct {
				add(attention.PipelineCoverage, messages.SeverityMedium, "Pipeline does not cover next month's target",
					fmt.Sprintf("%s open, %s of %s", m(open), pct(open, t), next.Start.Format("January")+"'s target"),
					fmt.Sprintf("at least %s of the target %s from the %s", fmtPct(lim.PipelineCoveragePct), m(t), src), "at "+dateIn(d.AsOf, d.Loc),
					"Add deals: outreach and follow-ups this week", 1-cov/max(lim.PipelineCoveragePct, 0.01))
			}
		}
	}

	// Sources that went quiet.
	// One item for all of them, the longest silence first: five quiet
	// sources are one problem for an executive (the operator's notice
	// lists each).
	if st := d.staleSources(lim); len(st) > 0 {
		sort.SliceStable(st, func(i, j int) bool { return st[i].days > st[j].days })
		s := st[0]
		title := "No " + s.src.name + " for " + fmt.Sprint(s.days) + " days"
		figure := "last data " + dateIn(s.last, d.Loc)
		if len(st) > 1 {
			var names []string
			for _, o := range st[1:] {
				names = append(names, o.src.name)
			}
			figure += "; also quiet: " + joinAnd(names)
		}
		add(attention.StaleSource, messages.SeverityMedium, title, figure,
			fmt.Sprintf("data at least every %d days", s.limit), "at "+dateIn(d.AsOf, d.Loc),
			"Ask the operator to check the "+s.src.name+" connection", float64(s.days)/float64(max(s.limit, 1))-1)
	}
	return out
}

// coverage is the open pipeline against the next month's target.
type coverage struct {
	open, target int64
	src          string
	month        Period
}

// pipelineCoverage is the open pipeline against the target of the month
// after the report's as-of time.
func (d *Data) pipelineCoverage() (coverage, bool) {
	if !d.Known(metricPipelineValue) {
		return coverage{}, false
	}
	end := minTime(d.Period.End, d.AsOf).In(d.Loc)
	next := Period{Start: time.Date(end.Year(), end.Month(), 1, 0, 0, 0, 0, d.Loc), Loc: d.Loc}
	if !end.Equal(next.Start) {
		next.Start = next.Start.AddDate(0, 1, 0)
	}
	next.End = next.Start.AddDate(0, 1, 0)
	t, src, ok := d.monthTarget(next)
	if !ok || t <= 0 {
		return coverage{}, false
	}
	return coverage{open: d.openPipeline(), target: t, src: src, month: next}, true
}

// monthsBelowTarget counts the calendar months, ending with the report's,
// whose gross revenue was under pct of that month's target (at most 12).
func (d *Data) monthsBelowTarget(pct float64) int {
	n := 0
	// Within the months a report reads (trendMonths, data.go): further
	// back is not loaded, and would read as no revenue.
	ms := months(minTime(d.Period.End, d.AsOf).Add(-time.Nanosecond), d.Loc, trendMonths)
	// A month that ended before the first revenue fact has no data, not
	// no revenue: the run stops there.
	first, found := d.firstFact(messages.MetricRevenueGross)
	for i := len(ms) - 1; i >= 0; i-- {
		if !found || !ms[i].End.After(first) {
			break
		}
		t, _, ok := d.monthTarget(ms[i])
		if !ok {
			break
		}
		if i == len(ms)-1 {
			t, _, _ = d.revenueTarget(Period{Start: ms[i].Start, End: minTime(ms[i].End, d.AsOf), Kind: messages.PeriodMonthToDate, Loc: d.Loc})
		}
		if float64(d.Sum(messages.MetricRevenueGross, ms[i].Start, ms[i].End).V) >= float64(t)*pct/100 {
			break
		}
		n++
	}
	return n
}

// firstFact is the time of metric's earliest fact, in any currency.
func (d *Data) firstFact(metric string) (time.Time, bool) {
	var first time.Time
	found := false
	for _, f := range d.Facts(metric) {
		if !found || f.OccurredAt.Before(first) {
			first, found = f.OccurredAt, true
		}
	}
	return first, found
}

// gap is the payouts reconciliation of a period.
type gap struct {
	open, expected, close, diff int64
	settledIn                   int64 // net settled from charges in other currencies
	pending                     bool  // open and close include pending funds
	end                         time.Time
}

// balanceLabel names the balance the gap compares ("Stripe balance (available
// + pending) at " when pending funds are read, else the available balance).
func (g gap) balanceLabel() string {
	if g.pending {
		return "Stripe balance (available + pending) at "
	}
	return "Stripe balance at "
}

// feesInGap says what an unreconciled difference includes when Stripe's
// processing fees are not known ("" when they are).
func feesInGap(cur finance) string {
	if cur.chargeFees {
		return ""
	}
	return "; it includes Stripe's processing fees, not known without the Stripe API key"
}

// payoutGap reconciles the Stripe balance over the period: opening
// balance + net revenue − payouts should be the closing balance.
func (d *Data) payoutGap(cur finance) (gap, bool) { return d.payoutGapIn(d.Period, cur) }

// payoutGapIn reconciles the Stripe balance over p (cur is p's finance).
func (d *Data) payoutGapIn(p Period, cur finance) (gap, bool) {
	end := minTime(p.End, d.AsOf)
	// The balance is what is available plus what is pending (captured, not
	// yet available): net revenue counts both.
	open, close := d.TotalAt(messages.MetricCashStripe, p.Start), d.TotalAt(messages.MetricCashStripe, end)
	pendingOpen, pendingClose := d.TotalAt(messages.MetricCashStripePending, p.Start), d.TotalAt(messages.MetricCashStripePending, end)
	open.V += pendingOpen.V
	close.V += pendingClose.V
	// Payouts are states dated at the payout (additive before this
	// round): Moved counts both, as the Accounting table shows them.
	paid := d.Moved(messages.MetricPayoutsPaid, p.Start, p.End)
	if !cur.gross.Known || !open.Known || !(paid.Known || d.Known(messages.MetricCashStripe)) {
		return gap{}, false
	}
	// Charges in other currencies settled into the tenant's balance add
	// their settled net (in the tenant's currency, as Stripe settled it).
	g := gap{open: open.V, close: close.V, end: end, pending: pendingOpen.Known, settledIn: settledInto(d.settlements(p), d.Tenant.Currency)}
	g.expected = open.V + cur.net.V + g.settledIn - paid.V
	g.diff = close.V - g.expected
	return g, true
}

type staleSource struct {
	src         source
	last        time.Time
	days, limit int
}

// staleSources are the connected sources whose latest data is older than
// the tenant's limit (streams: Stripe, AWS; imports: the CSVs).
func (d *Data) staleSources(lim tenants.Limits) []staleSource {
	var out []staleSource
	for _, s := range allSources {
		last, ok := s.last(d)
		if !ok {
			continue
		}
		limit := lim.StaleImportDays
		if s.stream {
			limit = lim.StaleStreamDays
		}
		if days := int(d.AsOf.Sub(last).Hours() / 24); days > limit {
			out = append(out, staleSource{src: s, last: last, days: days, limit: limit})
		}
	}
	return out
}

// last is the time of the source's latest fact up to AsOf.
func (s source) last(d *Data) (time.Time, bool) {
	var last time.Time
	found := false
	for _, mt := range s.metrics {
		if t, ok := d.LatestAt(mt, d.AsOf.Add(time.Nanosecond)); ok && (!found || t.After(last)) {
			last, found = t, true
		}
	}
	return last, found
}

// roundPct is num/den as a whole percentage ("70 %"), "<1 %" when tiny.
func roundPct(num, den int64) string {
	if den == 0 {
		return "n/a"
	}
	// Rounded half away from zero: %.0f rounds half to even, which made
	// 0.5 % "0 %" and 2.5 % "2 %".
	r := math.Round(float64(num) * 100 / float64(den))
	if num != 0 && r == 0 {
		return "<1 %"
	}
	return fmt.Sprintf("%.0f %%", r)
}

// fmtPct formats a threshold percentage ("5 %", "0.1 %").
func fmtPct(p float64) string {
	if p == float64(int64(p)) {
		return fmt.Sprintf("%d %%", int64(p))
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", p), "0"), ".") + " %"
}
