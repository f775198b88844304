package tenants

import (
	"bytes"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/reportctl/internal/app"
)

func exportCommand(a *app.App) *cobra.Command {
	var file string
	c := &cobra.Command{
		Use:   "export [-f FILE]",
		Short: "write the stored tenants and portfolios as a tenants file that `tenants apply` accepts",
		Long: `Write the stored tenants (not the deleted ones) as YAML, to stdout or to FILE
(created with mode 0600: it holds webhook secrets when they are literals).
'tenants apply -f FILE' on the output gives the same tenants back.`,
		Args: app.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := a.Tenants(cmd.Context())
			if err != nil {
				return err
			}
			list, err := store.List(cmd.Context())
			if err != nil {
				return err
			}
			ports, err := store.ListPortfolios(cmd.Context())
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			buf.WriteString("# reportctl tenants export: apply with `reportctl tenants apply -f FILE`\n")
			if err := (tenants.File{Tenants: list, Portfolios: ports}).Encode(&buf); err != nil {
				return err
			}
			if file == "" {
				_, err := a.Stdout.Write(buf.Bytes())
				return err
			}
			if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
				return err
			}
			fmt.Fprintf(a.Stderr, "wrote %d tenant(s) and %d portfolio(s) to %s\n", len(list), len(ports), file)
			return nil
		},
	}
	c.Flags().StringVarP(&file, "file", "f", "", "write to FILE instead of stdout")
	_ = c.MarkFlagFilename("file", "yaml", "yml")
	return c
}
