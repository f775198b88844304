package tenants

import (
	"bufio"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/reportctl/internal/app"
)

func deleteCommand(a *app.App) *cobra.Command {
	var yes, purge bool
	c := &cobra.Command{
		Use:   "delete ID",
		Short: "stop a tenant's (or a portfolio's) schedules and sends (reversible until --purge)",
		Long: `Mark a tenant deleted. The scheduler stops firing its schedules, the mailer
sends nothing for it, the collectors stop collecting and the stripe-collector
refuses its webhooks. Its configuration, read model and ledger of sends stay
in the table: 'reportctl tenants restore ID' (or applying the tenant again
with 'tenants apply') undoes the delete.

--purge also deletes every item of the tenant (configuration, read model,
ledger, import log). That cannot be undone.

A tenant that is a member of a portfolio is refused, naming the portfolio:
remove it from the portfolio's members and apply the file first.

ID may be a portfolio's: deleting it stops its schedules and sends (its
members are untouched); restore or apply undoes it. A portfolio has no data
of its own beyond its record of sends, and --purge is refused for it.

On a terminal it asks for confirmation; elsewhere it refuses without --yes.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return app.Usagef("one tenant ID is required")
			}
			return nil
		},
		ValidArgsFunction: tenantIDs(a),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, id := cmd.Context(), args[0]
			store, err := a.Tenants(ctx)
			if err != nil {
				return err
			}
			if p, err := store.GetPortfolio(ctx, id); !errors.Is(err, tenants.ErrPortfolioNotFound) || errors.Is(err, tenants.ErrPortfolioDeleted) {
				if err != nil && !errors.Is(err, tenants.ErrPortfolioDeleted) {
					return err
				}
				return deletePortfolio(a, cmd, store, id, p.Name, err != nil, yes, purge)
			}
			t, err := store.Get(ctx, id)
			already := errors.Is(err, tenants.ErrDeleted)
			switch {
			case already && !purge:
				fmt.Fprintf(a.Stdout, "tenant %s is already deleted (restore: reportctl tenants restore %s; purge: reportctl tenants delete %s --purge)\n", id, id, id)
				return nil
			case errors.Is(err, tenants.ErrNotFound) && !already:
				return fmt.Errorf("tenant %q not found: `reportctl tenants list --deleted` shows the stored tenants", id)
			case err != nil && !already:
				return err
			}
			if !yes {
				what := fmt.Sprintf("Delete tenant %s (%s)? Its schedules and sends stop; its data is kept and `tenants restore` undoes it.", id, t.Name)
				if already {
					what = fmt.Sprintf("Tenant %s is deleted.", id)
				}
				if purge {
					what += " --purge also deletes ALL its data (read model, ledger of sends): that cannot be undone."
				}
				if err := confirm(a, what); err != nil {
					return err
				}
			}
			if !already {
				if err := store.Delete(ctx, id, time.Now()); err != nil {
					return err
				}
				fmt.Fprintf(a.Stdout, "deleted tenant %s: its schedules and sends are stopped, its data is kept\n", id)
			}
			if !purge {
				fmt.Fprintf(a.Stdout, "undo with: reportctl tenants restore %s   (or apply it again with reportctl tenants apply -f FILE)\n", id)
				return nil
			}
			n, err := store.Purge(ctx, id)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.Stdout, "purged tenant %s: %d item(s) deleted\n", id, n)
			return nil
		},
	}
	c.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation (required when stdin is not a terminal)")
	c.Flags().BoolVar(&purge, "purge", false, "also delete all the tenant's data: read model, ledger of sends, import log (irreversible)")
	return c
}

// deletePortfolio is `tenants delete` of a portfolio id.
func deletePortfolio(a *app.App, cmd *cobra.Command, store tenants.Store, id, name string, already, yes, purge bool) error {
	if purge {
		return app.Usagef("%s is a portfolio: --purge applies to tenants only (delete it without --purge)", id)
	}
	if already {
		fmt.Fprintf(a.Stdout, "portfolio %s is already deleted (restore: reportctl tenants restore %s)\n", id, id)
		return nil
	}
	if !yes {
		if err := confirm(a, fmt.Sprintf("Delete portfolio %s (%s)? Its schedules and sends stop; its members are untouched and `tenants restore` undoes it.", id, name)); err != nil {
			return err
		}
	}
	if err := store.DeletePortfolio(cmd.Context(), id, time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(a.Stdout, "deleted portfolio %s: its schedules and sends are stopped\nundo with: reportctl tenants restore %s   (or apply it again with reportctl tenants apply -f FILE)\n", id, id)
	return nil
}

// confirm asks on the terminal; without one it refuses (a script must say
// --yes).
func confirm(a *app.App, question string) error {
	if !a.StdinIsTerminal() {
		return app.Usagef("stdin is not a terminal: pass --yes to confirm")
	}
	fmt.Fprintf(a.Stderr, "%s\nType yes to confirm: ", question)
	line, _ := bufio.NewReader(a.Stdin).ReadString('\n')
	if ans := strings.ToLower(strings.TrimSpace(line)); ans != "yes" && ans != "y" {
		return errors.New("not confirmed; nothing changed")
	}
	return nil
}

func restoreCommand(a *app.App) *cobra.Command {
	return &cobra.Command{
		Use:   "restore ID",
		Short: "undo `tenants delete` (before a purge): schedules and sends resume",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return app.Usagef("one tenant ID is required")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := a.Tenants(cmd.Context())
			if err != nil {
				return err
			}
			if _, err := store.GetPortfolio(cmd.Context(), args[0]); errors.Is(err, tenants.ErrPortfolioDeleted) || err == nil {
				if err := store.RestorePortfolio(cmd.Context(), args[0]); err != nil {
					return err
				}
				fmt.Fprintf(a.Stdout, "restored portfolio %s\n", args[0])
				return nil
			}
			if err := store.Restore(cmd.Context(), args[0]); err != nil {
				if errors.Is(err, tenants.ErrNotFound) {
					return fmt.Errorf("tenant %q not found (a purged tenant cannot be restored: apply it again)", args[0])
				}
				return err
			}
			fmt.Fprintf(a.Stdout, "restored tenant %s\n", args[0])
			return nil
		},
	}
}

// tenantIDs completes stored tenant ids (best effort: nothing when AWS is
// unreachable).
func tenantIDs(a *app.App) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		store, err := a.Tenants(cmd.Context())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		list, err := store.List(cmd.Context())
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ids := make([]string, 0, len(list))
		for _, t := range list {
			ids = append(ids, t.ID)
		}
		return ids, cobra.ShellCompDirectiveNoFileComp
	}
}
