// Package wait is `reportctl wait drained`: block until every work queue
// is empty, so scripts know the pipeline has finished.
package wait

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/spf13/cobra"

	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/reportctl/internal/app"
)

// Command is `reportctl wait` and its verbs.
func Command(a *app.App) *cobra.Command {
	var timeout time.Duration
	drained := &cobra.Command{
		Use:   "drained",
		Short: "wait until every work queue is empty (nothing queued or in flight), for scripts",
		Args:  app.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return Drained(cmd.Context(), a, timeout)
		},
	}
	drained.Flags().DurationVar(&timeout, "timeout", 60*time.Second, "give up after this long")
	return app.Group("wait", "wait for a condition (scripts)", drained)
}

// Drained waits until every work queue is empty (nothing queued or in
// flight), or fails after timeout.
func Drained(ctx context.Context, a *app.App, timeout time.Duration) error {
	cfg, err := a.AWS(ctx)
	if err != nil {
		return err
	}
	c := sqs.NewFromConfig(cfg)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	urls := map[string]string{}
	for _, sub := range resources.Subscriptions {
		name := a.Names.Queue(sub.Queue)
		out, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("queue %s: %w (run `reportctl bootstrap`?)", name, err)
		}
		urls[name] = aws.ToString(out.QueueUrl)
	}
	// Two empty readings in a row: a handler may publish as it finishes.
	empty := 0
	for {
		busy, err := queueBacklog(ctx, c, urls)
		if err != nil {
			return err
		}
		if busy == "" {
			empty++
			if empty == 2 {
				return nil
			}
		} else {
			empty = 0
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not drained after %s: %s", timeout, busy)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// queueBacklog describes the first queue with messages, or "" when all are empty.
func queueBacklog(ctx context.Context, c *sqs.Client, urls map[string]string) (string, error) {
	for _, name := range slices.Sorted(maps.Keys(urls)) {
		out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl: aws.String(urls[name]),
			AttributeNames: []sqstypes.QueueAttributeName{
				sqstypes.QueueAttributeNameApproximateNumberOfMessages,
				sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			},
		})
		if err != nil {
			return "", fmt.Errorf("queue %s: %w", name, err)
		}
		visible, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
		inFlight, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
		if visible+inFlight > 0 {
			return fmt.Sprintf("%s has %d queued and %d in flight", name, visible, inFlight), nil
		}
	}
	return "", nil
}
