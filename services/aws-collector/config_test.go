package main

import "testing"

func TestParsePercentBP(t *testing.T) {
	for in, want := range map[string]int64{"5": 500, "2.5": 250, "0.01%": 1, "100": 10000} {
		if got, err := parsePercentBP(in); err != nil || got != want {
			t.Errorf("parsePercentBP(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "-1", "101"} {
		if _, err := parsePercentBP(bad); err == nil {
			t.Errorf("parsePercentBP(%q) accepted", bad)
		}
	}
}
