package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

func init() {
	register(command{
		name:    "wait drained",
		usage:   "[--timeout 60s]",
		summary: "wait until every work queue is empty (nothing queued or in flight), for scripts",
		run:     runWaitDrained,
	})
}

func runWaitDrained(ctx context.Context, app *App, args []string) error {
	fs := newFlags("wait drained")
	timeout := fs.Duration("timeout", 60*time.Second, "give up after this long")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := app.AWS(ctx)
	if err != nil {
		return err
	}
	c := sqs.NewFromConfig(cfg)
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	urls := map[string]string{}
	for _, sub := range resources.Subscriptions {
		name := app.Names.Queue(sub.Queue)
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
			return fmt.Errorf("not drained after %s: %s", *timeout, busy)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// queueBacklog describes the first queue with messages, or "" when all are empty.
func queueBacklog(ctx context.Context, c *sqs.Client, urls map[string]string) (string, error) {
	for _, name := range sortedKeys(urls) {
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
