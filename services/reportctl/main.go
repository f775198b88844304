// Command reportctl is Boardpack's operator CLI: bootstrap the AWS side,
// apply tenants, send and preview reports, import spreadsheets, backfill
// Stripe history and handle dead-letter queues.
//
// Each verb lives in its own file and registers itself in init, so verbs
// stay independent of each other.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one verb (or verb group, like "tenants apply").
type command struct {
	// name is the words that select it: "tenants apply".
	name string
	// usage is the arguments, shown in help: "-f FILE".
	usage string
	// summary is one line of help.
	summary string
	run     func(ctx context.Context, app *App, args []string) error
}

var commands = map[string]command{}

func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("reportctl: duplicate command " + c.name)
	}
	commands[c.name] = c
}

// errUsage marks a mistake in the command line (exit 2).
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app := NewApp(os.Stdout, os.Stderr)
	code := run(ctx, app, os.Args[1:])
	app.Close()
	os.Exit(code)
}

// run dispatches args to a command and returns the exit code.
func run(ctx context.Context, app *App, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printHelp(app.Stdout)
		return 0
	}
	// Longest match: "tenants apply" before "tenants".
	for n := min(len(args), 3); n > 0; n-- {
		name := strings.Join(args[:n], " ")
		if c, ok := commands[name]; ok {
			err := c.run(ctx, app, args[n:])
			switch {
			case err == nil:
				return 0
			case errors.Is(err, errUsage):
				msg := strings.TrimPrefix(err.Error(), errUsage.Error()+": ")
				fmt.Fprintf(app.Stderr, "reportctl %s: %s\nusage: reportctl %s %s\n", name, msg, name, c.usage)
				return 2
			default:
				fmt.Fprintf(app.Stderr, "reportctl %s: %v\n", name, err)
				return 1
			}
		}
	}
	fmt.Fprintf(app.Stderr, "reportctl: unknown command %q\n\n", strings.Join(args, " "))
	printHelp(app.Stderr)
	return 2
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "reportctl: operate Boardpack\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := commands[n]
		fmt.Fprintf(w, "  %s\n      %s\n", strings.TrimSpace(n+" "+c.usage), c.summary)
	}
	fmt.Fprintln(w, "\nAWS is selected by the SDK's variables (AWS_REGION, AWS_ENDPOINT_URL, ...);")
	fmt.Fprintln(w, "resource names by BOARDPACK_PREFIX and BOARDPACK_TABLE.")
}
