package report

import (
	"testing"
	"time"
)

// evenCharges is October with four charges of 30.00, 5.00 of fees (net
// 115.00, 28.75 a charge) and rent.
func evenCharges(rent int64) *pinsBook {
	b := newPinsBook(pinsTenant())
	for i, dd := range []int{2, 9, 16, 23} {
		b.charge(day(10, dd), "ch_"+string(rune('a'+i)), 3000, "USD")
	}
	b.fee(day(10, 2), 500, "USD", map[string]string{"type": "charge"})
	b.expense(day(10, 1), "rent", "landlord", rent)
	return b
}

func TestBreakEvenCeiling(t *testing.T) {
	const perUnit = (4*3000 - 500) / 4
	for _, c := range []struct {
		rent, units int64
	}{
		{8 * perUnit, 8},   // exactly 8 charges
		{8*perUnit + 1, 9}, // a cent more needs a 9th
		{8*perUnit - 1, 8}, // a cent less still needs the 8th
		{perUnit, 1},       // one charge
	} {
		d := evenCharges(c.rent).month(t, time.October, day(11, 2))
		b := d.breakEven()
		if !b.known || b.model || b.never || b.perUnit != perUnit || b.costs != c.rent || b.units != c.units || b.sold != 4 || !b.soldKnown {
			t.Errorf("rent %d: %+v, want %d units of %d", c.rent, b, c.units, perUnit)
		}
		if got, want := b.unitsText(), count(c.units)+" charges"; got != want {
			t.Errorf("rent %d: %q, want %q", c.rent, got, want)
		}
		if got, want := breakEvenWhy(d), "; 4 charges vs "+count(c.units)+" needed to break even"; got != want {
			t.Errorf("rent %d: why %q, want %q", c.rent, got, want)
		}
	}
	d := evenCharges(8*perUnit).month(t, time.October, day(11, 2))
	if got, want := d.breakEven().basis, "actuals, Oct 2026: costs $230.00; net revenue per charge $28.75 ($115.00 ÷ 4 charges)"; got != want {
		t.Errorf("basis %q, want %q", got, want)
	}
}

// TestBreakEvenNever: a charge that nets nothing (or less) never breaks
// even, from actuals or from the model.
func TestBreakEvenNever(t *testing.T) {
	b := newPinsBook(pinsTenant())
	b.charge(day(10, 2), "ch_a", 300, "USD")
	b.fee(day(10, 2), 300, "USD", nil)
	b.expense(day(10, 1), "rent", "landlord", 1000)
	d := b.month(t, time.October, day(11, 2))
	if be := d.breakEven(); !be.known || !be.never || be.perUnit != 0 || be.unitsText() != "never: each charge loses money" || breakEvenWhy(d) != "" {
		t.Errorf("actuals netting 0: %+v %q %q", be, be.unitsText(), breakEvenWhy(d))
	}
	m := newPinsBook(pinsTenant())
	m.tn.Finance.UnitPrice, m.tn.Finance.VariableCostPerUnit, m.tn.Finance.FixedCostsMonthly = "35", "35", "100"
	d = m.month(t, time.October, day(11, 2))
	if be := d.breakEven(); !be.known || !be.model || !be.never || be.perUnit != 0 {
		t.Errorf("model netting 0: %+v", be)
	}
}

// TestBreakEvenModel: without charges in the period the tenants file's
// unit economics are used, labelled; without them there is no figure.
func TestBreakEvenModel(t *testing.T) {
	b := newPinsBook(pinsTenant())
	b.charge(day(9, 2), "ch_sep", 3000, "USD") // revenue known, none in October
	b.expense(day(10, 1), "rent", "landlord", 50000)
	d := b.month(t, time.October, day(11, 2))
	if be := d.breakEven(); be.known || be.sold != 0 || !be.soldKnown {
		t.Errorf("no charges, no model: %+v", be)
	}
	b.tn.Finance.UnitPrice, b.tn.Finance.VariableCostPerUnit, b.tn.Finance.FixedCostsMonthly = "40", "15", "100"
	d = b.month(t, time.October, day(11, 2))
	be := d.breakEven()
	if !be.known || !be.model || be.perUnit != 4000-1500 || be.costs != 10000 || be.units != 4 {
		t.Errorf("model: %+v, want 4 units of 25.00", be)
	}
	if be.unitsText() != "4 units a month (model)" || breakEvenWhy(d) != "" {
		t.Errorf("model: %q %q", be.unitsText(), breakEvenWhy(d))
	}
	if want := "model (the tenants file): fixed costs $100.00 a month; $40.00 price − $15.00 variable cost = $25.00 a unit"; be.basis != want {
		t.Errorf("basis %q, want %q", be.basis, want)
	}
}
