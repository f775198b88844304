package schedule

import (
	"errors"
	"fmt"
	"time"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// Row is one schedule as `reportctl schedules list` prints it.
type Row struct {
	// TenantID is the tenant's id, or the portfolio's (Portfolio set).
	TenantID string
	// Portfolio: the row is a portfolio's schedule.
	Portfolio bool
	Timezone  string
	Role      string
	Cron      string
	Period    string
	// Next are the next firings after the reference time, each with the
	// period it covers.
	Next []Firing
	// Problem says why the schedule has no firings ("" when it has).
	Problem string
	// Ended: the schedule fired before the reference time and never fires
	// again (a year field's last year is past); Problem names its last
	// firing.
	Ended bool
}

// ParseNow reads the reference time of a listing (`schedules list --now`):
// an RFC 3339 time, or a date, which is midnight UTC.
func ParseNow(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("time %q: want RFC 3339 (2027-06-01T09:00:00Z) or a date (2027-06-01)", s)
}

// Rows lists the schedules of the tenants, in tenant then file order, each
// with its next n firings after now. A schedule that cannot fire gets a row
// with Problem set, so the listing shows it rather than hiding it.
func Rows(ts []tenants.Tenant, now time.Time, n int) []Row {
	var rows []Row
	for _, t := range ts {
		rows = append(rows, unitRows(t.ID, t.Timezone, t.Schedules, false, now, n)...)
	}
	return rows
}

// PortfolioRows lists the portfolios' schedules as Rows does the tenants',
// each row marked Portfolio.
func PortfolioRows(ps []tenants.Portfolio, now time.Time, n int) []Row {
	var rows []Row
	for _, p := range ps {
		rows = append(rows, unitRows(p.ID, p.Timezone, p.Schedules, true, now, n)...)
	}
	return rows
}

func unitRows(id, zone string, schedules []tenants.Schedule, portfolio bool, now time.Time, n int) []Row {
	var rows []Row
	loc, err := time.LoadLocation(zone)
	for _, sc := range schedules {
		row := Row{TenantID: id, Portfolio: portfolio, Timezone: zone, Role: sc.Role, Cron: sc.Cron, Period: sc.Period}
		if err != nil || zone == "" {
			row.Problem = "invalid timezone"
			rows = append(rows, row)
			continue
		}
		s, err := New(id, sc.Role, sc.Cron, sc.Period, loc)
		if err != nil {
			row.Problem = err.Error()
			rows = append(rows, row)
			continue
		}
		s.Portfolio = portfolio
		at := now
		for range n {
			next, err := s.Next(at)
			if errors.Is(err, ErrNoFiring) {
				if len(row.Next) == 0 {
					row.Problem, row.Ended = ended(s, now)
				}
				break
			}
			if err != nil {
				row.Problem = err.Error()
				break
			}
			f, err := s.FiringAt(next)
			if err != nil {
				row.Problem = err.Error()
				break
			}
			row.Next = append(row.Next, f)
			at = next
		}
		rows = append(rows, row)
	}
	return rows
}

// ended tells a schedule that has fired and will not again from one that
// never fires at all.
func ended(s Schedule, now time.Time) (problem string, ended bool) {
	last, err := s.Prev(now)
	if err != nil {
		return "never fires", false
	}
	return "ended: last fired " + last.In(s.Location).Format("2006-01-02 15:04 MST"), true
}
