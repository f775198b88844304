package scheduler

import (
	"testing"
	"time"

	"github.com/boardpack/boardpack/services/internal/domain/schedule"
)

// A schedule past its last year (a year field) has no further firing: the
// catch-up over it returns, and the other schedules of the tenant still fire.
func TestDueFiringsPastLastYear(t *testing.T) {
	loc := time.UTC
	ended, err := schedule.New("acme", "ceo", "0 9 1 1 * 2027-2028", "previous_month", loc)
	if err != nil {
		t.Fatal(err)
	}
	daily, err := schedule.New("acme", "cfo", "0 9 * * *", "previous_month", loc)
	if err != nil {
		t.Fatal(err)
	}
	s := &Scheduler{Log: testLog, Metrics: NewMetrics(nil), Catchup: 48 * time.Hour}
	cursor := time.Date(2028, 1, 1, 0, 0, 0, 0, loc)
	now := time.Date(2028, 1, 2, 12, 0, 0, 0, loc)
	done := make(chan []schedule.Firing, 1)
	go func() { done <- s.dueFirings("acme", []schedule.Schedule{ended, daily}, cursor, now) }()
	select {
	case due := <-done:
		var ceo, cfo int
		for _, f := range due {
			switch f.Schedule.Role {
			case "ceo":
				ceo++
			case "cfo":
				cfo++
			}
		}
		if ceo != 1 || cfo != 2 {
			t.Fatalf("due: ceo %d, cfo %d; want the last yearly firing once and 2 daily ones", ceo, cfo)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("dueFirings did not return with a schedule's last firing in its window")
	}
	// After the last firing: nothing more, and no error.
	due := s.dueFirings("acme", []schedule.Schedule{ended}, now, now.Add(24*time.Hour))
	if len(due) != 0 {
		t.Fatalf("ended schedule fired %d times", len(due))
	}
}
