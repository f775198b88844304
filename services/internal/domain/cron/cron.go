// Package cron is the one check of what cron expression a report schedule
// may use. `reportctl tenants apply` (package tenants) refuses what it
// refuses, and the scheduler (package schedule) compiles with the same
// rules, so a schedule that validates is one the scheduler runs.
//
// Five fields (minute hour day-of-month month day-of-week), an optional
// sixth year field, and gronx's tags (@daily, @weekly, ...). A seconds
// field is refused: reports are not sent more than once a minute. A sixth
// field must be a year (2027, 2027-2028): "0 0 9 * * *" is refused, naming
// the field, because crons disagree on what it means (gronx and Quartz read
// seconds first, others a year).
package cron

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/adhocore/gronx"
)

// Why an expression cannot be a report schedule. The texts follow the
// expression in messages: `"0 0 30 2 *" never fires ...`.
var (
	ErrInvalid = errors.New("is not a valid cron expression")
	ErrSeconds = errors.New("has a seconds field; use 5 fields (minute hour day month weekday), and optionally a year")
	ErrNever   = errors.New("never fires (e.g. the 30th of February, or a year in the past)")
)

// Fields parses an expression that a report schedule can use and returns
// gronx's segments (seconds, minute, hour, day, month, weekday, year).
func Fields(expr string) ([]string, error) {
	switch fields := strings.Fields(expr); {
	case len(fields) == 7:
		return nil, ErrSeconds
	case len(fields) == 6 && !yearField.MatchString(fields[5]):
		return nil, notAYear(fields[5])
	}
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

// yearField is what gronx takes for a year in a sixth field; anything else
// there it reads as the minute of a seconds-first expression.
var yearField = regexp.MustCompile(`\d{4}`)

// notAYear is a sixth field that is not a year: a seconds field, named.
type notAYear string

func (f notAYear) Error() string {
	return fmt.Sprintf("has a seconds field: the sixth field %q is not a year; use 5 fields (minute hour day month weekday), and optionally a year", string(f))
}

func (f notAYear) Is(target error) bool { return target == ErrSeconds }

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
