package report

import (
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// TestCEOPinsBurnKPIAtZero: a burn of exactly 0 is neither a profit nor a
// burn to be ashamed of: "burn $0.00", neutral. A move from zero to a
// profit (or from a profit to zero) crosses sides, so it has no change;
// a fall from a burn to zero is a good change.
func TestCEOPinsBurnKPIAtZero(t *testing.T) {
	for _, c := range []struct {
		name                         string
		cur, prev                    int64
		label, value, previous       string
		status, change, changeStatus string
	}{
		{"zero after zero", 0, 0, "Net burn", "$0.00", "burn $0.00 (Sep 2026)", neutral, "no change", neutral},
		{"zero after a burn", 0, 500, "Net burn", "$0.00", "burn $5.00 (Sep 2026)", neutral, "▼ −100.0 %", good},
		{"zero after a profit", 0, -1, "Net burn", "$0.00", "profit $0.01 (Sep 2026)", neutral, "", ""},
		{"a profit after zero", -1, 0, "Net profit", "$0.01", "burn $0.00 (Sep 2026)", good, "", ""},
		{"a bigger profit", -200, -100, "Net profit", "$2.00", "profit $1.00 (Sep 2026)", good, "▲ +100.0 %", good},
	} {
		in := KPI{Label: "Net burn", Value: money(c.cur, "USD"), Status: trend(c.cur, c.prev, false)}
		in.setDelta(moneyDelta(c.cur, c.prev, false))
		k := burnKPI(in, Num{V: c.cur, Known: true}, Num{V: c.prev, Known: true}, "USD", "Sep 2026")
		if k.Label != c.label || k.Value != c.value || k.Previous != c.previous || k.Status != c.status || k.Change != c.change || k.ChangeStatus != c.changeStatus {
			t.Errorf("%s: got %q %q %q status %q change %q (%q); want %q %q %q status %q change %q (%q)", c.name,
				k.Label, k.Value, k.Previous, k.Status, k.Change, k.ChangeStatus,
				c.label, c.value, c.previous, c.status, c.change, c.changeStatus)
		}
	}
}

// TestCEOPinsAgendaDates: a critical shortfall is due in 7 days, a high
// one in 14, anything else in 30; without a shortfall the agenda is one
// P3 item due in 30 days.
func TestCEOPinsAgendaDates(t *testing.T) {
	d := &Data{AsOf: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Loc: time.UTC}
	got := func(as []Action) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Priority+" "+a.Title+" by "+a.By)
		}
		return out
	}
	for _, c := range []struct {
		name string
		fs   []Shortfall
		want []string
	}{
		{"shortfalls", []Shortfall{
			{Severity: messages.SeverityCritical, Title: "c", action: "fix c"},
			{Severity: messages.SeverityHigh, Title: "h", action: "fix h"},
			{Severity: messages.SeverityMedium, Title: "m", action: "fix m"},
		}, []string{"P1 fix c by 8 Nov 2026", "P2 fix h by 15 Nov 2026", "P3 fix m by 1 Dec 2026"}},
		{"none", nil, []string{"P3 Keep the course; review this report with the team by 1 Dec 2026"}},
	} {
		g := got(agenda(d, c.fs))
		if len(g) != len(c.want) {
			t.Errorf("%s: agenda %q, want %q", c.name, g, c.want)
			continue
		}
		for i := range g {
			if g[i] != c.want[i] {
				t.Errorf("%s: agenda %q, want %q", c.name, g, c.want)
				break
			}
		}
	}
}
