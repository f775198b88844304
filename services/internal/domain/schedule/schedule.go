// Package schedule is the pure logic of report schedules: when a tenant's
// cron expression fires in the tenant's time zone, which report period each
// firing covers, and the deterministic report id of that period. It talks to
// no AWS service; the scheduler service and `reportctl schedules list` build
// on it.
//
// # Cron expressions
//
// What an expression may be is package cron's one check (also applied by
// `reportctl tenants apply`). Expressions are evaluated on the tenant's
// wall clock by github.com/adhocore/gronx.
//
// A year field ends a schedule. After its last firing Next reports
// ErrNoFiring, so the schedule is listed as ended and never fires again;
// before its first firing Prev does, so the first firing of an interval
// schedule has no period and is not sent. Every firing found lies within
// 5 years of the reference time.
//
// # Daylight saving time
//
// Firings are instants. Between two changes of the zone's UTC offset the
// wall clock moves with real time, and the expression fires at every instant
// whose wall time it matches. At a change:
//
//   - Spring forward (the wall clock skips, e.g. 02:00 → 03:00): an
//     expression with a fixed hour (hour field not "*") that matches a
//     skipped wall time fires once, at the instant of the change (03:00 new
//     time), so a report is never lost. An expression whose hour field is "*"
//     follows real time and simply has no firing in the hour that did not
//     exist ("0 * * * *" fires at 01:00 and 03:00, one real hour apart).
//   - Fall back (the wall clock repeats, e.g. 01:00-02:00 twice): an
//     expression with a fixed hour fires only in the first pass ("30 1 * * *"
//     fires once, at 01:30 daylight time). An expression whose hour field is
//     "*" follows real time and fires in both passes ("*/15 * * * *" fires
//     every 15 real minutes throughout).
//
// Weeks start on Monday (ISO 8601).
package schedule

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/adhocore/gronx"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/cron"
)

// ErrNoFiring is returned when an expression has no firing within the search
// horizon (for example "0 0 30 2 *", the 30th of February), or none at all
// after (before) the reference: past the last year of a year field, a
// schedule has ended.
var ErrNoFiring = errors.New("no further firing within 5 years")

// horizon bounds every search for a firing, and the firing found.
const horizon = 5 * 366 * 24 * time.Hour

// yearField is what gronx takes for a year in a sixth field: four digits
// (2027, 2027-2028, 2027,2029).
var yearField = regexp.MustCompile(`\d{4}`)

// Schedule is one compiled schedule of one tenant.
type Schedule struct {
	// TenantID is the tenant's id, or the portfolio's when Portfolio is
	// set (the two share one id space).
	TenantID string
	// Portfolio: the schedule is a portfolio's; its report dues carry
	// PortfolioID.
	Portfolio bool
	Role      string
	// Cron is the expression as written in the tenants file.
	Cron string
	// Period is one of messages.PeriodPreviousWeek, PeriodPreviousMonth,
	// PeriodMonthToDate, PeriodInterval.
	Period   string
	Location *time.Location

	// hourWild: the hour field is "*", so firings follow real time across
	// daylight saving changes (see the package documentation).
	hourWild bool
}

// New compiles a schedule. It refuses what package cron refuses (a seconds
// field); an expression that never fires compiles, and Next returns
// ErrNoFiring.
func New(tenantID, role, expr, period string, loc *time.Location) (Schedule, error) {
	if loc == nil {
		return Schedule{}, errors.New("no time zone")
	}
	if !messages.ValidRole(role) {
		return Schedule{}, fmt.Errorf("role %q is not one of %s", role, strings.Join(messages.Roles, ", "))
	}
	switch period {
	case messages.PeriodPreviousWeek, messages.PeriodPreviousMonth, messages.PeriodMonthToDate, messages.PeriodInterval:
	default:
		return Schedule{}, fmt.Errorf("period %q is not one of previous_week, previous_month, month_to_date, interval", period)
	}
	segs, err := cron.Fields(expr)
	if err != nil {
		return Schedule{}, fmt.Errorf("cron %q %w", expr, err)
	}
	s := Schedule{
		TenantID: tenantID, Role: role, Cron: expr, Period: period, Location: loc,
		hourWild: segs[2] == "*" || segs[2] == "*/1",
	}
	return s, nil
}

// Next returns the first firing strictly after t.
func (s Schedule) Next(t time.Time) (time.Time, error) {
	limit := t.Add(horizon)
	// Firings are whole seconds: searching strictly after t truncated to
	// the second is the same as searching strictly after t.
	after := t.Truncate(time.Second).In(s.Location)
	at := after // an instant inside the zone period being searched
	for at.Before(limit) {
		start, end := at.ZoneBounds()
		_, off := at.Zone()
		// A spring-forward change at the start of this zone period: a fixed
		// hour that fell into the skipped wall times fires at the change.
		if g, ok := s.gapFiring(start); ok && g.After(after) {
			return g, nil
		}
		from := after
		// Fall back: the first wall times of this period already happened
		// in the previous one; a fixed hour does not fire again.
		if skip := s.repeatedUntil(start); skip.After(from) {
			from = skip.Add(-time.Second)
		}
		if c, err := gronx.NextTickAfter(s.Cron, naive(from, off), false); err == nil {
			inst := c.Add(-time.Duration(off) * time.Second).In(s.Location)
			if !inst.After(from) {
				// gronx hands back the reference itself when nothing
				// follows it (past a year field's last year): no later
				// zone period has a firing either.
				break
			}
			if !inst.Before(limit) {
				break
			}
			if end.IsZero() || inst.Before(end) {
				return inst, nil
			}
		}
		if end.IsZero() {
			break
		}
		// Continue in the next zone period, from just before its start.
		after, at = end.Add(-time.Second), end
	}
	return time.Time{}, fmt.Errorf("cron %q in %s after %s: %w", s.Cron, s.Location, t.Format(time.RFC3339), ErrNoFiring)
}

// Prev returns the last firing strictly before t.
func (s Schedule) Prev(t time.Time) (time.Time, error) {
	limit := t.Add(-horizon)
	// Search strictly before a whole second: t itself, or the second after
	// t when t has a fraction (that whole second is still before t).
	before := t.Truncate(time.Second)
	if before.Before(t) {
		before = before.Add(time.Second)
	}
	before = before.In(s.Location)
	at := before.Add(-time.Nanosecond)
	for at.After(limit) {
		start, _ := at.ZoneBounds()
		_, off := at.Zone()
		lower := start
		if skip := s.repeatedUntil(start); !skip.IsZero() {
			lower = skip
		}
		if c, err := gronx.PrevTickBefore(s.Cron, naive(before, off), false); err == nil {
			inst := c.Add(-time.Duration(off) * time.Second).In(s.Location)
			if !inst.Before(before) {
				// The reference itself: nothing precedes it (before a
				// year field's first year).
				break
			}
			if !inst.After(limit) {
				break
			}
			if start.IsZero() || !inst.Before(lower) {
				return inst, nil
			}
		}
		if g, ok := s.gapFiring(start); ok && g.Before(before) {
			return g, nil
		}
		if start.IsZero() {
			break
		}
		before, at = start, start.Add(-time.Nanosecond)
	}
	return time.Time{}, fmt.Errorf("cron %q in %s before %s: %w", s.Cron, s.Location, t.Format(time.RFC3339), ErrNoFiring)
}

// Between returns the firings in (from, to], oldest first, at most max of
// them (max <= 0: no bound). more says whether firings were left out.
func (s Schedule) Between(from, to time.Time, max int) (firings []time.Time, more bool, err error) {
	t := from
	for {
		n, err := s.Next(t)
		if errors.Is(err, ErrNoFiring) {
			return firings, false, nil
		}
		if err != nil {
			return firings, false, err
		}
		if n.After(to) {
			return firings, false, nil
		}
		if max > 0 && len(firings) == max {
			return firings, true, nil
		}
		firings = append(firings, n)
		t = n
	}
}

// gapFiring returns the instant of a spring-forward change that begins at
// start, when the schedule has a fixed hour and matches a skipped wall time.
func (s Schedule) gapFiring(start time.Time) (time.Time, bool) {
	if s.hourWild || start.IsZero() {
		return time.Time{}, false
	}
	_, newOff := start.Zone()
	_, oldOff := start.Add(-time.Second).Zone()
	gap := time.Duration(newOff-oldOff) * time.Second
	if gap <= 0 {
		return time.Time{}, false
	}
	// The skipped wall times are [wall before the change, + gap).
	skipped := naive(start, oldOff)
	c, err := gronx.NextTickAfter(s.Cron, skipped, true)
	if err != nil || !c.Before(skipped.Add(gap)) {
		return time.Time{}, false
	}
	return start.In(s.Location), true
}

// repeatedUntil returns the end of the repeated wall times at the start of a
// zone period that follows a fall-back change, for a schedule with a fixed
// hour; otherwise the zero time.
func (s Schedule) repeatedUntil(start time.Time) time.Time {
	if s.hourWild || start.IsZero() {
		return time.Time{}
	}
	_, newOff := start.Zone()
	_, oldOff := start.Add(-time.Second).Zone()
	back := time.Duration(oldOff-newOff) * time.Second
	if back <= 0 {
		return time.Time{}
	}
	return start.Add(back).In(s.Location)
}

// naive is t's wall clock at UTC offset off, as a UTC time: a clock without
// daylight saving changes, on which gronx's search is exact.
func naive(t time.Time, off int) time.Time {
	return t.UTC().Add(time.Duration(off) * time.Second)
}
