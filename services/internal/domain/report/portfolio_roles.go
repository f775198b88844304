package report

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// The five portfolio analyses. Each reads a member's figures from its own
// report's view (m.v, the strings that report shows) or from the same
// Data function that view was built with (m.d), never from a second
// computation.

func portfolioCEO(v *PortfolioView, ms []*member, p tenants.Portfolio, per Period) {
	v.Glance = &Table{Title: "Businesses side by side", Period: per.Label(), Head: []string{"Business", "Revenue (gross)", "Runway", "Need attention"}}
	v.Inventory = &Table{Title: "Asset inventory", Period: "sources connected, as of " + v.AsOf, Head: []string{"Business", "Connected", "Missing"}}
	v.MissingKPIs = &Table{Title: "Missing KPIs", Period: "headline KPIs that cannot be worked out, by business", Head: []string{"Business", "Missing KPIs"},
		Empty: "Every business has every headline KPI."}
	for _, m := range ms {
		cv := m.v.(*CEOView)
		d, cc := m.d, m.t.Currency
		rev := kpiNamed(cv.KPIs, "Revenue")
		net := kpiNamed(cv.KPIs, "Net revenue")
		mrr := kpiNamed(cv.KPIs, "MRR")
		burn := kpiNamed(cv.KPIs, "Net burn", "Net profit", "Gross burn")
		runway := kpiNamed(cv.KPIs, "Runway")
		rw := d.runway()
		c := Card{Title: m.t.Name, Subtitle: d.Period.Label() + " · " + cc}
		c.Lines = append(c.Lines, kpiLine("Revenue (gross) vs target", rev), kpiLine(net.Label, net), kpiLine(burn.Label, burn))
		cash := Line{Label: "Cash", Value: "unknown", Status: unknown, Note: "No cash balance yet"}
		if rw.cash.Known {
			cash = Line{Label: "Cash", Value: money(rw.cash.V, cc), Note: "as of " + dateIn(rw.cashAsOf, d.Loc)}
		}
		c.Lines = append(c.Lines, cash, kpiLine("Runway", runway))
		ml := kpiLine("MRR", mrr)
		if cv.MRRMovements != nil {
			for _, r := range cv.MRRMovements.Rows {
				if len(r.Cells) > 1 && r.Cells[0] == "Net new MRR" {
					ml.Note = strings.TrimPrefix(ml.Note+"; net new MRR "+cv.MRRMovements.Head[len(cv.MRRMovements.Head)-1]+": "+r.Cells[len(r.Cells)-1], "; ")
				}
			}
		}
		c.Lines = append(c.Lines, ml, attentionLine(m))
		c.Note = memberNotes(m)
		v.Cards = append(v.Cards, c)

		gr := Row{Cells: []string{m.t.Name, rev.Value, runway.Value, count(int64(len(m.top)))}}
		if rev.Note != "" && rev.Missing == nil {
			gr.Cells[1] += " (" + rev.Note + ")"
		}
		gr.mark(1, rev.Status)
		gr.mark(2, runway.Status)
		if len(m.top) > 0 {
			gr.mark(3, warn)
		}
		v.Glance.Rows = append(v.Glance.Rows, gr)

		var have, lack []string
		for _, s := range allSources {
			if s.known(d) {
				have = append(have, s.name)
			} else {
				lack = append(lack, s.name)
			}
		}
		ir := Row{Cells: []string{m.t.Name, orNone(have), orNone(lack)}}
		if len(lack) > 0 {
			ir.mark(2, warn)
		}
		v.Inventory.Rows = append(v.Inventory.Rows, ir)
		if len(cv.MissingKPIs) > 0 {
			var ks []string
			for _, k := range cv.MissingKPIs {
				ks = append(ks, k.Label+" (no "+k.Missing.Source+")")
			}
			v.MissingKPIs.Rows = append(v.MissingKPIs.Rows, Row{Cells: []string{m.t.Name, strings.Join(ks, "; ")}})
		}
	}
	figures := []sumFigure{
		{label: "Revenue (gross)", value: func(m *member) (int64, bool) { f := m.d.finance(m.d.Period); return f.gross.V, f.gross.Known }},
		{label: "Revenue target", value: func(m *member) (int64, bool) { return m.d.targetFor(m.d.Period) }},
		{label: "Net revenue", value: func(m *member) (int64, bool) { f := m.d.finance(m.d.Period); return f.net.V, f.net.Known }},
		{label: "Net burn (costs − net revenue)", burn: true, value: func(m *member) (int64, bool) {
			f := m.d.finance(m.d.Period)
			return f.netBurn.V, f.netBurn.Known
		}},
		{label: "Cash", value: func(m *member) (int64, bool) { r := m.d.runway(); return r.cash.V, r.cash.Known }},
		{label: "MRR", value: func(m *member) (int64, bool) {
			n := m.d.TotalAt(messages.MetricMRR, minTime(m.d.Period.End, m.d.AsOf))
			return n.V, n.Known
		}},
		{label: "Items needing attention", count: true, value: func(m *member) (int64, bool) { return int64(len(m.top)), true }},
	}
	v.Totals = totalsCards(ms, per, figures)
	v.FX = fxCard(ms, p, per, figures)
}

func portfolioCTO(v *PortfolioView, ms []*member, p tenants.Portfolio, per Period) {
	v.Glance = &Table{Title: "Stacks side by side", Period: per.Label(), Head: []string{"Business", "Findings", "AWS cost", "Lambda errors"}}
	type ranked struct {
		a     Action
		order int
		due   time.Time
	}
	var acts []ranked
	for _, m := range ms {
		cv := m.v.(*CTOView)
		d := m.d
		c := Card{Title: m.t.Name, Subtitle: "stack · " + d.Period.Label() + " · " + m.t.Currency}
		// Findings by severity.
		fl := Line{Label: "Security findings open", Value: "unknown", Status: unknown, Note: "No AWS data yet"}
		if d.FindingsKnown() {
			counts := map[string]int{}
			for _, f := range d.Findings() {
				counts[f.Severity]++
			}
			var parts []string
			for _, s := range []string{messages.SeverityCritical, messages.SeverityHigh, messages.SeverityMedium, messages.SeverityLow, messages.SeverityInfo} {
				if counts[s] > 0 {
					parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
				}
			}
			fl = Line{Label: "Security findings open", Value: orNone(parts), Status: good}
			if counts[messages.SeverityCritical]+counts[messages.SeverityHigh] > 0 {
				fl.Status = bad
			}
		}
		c.Lines = append(c.Lines, fl)
		// AWS cost and its trend: the total row of its own cost table.
		cl := Line{Label: "AWS cost", Value: "unknown", Status: unknown, Note: "No AWS cost data yet"}
		if cv.Cost.Missing == nil && len(cv.Cost.Rows) > 0 {
			t := cv.Cost.Rows[len(cv.Cost.Rows)-1]
			cl = Line{Label: "AWS cost", Value: t.Cells[1], Note: t.Cells[3] + " vs " + t.Cells[2] + " (" + d.Prev.Short() + ")", Status: t.ClassOf(3)}
			var grew []string
			for _, r := range cv.Savings.Rows {
				grew = append(grew, r.Cells[0]+": "+r.Cells[1])
			}
			if len(grew) > 0 {
				cl.Note += "; savings candidates: " + strings.Join(grew, "; ")
			}
			// The trend its own cost chart draws: six calendar months.
			var trend []string
			for _, mo := range months(minTime(d.Period.End, d.AsOf).Add(-time.Nanosecond), d.Loc, 6) {
				_, t := d.awsCostByService(mo)
				trend = append(trend, mo.Start.In(d.Loc).Format("Jan")+" "+money(t.V, m.t.Currency))
			}
			cl.Note += "; by month: " + strings.Join(trend, " · ")
		}
		c.Lines = append(c.Lines, cl)
		// Lambda error rate (the rate its own report's subject carries)
		// and the functions over the threshold.
		ll := Line{Label: "Lambda error rate", Value: "unknown", Status: unknown, Note: "No AWS data yet"}
		if cv.Lambda.Missing == nil {
			ll = Line{Label: "Lambda error rate", Value: cv.errorRate, Status: good}
			if ll.Value == "" {
				ll.Value = "n/a"
			}
			var failing []string
			for _, r := range cv.Lambda.Rows {
				if r.ClassOf(2) == bad {
					failing = append(failing, r.Cells[0]+" "+r.Cells[2])
				}
			}
			ll.Note = plural(int64(len(cv.Lambda.Rows)), "function")
			if len(failing) > 0 {
				ll.Status, ll.Note = bad, ll.Note+"; over the threshold: "+strings.Join(failing, ", ")
			}
		}
		c.Lines = append(c.Lines, ll)
		dl := Line{Label: "Deploys", Value: cv.Deploys.Value, Status: cv.Deploys.Status, Note: cv.Deploys.Note}
		if cv.Deploys.Missing != nil {
			dl.Note = "No " + cv.Deploys.Missing.Source + " yet"
		} else if cv.Deploys.Change != "" {
			dl.Note = cv.Deploys.Change + " vs " + cv.Deploys.Previous + "; " + dl.Note
		}
		c.Lines = append(c.Lines, dl)
		c.Lines = append(c.Lines, stackLine("CloudFront", cv.CloudFront, 4, "without WAF"), stackLine("S3", cv.S3, 3, "without a full public access block"))
		c.Lines = append(c.Lines, attentionLine(m))
		c.Note = memberNotes(m)
		v.Cards = append(v.Cards, c)

		gr := Row{Cells: []string{m.t.Name, fl.Value, cl.Value, ll.Value}}
		gr.mark(1, fl.Status)
		gr.mark(2, cl.Status)
		gr.mark(3, ll.Status)
		v.Glance.Rows = append(v.Glance.Rows, gr)

		for i, a := range cv.Actions {
			if strings.HasPrefix(a.Title, "No engineering action forced") {
				continue
			}
			a.Business = m.t.Name
			due, _ := time.ParseInLocation("2 Jan 2006", a.By, d.Loc)
			acts = append(acts, ranked{a: a, order: i, due: due})
		}
	}
	sort.SliceStable(acts, func(i, j int) bool {
		a, b := acts[i], acts[j]
		if pa, pb := priorityRank(a.a.Priority), priorityRank(b.a.Priority); pa != pb {
			return pa < pb
		}
		if !a.due.Equal(b.due) {
			return a.due.Before(b.due)
		}
		return a.order < b.order
	})
	for _, a := range acts {
		if len(v.Actions) == portfolioAgendaMax {
			break
		}
		v.Actions = append(v.Actions, a.a)
	}
	if len(v.Actions) == 0 {
		v.Actions = []Action{{Priority: "P3", Business: "All businesses", Title: "No engineering action forced by the data", Why: "no rule fired"}}
	}
	figures := []sumFigure{
		{label: "AWS cost, " + per.Short(), value: func(m *member) (int64, bool) { _, t := m.d.awsCostByService(m.d.Period); return t.V, t.Known }},
		{label: "AWS cost, previous period", value: func(m *member) (int64, bool) { _, t := m.d.awsCostByService(m.d.Prev); return t.V, t.Known }},
	}
	v.Totals = totalsCards(ms, per, figures)
	v.FX = fxCard(ms, p, per, figures)
}

// stackLine summarises one of the CTO's inventory tables: how many
// resources and how many with the issue in column col.
func stackLine(label string, t Table, col int, issue string) Line {
	if t.Missing != nil {
		return Line{Label: label, Value: "unknown", Status: unknown, Note: "No " + t.Missing.Source + " yet"}
	}
	bad := 0
	for _, r := range t.Rows {
		if st := r.ClassOf(col); st == warn || st == "bad" {
			bad++
		}
	}
	l := Line{Label: label, Value: count(int64(len(t.Rows)))}
	if bad > 0 {
		l.Status, l.Note = warn, fmt.Sprintf("%d %s", bad, issue)
	}
	return l
}

func portfolioCFO(v *PortfolioView, ms []*member, p tenants.Portfolio, per Period) {
	type rk struct {
		m    *member
		rw   runwayFigures
		tier string
	}
	var rks []rk
	for _, m := range ms {
		fv := m.v.(*CFOView)
		d, cc := m.d, m.t.Currency
		rw := d.runway()
		c := Card{Title: m.t.Name, Subtitle: d.Period.Label() + " · " + cc}
		// The period's net burn: the bottom line of its own burn model.
		if n := len(fv.Burn.Rows); n > 0 {
			b := fv.Burn.Rows[n-1]
			c.Lines = append(c.Lines, Line{Label: b.Cells[0] + ", " + d.Period.Short(), Value: b.Cells[1], Status: b.ClassOf(1), Note: "prev. " + b.Cells[2]})
		}
		// The monthly burn runway uses.
		mb := Line{Label: "Monthly burn (for runway)", Value: "unknown", Status: unknown, Note: "No cost data yet"}
		if fv.MonthlyBurn.Missing == nil && len(fv.MonthlyBurn.Rows) > 0 {
			r := fv.MonthlyBurn.Rows[0]
			mb = Line{Label: "Monthly burn (for runway)", Value: r.Cells[1], Note: r.Cells[0]}
			if rw.burn.monthly < 0 {
				mb.Label, mb.Status = "Monthly profit", good
			}
		}
		c.Lines = append(c.Lines, mb)
		c.Lines = append(c.Lines, kpiLine("Runway", fv.Runway))
		tier := tierOf(fv.Tiers)
		tl := Line{Label: "Capital deployment", Value: tier, Status: good}
		if tier == "" {
			tl = Line{Label: "Capital deployment", Value: "no tier", Status: unknown, Note: "no tier applies until runway is known"}
		}
		c.Lines = append(c.Lines, tl)
		// Break-even, as its own break-even table shows it.
		bl := Line{Label: "Break-even", Value: "unknown", Status: unknown, Note: "No unit economics yet"}
		if fv.BreakEven.Missing == nil {
			for _, r := range fv.BreakEven.Rows {
				switch {
				case r.Cells[0] == "Charges needed to break even":
					bl = Line{Label: "Break-even", Value: r.Cells[1], Status: r.ClassOf(1)}
				case strings.HasPrefix(r.Cells[0], "Charges in "):
					bl.Note, bl.Status = r.Cells[0]+": "+r.Cells[1], r.ClassOf(1)
				}
			}
		}
		c.Lines = append(c.Lines, bl, attentionLine(m))
		c.Note = memberNotes(m)
		v.Cards = append(v.Cards, c)
		rks = append(rks, rk{m: m, rw: rw, tier: tl.Value})
	}
	sort.SliceStable(rks, func(i, j int) bool { return cmpRunway(rks[i].rw, rks[j].rw) < 0 })
	v.Ranked = &Table{Title: "Businesses by months of runway", Period: "shortest first; then the profitable, then the unknown", Head: []string{"#", "Business", "Runway", "Tier"}}
	for i, r := range rks {
		row := Row{Cells: []string{count(int64(i + 1)), r.m.t.Name, r.rw.text(), r.tier}}
		switch {
		case r.rw.profitable:
			row.mark(2, good)
		case r.rw.known && r.rw.months < float64(r.m.t.Limits().MinRunwayMonths):
			row.mark(2, bad)
		case !r.rw.known:
			row.mark(2, unknown)
		}
		v.Ranked.Rows = append(v.Ranked.Rows, row)
	}
	figures := []sumFigure{
		{label: "Net burn (costs − net revenue), " + per.Short(), burn: true, value: func(m *member) (int64, bool) {
			f := m.d.finance(m.d.Period)
			return f.netBurn.V, f.netBurn.Known
		}},
		{label: "Monthly burn (for runway)", burn: true, value: func(m *member) (int64, bool) { r := m.d.runway(); return r.burn.monthly, r.burn.known }},
		{label: "Cash", value: func(m *member) (int64, bool) { r := m.d.runway(); return r.cash.V, r.cash.Known }},
		{label: "Costs (AWS + expenses), " + per.Short(), value: func(m *member) (int64, bool) { f := m.d.finance(m.d.Period); return f.costs.V, f.costs.Known }},
		{label: "Net revenue, " + per.Short(), value: func(m *member) (int64, bool) { f := m.d.finance(m.d.Period); return f.net.V, f.net.Known }},
	}
	v.Totals = totalsCards(ms, per, figures)
	// Runway of each currency's businesses together: their cash over
	// their monthly burn, only when every one of them knows both.
	curs, groups := byCurrency(ms)
	for i, cc := range curs {
		var cash, burn int64
		all := true
		for _, m := range groups[cc] {
			r := m.d.runway()
			if !r.cash.Known || !r.burn.known {
				all = false
				break
			}
			cash, burn = cash+r.cash.V, burn+r.burn.monthly
		}
		l := Line{Label: "Runway together (cash ÷ monthly burn)"}
		switch {
		case !all:
			l.Value, l.Status, l.Note = "unknown", unknown, "a business's cash or burn is unknown"
		case burn <= 0:
			l.Value, l.Status = "not burning cash", good
		default:
			l.Value = fmt.Sprintf("%.1f months", float64(cash)/float64(burn))
		}
		v.Totals[i].Lines = append(v.Totals[i].Lines, l)
	}
	v.FX = fxCard(ms, p, per, figures)
}

// tierOf is the tier its own capital-deployment table marks ("" when none
// applies).
func tierOf(t Table) string {
	for _, r := range t.Rows {
		if s, ok := strings.CutPrefix(r.Cells[0], "► "); ok {
			return s
		}
	}
	return ""
}

func portfolioCMO(v *PortfolioView, ms []*member, p tenants.Portfolio, per Period) {
	v.Glance = &Table{Title: "Growth side by side", Period: per.Label(), Head: []string{"Business", "New customers", "CAC", "Checkouts completed"}}
	for _, m := range ms {
		cv := m.v.(*CMOView)
		d, cc := m.d, m.t.Currency
		c := Card{Title: m.t.Name, Subtitle: d.Period.Label() + " · " + cc}
		c.Lines = append(c.Lines, kpiLine("New customers", cv.NewCustomers))
		u := d.unitEconomics(d.Period)
		cac := Line{Label: "CAC (spend ÷ new customers)", Value: "unknown", Status: unknown, Note: "needs channel spend and Stripe new customers"}
		if u.cacKnown {
			cac = Line{Label: "CAC (spend ÷ new customers)", Value: money(u.cac, cc), Note: money(u.spend, cc) + " spend ÷ " + count(u.newCustomers) + " new customers"}
			if u.aovKnown && u.cac > u.aov {
				cac.Status, cac.Note = bad, cac.Note+"; above the average order "+money(u.aov, cc)
			}
		}
		c.Lines = append(c.Lines, cac)
		conv := Line{Label: "Checkout conversions", Value: "unknown", Status: unknown, Note: "No checkout data yet"}
		if cv.Funnel.Missing == nil {
			for _, r := range cv.Funnel.Rows {
				switch r.Cells[0] {
				case "Completed":
					conv = Line{Label: "Checkout conversions", Value: r.Cells[1], Note: "prev. " + r.Cells[2]}
				case "Completion rate":
					conv.Note = "completion rate " + r.Cells[1] + "; " + conv.Note
					conv.Status = r.ClassOf(1)
				}
			}
		}
		c.Lines = append(c.Lines, conv)
		// Channels: the columns of its own channel table that fit a phone.
		ch := &Table{Period: "Channels, " + d.Period.Short(), Head: []string{"Channel", "Visits", "Conv.", "CAC"}, Empty: cv.Channels.Empty, Missing: cv.Channels.Missing}
		for _, r := range cv.Channels.Rows {
			row := Row{Cells: []string{r.Cells[0], r.Cells[1], r.Cells[2], r.Cells[5]}}
			row.mark(1, r.ClassOf(1))
			row.mark(2, r.ClassOf(2))
			row.mark(3, r.ClassOf(5))
			ch.Rows = append(ch.Rows, row)
		}
		c.Table = ch
		c.Lines = append(c.Lines, attentionLine(m))
		c.Note = memberNotes(m)
		v.Cards = append(v.Cards, c)
		gr := Row{Cells: []string{m.t.Name, cv.NewCustomers.Value, cac.Value, conv.Value}}
		gr.mark(2, cac.Status)
		v.Glance.Rows = append(v.Glance.Rows, gr)
	}
	figures := []sumFigure{
		{label: "Marketing spend (channels)", value: func(m *member) (int64, bool) { n := m.d.RowSum(metricChannelSpend, m.d.Period); return n.V, n.Known }},
		{label: "New customers", count: true, value: func(m *member) (int64, bool) {
			n := m.d.Sum(messages.MetricCustomersNew, m.d.Period.Start, m.d.Period.End)
			return n.V, n.Known
		}},
	}
	v.Totals = totalsCards(ms, per, figures)
	curs, groups := byCurrency(ms)
	for i, cc := range curs {
		var spend, custs int64
		all := true
		for _, m := range groups[cc] {
			u := m.d.unitEconomics(m.d.Period)
			if !u.cacKnown {
				all = false
				break
			}
			spend, custs = spend+u.spend, custs+u.newCustomers
		}
		l := Line{Label: "Blended CAC"}
		if all && custs > 0 {
			l.Value, l.Note = money(spend/custs, cc), money(spend, cc)+" ÷ "+count(custs)+" new customers"
		} else {
			l.Value, l.Status, l.Note = "unknown", unknown, "a business's CAC is unknown"
		}
		v.Totals[i].Lines = append(v.Totals[i].Lines, l)
	}
	v.FX = fxCard(ms, p, per, figures)
}

// moneySources are the sources the books need.
var moneySources = []string{srcStripe.name, srcStripeBalance.name, srcAWSCost.name, srcExpenses.name, srcCash.name}

func portfolioAccounting(v *PortfolioView, ms []*member, p tenants.Portfolio, per Period) {
	v.Glance = &Table{Title: "Books side by side", Period: per.Label(), Head: []string{"Business", "Books", "Payouts", "Recognised"}}
	type acct struct {
		amount int64
		names  []string
	}
	expenses := map[string]map[string]*acct{} // currency -> account -> sum
	for _, m := range ms {
		av := m.v.(*AccountingView)
		d, cc := m.d, m.t.Currency
		cur := d.finance(d.Period)
		c := Card{Title: m.t.Name, Subtitle: d.Period.Label() + " · " + cc}
		// Books: complete when every money source is connected and current.
		var gaps []string
		for _, r := range av.Coverage.Rows {
			if slices.Contains(moneySources, r.Cells[0]) {
				gaps = append(gaps, r.Cells[0]+" "+r.Cells[2])
			}
		}
		books := Line{Label: "Books", Value: "complete", Status: good, Note: "revenue, costs, cash and payouts all connected and current"}
		if len(gaps) > 0 {
			books = Line{Label: "Books", Value: "incomplete", Status: bad, Note: strings.Join(gaps, "; ")}
		}
		c.Lines = append(c.Lines, books)
		rec := Line{Label: "Payouts reconciliation", Value: "unknown", Status: unknown, Note: "needs Stripe payouts and balance"}
		if g, ok := d.payoutGap(cur); ok {
			if g.diff == 0 {
				rec = Line{Label: "Payouts reconciliation", Value: "reconciled", Status: good}
			} else {
				rec = Line{Label: "Payouts reconciliation", Value: signedMoney(g.diff, cc) + " unreconciled", Status: warn,
					Note: g.balanceLabel() + dateIn(g.end, d.Loc) + " " + money(g.close, cc) + " vs expected " + money(g.expected, cc)}
			}
		}
		if failed := d.Count(messages.MetricPayoutsFailed, d.Period.Start, d.Period.End); failed.V > 0 {
			rec.Status, rec.Note = bad, strings.TrimPrefix(rec.Note+"; "+plural(failed.V, "payout")+" failed", "; ")
		}
		c.Lines = append(c.Lines, rec)
		// Recognised against cash: the rows of its own accrual table.
		rl := Line{Label: "Recognised revenue", Value: "unknown", Status: unknown, Note: "No Stripe invoice lines yet"}
		cl := Line{Label: "Cash collected (charges − refunds)", Value: "unknown", Status: unknown, Note: "No Stripe data yet"}
		if av.Accrual.Missing == nil {
			for _, r := range av.Accrual.Rows {
				switch {
				case r.Cells[0] == "Recognised revenue":
					rl = Line{Label: "Recognised revenue", Value: r.Cells[1], Note: "prev. " + r.Cells[2]}
				case strings.HasPrefix(r.Cells[0], "Deferred revenue"):
					rl.Note += "; deferred at period end " + r.Cells[1]
				case strings.HasPrefix(r.Cells[0], "Cash collected"):
					cl = Line{Label: "Cash collected (charges − refunds)", Value: r.Cells[1], Note: "prev. " + r.Cells[2]}
				}
			}
		} else if cur.gross.Known {
			cl = Line{Label: "Cash collected (charges − refunds)", Value: money(cur.cashCollected(), cc)}
		}
		c.Lines = append(c.Lines, rl, cl)
		nl := Line{Label: cur.netLabel(), Value: "unknown", Status: unknown, Note: "No Stripe data yet"}
		if cur.net.Known {
			nl = Line{Label: cur.netLabel(), Value: money(cur.net.V, cc)}
		}
		c.Lines = append(c.Lines, nl, attentionLine(m))
		c.Note = memberNotes(m)
		v.Cards = append(v.Cards, c)
		gr := Row{Cells: []string{m.t.Name, books.Value, rec.Value, rl.Value}}
		gr.mark(1, books.Status)
		gr.mark(2, rec.Status)
		v.Glance.Rows = append(v.Glance.Rows, gr)

		// Expenses by account, as its own expenses table maps them, less
		// the AWS rows Cost Explorer already counts (counted once).
		if !cur.expenses.Known {
			continue
		}
		ce := d.ceMonths()
		for _, f := range d.rows(metricExpenses, d.Period) {
			if d.doubleCounted(f, ce) {
				continue
			}
			// The import's account code wins over the default chart, as
			// in its own report; a code of the default chart keeps its
			// name, so one account is one row across businesses.
			account := coa(f.Dimensions[messages.DimCategory])
			if code := strings.TrimSpace(f.Dimensions[messages.DimAccountCode]); code != "" && !strings.HasPrefix(account, code+" ") {
				account = code + " (from the import)"
			}
			if expenses[cc] == nil {
				expenses[cc] = map[string]*acct{}
			}
			a := expenses[cc][account]
			if a == nil {
				a = &acct{}
				expenses[cc][account] = a
			}
			a.amount += f.Value
			if !slices.Contains(a.names, m.t.Name) {
				a.names = append(a.names, m.t.Name)
			}
		}
	}
	curs, groups := byCurrency(ms)
	for _, cc := range curs {
		t := &Table{Title: "Expenses by account, " + cc, Period: per.Label() + "; businesses in " + cc,
			Head: []string{"Account", "Amount", "Businesses"}, Empty: "No expenses recorded in the period."}
		accts := expenses[cc]
		keys := slices.Sorted(maps.Keys(accts))
		sort.SliceStable(keys, func(i, j int) bool { return accts[keys[i]].amount > accts[keys[j]].amount })
		var sum int64
		for _, k := range keys {
			sum += accts[k].amount
			t.Rows = append(t.Rows, Row{Cells: []string{k, money(accts[k].amount, cc), strings.Join(accts[k].names, ", ")}})
		}
		if len(keys) > 0 {
			t.Rows = append(t.Rows, Row{Cells: []string{"Total", money(sum, cc), "all " + count(int64(len(groups[cc])))}, Status: neutral})
			t.Note = "AWS bills imported as expenses are left out where Cost Explorer counts their month, as in each business's own report."
		}
		v.Expenses = append(v.Expenses, t)
	}
	figures := []sumFigure{
		{label: "Net revenue", value: func(m *member) (int64, bool) { f := m.d.finance(m.d.Period); return f.net.V, f.net.Known }},
		{label: "Recognised revenue", value: func(m *member) (int64, bool) {
			if !m.d.recognitionKnown() {
				return 0, false
			}
			_, r, _ := m.d.recognisedIn(m.d.Period)
			return r, true
		}},
		{label: "Cash collected (charges − refunds)", value: func(m *member) (int64, bool) {
			f := m.d.finance(m.d.Period)
			return f.cashCollected(), f.gross.Known
		}},
		{label: "Expenses (imported, counted once)", value: func(m *member) (int64, bool) {
			f := m.d.finance(m.d.Period)
			return f.expenses.V, f.expenses.Known
		}},
	}
	v.Totals = totalsCards(ms, per, figures)
	v.FX = fxCard(ms, p, per, figures)
}

// attentionLine counts what its own report lists under "Needs
// attention".
func attentionLine(m *member) Line {
	l := Line{Label: "Needs attention", Value: count(int64(len(m.top))), Status: good}
	if len(m.top) > 0 {
		var ts []string
		for _, it := range m.top {
			ts = append(ts, it.Title)
		}
		l.Status, l.Note = warn, strings.Join(ts, "; ")
	}
	return l
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
