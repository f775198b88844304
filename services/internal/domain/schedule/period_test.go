package schedule

import (
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

func TestFiringPeriods(t *testing.T) {
	tests := []struct {
		name, zone, cron, period string
		at                       string // a firing, UTC
		start, end               string // want, UTC
	}{
		{
			name: "previous week is the ISO week before, 167 hours across spring forward",
			zone: "America/Los_Angeles", cron: "0 8 * * 1", period: messages.PeriodPreviousWeek,
			at:    "2024-03-11T15:00:00Z",                              // Monday 08:00 PDT
			start: "2024-03-04T08:00:00Z", end: "2024-03-11T07:00:00Z", // Mon 00:00 PST .. Mon 00:00 PDT
		},
		{
			name: "previous week from a Sunday firing: weeks start on Monday",
			zone: "America/Los_Angeles", cron: "0 18 * * 0", period: messages.PeriodPreviousWeek,
			at:    "2024-03-11T01:00:00Z", // Sunday 2024-03-10 18:00 PDT
			start: "2024-02-26T08:00:00Z", end: "2024-03-04T08:00:00Z",
		},
		{
			name: "previous week across fall back is 169 hours",
			zone: "Europe/Berlin", cron: "0 7 * * 1", period: messages.PeriodPreviousWeek,
			at:    "2024-10-28T06:00:00Z",                              // Monday 07:00 CET
			start: "2024-10-20T22:00:00Z", end: "2024-10-27T23:00:00Z", // Mon 00:00 CEST .. Mon 00:00 CET
		},
		{
			name: "previous month is a leap February",
			zone: "Europe/Berlin", cron: "0 6 1 * *", period: messages.PeriodPreviousMonth,
			at:    "2024-03-01T05:00:00Z",
			start: "2024-01-31T23:00:00Z", end: "2024-02-29T23:00:00Z",
		},
		{
			name: "previous month across the year end",
			zone: "America/Los_Angeles", cron: "0 9 2 * *", period: messages.PeriodPreviousMonth,
			at:    "2024-01-02T17:00:00Z",
			start: "2023-12-01T08:00:00Z", end: "2024-01-01T08:00:00Z",
		},
		{
			name: "month to date on leap day",
			zone: "America/Los_Angeles", cron: "0 18 * * *", period: messages.PeriodMonthToDate,
			at:    "2024-03-01T02:00:00Z", // 2024-02-29 18:00 PST
			start: "2024-02-01T08:00:00Z", end: "2024-03-01T02:00:00Z",
		},
		{
			name: "month to date at midnight on the first is the whole previous month",
			zone: "Europe/Berlin", cron: "0 0 1 * *", period: messages.PeriodMonthToDate,
			at:    "2024-04-30T22:00:00Z", // 2024-05-01 00:00 CEST
			start: "2024-03-31T22:00:00Z", end: "2024-04-30T22:00:00Z",
		},
		{
			name: "interval since the previous firing",
			zone: "UTC", cron: "0 */6 * * *", period: messages.PeriodInterval,
			at:    "2024-05-01T00:00:00Z",
			start: "2024-04-30T18:00:00Z", end: "2024-05-01T00:00:00Z",
		},
		{
			name: "interval of a daily 02:30 after the spring change",
			zone: "America/Los_Angeles", cron: "30 2 * * *", period: messages.PeriodInterval,
			at:    "2024-03-11T09:30:00Z",                              // 02:30 PDT
			start: "2024-03-10T10:00:00Z", end: "2024-03-11T09:30:00Z", // from the firing at the change
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustNew(t, tc.cron, tc.period, tc.zone)
			at := utc(tc.at)
			// The firing must be a real firing of the schedule.
			if n, err := s.Next(at.Add(-time.Second)); err != nil || !n.Equal(at) {
				t.Fatalf("%s is not a firing of %q (next is %s, %v)", tc.at, tc.cron, n, err)
			}
			f, err := s.FiringAt(at)
			if err != nil {
				t.Fatal(err)
			}
			if !f.Start.Equal(utc(tc.start)) || !f.End.Equal(utc(tc.end)) {
				t.Fatalf("period [%s, %s), want [%s, %s)", f.Start.Format(time.RFC3339), f.End.Format(time.RFC3339), tc.start, tc.end)
			}
			if f.ReportID != messages.ReportIDFor("acme", messages.RoleCEO, f.Start, f.End) {
				t.Fatalf("report id %s does not match ReportIDFor", f.ReportID)
			}
			due := f.ReportDue()
			if err := due.Validate(); err != nil {
				t.Fatal(err)
			}
			if due.EventID != f.ReportID || !due.DueAt.Equal(at) || due.PeriodKind != tc.period || due.Source != messages.SourceScheduler {
				t.Fatalf("ReportDue = %+v", due)
			}
		})
	}
}

// TestScheduleChangeKeepsReportID: a tenant that moves its weekly report
// from Monday 08:00 to Monday 09:00 (after 08:00 fired) gets the same
// report id for the same week, so the scheduler's conditional write refuses
// the second one; a different role or week gets a different id.
func TestScheduleChangeKeepsReportID(t *testing.T) {
	before := mustNew(t, "0 8 * * 1", messages.PeriodPreviousWeek, "Europe/Berlin")
	after := mustNew(t, "0 9 * * 1", messages.PeriodPreviousWeek, "Europe/Berlin")
	monday := utc("2024-05-06T00:00:00Z")
	f1 := mustFiring(t, before, monday)
	f2 := mustFiring(t, after, monday)
	if f1.At.Equal(f2.At) {
		t.Fatal("the two schedules fire at the same time; the test proves nothing")
	}
	if f1.ReportID != f2.ReportID {
		t.Fatalf("same week, different ids: %s (08:00) vs %s (09:00)", f1.ReportID, f2.ReportID)
	}
	next := mustFiring(t, after, f2.At)
	if next.ReportID == f2.ReportID {
		t.Fatal("next week has the same report id")
	}
	other, err := New("acme", messages.RoleCFO, "0 9 * * 1", messages.PeriodPreviousWeek, before.Location)
	if err != nil {
		t.Fatal(err)
	}
	if mustFiring(t, other, monday).ReportID == f2.ReportID {
		t.Fatal("another role has the same report id")
	}
	// An interval schedule changed from hourly to every 30 minutes: the
	// new firings' periods come from the new expression alone.
	half := mustNew(t, "*/30 * * * *", messages.PeriodInterval, "UTC")
	f := mustFiring(t, half, utc("2024-05-06T10:00:00Z"))
	if !f.Start.Equal(utc("2024-05-06T10:00:00Z")) || !f.End.Equal(utc("2024-05-06T10:30:00Z")) {
		t.Fatalf("interval after change = [%s, %s)", f.Start, f.End)
	}
}

func mustFiring(t *testing.T, s Schedule, after time.Time) Firing {
	t.Helper()
	at, err := s.Next(after)
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.FiringAt(at)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRows(t *testing.T) {
	ts := []tenants.Tenant{
		{ID: "acme", Timezone: "America/Los_Angeles", Schedules: []tenants.Schedule{
			{Role: "ceo", Cron: "0 8 * * 1", Period: "previous_week"},
			{Role: "cfo", Cron: "0 0 30 2 *", Period: "previous_month"},
		}},
		{ID: "beta", Timezone: "Mars/Olympus", Schedules: []tenants.Schedule{
			{Role: "cto", Cron: "0 8 * * 1", Period: "previous_week"},
		}},
		{ID: "gamma", Timezone: "UTC"},
	}
	rows := Rows(ts, utc("2024-03-01T00:00:00Z"), 3)
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	r := rows[0]
	if r.TenantID != "acme" || r.Role != "ceo" || r.Problem != "" || len(r.Next) != 3 {
		t.Fatalf("row 0 = %+v", r)
	}
	want := []string{"2024-03-04T16:00:00Z", "2024-03-11T15:00:00Z", "2024-03-18T15:00:00Z"}
	for i, f := range r.Next {
		if f.At.Format(time.RFC3339) != want[i] {
			t.Errorf("firing %d = %s, want %s", i, f.At.Format(time.RFC3339), want[i])
		}
	}
	if rows[1].Problem != "never fires" || len(rows[1].Next) != 0 {
		t.Errorf("row 1 = %+v, want never fires", rows[1])
	}
	if rows[2].TenantID != "beta" || rows[2].Problem == "" {
		t.Errorf("row 2 = %+v, want a time zone problem", rows[2])
	}
}

func TestForTenant(t *testing.T) {
	tn := tenants.Tenant{ID: "acme", Timezone: "Europe/Berlin", Schedules: []tenants.Schedule{
		{Role: "ceo", Cron: "0 8 * * 1", Period: "previous_week"},
		{Role: "cfo", Cron: "* * * * * *", Period: "interval"},
	}}
	got, err := ForTenant(tn)
	if len(got) != 1 || got[0].Role != "ceo" || got[0].Location.String() != "Europe/Berlin" {
		t.Fatalf("ForTenant = %+v", got)
	}
	if err == nil || err.Error() != `tenant acme: schedules[1]: cron "* * * * * *" has a seconds field: the sixth field "*" is not a year; use 5 fields (minute hour day month weekday), and optionally a year` {
		t.Fatalf("ForTenant error = %v", err)
	}
	tn.Timezone = "Nowhere/Land"
	if _, err := ForTenant(tn); err == nil {
		t.Fatal("ForTenant accepted an unknown time zone")
	}
}
