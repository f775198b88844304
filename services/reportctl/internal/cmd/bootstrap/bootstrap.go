// Package bootstrap is `reportctl bootstrap`: create the topics, queues,
// DLQs, table and SES identities on the configured endpoint, for local
// runs and tests (on AWS the CloudFormation stack owns them).
package bootstrap

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/reportctl/internal/app"
)

// Command is `reportctl bootstrap`.
func Command(a *app.App) *cobra.Command {
	var vis time.Duration
	var maxRecv int
	var ids []string
	c := &cobra.Command{
		Use:   "bootstrap",
		Short: "create topics, queues, DLQs, table and SES identities (idempotent; local runs and tests)",
		Args:  app.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if vis < time.Second || vis > 12*time.Hour {
				return app.Usagef("--visibility-timeout must be between 1s and 12h")
			}
			if maxRecv < 1 || maxRecv > 1000 {
				return app.Usagef("--max-receive-count must be between 1 and 1000")
			}
			ctx := cmd.Context()
			cfg, err := a.AWS(ctx)
			if err != nil {
				return err
			}
			res, err := resources.Bootstrap(ctx, cfg, resources.Spec{
				Names:             a.Names,
				VisibilityTimeout: vis,
				MaxReceiveCount:   maxRecv,
				Identities:        append([]string{a.Sender}, ids...),
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.Stdout, "table     %s\n", a.Names.Table)
			for _, t := range slices.Sorted(maps.Keys(res.TopicARNs)) {
				fmt.Fprintf(a.Stdout, "topic     %s\n", res.TopicARNs[t])
			}
			for _, q := range slices.Sorted(maps.Keys(res.QueueURLs)) {
				fmt.Fprintf(a.Stdout, "queue     %s (dlq %s)\n", res.QueueURLs[q], res.DLQURLs[q])
			}
			fmt.Fprintf(a.Stdout, "sender    %s\n", a.Sender)
			return nil
		},
	}
	f := c.Flags()
	f.DurationVar(&vis, "visibility-timeout", 60*time.Second, "visibility timeout of the work queues")
	f.IntVar(&maxRecv, "max-receive-count", 5, "deliveries before a message moves to its DLQ")
	f.StringArrayVar(&ids, "identity", nil, "SES identity (address or domain) to verify; repeatable")
	return c
}
