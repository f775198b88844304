package cron

import (
	"errors"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	for expr, want := range map[string]error{
		"0 8 * * 1":           nil,
		"@daily":              nil,
		"0 0 1 1 * 2030":      nil,
		"61 * * * *":          ErrInvalid,
		"mondays at nine":     ErrInvalid,
		"*/5 * * * * *":       ErrSeconds,
		"0 0 9 * * *":         ErrSeconds, // six fields, the sixth not a year
		"0 0 9 * * * *":       ErrSeconds,
		"0 9 1 1 * 2027-2028": nil,
		"0 0 30 2 *":          ErrNever,
		"0 0 1 1 * 2001":      ErrNever,
	} {
		if err := Check(expr, now); !errors.Is(err, want) {
			t.Errorf("Check(%q) = %v, want %v", expr, err, want)
		}
	}
}

func TestSixthFieldIsNamed(t *testing.T) {
	_, err := Fields("0 0 9 * * *")
	if err == nil || err.Error() != `has a seconds field: the sixth field "*" is not a year; use 5 fields (minute hour day month weekday), and optionally a year` {
		t.Fatalf("Fields = %v", err)
	}
}
