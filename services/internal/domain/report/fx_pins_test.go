package report

import (
	"math"
	"math/big"
	"testing"
)

func TestConvertMinorFailures(t *testing.T) {
	if _, err := convertMinor(math.MaxInt64, "USD", "EUR", "2"); err == nil {
		t.Error("an amount out of int64 range is converted")
	}
	if n, err := convertMinor(math.MaxInt64, "USD", "EUR", "1"); err != nil || n != math.MaxInt64 {
		t.Errorf("the largest amount at 1: %d, %v", n, err)
	}
	for _, c := range [][2]string{{"ZZZ", "EUR"}, {"USD", "ZZZ"}} {
		if _, err := convertMinor(100, c[0], c[1], "1"); err == nil {
			t.Errorf("%s → %s converted", c[0], c[1])
		}
	}
	if n, err := convertMinor(0, "USD", "JPY", "151.5"); err != nil || n != 0 {
		t.Errorf("nothing converts to %d, %v", n, err)
	}
}

func TestRoundHalfEven(t *testing.T) {
	for _, c := range []struct {
		num, den, want int64
	}{
		{5, 2, 2}, {7, 2, 4}, {-5, 2, -2}, {-7, 2, -4}, // ties to even
		{11, 4, 3}, {9, 4, 2}, {-11, 4, -3}, // nearest
		{0, 1, 0}, {6, 3, 2},
	} {
		if got, err := roundHalfEven(big.NewRat(c.num, c.den)); err != nil || got != c.want {
			t.Errorf("round %d/%d = %d, %v; want %d", c.num, c.den, got, err, c.want)
		}
	}
}
