package report

import "testing"

func TestCountDeltaEdges(t *testing.T) {
	for _, c := range []struct {
		name         string
		cur, prev    int64
		higherBetter bool
		text, status string
	}{
		// From smallCount (10) on, a count changes by a percentage.
		{"10 from 9", 10, 9, true, "▲ +11.1 %", good},
		{"9 from 10", 9, 10, true, "▼ −10.0 %", bad},
		// Below it, by the difference.
		{"2 from 5", 2, 5, false, "▼ −3", good},
		{"5 from 2", 5, 2, false, "▲ +3", bad},
		{"9 from 0", 9, 0, true, "▲ +9", good},
	} {
		d := countDelta(c.cur, c.prev, c.higherBetter)
		if d.String() != c.text || d.Status != c.status {
			t.Errorf("%s: %q %s, want %q %s", c.name, d.String(), d.Status, c.text, c.status)
		}
	}
}

func TestSignFixEdges(t *testing.T) {
	for in, want := range map[string]string{"": "", "-": minusSign, "-5.0 %": minusSign + "5.0 %", "+0.0 %": "0.0 %", "-0.0 %": "0.0 %", "5": "5"} {
		if got := signFix(in); got != want {
			t.Errorf("signFix(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRateAtTheSmallEdge: exactly 0.05 % rounds to 0.1 %; below it reads
// "<0.1 %".
func TestRateAtTheSmallEdge(t *testing.T) {
	for _, c := range []struct {
		num, den int64
		want     string
	}{{1, 2000, "0.1 %"}, {1, 2001, "<0.1 %"}, {-1, 2001, ">" + minusSign + "0.1 %"}} {
		if got := rate(c.num, c.den); got != c.want {
			t.Errorf("rate(%d, %d) = %q, want %q", c.num, c.den, got, c.want)
		}
	}
}
