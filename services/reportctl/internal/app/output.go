package app

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
)

// Output is the -o flag of list and status commands: "table" (the
// default, for people) or "json" (for scripts: one JSON document, field
// names documented on each command's row type and kept stable).
type Output string

// The output formats.
const (
	OutputTable Output = "table"
	OutputJSON  Output = "json"
)

func (o *Output) String() string { return string(*o) }

// Set accepts table (or text) and json.
func (o *Output) Set(v string) error {
	switch v {
	case "table", "text":
		*o = OutputTable
	case "json":
		*o = OutputJSON
	default:
		return fmt.Errorf("%q is not table or json", v)
	}
	return nil
}

// Type names the value in help.
func (o *Output) Type() string { return "table|json" }

// AddOutputFlag adds -o/--output to cmd.
func AddOutputFlag(cmd *cobra.Command, o *Output) {
	*o = OutputTable
	cmd.Flags().VarP(o, "output", "o", "output format: table or json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json"}, cobra.ShellCompDirectiveNoFileComp))
}

// JSON reports whether the output is JSON.
func (o Output) JSON() bool { return o == OutputJSON }

// WriteJSON writes v as indented JSON and a newline.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// StdinIsTerminal reports whether a person may be typing on stdin.
func (a *App) StdinIsTerminal() bool { return a.Terminal || IsTerminal(a.Stdin) }

// IsTerminal reports whether w is a terminal (progress is drawn only
// there; elsewhere a command prints one summary line).
func IsTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
