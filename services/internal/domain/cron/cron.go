// Package cron is the one check of what cron expression a report schedule
// may use. `reportctl tenants apply` (package tenants) refuses what it
// refuses, and the scheduler (package schedule) compiles with the same
// rules, so a schedule that validates is one the scheduler runs.
//
// Five fields (minute hour day-of-month month day-of-week), an optional
// sixth year field, and gronx's tags (@daily, @weekly, ...). A seconds
// field is refused: reports are not sent more than once a minute.
package cron

import (
	"errors"
	"time"

	"github.com/adhocore/gronx"
)

// Why an expression cannot be a report schedule. The texts follow the
// expression in messages: `"0 0 30 2 *" never fires ...`.
var (
	ErrInvalid = errors.New("is not a valid cron expression")
	ErrSeconds = errors.New("has a seconds field; use 5 fields (minute hour day month weekday)")
	ErrNever   = errors.New("never fires (e.g. the 30th of February, or a year in the past)")
)

// Fields parses an expression that a report schedule can use and returns
// gronx's segments (seconds, minute, hour, day, month, weekday, year).
func Fields(expr string) ([]string, error) {
	if !gronx.IsValid(expr) {
		return nil, ErrInvalid
	}
	segs, err := gronx.Segments(expr)
	if err != nil {
		return nil, ErrInvalid
	}
	if segs[0] != "0" {
		return nil, ErrSeconds
	}
	return segs, nil
}

// Check is Fields plus the expression firing at least once after now: one
// that never does (the 30th of February, a year in the past) would be
// stored and silently never send.
func Check(expr string, now time.Time) error {
	if _, err := Fields(expr); err != nil {
		return err
	}
	if _, err := gronx.NextTickAfter(expr, now.UTC(), false); err != nil {
		return ErrNever
	}
	return nil
}
