package app

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// ErrUsage marks a mistake in the command line: reportctl exits 2 and
// prints the command's usage.
var ErrUsage = errors.New("usage")

// Usagef returns a usage error.
func Usagef(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, args...))
}

// NoArgs is cobra's Args check for commands that take no arguments, as a
// usage error.
func NoArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return Usagef("unexpected argument %q", args[0])
	}
	return nil
}

// Group is a command that only holds subcommands: run alone, or with an
// unknown subcommand, it is a usage error.
func Group(use, short string, subs ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var names []string
			for _, s := range cmd.Commands() {
				if s.IsAvailableCommand() {
					names = append(names, s.Name())
				}
			}
			if len(args) == 0 {
				return Usagef("missing command: one of %s", strings.Join(names, ", "))
			}
			return Usagef("unknown command %q (one of %s)", args[0], strings.Join(names, ", "))
		},
	}
	c.AddCommand(subs...)
	return c
}
