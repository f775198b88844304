package report

import (
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// burnBook is a business from month first on: each month's rent and, with
// revenue, one charge (August burns 100.00 net, September 200.00, October
// 600.00; 1–10 November 100.00 so far), 9,000.00 in the bank and 600.00
// at Stripe.
func burnBook(first time.Month, revenue bool) *pinsBook {
	b := newPinsBook(pinsTenant())
	for _, m := range []struct {
		month           time.Month
		rent, chargeAmt int64
	}{
		{time.August, 30000, 20000}, {time.September, 45000, 25000}, {time.October, 90000, 30000}, {time.November, 12000, 2000},
	} {
		if m.month < first {
			continue
		}
		b.expense(day(m.month, 1), "rent", "landlord", m.rent)
		if revenue {
			b.charge(day(m.month, 3), "ch_"+m.month.String(), m.chargeAmt, "USD")
		}
	}
	b.bank(day(11, 2), 900000)
	b.stripeCash(day(11, 4), 60000)
	return b
}

// burnAt is the burn book's month-to-date report as of 10 Nov 12:00.
func burnAt(t *testing.T, b *pinsBook) *Data {
	at := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
	return b.data(t, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), at, messages.PeriodMonthToDate, at)
}

func TestBurnAndRunway(t *testing.T) {
	const cash = 900000 + 60000
	for _, c := range []struct {
		name      string
		book      *pinsBook
		burnMonth int
		monthly   int64
		mtd       int64
		basis     string
		runway    string
	}{
		{"net, three months", burnBook(time.August, true), 0, (10000 + 20000 + 60000) / 3, 10000,
			"net burn, average of 3 months Aug–Oct 2026", "32.0 months"},
		{"gross, three months", burnBook(time.August, false), 0, (30000 + 45000 + 90000) / 3, 12000,
			"gross burn (revenue unknown), average of 3 months Aug–Oct 2026", "17.5 months"},
		{"the months before the first fact are not averaged", burnBook(time.September, true), 0, (20000 + 60000) / 2, 10000,
			"net burn, average of 2 months Sep–Oct 2026", "24.0 months"},
		{"burn_months 1", burnBook(time.August, true), 1, 60000, 10000,
			"net burn, Oct 2026", "16.0 months"},
		{"no complete month", burnBook(time.November, true), 0, 10000, 10000,
			"net burn, 1–10 Nov so far (no complete month yet)", "96.0 months"},
	} {
		c.book.tn.Finance.BurnMonths = c.burnMonth
		d := burnAt(t, c.book)
		r := d.runway()
		if !r.burn.known || r.burn.monthly != c.monthly || r.burn.mtdBurn() != c.mtd || r.burn.basis() != c.basis {
			t.Errorf("%s: burn known %v, %d a month, %d so far, %q; want %d, %d, %q", c.name, r.burn.known, r.burn.monthly, r.burn.mtdBurn(), r.burn.basis(), c.monthly, c.mtd, c.basis)
		}
		if r.burn.mtdLabel != "1–10 Nov" {
			t.Errorf("%s: month to date %q", c.name, r.burn.mtdLabel)
		}
		if !r.cash.Known || r.cash.V != cash || !r.cashAsOf.Equal(day(11, 4)) {
			t.Errorf("%s: cash %d (known %v) as of %s", c.name, r.cash.V, r.cash.Known, r.cashAsOf)
		}
		if want := float64(cash) / float64(c.monthly); !r.known || r.profitable || r.months != want || r.text() != c.runway {
			t.Errorf("%s: runway known %v profitable %v %v months %q; want %v %q", c.name, r.known, r.profitable, r.months, r.text(), want, c.runway)
		}
	}
}

// TestBurnOfAnEndedMonth: a report of October, built in November, has no
// month to date; its trailing months end with October.
func TestBurnOfAnEndedMonth(t *testing.T) {
	d := burnBook(time.August, true).month(t, time.October, day(11, 10))
	b := d.burn()
	if b.mtd != nil || b.mtdBurn() != 0 || b.monthly != (10000+20000+60000)/3 || len(b.months) != 3 {
		t.Errorf("mtd %v (%d), %d a month over %d months", b.mtd, b.mtdBurn(), b.monthly, len(b.months))
	}
}

// TestRunwayOfAProfitOrUnknown: a burn at or below zero is no runway
// limit; without cash or any money fact the runway is unknown.
func TestRunwayOfAProfitOrUnknown(t *testing.T) {
	for _, margin := range []int64{0, -1} {
		b := newPinsBook(pinsTenant())
		for _, m := range []time.Month{time.August, time.September, time.October} {
			b.expense(day(m, 1), "rent", "landlord", 30000)
			b.charge(day(m, 3), "ch_"+m.String(), 30000-margin, "USD")
		}
		b.bank(day(11, 2), 900000)
		r := burnAt(t, b).runway()
		if !r.burn.known || r.burn.monthly != margin || !r.profitable || r.known || r.text() != "not burning cash" {
			t.Errorf("margin %d: burn %d, profitable %v, known %v, %q", margin, r.burn.monthly, r.profitable, r.known, r.text())
		}
	}
	noCash := burnBook(time.August, true)
	noCash.facts = noCash.facts[:len(noCash.facts)-2]
	if r := burnAt(t, noCash).runway(); !r.burn.known || r.cash.Known || r.known || r.profitable || r.text() != "unknown" {
		t.Errorf("no cash: burn known %v cash known %v runway %v %q", r.burn.known, r.cash.Known, r.known, r.text())
	}
	onlyCash := newPinsBook(pinsTenant())
	onlyCash.bank(day(11, 2), 900000)
	if r := burnAt(t, onlyCash).runway(); r.burn.known || r.known || r.profitable || r.text() != "unknown" {
		t.Errorf("no money facts: burn known %v runway %v %q", r.burn.known, r.known, r.text())
	}
}
