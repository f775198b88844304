package report

import (
	"strings"
	"testing"
	"time"
)

// TestCFOPinsBurnRowAtZero: a burn of exactly 0 is a burn (not a
// profit), shown without a sign word; a previous month's profit of 0.01
// beside it says "profit", and a 0 beside a current profit says "burn".
func TestCFOPinsBurnRowAtZero(t *testing.T) {
	for _, c := range []struct {
		cur, prev int64
		want      string
	}{
		{0, -1, "Net burn (costs − net revenue) | $0.00 | profit $0.01 | bad"},
		{-1, 0, "Net profit (net revenue − costs) | $0.01 | burn $0.00 | good"},
		{-1, -2, "Net profit (net revenue − costs) | $0.01 | $0.02 | good"},
		{1, 2, "Net burn (costs − net revenue) | $0.01 | $0.02 | bad"},
	} {
		r := burnRow(c.cur, c.prev, "USD")
		if g := strings.Join(append(r.Cells, r.Status), " | "); g != c.want {
			t.Errorf("burnRow(%d, %d) = %q, want %q", c.cur, c.prev, g, c.want)
		}
	}
}

// TestCFOPinsJoinLines: lines are joined by one space, none leading.
func TestCFOPinsJoinLines(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
	}{{nil, ""}, {[]string{"a"}, "a"}, {[]string{"a", "b", "c"}, "a b c"}} {
		if g := joinLines(c.in); g != c.want {
			t.Errorf("joinLines(%q) = %q, want %q", c.in, g, c.want)
		}
	}
}

// cfoBook is October: one charge of 10,000.00 (the month's imported
// target), refunds of 300.00 and disputes of 200.00+extra (5 % of gross
// at extra 0), AWS cost of 1,900.00+extra (20 % of net revenue at extra
// 0), rent, and cash in the bank.
func cfoBook(extra, rent, cash int64) *pinsBook {
	b := newPinsBook(pinsTenant())
	b.charge(day(10, 3), "ch_1", 1000000, "USD")
	b.refund(day(10, 10), "ch_1", 30000)
	b.disputed(day(10, 12), 20000+extra)
	b.awsMTD(day(10, 31), "EC2", 190000+extra)
	b.expense(day(10, 1), "rent", "landlord", rent)
	b.bank(day(10, 30), cash)
	b.target(day(10, 1), "2026-10", 1000000)
	return b
}

func cfoOf(t *testing.T, b *pinsBook) *CFOView {
	t.Helper()
	return analyseCFO(b.month(t, time.October, day(11, 2))).(*CFOView)
}

func rules(v *CFOView) string {
	var out []string
	for _, c := range v.Rules {
		out = append(out, c.Result+" "+c.Evidence)
	}
	return strings.Join(out, "\n")
}

func chosenTiers(v *CFOView) string {
	var out []string
	for _, r := range v.Tiers.Rows {
		if strings.HasPrefix(r.Cells[0], "► ") {
			out = append(out, r.Cells[0]+" "+r.Status)
		}
	}
	return strings.Join(out, ", ")
}

// TestCFOPinsRulesOnTheLine: refunds and disputes exactly 5 % of gross,
// AWS cost exactly 20 % of net revenue, revenue exactly on target and
// runway exactly the minimum (6 months) all pass; the tier is Protect.
func TestCFOPinsRulesOnTheLine(t *testing.T) {
	const net = 1000000 - 30000 - 20000
	const burn = 100000
	v := cfoOf(t, cfoBook(0, net+burn-190000, 6*burn))
	if g, w := rules(v), "PASS 6.0 months\nPASS $10,000.00 vs $10,000.00\nPASS 5.0 %\nPASS $1,900.00 vs $9,500.00"; g != w {
		t.Errorf("rules:\n%s\nwant:\n%s", g, w)
	}
	if v.Runway.Value != "6.0 months" || v.Runway.Status != good {
		t.Errorf("runway %q %q, want 6.0 months good", v.Runway.Value, v.Runway.Status)
	}
	if g, w := chosenTiers(v), "► 2 Protect good"; g != w {
		t.Errorf("tiers %q, want %q", g, w)
	}
	if len(v.Targets.Rows) != 1 || strings.Join(v.Targets.Rows[0].Cells, " | ") != "Oct 2026 | $10,000.00 | $10,000.00 | $0.00" || v.Targets.Rows[0].Status != good {
		t.Errorf("target rows %+v, want Oct 2026 on target, good", v.Targets.Rows)
	}
	if len(v.MonthlyBurn.Rows) != 1 || strings.Join(v.MonthlyBurn.Rows[0].Cells, " | ") != "Trailing: net burn, Oct 2026 | $1,000.00" {
		t.Errorf("monthly burn %+v", v.MonthlyBurn.Rows)
	}
}

// TestCFOPinsRulesOverTheLine: a cent more of disputes and of AWS cost
// fails both rules.
func TestCFOPinsRulesOverTheLine(t *testing.T) {
	const net = 1000000 - 30000 - 20001
	v := cfoOf(t, cfoBook(1, net+100000-190001, 600000))
	want := []string{"FAIL 5.0 %", "FAIL $1,900.01 vs $9,499.99"}
	for i, w := range want {
		if g := v.Rules[2+i].Result + " " + v.Rules[2+i].Evidence; g != w {
			t.Errorf("rule %q: %q, want %q", v.Rules[2+i].Rule, g, w)
		}
	}
}

// TestCFOPinsRunwayTwelveMonths: exactly 12 months is Invest.
func TestCFOPinsRunwayTwelveMonths(t *testing.T) {
	const net = 1000000 - 30000 - 20000
	v := cfoOf(t, cfoBook(0, net+100000-190000, 1200000))
	if g, w := chosenTiers(v), "► 3 Invest good"; g != w || v.Runway.Status != good || v.Runway.Value != "12.0 months" {
		t.Errorf("tiers %q runway %q %q, want %q good", g, v.Runway.Value, v.Runway.Status, w)
	}
}

// TestCFOPinsBurnExactlyZero: costs exactly equal to net revenue is a
// trailing burn of 0 (not a profit) and not burning cash.
func TestCFOPinsBurnExactlyZero(t *testing.T) {
	const net = 1000000 - 30000 - 20000
	v := cfoOf(t, cfoBook(0, net-190000, 600000))
	if len(v.MonthlyBurn.Rows) != 1 || strings.Join(v.MonthlyBurn.Rows[0].Cells, " | ") != "Trailing: net burn, Oct 2026 | $0.00" {
		t.Errorf("monthly burn %+v", v.MonthlyBurn.Rows)
	}
	if g, w := chosenTiers(v), "► 4 Deploy good"; g != w || v.Runway.Value != "not burning cash" {
		t.Errorf("tiers %q runway %q", g, v.Runway.Value)
	}
}

// TestCFOPinsNoCompleteMonth: with only this month's actuals the monthly
// burn is them, and no second "so far" row repeats it.
func TestCFOPinsNoCompleteMonth(t *testing.T) {
	v := analyseCFO(burnAt(t, burnBook(time.November, true))).(*CFOView)
	if len(v.MonthlyBurn.Rows) != 1 || strings.Join(v.MonthlyBurn.Rows[0].Cells, " | ") != "Trailing: net burn, 1–10 Nov so far (no complete month yet) | $100.00" {
		t.Errorf("monthly burn %+v", v.MonthlyBurn.Rows)
	}
}

// TestCFOPinsSoldExactlyBreakEven: four charges against a break-even of
// four is good.
func TestCFOPinsSoldExactlyBreakEven(t *testing.T) {
	const perUnit = (4*3000 - 500) / 4
	v := analyseCFO(evenCharges(4*perUnit).month(t, time.October, day(11, 2))).(*CFOView)
	r := v.BreakEven.Rows[len(v.BreakEven.Rows)-1]
	if g, w := strings.Join(r.Cells, " | "), "Charges in Oct 2026 | 4 (100.0 % of break-even)"; g != w || r.Status != good {
		t.Errorf("sold row %q %q, want %q good", g, r.Status, w)
	}
}
