package demo

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/importer"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/reportctl/internal/app"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/importcmd"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/report"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/wait"
)

func loadCommand(a *app.App) *cobra.Command {
	var dir, base, month, send, sendPortfolio string
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "load [--dir DIR] [--url URL] [--month YYYY-MM] [--send TENANT] [--send-portfolio PORTFOLIO]",
		Short: "load the demo data for every applied tenant: Stripe webhooks, spreadsheets; optionally send one report per role",
		Long: `Load the demo data the way 'make run' does, for every applied tenant: a month
of signed demo Stripe events posted to the stripe-collector (dated inside
--month), then every DIR/<tenant>.<kind>.csv imported, then wait until the
pipeline has drained. With --send TENANT, one report per role of that tenant
is sent for --month, and the command waits until the mailer is done;
--send-portfolio PORTFOLIO does the same for a portfolio's reports.

--month defaults to the last complete calendar month that the demo data
covers: the month before this one, or the last month the spreadsheets have
rows for if that is earlier. A report of it is full; a month-to-date report on
the first of a month would cover a few hours.`,
		Args: app.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return load(cmd.Context(), a, dir, base, month, send, sendPortfolio, timeout)
		},
	}
	f := c.Flags()
	f.StringVar(&dir, "dir", "deploy/demo", "directory of the demo data (<tenant>.<kind>.csv and stripe/)")
	f.StringVar(&base, "url", "http://127.0.0.1:8080", "stripe-collector base URL")
	f.StringVar(&month, "month", "", "the month the demo covers, YYYY-MM (default: the last complete month of the data)")
	f.StringVar(&send, "send", "", "then send one report per role of this tenant for the month")
	f.StringVar(&sendPortfolio, "send-portfolio", "", "then send one report per role of this portfolio for the month")
	f.DurationVar(&timeout, "timeout", 2*time.Minute, "how long to wait for the pipeline to drain, each time")
	_ = c.MarkFlagDirname("dir")
	return c
}

func load(ctx context.Context, a *app.App, dir, base, month, send, sendPortfolio string, timeout time.Duration) error {
	if month == "" {
		m, err := Month(dir, time.Now())
		if err != nil {
			return err
		}
		month = m
	}
	store, err := a.Tenants(ctx)
	if err != nil {
		return err
	}
	list, err := store.List(ctx)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return fmt.Errorf("no tenants: apply some first (reportctl tenants apply -f %s)", filepath.Join(dir, "tenants.yaml"))
	}
	fmt.Fprintf(a.Stdout, "demo month %s\n", month)
	for _, t := range list {
		if err := webhooks(ctx, a, t.ID, base, filepath.Join(dir, "stripe"), month, false); err != nil {
			return err
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.csv"))
	if err != nil {
		return err
	}
	slices.Sort(files)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".csv") // <tenant>.<kind>
		tenantID, kindName, ok := strings.Cut(name, ".")
		kind, kerr := importer.ParseKind(kindName)
		if !ok || kerr != nil || !slices.ContainsFunc(list, func(t tenants.Tenant) bool { return t.ID == tenantID }) {
			fmt.Fprintf(a.Stderr, "skip %s: not <applied tenant>.<kind>.csv\n", file)
			continue
		}
		if err := importcmd.File(ctx, a, tenantID, kind, file); err != nil {
			return err
		}
	}
	if err := wait.Drained(ctx, a, timeout); err != nil {
		return err
	}
	if send == "" && sendPortfolio == "" {
		return nil
	}
	if send != "" {
		t, err := a.LoadTenant(ctx, send)
		if err != nil {
			return err
		}
		for _, role := range messages.Roles {
			if len(t.RecipientsFor(role)) == 0 {
				continue
			}
			if err := report.Send(ctx, a, t.ID, role, month, ""); err != nil {
				return err
			}
		}
	}
	if sendPortfolio != "" {
		p, _, err := a.LoadPortfolio(ctx, sendPortfolio)
		if err != nil {
			return err
		}
		for _, role := range messages.Roles {
			if len(p.RecipientsFor(role)) == 0 {
				continue
			}
			if err := report.SendPortfolio(ctx, a, p.ID, role, month, ""); err != nil {
				return err
			}
		}
	}
	return wait.Drained(ctx, a, timeout)
}

// Month is the last complete calendar month (UTC) before now that the demo
// spreadsheets in dir cover: the month before now's, or the latest month
// any of their date rows falls in, whichever is earlier.
func Month(dir string, now time.Time) (string, error) {
	prev := time.Date(now.UTC().Year(), now.UTC().Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0).Format("2006-01")
	files, err := filepath.Glob(filepath.Join(dir, "*.csv"))
	if err != nil {
		return "", err
	}
	latest := ""
	for _, file := range files {
		m, err := latestMonth(file)
		if err != nil {
			return "", err
		}
		latest = max(latest, m)
	}
	if latest == "" || latest > prev {
		return prev, nil
	}
	return latest, nil
}

// latestMonth is the latest YYYY-MM of a CSV whose first column is "date"
// (YYYY-MM-DD) or "month" (YYYY-MM); "" for other files.
func latestMonth(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return "", sc.Err()
	}
	col, _, _ := strings.Cut(strings.TrimSpace(sc.Text()), ",")
	if col != "date" {
		// targets files (month) plan ahead: they do not say what happened.
		return "", nil
	}
	latest := ""
	for sc.Scan() {
		v, _, _ := strings.Cut(sc.Text(), ",")
		if d, err := time.Parse(time.DateOnly, strings.TrimSpace(v)); err == nil {
			latest = max(latest, d.Format("2006-01"))
		}
	}
	return latest, sc.Err()
}
