package report

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// decimalRate is a plain decimal ("0.9215", "151"): no exponent, sign,
// fraction or hex, which big.Rat would otherwise accept.
var decimalRate = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// convertMinor converts an amount in minor units of from into minor units
// of to at rate (units of to per one unit of from, a decimal string such
// as "0.9215"), in exact rational arithmetic, rounded half to even to to's
// minor unit: no float ever touches the amount.
func convertMinor(minor int64, from, to, rate string) (int64, error) {
	rate = strings.TrimSpace(rate)
	if rate == "" {
		return 0, fmt.Errorf("no rate for %s", from)
	}
	if !decimalRate.MatchString(rate) {
		return 0, fmt.Errorf("rate %q for %s is not a positive decimal", rate, from)
	}
	r, ok := new(big.Rat).SetString(rate)
	if !ok || r.Sign() <= 0 {
		return 0, fmt.Errorf("rate %q for %s is not a positive decimal", rate, from)
	}
	fd, err := currencyDigits(from)
	if err != nil {
		return 0, err
	}
	td, err := currencyDigits(to)
	if err != nil {
		return 0, err
	}
	// minor / 10^fd major units × rate × 10^td minor units of to.
	x := new(big.Rat).SetInt64(minor)
	x.Mul(x, r)
	x.Mul(x, new(big.Rat).SetFrac(pow10(int(td)), pow10(int(fd))))
	n, err := roundHalfEven(x)
	if err != nil {
		return 0, fmt.Errorf("convert %d %s: %w", minor, from, err)
	}
	return n, nil
}

func pow10(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// roundHalfEven rounds x to the nearest integer, ties to even.
func roundHalfEven(x *big.Rat) (int64, error) {
	num, den := new(big.Int).Set(x.Num()), x.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	twice := new(big.Int).Lsh(r, 1)
	switch c := twice.Cmp(den); {
	case c > 0, c == 0 && q.Bit(0) == 1:
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	if !q.IsInt64() {
		return 0, fmt.Errorf("amount out of range")
	}
	return q.Int64(), nil
}
