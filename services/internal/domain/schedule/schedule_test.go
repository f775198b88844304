package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustNew(t *testing.T, cron, period, zone string) Schedule {
	t.Helper()
	s, err := New("acme", messages.RoleCEO, cron, period, mustLoc(t, zone))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func fmtTimes(ts []time.Time) string {
	var b []string
	for _, t := range ts {
		b = append(b, t.UTC().Format(time.RFC3339))
	}
	return strings.Join(b, " ")
}

// TestFirings walks DST changes, month ends and leap days. Times are given
// in UTC; comments give the tenant's wall clock.
func TestFirings(t *testing.T) {
	tests := []struct {
		name, zone, cron string
		from, to         string
		want             []string
	}{
		{
			name: "LA spring forward: 02:30 does not exist, fires at the change",
			zone: "America/Los_Angeles", cron: "30 2 * * *",
			from: "2024-03-09T00:00:00Z", to: "2024-03-12T00:00:00Z",
			want: []string{
				"2024-03-09T10:30:00Z", // 02:30 PST
				"2024-03-10T10:00:00Z", // 03:00 PDT, the change
				"2024-03-11T09:30:00Z", // 02:30 PDT
			},
		},
		{
			name: "LA fall back: 01:30 happens twice, fires once",
			zone: "America/Los_Angeles", cron: "30 1 * * *",
			from: "2024-11-02T00:00:00Z", to: "2024-11-05T00:00:00Z",
			want: []string{
				"2024-11-02T08:30:00Z", // 01:30 PDT
				"2024-11-03T08:30:00Z", // 01:30 PDT (not again at 01:30 PST)
				"2024-11-04T09:30:00Z", // 01:30 PST
			},
		},
		{
			name: "LA hourly across spring forward: one per real hour",
			zone: "America/Los_Angeles", cron: "0 * * * *",
			from: "2024-03-10T07:30:00Z", to: "2024-03-10T11:30:00Z",
			want: []string{
				"2024-03-10T08:00:00Z", // 00:00 PST
				"2024-03-10T09:00:00Z", // 01:00 PST
				"2024-03-10T10:00:00Z", // 03:00 PDT
				"2024-03-10T11:00:00Z", // 04:00 PDT
			},
		},
		{
			name: "LA hourly across fall back: one per real hour, 01:00 twice",
			zone: "America/Los_Angeles", cron: "0 * * * *",
			from: "2024-11-03T07:30:00Z", to: "2024-11-03T11:30:00Z",
			want: []string{
				"2024-11-03T08:00:00Z", // 01:00 PDT
				"2024-11-03T09:00:00Z", // 01:00 PST
				"2024-11-03T10:00:00Z", // 02:00 PST
				"2024-11-03T11:00:00Z", // 03:00 PST
			},
		},
		{
			name: "LA weekly Monday 08:00 across both changes",
			zone: "America/Los_Angeles", cron: "0 8 * * 1",
			from: "2024-03-01T00:00:00Z", to: "2024-03-19T00:00:00Z",
			want: []string{
				"2024-03-04T16:00:00Z", // 08:00 PST
				"2024-03-11T15:00:00Z", // 08:00 PDT
				"2024-03-18T15:00:00Z",
			},
		},
		{
			name: "Berlin spring forward: 02:30 does not exist, fires at the change",
			zone: "Europe/Berlin", cron: "30 2 * * *",
			from: "2024-03-30T00:00:00Z", to: "2024-04-02T00:00:00Z",
			want: []string{
				"2024-03-30T01:30:00Z", // 02:30 CET
				"2024-03-31T01:00:00Z", // 03:00 CEST, the change
				"2024-04-01T00:30:00Z", // 02:30 CEST
			},
		},
		{
			name: "Berlin fall back: 02:30 happens twice, fires once",
			zone: "Europe/Berlin", cron: "30 2 * * *",
			from: "2024-10-26T00:00:00Z", to: "2024-10-29T00:00:00Z",
			want: []string{
				"2024-10-26T00:30:00Z", // 02:30 CEST
				"2024-10-27T00:30:00Z", // 02:30 CEST (not again at 02:30 CET)
				"2024-10-28T01:30:00Z", // 02:30 CET
			},
		},
		{
			name: "Berlin two skipped wall times fire once at the change",
			zone: "Europe/Berlin", cron: "0,30 2 * * *",
			from: "2024-03-31T00:00:00Z", to: "2024-03-31T12:00:00Z",
			want: []string{"2024-03-31T01:00:00Z"},
		},
		{
			name: "Berlin quarter hours across fall back follow real time",
			zone: "Europe/Berlin", cron: "*/15 * * * *",
			from: "2024-10-27T00:10:00Z", to: "2024-10-27T01:20:00Z",
			want: []string{
				"2024-10-27T00:15:00Z", // 02:15 CEST
				"2024-10-27T00:30:00Z",
				"2024-10-27T00:45:00Z",
				"2024-10-27T01:00:00Z", // 02:00 CET
				"2024-10-27T01:15:00Z", // 02:15 CET
			},
		},
		{
			name: "Berlin Sunday 02:00 on the fall-back Sunday fires once",
			zone: "Europe/Berlin", cron: "0 2 * * 0",
			from: "2024-10-26T00:00:00Z", to: "2024-10-28T00:00:00Z",
			want: []string{"2024-10-27T00:00:00Z"},
		},
		{
			name: "day 31 skips short months",
			zone: "America/Los_Angeles", cron: "0 8 31 * *",
			from: "2024-01-01T00:00:00Z", to: "2025-01-01T00:00:00Z",
			want: []string{
				"2024-01-31T16:00:00Z", "2024-03-31T15:00:00Z", "2024-05-31T15:00:00Z",
				"2024-07-31T15:00:00Z", "2024-08-31T15:00:00Z", "2024-10-31T15:00:00Z",
				"2024-12-31T16:00:00Z",
			},
		},
		{
			name: "last day of the month, leap and common February",
			zone: "Europe/Berlin", cron: "0 9 L * *",
			from: "2024-02-01T00:00:00Z", to: "2024-04-01T00:00:00Z",
			want: []string{"2024-02-29T08:00:00Z", "2024-03-31T07:00:00Z"},
		},
		{
			name: "last day of February in a common year",
			zone: "Europe/Berlin", cron: "0 9 L 2 *",
			from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z",
			want: []string{"2025-02-28T08:00:00Z"},
		},
		{
			name: "leap day fires every four years",
			zone: "America/Los_Angeles", cron: "0 9 29 2 *",
			from: "2024-01-01T00:00:00Z", to: "2029-01-01T00:00:00Z",
			want: []string{"2024-02-29T17:00:00Z", "2028-02-29T17:00:00Z"},
		},
		{
			name: "first of the month at midnight in UTC",
			zone: "UTC", cron: "0 0 1 * *",
			from: "2024-11-15T00:00:00Z", to: "2025-03-01T00:00:00Z",
			want: []string{"2024-12-01T00:00:00Z", "2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z", "2025-03-01T00:00:00Z"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustNew(t, tc.cron, messages.PeriodInterval, tc.zone)
			got, more, err := s.Between(utc(tc.from), utc(tc.to), 0)
			if err != nil || more {
				t.Fatalf("Between: more=%v err=%v", more, err)
			}
			var want []time.Time
			for _, w := range tc.want {
				want = append(want, utc(w))
			}
			if fmtTimes(got) != fmtTimes(want) {
				t.Fatalf("firings\n got %s\nwant %s", fmtTimes(got), fmtTimes(want))
			}
			// Prev walks the same firings backwards.
			for i := 1; i < len(got); i++ {
				p, err := s.Prev(got[i])
				if err != nil || !p.Equal(got[i-1]) {
					t.Errorf("Prev(%s) = %s, %v; want %s", got[i].UTC().Format(time.RFC3339), p.UTC().Format(time.RFC3339), err, got[i-1].UTC().Format(time.RFC3339))
				}
			}
		})
	}
}

// TestEveryMinuteAcrossChanges: "* * * * *" fires once per real minute
// through both changes of both zones: no minute lost, none doubled.
func TestEveryMinuteAcrossChanges(t *testing.T) {
	for _, tc := range []struct{ zone, change string }{
		{"America/Los_Angeles", "2024-03-10T10:00:00Z"},
		{"America/Los_Angeles", "2024-11-03T09:00:00Z"},
		{"Europe/Berlin", "2024-03-31T01:00:00Z"},
		{"Europe/Berlin", "2024-10-27T01:00:00Z"},
	} {
		s := mustNew(t, "* * * * *", messages.PeriodInterval, tc.zone)
		change := utc(tc.change)
		from, to := change.Add(-90*time.Minute), change.Add(90*time.Minute)
		got, _, err := s.Between(from, to, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 180 {
			t.Errorf("%s around %s: %d firings, want 180", tc.zone, tc.change, len(got))
		}
		for i := 1; i < len(got); i++ {
			if d := got[i].Sub(got[i-1]); d != time.Minute {
				t.Errorf("%s: %s after %s: %s apart", tc.zone, got[i].UTC().Format(time.RFC3339), got[i-1].UTC().Format(time.RFC3339), d)
			}
			// Each interval period starts where the previous one ended.
			f, err := s.FiringAt(got[i])
			if err != nil || !f.Start.Equal(got[i-1]) || !f.End.Equal(got[i]) {
				t.Errorf("%s: FiringAt(%s) = [%s, %s) %v", tc.zone, got[i], f.Start, f.End, err)
			}
		}
	}
}

func TestNextIsStrictlyAfter(t *testing.T) {
	s := mustNew(t, "0 * * * *", messages.PeriodInterval, "UTC")
	for _, tc := range []struct{ at, want string }{
		{"2024-05-01T10:00:00Z", "2024-05-01T11:00:00Z"},
		{"2024-05-01T09:59:59Z", "2024-05-01T10:00:00Z"},
	} {
		got, err := s.Next(utc(tc.at))
		if err != nil || !got.Equal(utc(tc.want)) {
			t.Errorf("Next(%s) = %s, %v; want %s", tc.at, got, err, tc.want)
		}
	}
	at := utc("2024-05-01T10:00:00Z").Add(500 * time.Millisecond)
	if got, _ := s.Next(at); !got.Equal(utc("2024-05-01T11:00:00Z")) {
		t.Errorf("Next(10:00:00.5) = %s", got)
	}
	if got, _ := s.Prev(at); !got.Equal(utc("2024-05-01T10:00:00Z")) {
		t.Errorf("Prev(10:00:00.5) = %s, want 10:00:00", got)
	}
	if got, _ := s.Prev(utc("2024-05-01T10:00:00Z")); !got.Equal(utc("2024-05-01T09:00:00Z")) {
		t.Errorf("Prev(10:00:00) = %s, want 09:00:00", got)
	}
}

func TestBetweenBound(t *testing.T) {
	s := mustNew(t, "* * * * *", messages.PeriodInterval, "UTC")
	got, more, err := s.Between(utc("2024-05-01T10:00:00Z"), utc("2024-05-01T11:00:00Z"), 10)
	if err != nil || !more || len(got) != 10 {
		t.Fatalf("Between(max 10) = %d firings, more=%v, err=%v", len(got), more, err)
	}
}

func TestNeverFires(t *testing.T) {
	s := mustNew(t, "0 0 30 2 *", messages.PeriodInterval, "Europe/Berlin")
	if _, err := s.Next(utc("2024-01-01T00:00:00Z")); !errors.Is(err, ErrNoFiring) {
		t.Fatalf("Next of 30 February: err = %v, want ErrNoFiring", err)
	}
	got, more, err := s.Between(utc("2024-01-01T00:00:00Z"), utc("2025-01-01T00:00:00Z"), 0)
	if err != nil || more || len(got) != 0 {
		t.Fatalf("Between of 30 February = %v, %v, %v", got, more, err)
	}
}

func TestNewRefuses(t *testing.T) {
	loc := mustLoc(t, "UTC")
	for _, tc := range []struct{ role, cron, period, want string }{
		{"ceo", "not a cron", "interval", "not a valid cron"},
		{"ceo", "61 * * * *", "interval", "not a valid cron"},
		{"ceo", "* * * * * *", "interval", "seconds field"},
		{"ceo", "0 8 * * 1", "fortnight", "period"},
		{"intern", "0 8 * * 1", "interval", "role"},
	} {
		_, err := New("acme", tc.role, tc.cron, tc.period, loc)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%q, %q, %q) error = %v, want it to mention %q", tc.role, tc.cron, tc.period, err, tc.want)
		}
	}
	if _, err := New("acme", "ceo", "@weekly", "previous_week", loc); err != nil {
		t.Errorf("New(@weekly) = %v", err)
	}
	if _, err := New("acme", "ceo", "0 8 1 1 * 2030", "previous_month", loc); err != nil {
		t.Errorf("New(with a year field) = %v", err)
	}
}
