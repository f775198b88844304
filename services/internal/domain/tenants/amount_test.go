package tenants

import (
	"strings"
	"testing"
)

// Only decimals written out are amounts: exponents, a plus sign, a bare
// point, NaN and Infinity (which the decimal library reads) are refused
// with an error naming the input and the currency.
func TestParseAmountRefusesNonDecimals(t *testing.T) {
	for _, in := range []string{"1e3", "1E3", "+5", "NaN", "nan", "Infinity", "-Infinity", "inf", ".5", "5.", "--5", "-+5", "1_000", "0x10", "1,000", " - 5", "", "-"} {
		m, err := ParseAmount(in, "USD")
		if err == nil {
			t.Errorf("ParseAmount(%q) = %v, want an error", in, m)
			continue
		}
		if want := `"` + strings.TrimSpace(in) + `" is not a decimal amount in USD`; !strings.Contains(err.Error(), want) {
			t.Errorf("ParseAmount(%q) error %q does not say %q", in, err, want)
		}
	}
	// Still amounts: written out, signed with a minus, surrounding space.
	for in, want := range map[string]int64{"1000": 100000, "-20": -2000, " 12.5 ": 1250, "0": 0, "-0.01": -1, "007": 700} {
		if m, err := ParseAmount(in, "USD"); err != nil || m.Amount != want || m.Currency != "USD" {
			t.Errorf("ParseAmount(%q) = %v, %v; want %d USD", in, m, err, want)
		}
	}
}

// A finance field written as an exponent is refused naming the tenant,
// the field and the input.
func TestFinanceAmountRefusedNamesTheField(t *testing.T) {
	_, err := Parse(strings.NewReader(`tenants: [{id: a, name: A, timezone: UTC, currency: USD, stripe: {webhook_secrets: [x]}, email: {from: "A <a@example.com>"},
  finance: {monthly_revenue_target: "1e3"}}]`))
	if err == nil {
		t.Fatal("finance.monthly_revenue_target 1e3 accepted")
	}
	for _, want := range []string{"finance.monthly_revenue_target", `"1e3" is not a decimal amount in USD`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
