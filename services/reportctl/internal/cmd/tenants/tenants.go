package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

func init() {
	register(command{
		name:    "tenants apply",
		usage:   "-f FILE",
		summary: "validate a tenants file and apply it whole (nothing half-applied)",
		run:     runTenantsApply,
	})
	register(command{
		name:    "tenants list",
		usage:   "",
		summary: "list the applied tenants",
		run:     runTenantsList,
	})
}

func runTenantsApply(ctx context.Context, app *App, args []string) error {
	fs := newFlags("tenants apply")
	file := fs.String("f", "", "tenants file (YAML)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return fmt.Errorf("%w: -f FILE is required", errUsage)
	}
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	parsed, err := tenants.Parse(f)
	if err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	store, err := app.Tenants(ctx)
	if err != nil {
		return err
	}
	if err := store.Apply(ctx, parsed); err != nil {
		return fmt.Errorf("%s: %w", *file, err)
	}
	for _, t := range parsed.Tenants {
		fmt.Fprintf(app.Stdout, "applied %s (%s)\n", t.ID, t.Name)
	}
	return nil
}

func runTenantsList(ctx context.Context, app *App, args []string) error {
	if err := parseFlags(newFlags("tenants list"), args); err != nil {
		return err
	}
	store, err := app.Tenants(ctx)
	if err != nil {
		return err
	}
	list, err := store.List(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(app.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tTIMEZONE\tCURRENCY\tROLES\tSCHEDULES")
	for _, t := range list {
		var roles []string
		for _, r := range rolesOf(t) {
			roles = append(roles, fmt.Sprintf("%s(%d)", r, len(t.Recipients[r])))
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\n", t.ID, t.Name, t.Timezone, t.Currency, strings.Join(roles, " "), len(t.Schedules))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(app.Stderr, "no tenants: apply some with `reportctl tenants apply -f FILE`")
	}
	return nil
}
