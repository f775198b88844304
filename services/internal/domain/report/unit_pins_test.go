package report

import (
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

func (b *pinsBook) spend(at time.Time, channel string, minor int64) {
	b.add(at, messages.SourceImport, messages.MetricEvent{Metric: metricChannelSpend, Kind: messages.KindState, Version: 1, Entity: "channel/" + channel + "/" + at.Format(time.DateOnly),
		Value: minor, Currency: b.tn.Currency, Dimensions: map[string]string{messages.DimChannel: channel}})
}

func (b *pinsBook) newCustomers(at time.Time, n int64) {
	b.add(at, messages.SourceStripe, messages.MetricEvent{Metric: messages.MetricCustomersNew, Kind: messages.KindAdditive, Value: n, Unit: messages.UnitCount})
}

func TestUnitEconomics(t *testing.T) {
	b := newPinsBook(pinsTenant())
	b.spend(day(10, 2), "ads", 70000)
	b.spend(day(10, 9), "email", 5000)
	b.newCustomers(day(10, 3), 4)
	b.newCustomers(day(10, 20), 2)
	b.charge(day(10, 3), "ch_a", 4000, "USD")
	b.charge(day(10, 4), "ch_b", 5000, "USD")
	b.charge(day(10, 5), "ch_c", 6001, "USD")
	d := b.month(t, time.October, day(11, 2))
	u := d.unitEconomics(d.Period)
	want := unitFigures{spend: 75000, newCustomers: 6, charges: 3, gross: 15001, cac: 75000 / 6, aov: 15001 / 3, cacKnown: true, aovKnown: true}
	if u != want {
		t.Errorf("unit economics %+v, want %+v", u, want)
	}
	// November: spend, but no new customer and no charge yet.
	b.spend(day(11, 2), "ads", 1000)
	d = b.month(t, time.November, day(12, 2))
	if u := d.unitEconomics(d.Period); u.cacKnown || u.aovKnown || u.spend != 1000 || u.newCustomers != 0 || u.charges != 0 {
		t.Errorf("no customers, no charges: %+v", u)
	}
}
