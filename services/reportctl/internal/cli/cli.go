// Package cli assembles reportctl's commands under one root (cobra) and
// turns a command's outcome into the exit code: 0 done, 1 failed, 2 the
// command line was wrong. Help, `help COMMAND`, `version` and `completion
// bash|zsh|fish` come with the root.
package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/boardpack/boardpack/services/internal/platform/buildinfo"
	"github.com/boardpack/boardpack/services/reportctl/internal/app"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/alerts"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/bootstrap"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/demo"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/dlq"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/importcmd"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/outbox"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/report"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/schedules"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/stripe"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/tenants"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/wait"
)

// Version is what `reportctl version` prints: set when the build set it
// (`go build -ldflags "-X main.version=v1.2.3"`, through main), else the
// build's version from package buildinfo (the Makefile and the Dockerfile
// link it in), followed by the short VCS revision when the version alone
// does not name the build.
func Version(set string) string {
	if set != "" {
		return set
	}
	i := buildinfo.Get()
	v := i.Version
	if v == buildinfo.Unknown {
		v = "(devel)"
	}
	if (v == "(devel)" || v == "dev") && i.Revision != buildinfo.Unknown {
		rev := strings.TrimSuffix(i.Revision, "-dirty")
		v += " " + rev[:min(12, len(rev))] + i.Revision[len(rev):]
	}
	return v
}

// Root builds the command tree.
func Root(a *app.App, version string) *cobra.Command {
	root := &cobra.Command{
		Use:   "reportctl",
		Short: "operate Boardpack",
		Long: `reportctl operates Boardpack: bootstrap the AWS side, apply tenants, send
and preview reports, import spreadsheets, backfill Stripe history, handle
dead-letter queues and read what the local emulator's SES accepted.

AWS is selected by the SDK's variables (AWS_REGION, AWS_ENDPOINT_URL, ...);
resource names by BOARDPACK_PREFIX and BOARDPACK_TABLE.`,
		Version:       version,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(a.Stdin)
	root.SetOut(a.Stdout)
	root.SetErr(a.Stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return fmt.Errorf("%w: %v", app.ErrUsage, err)
	})
	root.AddCommand(
		bootstrap.Command(a),
		tenants.Command(a),
		report.Command(a),
		schedules.Command(a),
		importcmd.Command(a),
		stripe.Command(a),
		demo.Command(a),
		dlq.Command(a),
		wait.Command(a),
		outbox.Command(a),
		alerts.Command(a),
		&cobra.Command{
			Use:   "version",
			Short: "print reportctl's version",
			Args:  app.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				_, err := fmt.Fprintln(cmd.OutOrStdout(), "reportctl", version)
				return err
			},
		},
	)
	// `completion SHELL` comes from cobra; an unknown shell is a usage
	// error, like an unknown command anywhere else.
	root.InitDefaultCompletionCmd()
	if comp, _, err := root.Find([]string{"completion"}); err == nil && comp.Name() == "completion" {
		comp.Args = cobra.ArbitraryArgs
		comp.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return app.Usagef("missing shell: bash, zsh, fish or powershell")
			}
			return app.Usagef("unknown shell %q: bash, zsh, fish or powershell", args[0])
		}
	}
	return root
}

// Run runs reportctl with args and returns the exit code.
func Run(ctx context.Context, a *app.App, version string, args []string) int {
	root := Root(a, Version(version))
	root.SetArgs(singleDashLongFlags(root, args))
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	name := "reportctl"
	if cmd != nil {
		name = cmd.CommandPath()
	}
	// cobra's own unknown-command error is a usage error too.
	if errors.Is(err, app.ErrUsage) || strings.HasPrefix(err.Error(), "unknown command") {
		msg := strings.TrimPrefix(err.Error(), app.ErrUsage.Error()+": ")
		fmt.Fprintf(a.Stderr, "%s: %s\n", name, msg)
		if cmd != nil {
			fmt.Fprintf(a.Stderr, "usage: %s\nRun '%s --help' for more.\n", cmd.UseLine(), cmd.CommandPath())
		}
		return 2
	}
	fmt.Fprintf(a.Stderr, "%s: %v\n", name, err)
	return 1
}

// singleDashLongFlags rewrites -name (and -name=value) to --name when name
// is a long flag of some command: reportctl used Go's flag package, which
// accepts both, and scripts written against it must keep working. Single
// letters (-f, -o, -y) are shorthands and stay as they are; nothing after
// "--" is touched.
func singleDashLongFlags(root *cobra.Command, args []string) []string {
	long := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) { long[f.Name] = true })
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	out := make([]string, len(args))
	copy(out, args)
	for i, arg := range out {
		if arg == "--" {
			break
		}
		if len(arg) < 3 || arg[0] != '-' || arg[1] == '-' {
			continue
		}
		name, _, _ := strings.Cut(arg[1:], "=")
		if len(name) > 1 && long[name] {
			out[i] = "-" + arg
		}
	}
	return out
}
