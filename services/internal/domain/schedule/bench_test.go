package schedule

import (
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// BenchmarkCatchUpWeekOfMinutes: the pure cost of a full catch-up window
// (7 days) of a "* * * * *" interval schedule in a DST zone: enumerating
// the 10,080 firings and computing each period and report id.
func BenchmarkCatchUpWeekOfMinutes(b *testing.B) {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		b.Fatal(err)
	}
	s, err := New("acme", messages.RoleCEO, "* * * * *", messages.PeriodInterval, loc)
	if err != nil {
		b.Fatal(err)
	}
	from := time.Date(2024, 10, 30, 0, 0, 0, 0, time.UTC) // the week holds the fall-back change
	to := from.Add(7 * 24 * time.Hour)
	total := 0
	start := time.Now()
	for b.Loop() {
		ats, _, err := s.Between(from, to, 0)
		if err != nil {
			b.Fatal(err)
		}
		for _, at := range ats {
			if _, err := s.FiringAt(at); err != nil {
				b.Fatal(err)
			}
		}
		total += len(ats)
	}
	if total/max(b.N, 1) != 7*24*60 {
		b.Fatalf("%d firings per week, want %d", total/max(b.N, 1), 7*24*60)
	}
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "firings/s")
}

// BenchmarkNextWeekly: one Next of a weekly schedule (what every pass asks
// of every schedule).
func BenchmarkNextWeekly(b *testing.B) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		b.Fatal(err)
	}
	s, err := New("acme", messages.RoleCEO, "0 8 * * 1", messages.PeriodPreviousWeek, loc)
	if err != nil {
		b.Fatal(err)
	}
	at := time.Date(2024, 10, 22, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		if _, err := s.Next(at); err != nil {
			b.Fatal(err)
		}
	}
}
