package messages

import "regexp"

// Money is an amount in integer minor units (cents for USD, yen for JPY) of
// an ISO 4217 currency. Floats never carry money in Boardpack.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

var currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)

// ValidCurrency reports whether code looks like an ISO 4217 code (upper case).
func ValidCurrency(code string) bool { return currencyPattern.MatchString(code) }
