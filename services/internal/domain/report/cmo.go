package report

import (
	"fmt"
	"maps"
	"slices"

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

	// Channel visibility matrix.
	v.Channels = Table{Title: "Channel visibility", Period: per, Head: []string{"Channel", "Traffic", "Conversions", "Conv. rate", "Status"}, Empty: "No channel rows in the period."}
	sessions, conv := byDimAny(d, metricChannelSessions, d.Period), byDimAny(d, metricChannelConversion, d.Period)
	if !srcChannels.known(d) {
		v.Channels.Missing = srcChannels.missing(d)
		miles = append(miles, Action{Priority: "30d", Title: "Measure every channel: import channels.csv monthly", Why: "no channel data: spend cannot be judged", By: by(30)})
	} else {
		status := map[string]string{}
		for _, f := range d.rows(metricChannelSessions, d.Period) {
			status[f.Dimensions[messages.DimChannel]] = f.Dimensions[messages.DimStatus]
		}
		best, bestRate := "", -1.0
		for _, ch := range union(sessions, conv) {
			s, c := sessions[ch], conv[ch]
			row := Row{Cells: []string{ch, count(s), count(c), pct(c, s), "converting"}, Status: good}
			switch {
			case s == 0:
				row.Cells[4], row.Status = "no traffic", bad
			case c == 0:
				row.Cells[4], row.Status = "traffic, no conversions", warn
			}
			if st := status[ch]; st != "" && st != messages.ChannelActive {
				row.Cells[4] += " (" + st + ")"
			}
			if s > 0 && float64(c)/float64(s) > bestRate {
				best, bestRate = ch, float64(c)/float64(s)
			}
			v.Channels.Rows = append(v.Channels.Rows, row)
		}
		if best != "" {
			miles = append(miles, Action{Priority: "30d", Title: "Double down on " + best, Why: fmt.Sprintf("best conversion rate (%.1f %%)", bestRate*100), By: by(30)})
		}
	}

	// Checkout funnel.
	v.Funnel = Table{Title: "Checkout funnel", Period: per + " vs " + d.Prev.Short(), Head: []string{"Step", d.Period.Short(), d.Prev.Short()}}
	if !srcCheckout.known(d) {
		v.Funnel.Missing = srcCheckout.missing(d)
	} else {
		done, lost := d.Count(messages.MetricCheckoutCompleted, d.Period.Start, d.Period.End).V, d.Count(messages.MetricCheckoutExpired, d.Period.Start, d.Period.End).V
		pdone, plost := d.Count(messages.MetricCheckoutCompleted, d.Prev.Start, d.Prev.End).V, d.Count(messages.MetricCheckoutExpired, d.Prev.Start, d.Prev.End).V
		rate := Row{Cells: []string{"Completion rate", pct(done, done+lost), pct(pdone, pdone+plost)}, Status: good}
		if done+lost > 0 && done*2 < done+lost {
			rate.Status = bad
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
		v.NewCustomers.Value, v.NewCustomers.Previous, v.NewCustomers.Change = count(c.V), count(p.V)+" ("+d.Prev.Short()+")", change(c.V, p.V)
		v.NewCustomers.Status = trend(c.V, p.V, true)
		v.CustomerChart = trendChart("chart-new-customers", "New customers per day, "+per, d.daily(messages.MetricCustomersNew, d.Period), count)
		v.Charts = append(v.Charts, v.CustomerChart)
		target := p.V + max(1, p.V/10)
		miles = append(miles, Action{Priority: "60d", Title: fmt.Sprintf("Reach %s new customers a period (+10 %%)", count(target)), Why: "from " + count(c.V) + " in " + d.Period.Short(), By: by(60)})
	}

	// Campaign inputs: spend per channel → cost per conversion.
	v.Campaigns = Table{Title: "Campaign inputs", Period: per, Head: []string{"Channel", "Spend", "Conversions", "Cost per conversion"}, Empty: "No spend recorded in the period."}
	if !d.Known(metricChannelSpend) {
		v.Campaigns.Missing = &Missing{Source: "campaign spend", HowTo: srcChannels.howTo(d.Tenant.ID) + " with a spend column"}
	} else {
		spend := d.rowsBy(metricChannelSpend, messages.DimChannel, d.Period)
		for _, ch := range slices.Sorted(maps.Keys(spend)) {
			cpc := "n/a (no conversions)"
			st := bad
			if conv[ch] > 0 {
				cpc, st = m(spend[ch]/conv[ch]), ""
			}
			v.Campaigns.Rows = append(v.Campaigns.Rows, Row{Cells: []string{ch, m(spend[ch]), count(conv[ch]), cpc}, Status: st})
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
