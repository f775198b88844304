// Package schedules is `reportctl schedules list`: each tenant's and
// portfolio's schedules with their next firings, in its time zone and in
// UTC.
package schedules

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/boardpack/boardpack/services/internal/domain/schedule"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/reportctl/internal/app"
)

// Now is the reference time of `schedules list` (a variable so tests can
// fix it).
var Now = time.Now

// firingsShown is how many next firings each schedule lists.
const firingsShown = 3

// Row is one schedule in `schedules list -o json` (the output is a JSON
// array of Row; the field names are stable).
type Row struct {
	// Tenant is the tenant's id, or the portfolio's when Portfolio is set.
	Tenant string `json:"tenant"`
	// Portfolio marks a portfolio's schedule.
	Portfolio bool   `json:"portfolio"`
	Role      string `json:"role"`
	Cron      string `json:"cron"`
	Period    string `json:"period"`
	Timezone  string `json:"timezone"`
	// Next are the next firings; empty when Problem says why there are none.
	Next    []Firing `json:"next"`
	Problem string   `json:"problem,omitempty"`
	// Ended: the schedule will never fire again (its year field is past).
	Ended bool `json:"ended,omitempty"`
}

// Firing is one next firing: when (RFC 3339, UTC) and the period it covers.
type Firing struct {
	At          time.Time `json:"at"`
	PeriodStart time.Time `json:"period_start"`
	PeriodEnd   time.Time `json:"period_end"`
	ReportID    string    `json:"report_id"`
}

// Command is `reportctl schedules` and its verbs.
func Command(a *app.App) *cobra.Command {
	var tenantID, portfolioID, nowFlag string
	var out app.Output
	list := &cobra.Command{
		Use:   "list",
		Short: "each schedule with its next three firings, in the tenant's time zone and in UTC",
		Args:  app.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			now := Now()
			if nowFlag != "" {
				t, err := schedule.ParseNow(nowFlag)
				if err != nil {
					return app.Usagef("--now: %v", err)
				}
				now = t
			}
			if tenantID != "" && portfolioID != "" {
				return app.Usagef("--tenant and --portfolio are mutually exclusive")
			}
			var list []tenants.Tenant
			var ports []tenants.Portfolio
			switch {
			case tenantID != "":
				t, err := a.LoadTenant(ctx, tenantID)
				if err != nil {
					return err
				}
				list = []tenants.Tenant{t}
			case portfolioID != "":
				p, _, err := a.LoadPortfolio(ctx, portfolioID)
				if err != nil {
					return err
				}
				ports = []tenants.Portfolio{p}
			default:
				store, err := a.Tenants(ctx)
				if err != nil {
					return err
				}
				if list, err = store.List(ctx); err != nil {
					return err
				}
				if ports, err = store.ListPortfolios(ctx); err != nil {
					return err
				}
			}
			rows := append(schedule.Rows(list, now, firingsShown), schedule.PortfolioRows(ports, now, firingsShown)...)
			if out.JSON() {
				return app.WriteJSON(a.Stdout, jsonRows(rows))
			}
			if err := printRows(a, rows); err != nil {
				return err
			}
			if len(rows) == 0 {
				fmt.Fprintln(a.Stderr, "no schedules: add `schedules` to a tenant and apply it with `reportctl tenants apply -f FILE`")
			}
			return nil
		},
	}
	list.Flags().StringVar(&tenantID, "tenant", "", "only this tenant's schedules")
	list.Flags().StringVar(&portfolioID, "portfolio", "", "only this portfolio's schedules")
	list.Flags().StringVar(&nowFlag, "now", "", "list the firings after this time instead of now (RFC 3339, e.g. 2027-06-01T09:00:00Z, or a date), for scripts and support")
	app.AddOutputFlag(list, &out)
	return app.Group("schedules", "show the tenants' report schedules", list)
}

func jsonRows(rows []schedule.Row) []Row {
	out := make([]Row, 0, len(rows))
	for _, r := range rows {
		j := Row{Tenant: r.TenantID, Portfolio: r.Portfolio, Role: r.Role, Cron: r.Cron, Period: r.Period, Timezone: r.Timezone, Problem: r.Problem, Ended: r.Ended, Next: []Firing{}}
		for _, f := range r.Next {
			j.Next = append(j.Next, Firing{At: f.At.UTC(), PeriodStart: f.Start.UTC(), PeriodEnd: f.End.UTC(), ReportID: f.ReportID})
		}
		out = append(out, j)
	}
	return out
}

// printRows prints one line per firing; the schedule's columns only on its
// first line.
func printRows(a *app.App, rows []schedule.Row) error {
	w := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TENANT\tKIND\tROLE\tCRON\tPERIOD\tTIMEZONE\tNEXT (TENANT TIME)\tNEXT (UTC)\tCOVERS (TENANT TIME)")
	for _, r := range rows {
		kind := "tenant"
		if r.Portfolio {
			kind = "portfolio"
		}
		head := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s", r.TenantID, kind, r.Role, r.Cron, r.Period, r.Timezone)
		if r.Problem != "" {
			fmt.Fprintf(w, "%s\t(%s)\t\t\n", head, r.Problem)
			continue
		}
		for i, f := range r.Next {
			if i > 0 {
				head = "\t\t\t\t\t"
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
