package schedule

import (
	"fmt"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// Firing is one firing of a schedule and the report it makes due.
type Firing struct {
	Schedule Schedule
	// At is when the report is due.
	At time.Time
	// Start and End bound the period the report covers, [Start, End).
	Start, End time.Time
	// ReportID is messages.ReportIDFor(tenant, role, Start, End): the same
	// period of the same role always has the same id, whichever schedule or
	// replica fires it.
	ReportID string
}

// FiringAt returns the firing at instant at (a value Next or Between
// returned) with its period and report id.
//
// Periods, computed on the tenant's wall clock:
//   - previous_week: the ISO week (Monday 00:00 to Monday 00:00) before the
//     week that contains the firing.
//   - previous_month: the calendar month before the firing's month.
//   - month_to_date: from the first of the firing's month, 00:00, to the
//     firing. A firing at exactly 00:00 on the first covers the whole
//     previous month (a month to date that is empty is no report).
//   - interval: from the schedule's previous firing to this one. The
//     previous firing is computed from the current expression, not from
//     what was sent, so every replica derives the same period; after a
//     schedule change the first interval may overlap or leave a gap from
//     the old schedule's last report.
func (s Schedule) FiringAt(at time.Time) (Firing, error) {
	local := at.In(s.Location)
	var start, end time.Time
	switch s.Period {
	case messages.PeriodPreviousWeek:
		end = startOfWeek(local)
		start = addDays(end, -7)
	case messages.PeriodPreviousMonth:
		end = startOfMonth(local)
		start = addMonths(end, -1)
	case messages.PeriodMonthToDate:
		start, end = startOfMonth(local), local
		if !end.After(start) {
			start = addMonths(start, -1)
		}
	case messages.PeriodInterval:
		prev, err := s.Prev(at)
		if err != nil {
			return Firing{}, fmt.Errorf("interval before %s: %w", at.Format(time.RFC3339), err)
		}
		start, end = prev, local
	default:
		return Firing{}, fmt.Errorf("unknown period %q", s.Period)
	}
	start, end = start.UTC(), end.UTC()
	return Firing{
		Schedule: s,
		At:       at.UTC(),
		Start:    start,
		End:      end,
		ReportID: messages.ReportIDFor(s.TenantID, s.Role, start, end),
	}, nil
}

// ReportDue is the event that announces the firing. It is a pure function
// of the firing, so a republished report due is byte for byte the same
// event.
func (f Firing) ReportDue() messages.ReportDue {
	var portfolioID string
	if f.Schedule.Portfolio {
		portfolioID = f.Schedule.TenantID
	}
	return messages.ReportDue{
		Header: messages.Header{
			// The event id is the report id: a republished report due is
			// the same fact, so consumers may dedupe on either.
			EventID:    f.ReportID,
			TenantID:   f.Schedule.TenantID,
			OccurredAt: f.At,
			Source:     messages.SourceScheduler,
		},
		ReportID:    f.ReportID,
		Role:        f.Schedule.Role,
		PeriodStart: f.Start,
		PeriodEnd:   f.End,
		PeriodKind:  f.Schedule.Period,
		DueAt:       f.At,
		PortfolioID: portfolioID,
	}
}

// startOfWeek is Monday 00:00 of t's ISO week, on t's wall clock.
func startOfWeek(t time.Time) time.Time {
	back := (int(t.Weekday()) + 6) % 7 // Monday 0 ... Sunday 6
	return time.Date(t.Year(), t.Month(), t.Day()-back, 0, 0, 0, 0, t.Location())
}

func startOfMonth(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, t.Location())
}

// addDays and addMonths move by calendar days and months on the wall clock
// (a day across a DST change is 23 or 25 hours).
func addDays(t time.Time, n int) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day()+n, 0, 0, 0, 0, t.Location())
}

func addMonths(t time.Time, n int) time.Time {
	return time.Date(t.Year(), t.Month()+time.Month(n), 1, 0, 0, 0, 0, t.Location())
}
