package report

import "github.com/boardpack/boardpack/messages"

// unitFigures are a period's acquisition and order economics, from
// actuals: CAC is marketing spend (channels.csv) over Stripe's new
// customers, the average order is gross revenue over charges.
type unitFigures struct {
	spend, newCustomers, charges, gross int64
	cac, aov                            int64
	cacKnown, aovKnown                  bool
}

func (d *Data) unitEconomics(p Period) unitFigures {
	var u unitFigures
	spend := d.RowSum(metricChannelSpend, p)
	nc := d.Sum(messages.MetricCustomersNew, p.Start, p.End)
	u.spend, u.newCustomers = spend.V, nc.V
	if spend.Known && nc.Known && nc.V > 0 {
		u.cac, u.cacKnown = spend.V/nc.V, true
	}
	g := d.Sum(messages.MetricRevenueGross, p.Start, p.End)
	u.gross, u.charges = g.V, d.Count(messages.MetricRevenueGross, p.Start, p.End).V
	if g.Known && u.charges > 0 {
		u.aov, u.aovKnown = g.V/u.charges, true
	}
	return u
}
