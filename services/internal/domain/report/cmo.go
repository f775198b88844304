package report

import (
	"fmt"

	"github.com/boardpack/boardpack/messages"
)

// CMOView is the marketer's report: which channels are visible and
// converting, the checkout funnel, new customers, campaign inputs from
// imports, and 30/60/90-day milestones.
type CMOView struct {
	Header
	Channels      Table
	Funnel        Table
	NewCustomers  KPI
	CustomerChart *Chart
	Campaigns     Table
	Milestones    []Action
}

func (*CMOView) template() string { return "cmo" }

func init() {
	analysts[messages.RoleCMO] = analyst{
		metrics: []string{messages.MetricCustomersNew, messages.MetricCheckoutCompleted, messages.MetricCheckoutExpired,
			messages.MetricRevenueGross, metricChannelSessions, metricChannelConversion, metricChannelSpend},
		analyse: analyseCMO,
	}
}

func analyseCMO(d *Data) View {
	v := &CMOView{Header: newHeader(d, "growth")}
	cc := d.Tenant.Currency
	m := func(n int64) string { return money(n, cc) }
	per := d.Period.Label()
	by := func(days int) string { return dateIn(d.AsOf.AddDate(0, 0, days), d.Loc) }
	var miles []Action

	// One channel table: traffic, conversions, spend, cost per
	// conversion (lead), CAC and ROAS. CAC shares Stripe's new customers
	// out by each channel's share of the attributed conversions; ROAS
	// values a conversion at the period's actual average order.
	v.Channels = Table{Title: "Channels", Period: per, Head: []string{"Channel", "Visits", "Conv.", "Spend", "Per conv.", "CAC", "ROAS"}, Empty: "No channel rows in the period."}
	sessions, conv := byDimAny(d, metricChannelSessions, d.Period), byDimAny(d, metricChannelConversion, d.Period)
	spend := d.rowsBy(metricChannelSpend, messages.DimChannel, d.Period)
	u := d.unitEconomics(d.Period)
	var totalConv int64
	for _, c := range conv {
		totalConv += c
	}
	if !srcChannels.known(d) {
		v.Channels.Missing = srcChannels.missing(d)
		miles = append(miles, Action{Priority: "30d", Title: "Measure every channel: have channel data imported monthly", Why: "no channel data: spend cannot be judged", By: by(30)})
	} else {
		status := map[string]string{}
		for _, f := range d.rows(metricChannelSessions, d.Period) {
			status[f.Dimensions[messages.DimChannel]] = f.Dimensions[messages.DimStatus]
		}
		best, bestRate := "", -1.0
		for _, ch := range union(union2(sessions, conv), spend) {
			s, c, sp := sessions[ch], conv[ch], spend[ch]
			name := ch
			if st := status[ch]; st != "" && st != messages.ChannelActive {
				name += " (" + st + ")"
			}
			row := Row{Cells: []string{name, count(s), count(c), m(sp), "n/a", "n/a", "n/a"}}
			switch {
			case s == 0:
				row.Cells[0] += " · no traffic"
				row.mark(1, bad)
			case c == 0:
				row.Cells[0] += " · no conversions"
				row.mark(2, warn)
			}
			if c > 0 && sp > 0 {
				row.Cells[4] = m(sp / c)
			}
			if c > 0 && sp > 0 && u.newCustomers > 0 && totalConv > 0 {
				// Customers attributed to the channel: its share of new
				// customers by conversions.
				custs := float64(u.newCustomers) * float64(c) / float64(totalConv)
				cac := int64(float64(sp) / custs)
				row.Cells[5] = m(cac)
				if u.aovKnown && cac > u.aov {
					row.mark(5, bad)
				}
			}
			if sp > 0 && u.aovKnown {
				roas := float64(c*u.aov) / float64(sp)
				row.Cells[6] = fmt.Sprintf("%.1f×", roas)
				if roas < 1 {
					row.mark(6, bad)
				} else {
					row.mark(6, good)
				}
			}
			if s > 0 && float64(c)/float64(s) > bestRate {
				best, bestRate = ch, float64(c)/float64(s)
			}
			v.Channels.Rows = append(v.Channels.Rows, row)
		}
		if best != "" {
			miles = append(miles, Action{Priority: "30d", Title: "Double down on " + best, Why: fmt.Sprintf("best conversion rate (%.1f %%)", bestRate*100), By: by(30)})
		}
		v.Channels.Note = "Per conv. = spend ÷ the channel's conversions. CAC = spend ÷ the channel's share of Stripe's new customers. ROAS = conversions × the average order (" + m(u.aov) + ") ÷ spend."
	}

	// Checkout funnel.
	v.Funnel = Table{Title: "Checkout funnel", Period: per + " vs " + d.Prev.Short(), Head: []string{"Step", d.Period.Short(), d.Prev.Short()}}
	if !srcCheckout.known(d) {
		v.Funnel.Missing = srcCheckout.missing(d)
	} else {
		done, lost := d.Count(messages.MetricCheckoutCompleted, d.Period.Start, d.Period.End).V, d.Count(messages.MetricCheckoutExpired, d.Period.Start, d.Period.End).V
		pdone, plost := d.Count(messages.MetricCheckoutCompleted, d.Prev.Start, d.Prev.End).V, d.Count(messages.MetricCheckoutExpired, d.Prev.Start, d.Prev.End).V
		rate := Row{Cells: []string{"Completion rate", pct(done, done+lost), pct(pdone, pdone+plost)}}
		rate.mark(1, good)
		if done+lost > 0 && done*2 < done+lost {
			rate.mark(1, bad)
			miles = append(miles, Action{Priority: "30d", Title: "Fix checkout drop-off", Why: "fewer than half of the sessions complete (" + pct(done, done+lost) + ")", By: by(30)})
		}
		v.Funnel.Rows = []Row{
			{Cells: []string{"Sessions started", count(done + lost), count(pdone + plost)}},
			{Cells: []string{"Completed", count(done), count(pdone)}},
			{Cells: []string{"Abandoned (expired)", count(lost), count(plost)}},
			rate,
		}
		v.Funnel.Note = "Started = completed + expired Stripe Checkout sessions; sessions still open are not counted."
	}

	// New customers.
	v.NewCustomers = KPI{Label: "New customers", Period: d.Period.Short()}
	if !d.Known(messages.MetricCustomersNew) {
		v.NewCustomers.Value, v.NewCustomers.Status, v.NewCustomers.Missing = "unknown", unknown, srcStripe.missing(d)
	} else {
		c, p := d.Sum(messages.MetricCustomersNew, d.Period.Start, d.Period.End), d.Sum(messages.MetricCustomersNew, d.Prev.Start, d.Prev.End)
		v.NewCustomers.Value, v.NewCustomers.Previous = count(c.V), count(p.V)+" ("+d.Prev.Short()+")"
		v.NewCustomers.setDelta(countDelta(c.V, p.V, true))
		v.NewCustomers.Status = trend(c.V, p.V, true)
		v.CustomerChart = drawTrend(trendSpec{cid: "chart-new-customers", title: "New customers per day, " + per,
			pts: d.daily(messages.MetricCustomersNew, d.Period), prev: d.daily(messages.MetricCustomersNew, d.Prev), prevLabel: d.Prev.Short(), format: count})
		v.Charts = append(v.Charts, v.CustomerChart)
		// The milestone grows from where the business is now, not from
		// the previous period.
		target := c.V + max(1, (c.V+5)/10)
		miles = append(miles, Action{Priority: "60d", Title: fmt.Sprintf("Reach %s new customers a period (+10 %%)", count(target)), Why: "from " + count(c.V) + " in " + d.Period.Short(), By: by(60)})
	}

	// Attributed conversions reconciled with Stripe.
	v.Campaigns = Table{Title: "Conversions: channels vs Stripe", Period: per, Head: []string{"Source", "Count"}}
	if !srcChannels.known(d) || !srcCheckout.known(d) {
		v.Campaigns.Missing = &Missing{Source: "channel and checkout data to reconcile"}
	} else {
		done := d.Count(messages.MetricCheckoutCompleted, d.Period.Start, d.Period.End).V
		gapN := done - totalConv
		v.Campaigns.Rows = []Row{
			{Cells: []string{"Conversions the channels report", count(totalConv)}},
			{Cells: []string{"Stripe checkouts completed", count(done)}},
			{Cells: []string{"Stripe new customers", count(u.newCustomers)}},
		}
		g := Row{Cells: []string{"Checkouts no channel claims", signedCount(gapN)}}
		if gapN != 0 {
			g.mark(1, warn)
		}
		v.Campaigns.Rows = append(v.Campaigns.Rows, g)
		switch {
		case gapN > 0:
			v.Campaigns.Note = fmt.Sprintf("%s checkouts (%s) came without a channel: direct visits, untagged links or repeat buyers. Tag campaign links so they are counted.", count(gapN), pct(gapN, done))
		case gapN < 0:
			v.Campaigns.Note = fmt.Sprintf("The channels claim %s more conversions than Stripe completed: the same buyer counted by two channels, or conversions that never paid.", count(-gapN))
		default:
			v.Campaigns.Note = "Every completed checkout is claimed by a channel."
		}
		if u.newCustomers < done {
			v.Campaigns.Note += fmt.Sprintf(" %s of the %s checkouts were by returning customers.", count(done-u.newCustomers), count(done))
		}
	}
	miles = append(miles, Action{Priority: "90d", Title: "Two channels converting above 2 %", Why: "a business on one channel is fragile", By: by(90)})
	v.Milestones = miles
	return v
}

// byDimAny sums imported channel rows dated in p per channel (counts).
func byDimAny(d *Data, metric string, p Period) map[string]int64 {
	return d.rowsBy(metric, messages.DimChannel, p)
}

func union2(a, b map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range a {
		out[k] += v
	}
	for k := range b {
		if _, ok := out[k]; !ok {
			out[k] = 0
		}
	}
	return out
}

// signedCount is a count with its sign ("+47", "−3", "0").
func signedCount(n int64) string {
	if n > 0 {
		return "+" + count(n)
	}
	return count(n)
}
