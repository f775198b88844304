// Package dlq is `reportctl dlq`: what each dead-letter queue holds and
// why (where the message shows it), and moving messages back to their
// work queue once the cause is fixed.
package dlq

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/spf13/cobra"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/reportctl/internal/app"
)

// dlqPeekLimit bounds how many messages `dlq list` looks at per DLQ to
// find the oldest one (SQS has no attribute for the oldest message's age;
// CloudWatch's ApproximateAgeOfOldestMessage is not on every emulator).
const dlqPeekLimit = 100

// Command is `reportctl dlq` and its verbs.
func Command(a *app.App) *cobra.Command {
	var out app.Output
	list := &cobra.Command{
		Use:   "list",
		Short: "each dead-letter queue: depth, oldest message age, a sample message and why it failed (where known)",
		Args:  app.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return listDLQs(cmd.Context(), a, out)
		},
	}
	app.AddOutputFlag(list, &out)

	var queue string
	var maxN int
	redriveCmd := &cobra.Command{
		Use:   "redrive --queue NAME [--max N]",
		Short: "move messages from NAME's dead-letter queue back to NAME (all, or at most N)",
		Long: `Move messages from a work queue's dead-letter queue back to the queue (all,
or at most N), after fixing what made them fail. A message leaves the DLQ only
once the work queue has accepted it. Progress goes to stderr on a terminal.`,
		Args: app.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return redriveQueue(cmd.Context(), a, queue, maxN)
		},
	}
	redriveCmd.Flags().StringVar(&queue, "queue", "", "the work queue whose DLQ to drain: "+strings.Join(queueNames(), ", "))
	redriveCmd.Flags().IntVar(&maxN, "max", 0, "move at most N messages (0: all)")
	_ = redriveCmd.RegisterFlagCompletionFunc("queue", cobra.FixedCompletions(queueNames(), cobra.ShellCompDirectiveNoFileComp))
	return app.Group("dlq", "inspect and redrive dead-letter queues", list, redriveCmd)
}

// Queue is one dead-letter queue in `dlq list -o json` (the output is a
// JSON array of Queue; the field names are stable).
type Queue struct {
	// Queue is the work queue's logical name (what --queue takes).
	Queue    string `json:"queue"`
	DLQ      string `json:"dlq"`
	Depth    int    `json:"depth"`
	InFlight int    `json:"in_flight"`
	// Oldest is the oldest sampled message, when the DLQ has any.
	Oldest *Message `json:"oldest,omitempty"`
}

// Message is a dead-lettered message.
type Message struct {
	MessageID    string    `json:"message_id"`
	SentAt       time.Time `json:"sent_at"`
	AgeSeconds   int64     `json:"age_seconds"`
	ReceiveCount int       `json:"receive_count"`
	EventName    string    `json:"event_name,omitempty"`
	TenantID     string    `json:"tenant_id,omitempty"`
	// Reason says why it failed, where the message shows it.
	Reason string `json:"reason"`
	// Body is the message body, clipped to 300 bytes.
	Body string `json:"body"`
	// Sampled is how many messages were read to find the oldest.
	Sampled int `json:"sampled"`
}

func listDLQs(ctx context.Context, a *app.App, out app.Output) error {
	cfg, err := a.AWS(ctx)
	if err != nil {
		return err
	}
	c := sqs.NewFromConfig(cfg)
	rows := []Queue{}
	for _, sub := range resources.Subscriptions {
		dlqName := a.Names.DLQ(sub.Queue)
		url, err := queueURL(ctx, c, dlqName)
		if err != nil {
			return err
		}
		visible, inFlight, err := depth(ctx, c, url)
		if err != nil {
			return fmt.Errorf("queue %s: %w", dlqName, err)
		}
		row := Queue{Queue: sub.Queue, DLQ: dlqName, Depth: visible, InFlight: inFlight}
		if visible > 0 {
			msgs, err := peek(ctx, c, url, dlqPeekLimit)
			if err != nil {
				return fmt.Errorf("peek %s: %w", dlqName, err)
			}
			if len(msgs) > 0 {
				m := msgs[0]
				rc, _ := strconv.Atoi(m.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)])
				row.Oldest = &Message{
					MessageID: aws.ToString(m.MessageId), SentAt: sentAt(m).UTC(), ReceiveCount: rc,
					EventName: attr(m, messages.MetadataEventName), TenantID: attr(m, messages.MetadataTenantID),
					Reason: diagnose(sub.Queue, m), Body: clip(aws.ToString(m.Body), 300), Sampled: len(msgs),
				}
				if !row.Oldest.SentAt.IsZero() {
					row.Oldest.AgeSeconds = int64(time.Since(row.Oldest.SentAt).Seconds())
				}
			}
		}
		rows = append(rows, row)
	}
	if out.JSON() {
		return app.WriteJSON(a.Stdout, rows)
	}
	w := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "QUEUE\tDLQ\tDEPTH\tIN FLIGHT\tOLDEST")
	for _, r := range rows {
		oldest := "-"
		if r.Oldest != nil {
			oldest = age(r.Oldest.SentAt)
			if r.Oldest.Sampled < r.Depth {
				oldest += fmt.Sprintf(" (of %d sampled)", r.Oldest.Sampled)
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\n", r.Queue, r.DLQ, r.Depth, r.InFlight, oldest)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	samples := 0
	for _, r := range rows {
		m := r.Oldest
		if m == nil {
			continue
		}
		samples++
		fmt.Fprintf(a.Stdout, "\noldest message in %s:\n", r.DLQ)
		fmt.Fprintf(a.Stdout, "  message id   %s\n", m.MessageID)
		fmt.Fprintf(a.Stdout, "  sent         %s\n", m.SentAt.Format(time.RFC3339))
		fmt.Fprintf(a.Stdout, "  received     %d times\n", m.ReceiveCount)
		if m.EventName != "" {
			fmt.Fprintf(a.Stdout, "  %-12s %s\n", messages.MetadataEventName, m.EventName)
		}
		if m.TenantID != "" {
			fmt.Fprintf(a.Stdout, "  %-12s %s\n", messages.MetadataTenantID, m.TenantID)
		}
		fmt.Fprintf(a.Stdout, "  reason       %s\n", m.Reason)
		fmt.Fprintf(a.Stdout, "  body         %s\n", m.Body)
	}
	if samples > 0 {
		fmt.Fprintln(a.Stdout, "\nFix the cause, then: reportctl dlq redrive --queue QUEUE [--max N]")
	}
	return nil
}

func attr(m sqstypes.Message, k string) string {
	if v, ok := m.MessageAttributes[k]; ok {
		return aws.ToString(v.StringValue)
	}
	return ""
}

func redriveQueue(ctx context.Context, a *app.App, queue string, maxN int) error {
	if maxN < 0 {
		return app.Usagef("--max must be 0 (all) or more")
	}
	base, err := resolveQueue(a, queue)
	if err != nil {
		return err
	}
	cfg, err := a.AWS(ctx)
	if err != nil {
		return err
	}
	c := sqs.NewFromConfig(cfg)
	from, err := queueURL(ctx, c, a.Names.DLQ(base))
	if err != nil {
		return err
	}
	to, err := queueURL(ctx, c, a.Names.Queue(base))
	if err != nil {
		return err
	}
	total := maxN
	if visible, _, err := depth(ctx, c, from); err == nil && (total == 0 || visible < total) {
		total = visible
	}
	p := a.Progress("redrive "+a.Names.DLQ(base), total)
	moved, err := redrive(ctx, c, from, to, maxN, p.Add)
	p.Done()
	fmt.Fprintf(a.Stdout, "moved %d message(s) from %s to %s\n", moved, a.Names.DLQ(base), a.Names.Queue(base))
	return err
}

// redrive moves messages with receive, send, delete (StartMessageMoveTask
// is not on every emulator). A message is deleted from the DLQ only after
// the work queue accepted it, so a crash in between leaves it in both:
// consumers are idempotent, and a copy is better than a loss.
func redrive(ctx context.Context, c *sqs.Client, from, to string, maxN int, progress func(int)) (int, error) {
	moved, empty := 0, 0
	for maxN == 0 || moved < maxN {
		want := int32(10)
		if maxN > 0 {
			want = int32(min(10, maxN-moved))
		}
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:              aws.String(from),
			MaxNumberOfMessages:   want,
			MessageAttributeNames: []string{"All"},
			VisibilityTimeout:     60,
			WaitTimeSeconds:       1,
		})
		if err != nil {
			return moved, fmt.Errorf("receive from dlq: %w", err)
		}
		if len(out.Messages) == 0 {
			// Short reads can come back empty while messages remain.
			if empty++; empty >= 2 {
				return moved, nil
			}
			continue
		}
		empty = 0
		send := make([]sqstypes.SendMessageBatchRequestEntry, 0, len(out.Messages))
		for i, m := range out.Messages {
			send = append(send, sqstypes.SendMessageBatchRequestEntry{
				Id:                aws.String(strconv.Itoa(i)),
				MessageBody:       m.Body,
				MessageAttributes: m.MessageAttributes,
			})
		}
		sent, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(to), Entries: send})
		if err != nil {
			return moved, fmt.Errorf("send to work queue: %w", err)
		}
		var del []sqstypes.DeleteMessageBatchRequestEntry
		for _, ok := range sent.Successful {
			i, _ := strconv.Atoi(aws.ToString(ok.Id))
			del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: ok.Id, ReceiptHandle: out.Messages[i].ReceiptHandle})
		}
		if len(del) > 0 {
			d, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(from), Entries: del})
			if err != nil {
				return moved, fmt.Errorf("delete from dlq (the copies already sent will be handled twice, harmlessly): %w", err)
			}
			moved += len(d.Successful)
			progress(len(d.Successful))
		}
		if len(sent.Failed) > 0 {
			f := sent.Failed[0]
			return moved, fmt.Errorf("%d message(s) not accepted by the work queue (left in the DLQ): %s: %s",
				len(sent.Failed), aws.ToString(f.Code), aws.ToString(f.Message))
		}
	}
	return moved, nil
}

func queueNames() []string {
	var names []string
	for _, s := range resources.Subscriptions {
		names = append(names, s.Queue)
	}
	return names
}

// resolveQueue accepts a queue's logical name (aggregator-metrics) or its
// deployed name (with BOARDPACK_PREFIX), and returns the logical one.
func resolveQueue(a *app.App, name string) (string, error) {
	if name == "" {
		return "", app.Usagef("--queue is required (one of %s)", strings.Join(queueNames(), ", "))
	}
	for _, s := range resources.Subscriptions {
		if name == s.Queue || name == a.Names.Queue(s.Queue) {
			return s.Queue, nil
		}
		if name == a.Names.DLQ(s.Queue) || name == s.Queue+resources.DLQSuffix {
			return "", app.Usagef("--queue names the work queue, not its DLQ: use --queue %s", s.Queue)
		}
	}
	return "", app.Usagef("unknown queue %q (one of %s)", name, strings.Join(queueNames(), ", "))
}

func queueURL(ctx context.Context, c *sqs.Client, name string) (string, error) {
	out, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("queue %s: %w (run `reportctl bootstrap`?)", name, err)
	}
	return aws.ToString(out.QueueUrl), nil
}

func depth(ctx context.Context, c *sqs.Client, url string) (visible, inFlight int, err error) {
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		return 0, 0, err
	}
	visible, _ = strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	inFlight, _ = strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return visible, inFlight, nil
}

// peek reads up to limit distinct messages, oldest first, and makes them
// visible again at once. It raises their receive count, which a DLQ (no
// redrive policy of its own) does not act on. (A receive with
// VisibilityTimeout 0 is not expressible: the SDK omits a zero and the
// queue's default applies.)
func peek(ctx context.Context, c *sqs.Client, url string, limit int) ([]sqstypes.Message, error) {
	seen := map[string]sqstypes.Message{}
	defer release(context.WithoutCancel(ctx), c, url, seen)
	for stale := 0; len(seen) < limit && stale < 2; {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(url),
			MaxNumberOfMessages:         int32(min(10, limit-len(seen))),
			VisibilityTimeout:           30,
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		if err != nil {
			return nil, err
		}
		fresh := 0
		for _, m := range out.Messages {
			if _, ok := seen[aws.ToString(m.MessageId)]; !ok {
				seen[aws.ToString(m.MessageId)] = m
				fresh++
			}
		}
		if fresh == 0 {
			stale++
		}
	}
	msgs := make([]sqstypes.Message, 0, len(seen))
	for _, m := range seen {
		msgs = append(msgs, m)
	}
	sort.Slice(msgs, func(i, j int) bool { return sentAt(msgs[i]).Before(sentAt(msgs[j])) })
	return msgs, nil
}

// release makes peeked messages visible again (best effort: if it fails
// they reappear after 30 s anyway).
func release(ctx context.Context, c *sqs.Client, url string, msgs map[string]sqstypes.Message) {
	var batch []sqstypes.ChangeMessageVisibilityBatchRequestEntry
	flush := func() {
		if len(batch) > 0 {
			_, _ = c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: batch})
			batch = batch[:0]
		}
	}
	for _, m := range msgs {
		batch = append(batch, sqstypes.ChangeMessageVisibilityBatchRequestEntry{
			Id: aws.String(strconv.Itoa(len(batch))), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0,
		})
		if len(batch) == 10 {
			flush()
		}
	}
	flush()
}

func sentAt(m sqstypes.Message) time.Time {
	ms, err := strconv.ParseInt(m.Attributes[string(sqstypes.MessageSystemAttributeNameSentTimestamp)], 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func age(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return time.Since(t).Round(time.Second).String()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// diagnose says why a message could not be handled, when the message
// itself shows it (no tenant, bad JSON, unknown event); otherwise the
// failure was transient (a dependency down for longer than the redrive
// count allowed) and a redrive should succeed.
func diagnose(queue string, m sqstypes.Message) string {
	body := []byte(aws.ToString(m.Body))
	eventName := ""
	if v, ok := m.MessageAttributes[messages.MetadataEventName]; ok {
		eventName = aws.ToString(v.StringValue)
	}
	var err error
	switch queue {
	case resources.QueueAggregatorMetrics:
		switch eventName {
		case messages.EventNameMetric:
			err = validateJSON[messages.MetricEvent](body)
		case messages.EventNameFinding:
			err = validateJSON[messages.Finding](body)
		default:
			err = fmt.Errorf("unknown %s %q", messages.MetadataEventName, eventName)
		}
	case resources.QueueMailerReportDue:
		err = validateJSON[messages.ReportDue](body)
	default:
		var v map[string]any
		if jerr := json.Unmarshal(body, &v); jerr != nil {
			err = fmt.Errorf("not JSON: %w", jerr)
		}
	}
	if err != nil {
		return "invalid message (redriving will not help): " + strings.ReplaceAll(err.Error(), "\n", "; ")
	}
	return "not visible in the message: the message is valid, so it probably failed for a transient reason (see the consumer's logs); a redrive should succeed"
}

func validateJSON[T interface{ Validate() error }](body []byte) error {
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if err := v.Validate(); err != nil {
		return err
	}
	return nil
}
