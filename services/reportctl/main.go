// Command reportctl is Boardpack's operator CLI: bootstrap the AWS side,
// apply tenants, send and preview reports, import spreadsheets, backfill
// Stripe history, handle dead-letter queues and read the local outbox.
//
// main only wires: each command lives in a package under internal/cmd
// named for it, assembled by internal/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/boardpack/boardpack/services/reportctl/internal/app"
	"github.com/boardpack/boardpack/services/reportctl/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3";
// empty means the module version and VCS revision from the build info.
var version string

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	a := app.New(os.Stdin, os.Stdout, os.Stderr)
	code := cli.Run(ctx, a, version, os.Args[1:])
	a.Close()
	stop()
	os.Exit(code)
}
