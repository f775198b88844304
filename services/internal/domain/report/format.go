package report

import (
	"fmt"
	"math"
)

// Signs, arrows and small numbers, shared by every role. The rules:
//
//   - a zero amount never carries a sign ("$0.00", never "−$0.00");
//   - a negative amount uses the minus sign (U+2212), not a hyphen;
//   - a change carries an arrow (▲ up, ▼ down) whose colour says whether
//     the move is good or bad for that metric (cost up is bad);
//   - a count below smallCount changes by its difference, never by a
//     percentage ("0 (−100 %)" says nothing about one deploy);
//   - a non-zero rate that rounds to 0.0 % reads "<0.1 %".

// smallCount is the count below which a change is shown as a difference.
const smallCount = 10

// minusSign is U+2212, the typographic minus.
const minusSign = "−"

// deduction formats an amount taken away from a total ("−$45.00"), and
// "$0.00" when nothing was taken.
func deduction(minor int64, code string) string {
	if minor == 0 {
		return money(0, code)
	}
	return money(-minor, code)
}

// rate formats num/den as a percentage with one decimal; a non-zero rate
// below 0.05 % reads "<0.1 %", and den 0 "n/a".
func rate(num, den int64) string {
	if den == 0 {
		return "n/a"
	}
	r := float64(num) * 100 / float64(den)
	if num != 0 && math.Abs(r) < 0.05 {
		if r < 0 {
			return ">" + minusSign + "0.1 %"
		}
		return "<0.1 %"
	}
	return signFix(fmt.Sprintf("%.1f %%", r))
}

// rateWithCounts is a rate with what it is made of ("0.3 % · 5,184 of
// 1,546,900"), so a reader can judge it.
func rateWithCounts(num, den int64) string {
	if den == 0 {
		return "n/a (no invocations)"
	}
	return rate(num, den) + " · " + count(num) + " of " + count(den)
}

// Delta is a change between two periods, ready to show.
type Delta struct {
	// Text is "+5.4 %", "−2" (a small count) or "no change".
	Text string
	// Arrow is ▲, ▼ or empty.
	Arrow string
	// Status is good, bad or neutral for the metric.
	Status string
}

// String is the arrow and the text ("▲ +5.4 %").
func (c Delta) String() string {
	if c.Arrow == "" {
		return c.Text
	}
	return c.Arrow + " " + c.Text
}

// moneyDelta is the relative change of an amount; higherIsBetter says
// which way is good.
func moneyDelta(cur, prev int64, higherIsBetter bool) Delta {
	c := Delta{Status: trend(cur, prev, higherIsBetter)}
	switch {
	case cur == prev:
		c.Text, c.Status = "no change", neutral
		return c
	case prev == 0:
		c.Text = "new"
	default:
		c.Text = signFix(fmt.Sprintf("%+.1f %%", float64(cur-prev)*100/float64(abs(prev))))
	}
	c.Arrow = "▼"
	if cur > prev {
		c.Arrow = "▲"
	}
	return c
}

// countDelta is the change of a count: a percentage from smallCount on,
// the difference below it.
func countDelta(cur, prev int64, higherIsBetter bool) Delta {
	if max(abs(cur), abs(prev)) >= smallCount {
		return moneyDelta(cur, prev, higherIsBetter)
	}
	c := Delta{Status: trend(cur, prev, higherIsBetter)}
	switch {
	case cur == prev:
		c.Text, c.Status = "no change", neutral
	case cur > prev:
		c.Text, c.Arrow = "+"+count(cur-prev), "▲"
	default:
		c.Text, c.Arrow = minusSign+count(prev-cur), "▼"
	}
	return c
}

// signFix turns the hyphen of a formatted negative number into a minus
// sign and drops the sign of a rounded zero ("-0.0 %").
func signFix(s string) string {
	switch s {
	case "-0.0 %", "+0.0 %":
		return "0.0 %"
	}
	if len(s) > 0 && s[0] == '-' {
		return minusSign + s[1:]
	}
	return s
}
