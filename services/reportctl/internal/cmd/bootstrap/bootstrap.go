package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

func init() {
	register(command{
		name:    "bootstrap",
		usage:   "[--visibility-timeout 60s] [--max-receive-count 5] [--identity ADDRESS_OR_DOMAIN ...]",
		summary: "create topics, queues, DLQs, table and SES identities (idempotent; local runs and tests)",
		run:     runBootstrap,
	})
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses and turns every problem into a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return nil
}

func runBootstrap(ctx context.Context, app *App, args []string) error {
	fs := newFlags("bootstrap")
	vis := fs.Duration("visibility-timeout", 60*time.Second, "visibility timeout of the work queues")
	maxRecv := fs.Int("max-receive-count", 5, "deliveries before a message moves to its DLQ")
	var ids stringList
	fs.Var(&ids, "identity", "SES identity (address or domain) to verify; repeatable")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *vis < time.Second || *vis > 12*time.Hour {
		return fmt.Errorf("%w: --visibility-timeout must be between 1s and 12h", errUsage)
	}
	if *maxRecv < 1 || *maxRecv > 1000 {
		return fmt.Errorf("%w: --max-receive-count must be between 1 and 1000", errUsage)
	}
	cfg, err := app.AWS(ctx)
	if err != nil {
		return err
	}
	res, err := resources.Bootstrap(ctx, cfg, resources.Spec{
		Names:             app.Names,
		VisibilityTimeout: *vis,
		MaxReceiveCount:   *maxRecv,
		Identities:        append([]string{app.Sender}, ids...),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(app.Stdout, "table     %s\n", app.Names.Table)
	for _, t := range sortedKeys(res.TopicARNs) {
		fmt.Fprintf(app.Stdout, "topic     %s\n", res.TopicARNs[t])
	}
	for _, q := range sortedKeys(res.QueueURLs) {
		fmt.Fprintf(app.Stdout, "queue     %s (dlq %s)\n", res.QueueURLs[q], res.DLQURLs[q])
	}
	fmt.Fprintf(app.Stdout, "sender    %s\n", app.Sender)
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
