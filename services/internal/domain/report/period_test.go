package report

import (
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// TestPreviousWeekAcrossDST: a week's previous week is the seven calendar
// days before it, also when one of the two weeks has 25 hours in a day.
// Stepping back by elapsed time labelled the previous week of 26 Oct–1
// Nov in Los Angeles "18–25 Oct" (8 days, starting at 23:00).
func TestPreviousWeekAcrossDST(t *testing.T) {
	for _, c := range []struct {
		zone                  string
		wantStart, wantEnd    string
		wantShort, wantLabels string
	}{
		// DST ends on 1 Nov 2026 in America: the report's week is 169 h.
		{"America/Los_Angeles", "2026-10-19T00:00:00-07:00", "2026-10-26T00:00:00-07:00", "19–25 Oct", "19–25 Oct 2026 (week)"},
		// DST ends on 25 Oct 2026 in Europe: the previous week is 169 h.
		{"Europe/London", "2026-10-19T00:00:00+01:00", "2026-10-26T00:00:00Z", "19–25 Oct", "19–25 Oct 2026 (week)"},
		{"Europe/Berlin", "2026-10-19T00:00:00+02:00", "2026-10-26T00:00:00+01:00", "19–25 Oct", "19–25 Oct 2026 (week)"},
	} {
		loc, err := time.LoadLocation(c.zone)
		if err != nil {
			t.Fatal(err)
		}
		p := Period{Start: time.Date(2026, 10, 26, 0, 0, 0, 0, loc), End: time.Date(2026, 11, 2, 0, 0, 0, 0, loc), Kind: messages.PeriodPreviousWeek, Loc: loc}
		q := p.previous()
		ws, _ := time.Parse(time.RFC3339, c.wantStart)
		we, _ := time.Parse(time.RFC3339, c.wantEnd)
		if !q.Start.Equal(ws) || !q.End.Equal(we) {
			t.Errorf("%s: previous week [%s, %s), want [%s, %s)", c.zone, q.Start.In(loc).Format(time.RFC3339), q.End.In(loc).Format(time.RFC3339), c.wantStart, c.wantEnd)
		}
		if q.Short() != c.wantShort || q.Label() != c.wantLabels || q.Days() != 7 {
			t.Errorf("%s: previous week labelled %q / %q, %d days; want %q / %q, 7 days", c.zone, q.Short(), q.Label(), q.Days(), c.wantShort, c.wantLabels)
		}
		// And the week after the change, stepping back over it.
		p2 := Period{Start: time.Date(2026, 11, 2, 0, 0, 0, 0, loc), End: time.Date(2026, 11, 9, 0, 0, 0, 0, loc), Kind: messages.PeriodPreviousWeek, Loc: loc}
		if q2 := p2.previous(); q2.Short() != "26 Oct–1 Nov" || !q2.Start.Equal(p.Start) {
			t.Errorf("%s: previous of 2–8 Nov is %q from %s, want 26 Oct–1 Nov from %s", c.zone, q2.Short(), q2.Start.In(loc), p.Start)
		}
	}
}

// TestPreviousIntervalKeepsWallClock: an interval period that is not
// day-aligned steps back by the same wall-clock span.
func TestPreviousIntervalKeepsWallClock(t *testing.T) {
	loc, _ := time.LoadLocation("America/Los_Angeles")
	p := Period{Start: time.Date(2026, 11, 1, 9, 0, 0, 0, loc), End: time.Date(2026, 11, 2, 9, 0, 0, 0, loc), Kind: messages.PeriodInterval, Loc: loc}
	q := p.previous()
	if want := time.Date(2026, 10, 31, 9, 0, 0, 0, loc); !q.Start.Equal(want) || !q.End.Equal(p.Start) {
		t.Errorf("previous interval [%s, %s), want [%s, %s)", q.Start.In(loc), q.End.In(loc), want, p.Start)
	}
}

// TestPreviousMonthToDateAcrossDST: month to date's previous period ends
// as many calendar days (and hours) into the month before, also when the
// current stretch holds the 25-hour day: elapsed time ended 1–7 Nov's
// previous period at 01:00 on 7 Oct in Los Angeles, and 1–29 Apr's in Berlin
// ended at 01:00 on 30 Mar, past March's 23-hour day.
func TestPreviousMonthToDateAcrossDST(t *testing.T) {
	for _, c := range []struct {
		zone       string
		start, end time.Time
		wantEnd    string
	}{
		{"America/Los_Angeles", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 7, 0, 0, 0, 0, time.UTC), "2026-10-07T00:00:00-07:00"},
		{"America/Los_Angeles", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 7, 15, 30, 0, 0, time.UTC), "2026-10-07T15:30:00-07:00"},
		// The month before holds the 23-hour day (28 Mar 2027).
		{"Europe/Berlin", time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 4, 30, 0, 0, 0, 0, time.UTC), "2027-03-30T00:00:00+02:00"},
		// A stretch longer than the month before stops at its end.
		{"Europe/Berlin", time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC), "2027-03-01T00:00:00+01:00"},
	} {
		loc, err := time.LoadLocation(c.zone)
		if err != nil {
			t.Fatal(err)
		}
		at := func(u time.Time) time.Time {
			return time.Date(u.Year(), u.Month(), u.Day(), u.Hour(), u.Minute(), 0, 0, loc)
		}
		p := Period{Start: at(c.start), End: at(c.end), Kind: messages.PeriodMonthToDate, Loc: loc}
		q := p.previous()
		we, _ := time.Parse(time.RFC3339, c.wantEnd)
		if want := p.Start.AddDate(0, -1, 0); !q.Start.Equal(want) || !q.End.Equal(we) {
			t.Errorf("%s: previous of %s is [%s, %s), want [%s, %s)", c.zone, p.Label(), q.Start.In(loc).Format(time.RFC3339), q.End.In(loc).Format(time.RFC3339), want.Format(time.RFC3339), c.wantEnd)
		}
	}
}
