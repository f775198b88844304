package report

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// TestLedgerLinesPinned: every kind of ledger line from a history written
// out by hand, with the period's ends (the first instant counts, the end
// does not), facts that are not money moved (a charge's state, an
// inquiry, an expense removed or dated before the period), and the sort
// order (date, then account, description, amount).
func TestLedgerLinesPinned(t *testing.T) {
	tn := testTenant()
	loc := tn.Location()
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, loc)
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, loc)
	day := func(d int) time.Time { return time.Date(2026, 10, d, 12, 0, 0, 0, loc) }
	p := newPinFacts(tn.ID)
	S, I := messages.SourceStripe, messages.SourceImport
	add, st := messages.KindAdditive, messages.KindState
	// Charges: at the first instant (in), at the end (out), as a state (not
	// money moved), one named by its description, one by nothing.
	p.add(start, S, messages.MetricRevenueGross, add, 10000, "USD", func(e *messages.MetricEvent) {
		e.ObjectID, e.Entity = "ch_1", "ch_1"
		dims("product", "Harbor cruise")(e)
	})
	p.add(end, S, messages.MetricRevenueGross, add, 777, "USD", dims("product", "Too late"))
	p.add(day(2), S, messages.MetricRevenueGross, st, 555, "USD", state("ch_state", 1, dims("product", "A state")))
	p.add(day(3), S, messages.MetricRevenueGross, add, 2500, "USD", dims("description", "Gift card"))
	p.add(day(3), S, messages.MetricRevenueGross, add, 1200, "USD", func(e *messages.MetricEvent) { e.Entity = "ch_bare" })
	// Refunds of ch_1: 1,000 before the period, 3,000 in all by Oct 10, so
	// the period refunded 2,000; ch_2 refunded 400 at the first instant,
	// ch_3 refunded 900 only at the end (not in the period).
	p.add(start.Add(-24*time.Hour), S, messages.MetricRevenueRefunded, st, 1000, "USD", state("ch_1", 1, dims("product", "Harbor cruise")))
	p.add(day(10), S, messages.MetricRevenueRefunded, st, 3000, "USD", state("ch_1", 2, dims("product", "Harbor cruise")))
	p.add(start, S, messages.MetricRevenueRefunded, st, 400, "USD", state("ch_2", 1))
	p.add(end, S, messages.MetricRevenueRefunded, st, 900, "USD", state("ch_3", 1))
	// Disputes: an inquiry moves nothing; funds withdrawn then reinstated.
	p.add(day(12), S, messages.MetricRevenueDisputed, add, 6000, "USD", dims("inquiry", "true"))
	p.add(day(12), S, messages.MetricRevenueDisputed, add, 5000, "USD", dims("dispute", "dp_1", "funds", "withdrawn"))
	p.add(day(20), S, messages.MetricRevenueDisputed, add, -5000, "USD", dims("dispute", "dp_1", "funds", "reinstated"))
	// Fees: one of a USD charge, one of a EUR charge settled in USD.
	p.add(day(3), S, messages.MetricRevenueFees, add, 100, "USD", dims("charge_currency", "USD"))
	p.add(day(5), S, messages.MetricRevenueFees, add, 300, "USD", dims("charge_currency", "EUR"))
	// A EUR charge settled as 9,700 USD at 1.08, and its dispute's funds.
	p.add(day(5), S, messages.MetricRevenueGross, add, 9000, "EUR", func(e *messages.MetricEvent) {
		e.ObjectID = "ch_eur"
		dims("product", "Euro tour")(e)
	})
	p.add(day(5), S, messages.MetricRevenueSettled, add, 9700, "USD", func(e *messages.MetricEvent) {
		e.ObjectID = "ch_eur"
		dims("charge_currency", "EUR", "exchange_rate", "1.08")(e)
	})
	p.add(day(6), S, messages.MetricRevenueSettled, add, 9100, "USD", func(e *messages.MetricEvent) {
		e.ObjectID = "ch_same"
		dims("charge_currency", "USD")(e)
	})
	p.add(day(25), S, messages.MetricRevenueDisputed, add, 4000, "EUR", dims("dispute", "dp_9", "funds", "withdrawn"))
	p.add(day(25), S, messages.MetricRevenueSettled, add, -4300, "USD", func(e *messages.MetricEvent) {
		e.ObjectID = "ch_eur"
		dims("type", "dispute", "dispute", "dp_9", "funds", "withdrawn", "charge_currency", "EUR")(e)
	})
	// Expenses: mapped by category, by its own account code, removed, and
	// one dated before the period.
	p.add(day(1), I, metricExpenses, st, 45000, "USD", state("expense/a", 1, dims(messages.DimCategory, "software", messages.DimVendor, "Figma")))
	p.add(day(1), I, metricExpenses, st, 12000, "USD", state("expense/b", 1, dims(messages.DimCategory, "rent", messages.DimVendor, "Landlord", messages.DimAccountCode, "6301")))
	p.add(day(2), I, metricExpenses, st, 999, "USD", state("expense/c", 1, dims(messages.DimCategory, "rent", messages.DimVendor, "Gone", messages.DimRemoved, "true")))
	p.add(start.Add(-time.Hour), I, metricExpenses, st, 888, "USD", state("expense/d", 1, dims(messages.DimCategory, "rent", messages.DimVendor, "September")))

	lines, err := TenantLedger(context.Background(), p.source(), tn, monthDue(tn, messages.RoleCFO, 2026, time.October), time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range lines {
		if l.Business != tn.Name {
			t.Errorf("business %q, want the tenant's name", l.Business)
		}
		got = append(got, fmt.Sprintf("%s|%s|%s|%s|%d %s", l.Date.Format("2006-01-02 15:04 MST"), l.Source, l.Account, l.Description, l.Amount, l.Currency))
	}
	conv := "Stripe conversion of charge ch_eur: EUR to USD at 1.08"
	dconv := "Stripe conversion of dispute dp_9 (funds withdrawn): EUR to USD"
	want := []string{
		"2026-10-01 00:00 PDT|stripe|4000 Sales|Harbor cruise|10000 USD",
		"2026-10-01 00:00 PDT|stripe|4010 Refunds|Refund of Charge ch_2|-400 USD",
		"2026-10-01 12:00 PDT|import|6110 Software subscriptions|Figma (software)|-45000 USD",
		"2026-10-01 12:00 PDT|import|6301|Landlord (rent)|-12000 USD",
		"2026-10-03 12:00 PDT|stripe|4000 Sales|Charge ch_bare|1200 USD",
		"2026-10-03 12:00 PDT|stripe|4000 Sales|Gift card|2500 USD",
		"2026-10-03 12:00 PDT|stripe|6700 Bank & payment fees|Processor fee|-100 USD",
		"2026-10-05 12:00 PDT|stripe|1090 Stripe currency conversion|" + conv + "|-9000 EUR",
		"2026-10-05 12:00 PDT|stripe|1090 Stripe currency conversion|" + conv + "|9700 USD",
		"2026-10-05 12:00 PDT|stripe|4000 Sales|Euro tour|9000 EUR",
		"2026-10-05 12:00 PDT|stripe|6700 Bank & payment fees|Processor fee (EUR charge settled in USD)|-300 USD",
		"2026-10-10 12:00 PDT|stripe|4010 Refunds|Refund of Harbor cruise|-2000 USD",
		"2026-10-12 12:00 PDT|stripe|4020 Disputes|Dispute: funds withdrawn|-5000 USD",
		"2026-10-20 12:00 PDT|stripe|4020 Disputes|Dispute: funds reinstated|5000 USD",
		"2026-10-25 12:00 PDT|stripe|1090 Stripe currency conversion|" + dconv + "|-4300 USD",
		"2026-10-25 12:00 PDT|stripe|1090 Stripe currency conversion|" + dconv + "|4000 EUR",
		"2026-10-25 12:00 PDT|stripe|4020 Disputes|Dispute: funds withdrawn|-4000 EUR",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ledger lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestLedgerLinesSortTies: lines of one day and account sort by
// description, then by amount, whatever order the facts came in.
func TestLedgerLinesSortTies(t *testing.T) {
	tn := testTenant()
	at := time.Date(2026, 10, 7, 9, 0, 0, 0, tn.Location())
	p := newPinFacts(tn.ID)
	for _, c := range []struct {
		v    int64
		desc string
	}{{300, "B"}, {200, "A"}, {100, "B"}, {50, "A"}} {
		p.add(at, messages.SourceStripe, messages.MetricRevenueGross, messages.KindAdditive, c.v, "USD", dims("product", c.desc))
	}
	lines, err := TenantLedger(context.Background(), p.source(), tn, monthDue(tn, messages.RoleCFO, 2026, time.October), time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range lines {
		got = append(got, fmt.Sprintf("%s %d", l.Description, l.Amount))
	}
	if g := strings.Join(got, ", "); g != "A 50, A 200, B 100, B 300" {
		t.Errorf("order %s, want A 50, A 200, B 100, B 300", g)
	}
}

// TestLedgerLinesUpToNow: a report read before its period ends books a
// charge's refunds up to now (the latest state before now), not after.
func TestLedgerLinesUpToNow(t *testing.T) {
	tn := testTenant()
	loc := tn.Location()
	now := time.Date(2026, 10, 15, 12, 0, 0, 0, loc)
	p := newPinFacts(tn.ID)
	p.add(time.Date(2026, 10, 2, 0, 0, 0, 0, loc), messages.SourceStripe, messages.MetricRevenueRefunded, messages.KindState, 700, "USD", state("ch_a", 1))
	p.add(now.Add(-time.Minute), messages.SourceStripe, messages.MetricRevenueRefunded, messages.KindState, 1000, "USD", state("ch_a", 2))
	p.add(now.Add(time.Hour), messages.SourceStripe, messages.MetricRevenueRefunded, messages.KindState, 1600, "USD", state("ch_a", 3))
	lines, err := TenantLedger(context.Background(), p.source(), tn, monthDue(tn, messages.RoleCFO, 2026, time.October), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || lines[0].Amount != -1000 || !lines[0].Date.Equal(now.Add(-time.Minute)) {
		t.Errorf("lines %+v, want one refund of 1,000 dated a minute before now", lines)
	}
}

// TestDecimalPinned: the digits of a currency place the point, padding
// with zeros, for both signs.
func TestDecimalPinned(t *testing.T) {
	for _, c := range []struct {
		minor int64
		code  string
		want  string
	}{
		{5, "USD", "0.05"}, {-5, "USD", "-0.05"}, {99, "USD", "0.99"}, {100, "USD", "1.00"}, {-100, "USD", "-1.00"},
		{0, "JPY", "0"}, {-7, "JPY", "-7"}, {1, "KWD", "0.001"}, {1000, "KWD", "1.000"}, {-123456, "KWD", "-123.456"},
	} {
		if got, err := decimal(c.minor, c.code); err != nil || got != c.want {
			t.Errorf("decimal(%d, %s) = %q, %v; want %q", c.minor, c.code, got, err, c.want)
		}
	}
	for _, s := range []string{"=1", "+1", "-1", "@a", "\tx", "\rx"} {
		if got := safeCell(s); got != "'"+s {
			t.Errorf("safeCell(%q) = %q", s, got)
		}
	}
	for _, s := range []string{"", "a=1", "1-2"} {
		if got := safeCell(s); got != s {
			t.Errorf("safeCell(%q) = %q, want it unchanged", s, got)
		}
	}
}

// TestLedgerLinesFullTiesKeepTheirOrder: lines equal in date, account,
// description and amount (a fee of 1.00 in two currencies) keep the order
// the facts were read in: the sort is stable and says nothing of them.
func TestLedgerLinesFullTiesKeepTheirOrder(t *testing.T) {
	tn := testTenant()
	at := time.Date(2026, 10, 7, 9, 0, 0, 0, tn.Location())
	for _, order := range [][]string{{"USD", "EUR", "GBP"}, {"GBP", "USD", "EUR"}} {
		p := newPinFacts(tn.ID)
		for _, cc := range order {
			p.add(at, messages.SourceStripe, messages.MetricRevenueFees, messages.KindAdditive, 100, cc, nil)
		}
		lines, err := TenantLedger(context.Background(), p.source(), tn, monthDue(tn, messages.RoleCFO, 2026, time.October), time.Date(2026, 11, 5, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range lines {
			got = append(got, l.Currency)
		}
		if strings.Join(got, ",") != strings.Join(order, ",") {
			t.Errorf("order %v, want the facts' %v", got, order)
		}
	}
}
