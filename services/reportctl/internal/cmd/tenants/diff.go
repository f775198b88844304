package tenants

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/reportctl/internal/app"
)

// Change is one tenant in `tenants diff -o json` (the output is a JSON
// array of Change; the field names are stable).
type Change struct {
	ID string `json:"id"`
	// Portfolio marks a portfolio's change (absent: a tenant's).
	Portfolio bool `json:"portfolio,omitempty"`
	// Kind is "added" (apply creates it), "changed" (apply updates it),
	// "restored" (it is deleted; apply restores it, maybe with changes)
	// or "not_in_file" (stored but absent from the file: apply keeps it).
	Kind   string        `json:"kind"`
	Fields []FieldChange `json:"fields,omitempty"`
}

// FieldChange is one field that apply would change, by its path in the
// tenants file (email.from, schedules[0].cron). Secrets show as "(set)".
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`
}

func diffCommand(a *app.App) *cobra.Command {
	var file string
	var out app.Output
	c := &cobra.Command{
		Use:   "diff -f FILE",
		Short: "show what `tenants apply -f FILE` would change (added, changed and absent tenants, by field)",
		Args:  app.NoArgs,
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
			stored, err := store.ListAll(cmd.Context())
			if err != nil {
				return err
			}
			storedPorts, err := store.ListAllPortfolios(cmd.Context())
			if err != nil {
				return err
			}
			changes := append(Diff(stored, parsed), DiffPortfolios(storedPorts, parsed)...)
			if out.JSON() {
				return app.WriteJSON(a.Stdout, changes)
			}
			if len(changes) == 0 {
				fmt.Fprintf(a.Stdout, "no changes: the stored tenants match %s\n", file)
				return nil
			}
			for _, c := range changes {
				id := c.ID
				if c.Portfolio {
					id = "portfolio " + c.ID
				}
				switch c.Kind {
				case "added":
					fmt.Fprintf(a.Stdout, "+ %s (added)\n", id)
				case "not_in_file":
					fmt.Fprintf(a.Stdout, "- %s (stored, not in the file: apply keeps it; `reportctl tenants delete %s` removes it)\n", id, c.ID)
				default:
					fmt.Fprintf(a.Stdout, "~ %s (%s)\n", id, c.Kind)
				}
				for _, f := range c.Fields {
					fmt.Fprintf(a.Stdout, "    %s: %s → %s\n", f.Field, dash(f.Old), dash(f.New))
				}
			}
			return nil
		},
	}
	c.Flags().StringVarP(&file, "file", "f", "", "tenants file (YAML)")
	_ = c.MarkFlagFilename("file", "yaml", "yml")
	app.AddOutputFlag(c, &out)
	return c
}

func dash(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// DiffPortfolios compares the stored portfolios with a file's, in id
// order, as Diff does tenants (each change marked Portfolio).
func DiffPortfolios(stored []tenants.StoredPortfolio, f tenants.File) []Change {
	byID := map[string]tenants.StoredPortfolio{}
	for _, sp := range stored {
		byID[sp.ID] = sp
	}
	inFile := map[string]bool{}
	changes := []Change{}
	for _, p := range f.Portfolios {
		inFile[p.ID] = true
		sp, ok := byID[p.ID]
		if !ok {
			changes = append(changes, Change{ID: p.ID, Portfolio: true, Kind: "added"})
			continue
		}
		fields := diffFields(flatten(sp.Portfolio), flatten(p))
		switch {
		case !sp.DeletedAt.IsZero():
			changes = append(changes, Change{ID: p.ID, Portfolio: true, Kind: "restored", Fields: fields})
		case len(fields) > 0:
			changes = append(changes, Change{ID: p.ID, Portfolio: true, Kind: "changed", Fields: fields})
		}
	}
	for _, sp := range stored {
		if !inFile[sp.ID] && sp.DeletedAt.IsZero() {
			changes = append(changes, Change{ID: sp.ID, Portfolio: true, Kind: "not_in_file"})
		}
	}
	slices.SortStableFunc(changes, func(a, b Change) int { return strings.Compare(a.ID, b.ID) })
	return changes
}

// Diff compares the stored tenants with a file, in id order.
func Diff(stored []tenants.Stored, f tenants.File) []Change {
	byID := map[string]tenants.Stored{}
	for _, st := range stored {
		byID[st.ID] = st
	}
	inFile := map[string]bool{}
	changes := []Change{}
	for _, t := range f.Tenants {
		inFile[t.ID] = true
		st, ok := byID[t.ID]
		if !ok {
			changes = append(changes, Change{ID: t.ID, Kind: "added"})
			continue
		}
		fields := diffFields(flatten(st.Tenant), flatten(t))
		switch {
		case !st.DeletedAt.IsZero():
			changes = append(changes, Change{ID: t.ID, Kind: "restored", Fields: fields})
		case len(fields) > 0:
			changes = append(changes, Change{ID: t.ID, Kind: "changed", Fields: fields})
		}
	}
	for _, st := range stored {
		if !inFile[st.ID] && st.DeletedAt.IsZero() {
			changes = append(changes, Change{ID: st.ID, Kind: "not_in_file"})
		}
	}
	slices.SortStableFunc(changes, func(a, b Change) int { return strings.Compare(a.ID, b.ID) })
	return changes
}

func diffFields(old, cur map[string]string) []FieldChange {
	keys := map[string]bool{}
	for k := range old {
		keys[k] = true
	}
	for k := range cur {
		keys[k] = true
	}
	var out []FieldChange
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		o, n := old[k], cur[k]
		if o == n {
			continue
		}
		if secretField(k) {
			o, n = setOrNot(o), setOrNot(n)
			if o == n {
				o, n = "(set)", "(set, changed)"
			}
		}
		out = append(out, FieldChange{Field: k, Old: o, New: n})
	}
	return out
}

func secretField(path string) bool {
	return strings.Contains(path, "webhook_secrets") || strings.Contains(path, "api_key") || strings.Contains(path, "external_id")
}

func setOrNot(v string) string {
	if v == "" {
		return ""
	}
	return "(set)"
}

// flatten maps each leaf of t's (a tenant's or a portfolio's) JSON form to
// its path in the tenants file.
func flatten(t any) map[string]string {
	b, _ := json.Marshal(t)
	var v any
	_ = json.Unmarshal(b, &v)
	out := map[string]string{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(strings.TrimPrefix(path+"."+k, "."), e)
			}
		case []any:
			for i, e := range x {
				walk(path+"["+strconv.Itoa(i)+"]", e)
			}
		case nil:
		case string:
			if x != "" {
				out[path] = x
			}
		case bool:
			if x {
				out[path] = "true"
			}
		default:
			if s := fmt.Sprint(x); s != "0" {
				out[path] = s
			}
		}
	}
	walk("", v)
	return out
}
