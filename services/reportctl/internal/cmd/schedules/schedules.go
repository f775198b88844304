package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/boardpack/boardpack/services/internal/domain/schedule"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

func init() {
	register(command{
		name:    "schedules list",
		usage:   "[--tenant ID]",
		summary: "each schedule with its next three firings, in the tenant's time zone and in UTC",
		run:     runSchedulesList,
	})
}

// schedulesNow is the reference time of `schedules list` (a variable so
// tests can fix it).
var schedulesNow = time.Now

// firingsShown is how many next firings each schedule lists.
const firingsShown = 3

func runSchedulesList(ctx context.Context, app *App, args []string) error {
	fs := newFlags("schedules list")
	tenantID := fs.String("tenant", "", "only this tenant's schedules")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	store, err := app.Tenants(ctx)
	if err != nil {
		return err
	}
	var list []tenants.Tenant
	if *tenantID != "" {
		t, err := store.Get(ctx, *tenantID)
		if errors.Is(err, tenants.ErrNotFound) {
			return fmt.Errorf("tenant %q not found: `reportctl tenants list` shows the applied tenants", *tenantID)
		}
		if err != nil {
			return err
		}
		list = []tenants.Tenant{t}
	} else if list, err = store.List(ctx); err != nil {
		return err
	}
	rows := schedule.Rows(list, schedulesNow(), firingsShown)
	if err := printScheduleRows(app, rows); err != nil {
		return err
	}
	if len(rows) == 0 {
		fmt.Fprintln(app.Stderr, "no schedules: add `schedules` to a tenant and apply it with `reportctl tenants apply -f FILE`")
	}
	return nil
}

// printScheduleRows prints one line per firing; the schedule's columns only
// on its first line.
func printScheduleRows(app *App, rows []schedule.Row) error {
	w := tabwriter.NewWriter(app.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TENANT\tROLE\tCRON\tPERIOD\tTIMEZONE\tNEXT (TENANT TIME)\tNEXT (UTC)\tCOVERS (TENANT TIME)")
	for _, r := range rows {
		head := fmt.Sprintf("%s\t%s\t%s\t%s\t%s", r.TenantID, r.Role, r.Cron, r.Period, r.Timezone)
		if r.Problem != "" {
			fmt.Fprintf(w, "%s\t(%s)\t\t\n", head, r.Problem)
			continue
		}
		for i, f := range r.Next {
			if i > 0 {
				head = "\t\t\t\t"
			}
			loc := f.Schedule.Location
			fmt.Fprintf(w, "%s\t%s\t%s\t%s → %s\n", head,
				f.At.In(loc).Format("Mon 2006-01-02 15:04 MST"),
				f.At.UTC().Format("2006-01-02 15:04Z"),
				f.Start.In(loc).Format("2006-01-02 15:04"),
				f.End.In(loc).Format("2006-01-02 15:04"))
		}
	}
	return w.Flush()
}
