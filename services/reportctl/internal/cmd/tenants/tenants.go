// Package tenants is `reportctl tenants`: apply a tenants file, list,
// export and diff the stored tenants, and delete, restore or purge one.
package tenants

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/reportctl/internal/app"
)

// Command is `reportctl tenants` and its verbs.
func Command(a *app.App) *cobra.Command {
	return app.Group("tenants", "apply, list, export, diff and delete tenants",
		applyCommand(a), listCommand(a), exportCommand(a), diffCommand(a),
		deleteCommand(a), restoreCommand(a))
}

// readFile parses and validates a tenants file.
func readFile(name string) (tenants.File, error) {
	f, err := os.Open(name)
	if err != nil {
		return tenants.File{}, err
	}
	defer f.Close()
	parsed, err := tenants.Parse(f)
	if err != nil {
		return tenants.File{}, fmt.Errorf("%s: %w", name, err)
	}
	return parsed, nil
}

func applyCommand(a *app.App) *cobra.Command {
	var file string
	c := &cobra.Command{
		Use:   "apply -f FILE",
		Short: "validate a tenants file and apply it whole (nothing half-applied)",
		Long: `Validate a tenants file and apply it. Every problem is reported, naming the
tenant and the field, and nothing is applied. A file of up to 100 tenants is
written in one transaction; a larger one in transactions of 100, and applying
it again finishes an interrupted apply. Applying a deleted tenant restores it.`,
		Args: app.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return app.Usagef("-f FILE is required")
			}
			parsed, err := readFile(file)
			if err != nil {
				return err
			}
			store, err := a.Tenants(cmd.Context())
			if err != nil {
				return err
			}
			if err := store.Apply(cmd.Context(), parsed); err != nil {
				return fmt.Errorf("%s: %w", file, err)
			}
			for _, t := range parsed.Tenants {
				fmt.Fprintf(a.Stdout, "applied %s (%s)\n", t.ID, t.Name)
			}
			for _, p := range parsed.Portfolios {
				fmt.Fprintf(a.Stdout, "applied portfolio %s (%s: %s)\n", p.ID, p.Name, strings.Join(p.Members, ", "))
			}
			return nil
		},
	}
	c.Flags().StringVarP(&file, "file", "f", "", "tenants file (YAML)")
	_ = c.MarkFlagFilename("file", "yaml", "yml")
	return c
}

// Row is one tenant in `tenants list -o json` (the output is a JSON array
// of Row; the field names are stable).
type Row struct {
	// Kind is "tenant" or "portfolio".
	Kind     string `json:"kind"`
	ID       string `json:"id"`
	Name     string `json:"name"`
	Timezone string `json:"timezone"`
	// Currency is a tenant's (empty for a portfolio).
	Currency string `json:"currency,omitempty"`
	// Members are a portfolio's tenant ids.
	Members []string `json:"members,omitempty"`
	// Recipients counts the recipients of each role that has any.
	Recipients map[string]int `json:"recipients"`
	Schedules  int            `json:"schedules"`
	AppliedAt  *time.Time     `json:"applied_at,omitempty"`
	// DeletedAt is set for a deleted tenant (listed only with --deleted).
	DeletedAt *time.Time `json:"deleted_at,omitempty"`
}

func listCommand(a *app.App) *cobra.Command {
	var out app.Output
	var deleted bool
	c := &cobra.Command{
		Use:   "list",
		Short: "list the applied tenants",
		Args:  app.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := a.Tenants(cmd.Context())
			if err != nil {
				return err
			}
			all, err := store.ListAll(cmd.Context())
			if err != nil {
				return err
			}
			ports, err := store.ListAllPortfolios(cmd.Context())
			if err != nil {
				return err
			}
			rows := []Row{}
			for _, st := range all {
				if !st.DeletedAt.IsZero() && !deleted {
					continue
				}
				rows = append(rows, rowOf(st))
			}
			var portRows []Row
			for _, sp := range ports {
				if !sp.DeletedAt.IsZero() && !deleted {
					continue
				}
				portRows = append(portRows, portfolioRow(sp))
			}
			if out.JSON() {
				return app.WriteJSON(a.Stdout, append(rows, portRows...))
			}
			w := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
			head := "ID\tNAME\tTIMEZONE\tCURRENCY\tROLES\tSCHEDULES"
			if deleted {
				head += "\tDELETED"
			}
			fmt.Fprintln(w, head)
			for _, r := range rows {
				var roles []string
				for _, role := range messages.Roles {
					if n := r.Recipients[role]; n > 0 {
						roles = append(roles, fmt.Sprintf("%s(%d)", role, n))
					}
				}
				line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%d", r.ID, r.Name, r.Timezone, r.Currency, strings.Join(roles, " "), r.Schedules)
				if deleted {
					d := "-"
					if r.DeletedAt != nil {
						d = r.DeletedAt.Format(time.RFC3339)
					}
					line += "\t" + d
				}
				fmt.Fprintln(w, line)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if err := writePortfolios(a, portRows, deleted); err != nil {
				return err
			}
			if len(rows) == 0 {
				fmt.Fprintln(a.Stderr, "no tenants: apply some with `reportctl tenants apply -f FILE`")
			}
			return nil
		},
	}
	c.Flags().BoolVar(&deleted, "deleted", false, "also list deleted tenants (not yet purged), with when they were deleted")
	app.AddOutputFlag(c, &out)
	return c
}

// writePortfolios prints the portfolios' table under the tenants'.
func writePortfolios(a *app.App, rows []Row, deleted bool) error {
	if len(rows) == 0 {
		return nil
	}
	fmt.Fprintln(a.Stdout)
	w := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	head := "PORTFOLIO\tNAME\tTIMEZONE\tMEMBERS\tROLES\tSCHEDULES"
	if deleted {
		head += "\tDELETED"
	}
	fmt.Fprintln(w, head)
	for _, r := range rows {
		line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%d", r.ID, r.Name, r.Timezone, strings.Join(r.Members, ","), rolesText(r), r.Schedules)
		if deleted {
			d := "-"
			if r.DeletedAt != nil {
				d = r.DeletedAt.Format(time.RFC3339)
			}
			line += "\t" + d
		}
		fmt.Fprintln(w, line)
	}
	return w.Flush()
}

func rolesText(r Row) string {
	var roles []string
	for _, role := range messages.Roles {
		if n := r.Recipients[role]; n > 0 {
			roles = append(roles, fmt.Sprintf("%s(%d)", role, n))
		}
	}
	return strings.Join(roles, " ")
}

func portfolioRow(sp tenants.StoredPortfolio) Row {
	r := Row{Kind: "portfolio", ID: sp.ID, Name: sp.Name, Timezone: sp.Timezone, Members: sp.Members, Recipients: map[string]int{}, Schedules: len(sp.Schedules)}
	for _, role := range messages.Roles {
		if n := len(sp.Recipients[role]); n > 0 {
			r.Recipients[role] = n
		}
	}
	r.AppliedAt, r.DeletedAt = utcPtr(sp.AppliedAt), utcPtr(sp.DeletedAt)
	return r
}

func rowOf(st tenants.Stored) Row {
	r := Row{Kind: "tenant", ID: st.ID, Name: st.Name, Timezone: st.Timezone, Currency: st.Currency, Recipients: map[string]int{}, Schedules: len(st.Schedules)}
	for _, role := range rolesOf(st.Tenant) {
		r.Recipients[role] = len(st.Recipients[role])
	}
	r.AppliedAt, r.DeletedAt = utcPtr(st.AppliedAt), utcPtr(st.DeletedAt)
	return r
}

// utcPtr is t in UTC for a row's optional time (nil when t is zero: not
// applied, not deleted).
func utcPtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}
