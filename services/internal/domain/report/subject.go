package report

import (
	"fmt"
	"math"
	"strings"
	"unicode"

	"github.com/boardpack/boardpack/messages"
)

// The subject and preheader carry the headline, so the inbox line alone
// says how the period went: "Queen · Oct 2026: $10.5k revenue, 87.5 % of
// target · 5 need attention". The figures come from the same functions as
// the body (one value per figure).

// headline is the role's one-line summary of the period.
func headline(d *Data, v View) string {
	cc := d.Tenant.Currency
	cur := d.finance(d.Period)
	var parts []string
	revenue := func() {
		if !cur.gross.Known {
			parts = append(parts, "revenue unknown")
			return
		}
		s := compactMoney(cur.gross.V, cc) + " revenue"
		if t, _, ok := d.revenueTarget(d.Period); ok && t > 0 {
			s += ", " + pct(cur.gross.V, t) + " of target"
		}
		parts = append(parts, s)
	}
	switch d.Due.Role {
	case messages.RoleCEO:
		revenue()
	case messages.RoleCFO:
		rw := d.runway()
		switch {
		case rw.profitable:
			parts = append(parts, "profitable")
		case rw.known:
			parts = append(parts, fmt.Sprintf("%.1f months of runway", rw.months))
		default:
			parts = append(parts, "runway unknown")
		}
		revenue()
	case messages.RoleCTO:
		if c, ok := v.(*CTOView); ok && c.errorRate != "" {
			parts = append(parts, c.errorRate+" Lambda errors")
		}
		if _, total := d.awsCostByService(d.Period); total.Known {
			parts = append(parts, compactMoney(total.V, cc)+" AWS")
		}
	case messages.RoleCMO:
		if nc := d.Sum(messages.MetricCustomersNew, d.Period.Start, d.Period.End); nc.Known {
			parts = append(parts, count(nc.V)+" new customers")
		}
		if u := d.unitEconomics(d.Period); u.cacKnown {
			parts = append(parts, "CAC "+compactMoney(u.cac, cc))
		}
	case messages.RoleAccounting:
		if cur.net.Known {
			parts = append(parts, compactMoney(cur.net.V, cc)+" net revenue")
		}
		if g, ok := d.payoutGap(cur); ok && g.diff != 0 {
			parts = append(parts, "payouts off by "+compactMoney(abs(g.diff), cc))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no data yet")
	}
	return strings.Join(parts, ", ")
}

// subjectLine is "<business> · <role> · <period>: <headline> · <n> need
// attention".
func subjectLine(d *Data, v View, n int) string {
	att := "nothing needs attention"
	switch {
	case n == 1:
		att = "1 needs attention"
	case n > 1:
		att = fmt.Sprintf("%d need attention", n)
	}
	return fmt.Sprintf("%s · %s · %s: %s · %s", d.Tenant.Name, roleTitles[d.Due.Role], d.Period.Short(), headline(d, v), att)
}

// compactMoney is an amount rounded for a subject line ("$10.5k",
// "$498", "−$6.9k").
func compactMoney(minor int64, code string) string {
	if minor < 0 {
		return minusSign + compactMoney(-minor, code)
	}
	digits, err := currencyDigits(code)
	if err != nil {
		return money(minor, code)
	}
	div := int64(1)
	for i := uint8(0); i < digits; i++ {
		div *= 10
	}
	major := float64(minor) / float64(div)
	sym := strings.TrimRightFunc(money(0, code), func(r rune) bool { return unicode.IsDigit(r) || r == '.' || r == ',' })
	// Each step is taken after rounding, so a figure that rounds up to a
	// thousand of one step is shown in the next ($999,999.99 is "$1M",
	// not "$1000k"; $999.60 is "$1k").
	if r := math.Round(major); r < 1e3 {
		return sym + fmt.Sprintf("%.0f", r)
	}
	if k := math.Round(major/1e2) / 10; k < 1e3 {
		return sym + trimZero(fmt.Sprintf("%.1f", k)) + "k"
	}
	return sym + trimZero(fmt.Sprintf("%.1f", math.Round(major/1e5)/10)) + "M"
}

func trimZero(s string) string { return strings.TrimSuffix(s, ".0") }
