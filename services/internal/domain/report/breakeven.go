package report

import (
	"fmt"

	"github.com/boardpack/boardpack/messages"
)

// Break-even has one computation, shown by the CFO and Accounting alike:
// the period's actual costs (AWS + imported expenses) over its actual net
// revenue per charge (net of refunds, disputes and fees) gives the
// charges needed to cover the costs. So "above break-even" means exactly
// that net revenue covered the costs. The tenant's unit economics
// (finance.unit_price, variable_cost_per_unit, fixed_costs_monthly) are
// used only when the actuals are missing, and the figure is then labelled
// "model".
type breakEvenFigures struct {
	known, model bool
	// perUnit is the contribution of one charge; costs what it must cover.
	perUnit, costs int64
	units          int64
	// sold is the period's charges (actuals only).
	sold      int64
	soldKnown bool
	// never: each unit loses money.
	never bool
	basis string
}

func (d *Data) breakEven() breakEvenFigures {
	var b breakEvenFigures
	cc := d.Tenant.Currency
	f := d.finance(d.Period)
	charges := d.Count(messages.MetricRevenueGross, d.Period.Start, d.Period.End)
	b.sold, b.soldKnown = charges.V, charges.Known
	switch {
	case f.net.Known && f.costs.Known && charges.V > 0:
		b.known, b.costs = true, f.costs.V
		b.perUnit = f.net.V / charges.V
		b.basis = fmt.Sprintf("actuals, %s: costs %s; net revenue per charge %s (%s ÷ %s charges)",
			d.Period.Short(), money(f.costs.V, cc), money(b.perUnit, cc), money(f.net.V, cc), count(charges.V))
	default:
		fin := d.Tenant.Finance
		price, okP := d.Tenant.Amount(fin.UnitPrice)
		varCost, okV := d.Tenant.Amount(fin.VariableCostPerUnit)
		fixed, okF := d.Tenant.Amount(fin.FixedCostsMonthly)
		if !okP || !okV || !okF {
			return b
		}
		b.known, b.model, b.costs = true, true, fixed.Amount
		b.perUnit = price.Amount - varCost.Amount
		b.basis = fmt.Sprintf("model (the tenants file): fixed costs %s a month; %s price − %s variable cost = %s a unit",
			money(fixed.Amount, cc), money(price.Amount, cc), money(varCost.Amount, cc), money(b.perUnit, cc))
	}
	if b.perUnit <= 0 {
		b.never = true
		return b
	}
	b.units = (b.costs + b.perUnit - 1) / b.perUnit
	return b
}

// unitsText is "72 charges" or "106 units (model)".
func (b breakEvenFigures) unitsText() string {
	switch {
	case b.never:
		return "never: each charge loses money"
	case b.model:
		return count(b.units) + " units a month (model)"
	}
	return count(b.units) + " charges"
}

// breakEvenWhy is the break-even figure as Accounting quotes it
// ("; 140 charges vs 72 needed").
func breakEvenWhy(d *Data) string {
	b := d.breakEven()
	if !b.known || b.never || b.model {
		return ""
	}
	return fmt.Sprintf("; %s charges vs %s needed to break even", count(b.sold), count(b.units))
}
