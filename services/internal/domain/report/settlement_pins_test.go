package report

import (
	"strings"
	"testing"
	"time"
)

// TestSettlementsPerPair: three pairs, sorted by charge then settlement
// currency, each with its own gross, settled amount, disputes, fees and
// rates; a charge settled twice (a second balance transaction) counts
// once.
func TestSettlementsPerPair(t *testing.T) {
	b := newPinsBook(pinsTenant())
	b.charge(day(10, 2), "ch_gbp", 1000, "GBP")
	b.settled(day(10, 2), "ch_gbp", 1150, "GBP", "EUR", "", "1.15")
	b.charge(day(10, 3), "ch_e1", 5000, "EUR")
	b.settled(day(10, 3), "ch_e1", 5400, "EUR", "USD", "", "1.08")
	b.settled(day(10, 4), "ch_e1", 100, "EUR", "USD", "", "1.1")
	b.charge(day(10, 5), "ch_e2", 2000, "EUR")
	b.settled(day(10, 5), "ch_e2", 2150, "EUR", "USD", "", "1.075")
	b.settled(day(10, 9), "ch_e2", -2150, "EUR", "USD", "dispute", "")
	b.fee(day(10, 5), 90, "USD", map[string]string{"charge_currency": "EUR", "type": "charge"})
	b.charge(day(10, 6), "ch_e3", 3000, "EUR")
	b.settled(day(10, 6), "ch_e3", 2580, "EUR", "GBP", "", "0.86")
	b.refund(day(10, 7), "ch_e1", 1000)
	b.refund(day(10, 8), "ch_e3", 0) // a refund that failed: nothing taken
	// September's charge settled in USD is not October's.
	b.charge(day(9, 6), "ch_sep", 4000, "EUR")
	b.settled(day(9, 6), "ch_sep", 4300, "EUR", "USD", "", "1.075")
	d := b.month(t, time.October, day(11, 2))
	ss := d.settlements(d.Period)
	var got []string
	for _, s := range ss {
		got = append(got, s.chargeCur+"→"+s.settleCur)
	}
	if strings.Join(got, " ") != "EUR→GBP EUR→USD GBP→EUR" {
		t.Fatalf("pairs %v", got)
	}
	eurUSD := ss[1]
	if eurUSD.charges != 2 || eurUSD.gross != 5000+2000 || eurUSD.settled != 5400+100+2150 || eurUSD.disputes != -2150 || eurUSD.fees != 90 || eurUSD.unread != 1 {
		t.Errorf("EUR→USD %+v", eurUSD)
	}
	if n := eurUSD.net(); n != 5400+100+2150-2150-90 {
		t.Errorf("net %d", n)
	}
	if got, want := eurUSD.rateText(), "1 EUR = 1.075 to 1.1 USD (3 rates)"; got != want {
		t.Errorf("rates %q, want %q", got, want)
	}
	if got, want := ss[0].rateText(), "1 EUR = 0.86 GBP"; got != want || ss[0].unread != 0 {
		t.Errorf("rates %q, want %q; refunded %d", got, want, ss[0].unread)
	}
	if got := (settlement{chargeCur: "EUR", settleCur: "USD"}).rateText(); got != "not given" {
		t.Errorf("no rate: %q", got)
	}
	if n := settledInto(ss, "USD"); n != eurUSD.net() {
		t.Errorf("settled into USD %d, want %d", n, eurUSD.net())
	}
	if n := settledInto(ss, "EUR"); n != 1150 {
		t.Errorf("settled into EUR %d, want 1150", n)
	}
}
