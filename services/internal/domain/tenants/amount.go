package tenants

import (
	"fmt"
	"strings"

	"github.com/bojanz/currency"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/alerting"
)

// ParseAmount reads a decimal amount ("1234.5", "-20", "1234.50") in minor
// units of code, refusing more decimals than the currency has. It never
// goes through a float, and takes only decimals written out (a minus sign,
// digits, optionally a point and decimals): "1e3", "+5", ".5", "NaN" or
// "Infinity", which the decimal library would read, are refused.
func ParseAmount(s, code string) (messages.Money, error) {
	s = strings.TrimSpace(s)
	digits, ok := currency.GetDigits(code)
	if !ok {
		return messages.Money{}, fmt.Errorf("unknown currency %q", code)
	}
	if !alerting.IsPlainDecimal(strings.TrimPrefix(s, "-")) {
		return messages.Money{}, fmt.Errorf("%q is not a decimal amount in %s (digits, optionally a point and decimals, a leading minus when negative: 1000, 1000.50, -20)", s, code)
	}
	amt, err := currency.NewAmount(s, code)
	if err != nil {
		return messages.Money{}, fmt.Errorf("%q is not a decimal amount", s)
	}
	if r := amt.Round(); !r.Equal(amt) {
		return messages.Money{}, fmt.Errorf("%q has more than %d decimals for %s", s, digits, code)
	}
	minor, err := amt.Int64()
	if err != nil {
		return messages.Money{}, fmt.Errorf("%q is out of range", s)
	}
	return messages.Money{Amount: minor, Currency: code}, nil
}

// Amount returns a validated finance amount in minor units, and whether it
// is set.
func (t Tenant) Amount(decimal string) (messages.Money, bool) {
	if decimal == "" {
		return messages.Money{}, false
	}
	m, err := ParseAmount(decimal, t.Currency)
	return m, err == nil
}
