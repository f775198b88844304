package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// A year field ends a schedule: past its last firing gronx hands back the
// reference time itself, which must read as "no further firing", never as
// a firing at the reference.
func TestYearFieldEnds(t *testing.T) {
	for _, zone := range []string{"UTC", "Europe/Berlin", "Asia/Tokyo"} {
		s := mustNew(t, "0 9 1 1 * 2027-2028", messages.PeriodInterval, zone)
		first, err := s.Next(utc("2026-06-01T00:00:00Z"))
		if err != nil {
			t.Fatalf("%s: Next before the first year: %v", zone, err)
		}
		last, err := s.Next(first)
		if err != nil || !last.After(first) {
			t.Fatalf("%s: Next(first %s) = %s, %v; want the 2028 firing", zone, first, last, err)
		}
		if got, err := s.Next(last); !errors.Is(err, ErrNoFiring) {
			// Between would never return: stop here.
			t.Fatalf("%s: Next(last firing %s) = %s, %v; want ErrNoFiring", zone, last, got, err)
		}
		if got, err := s.Prev(first); !errors.Is(err, ErrNoFiring) {
			t.Errorf("%s: Prev(first firing %s) = %s, %v; want ErrNoFiring", zone, first, got, err)
		}
		if got, err := s.Prev(last); err != nil || !got.Equal(first) {
			t.Errorf("%s: Prev(last) = %s, %v; want %s", zone, got, err, first)
		}
		// The first firing has no previous one: its interval is refused,
		// never the empty [first, first).
		if f, err := s.FiringAt(first); err == nil {
			t.Errorf("%s: FiringAt(first) = [%s, %s), want an error", zone, f.Start, f.End)
		}
		if f, err := s.FiringAt(last); err != nil || !f.Start.Equal(first) || !f.End.Equal(last) {
			t.Errorf("%s: FiringAt(last) = [%s, %s), %v; want [%s, %s)", zone, f.Start, f.End, err, first, last)
		}
		got, more, err := s.Between(first.Add(-time.Hour), last.Add(24*time.Hour), 0)
		if err != nil || more || len(got) != 2 {
			t.Errorf("%s: Between around both firings = %s, %v, %v; want 2 firings", zone, fmtTimes(got), more, err)
		}
	}
}

// The horizon bounds the firing returned, also in zones whose offset never
// changes again (no zone period ends the search).
func TestHorizonBoundsFiring(t *testing.T) {
	for _, zone := range []string{"UTC", "Asia/Tokyo", "Europe/Berlin"} {
		s := mustNew(t, "0 9 1 1 * 2040", messages.PeriodPreviousMonth, zone)
		if got, err := s.Next(utc("2026-06-01T00:00:00Z")); !errors.Is(err, ErrNoFiring) {
			t.Errorf("%s: Next 14 years out = %s, %v; want ErrNoFiring", zone, got, err)
		}
		if got, err := s.Prev(utc("2041-06-01T00:00:00Z")); err != nil || got.Year() != 2040 {
			t.Errorf("%s: Prev within the horizon = %s, %v", zone, got, err)
		}
		if got, err := s.Prev(utc("2050-06-01T00:00:00Z")); !errors.Is(err, ErrNoFiring) {
			t.Errorf("%s: Prev 10 years back = %s, %v; want ErrNoFiring", zone, got, err)
		}
	}
	s := mustNew(t, "0 9 1 1 * 2030", messages.PeriodPreviousMonth, "Asia/Tokyo")
	if got, err := s.Next(utc("2026-06-01T00:00:00Z")); err != nil || got.Year() != 2030 {
		t.Errorf("Next 4 years out = %s, %v; want the 2030 firing", got, err)
	}
}

// Six fields are five plus a year, never seconds first.
func TestSixFieldsNeedAYear(t *testing.T) {
	loc := mustLoc(t, "UTC")
	for _, cron := range []string{"0 0 9 * * *", "0 0 9 * * 1", "30 0 9 * * *", "0 0 0 9 * * *", "0 0 9 * * * 2030"} {
		_, err := New("acme", "ceo", cron, "interval", loc)
		if err == nil || !strings.Contains(err.Error(), "seconds field") {
			t.Errorf("New(%q) error = %v, want a seconds-field refusal", cron, err)
		}
	}
	_, err := New("acme", "ceo", "0 0 9 * * *", "interval", loc)
	if err == nil || !strings.Contains(err.Error(), `sixth field "*" is not a year`) {
		t.Errorf("New(0 0 9 * * *) error = %v, want it to name the sixth field", err)
	}
	for _, cron := range []string{"0 9 1 1 * 2030", "0 9 1 1 * 2027-2028", "0 9 * * 1 2027,2029", "@daily", "0 9 * * *"} {
		if _, err := New("acme", "ceo", cron, "interval", loc); err != nil {
			t.Errorf("New(%q) = %v", cron, err)
		}
	}
}

// A schedule past its last firing is listed once per firing, then as ended.
func TestRowsEndedSchedule(t *testing.T) {
	ts := []tenants.Tenant{{ID: "acme", Timezone: "UTC", Schedules: []tenants.Schedule{
		{Role: "ceo", Cron: "0 9 1 1 * 2027-2028", Period: "previous_month"},
		{Role: "cfo", Cron: "0 9 1 1 * 2027-2028", Period: "previous_month"},
		{Role: "cto", Cron: "0 0 30 2 *", Period: "previous_month"},
	}}}
	rows := Rows(ts[:1], utc("2027-06-01T00:00:00Z"), 3)
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	if r := rows[0]; r.Problem != "" || len(r.Next) != 1 || r.Next[0].At.Year() != 2028 {
		t.Errorf("before the last firing: %+v, want the 2028 firing once", r)
	}
	rows = Rows(ts, utc("2029-06-01T00:00:00Z"), 3)
	if r := rows[1]; len(r.Next) != 0 || !r.Ended || !strings.HasPrefix(r.Problem, "ended") {
		t.Errorf("after the last firing: %+v, want ended", r)
	}
	if r := rows[2]; r.Ended || r.Problem != "never fires" {
		t.Errorf("30 February: %+v, want never fires", r)
	}
}

func TestParseNow(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2027-06-01T09:30:00Z", "2027-06-01T09:30:00Z"},
		{"2027-06-01T09:30:00+02:00", "2027-06-01T07:30:00Z"},
		{"2027-06-01", "2027-06-01T00:00:00Z"},
	} {
		got, err := ParseNow(tc.in)
		if err != nil || !got.Equal(utc(tc.want)) {
			t.Errorf("ParseNow(%q) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "tomorrow", "2027-06-01 09:30"} {
		if _, err := ParseNow(in); err == nil || !strings.Contains(err.Error(), "RFC 3339") {
			t.Errorf("ParseNow(%q) error = %v, want RFC 3339 hint", in, err)
		}
	}
}
