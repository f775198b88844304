package report

import "testing"

// TestCMOPinsSignedCount: only a positive count carries a plus; zero is
// bare and a negative count has the minus sign.
func TestCMOPinsSignedCount(t *testing.T) {
	for n, want := range map[int64]string{1: "+1", 1234: "+1,234", 0: "0", -1: "−1"} {
		if g := signedCount(n); g != want {
			t.Errorf("signedCount(%d) = %q, want %q", n, g, want)
		}
	}
}
