package schedule

import (
	"errors"
	"time"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// Row is one schedule as `reportctl schedules list` prints it.
type Row struct {
	TenantID string
	Timezone string
	Role     string
	Cron     string
	Period   string
	// Next are the next firings after the reference time, each with the
	// period it covers.
	Next []Firing
	// Problem says why the schedule has no firings ("" when it has).
	Problem string
}

// Rows lists the schedules of the tenants, in tenant then file order, each
// with its next n firings after now. A schedule that cannot fire gets a row
// with Problem set, so the listing shows it rather than hiding it.
func Rows(ts []tenants.Tenant, now time.Time, n int) []Row {
	var rows []Row
	for _, t := range ts {
		loc, err := time.LoadLocation(t.Timezone)
		for _, sc := range t.Schedules {
			row := Row{TenantID: t.ID, Timezone: t.Timezone, Role: sc.Role, Cron: sc.Cron, Period: sc.Period}
			if err != nil || t.Timezone == "" {
				row.Problem = "invalid timezone"
				rows = append(rows, row)
				continue
			}
			s, err := New(t.ID, sc.Role, sc.Cron, sc.Period, loc)
			if err != nil {
				row.Problem = err.Error()
				rows = append(rows, row)
				continue
			}
			at := now
			for range n {
				next, err := s.Next(at)
				if errors.Is(err, ErrNoFiring) {
					row.Problem = "never fires"
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
	}
	return rows
}
