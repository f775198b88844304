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
