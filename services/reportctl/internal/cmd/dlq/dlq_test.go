package dlq_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/dlq"
)

func TestDLQRedriveRefusesBadArguments(t *testing.T) {
	names := resources.Names{Prefix: "x-", Table: "x"}
	for _, args := range [][]string{
		{"dlq", "redrive"},
		{"dlq", "redrive", "--queue", "nope"},
		{"dlq", "redrive", "--queue", "aggregator-metrics-dlq"},
		{"dlq", "redrive", "--queue", "aggregator-metrics", "--max", "-1"},
		{"dlq", "list", "extra"},
	} {
		if r := cli(t, names, args...); r.Code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage); stderr %s", args, r.Code, r.Stderr)
		}
	}
}

func sendTo(t *testing.T, c *sqs.Client, url, body, eventName string) {
	t.Helper()
	in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)}
	if eventName != "" {
		in.MessageAttributes = map[string]sqstypes.MessageAttributeValue{
			messages.MetadataEventName: {DataType: aws.String("String"), StringValue: aws.String(eventName)},
		}
	}
	if _, err := c.SendMessage(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

func depthOf(t *testing.T, c *sqs.Client, url string) int {
	t.Helper()
	v, f, err := dlq.Depth(context.Background(), c, url)
	if err != nil {
		t.Fatal(err)
	}
	return v + f
}

func TestDLQListShowsWhyAndRedriveMovesBack(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	c := sqs.NewFromConfig(env.AWS)
	aggDLQ := env.Resource.DLQURLs[resources.QueueAggregatorMetrics]
	aggQueue := env.Resource.QueueURLs[resources.QueueAggregatorMetrics]
	orphan := `{"event_id":"evt_orphan","occurred_at":"2026-11-01T00:00:00Z","source":"stripe","metric":"revenue.gross","kind":"additive","value":100}`
	sendTo(t, c, aggDLQ, orphan, messages.EventNameMetric)

	r := cli(t, env.Names, "dlq", "list")
	if r.Code != 0 {
		t.Fatalf("dlq list: exit %d: %s", r.Code, r.Stderr)
	}
	for _, want := range []string{env.Names.DLQ(resources.QueueAggregatorMetrics), "evt_orphan", "missing tenant_id", "redriving will not help"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("dlq list output lacks %q:\n%s", want, r.Stdout)
		}
	}
	if !strings.Contains(r.Stdout, resources.QueueMailerReportDue) {
		t.Errorf("dlq list does not show every DLQ:\n%s", r.Stdout)
	}
	// Listing leaves the message where it was.
	if d := depthOf(t, c, aggDLQ); d != 1 {
		t.Fatalf("after list the DLQ holds %d messages, want 1", d)
	}

	r = cli(t, env.Names, "dlq", "redrive", "--queue", resources.QueueAggregatorMetrics)
	if r.Code != 0 || !strings.Contains(r.Stdout, "moved 1 message") {
		t.Fatalf("dlq redrive: exit %d: %s %s", r.Code, r.Stdout, r.Stderr)
	}
	if d := depthOf(t, c, aggDLQ); d != 0 {
		t.Fatalf("after redrive the DLQ holds %d messages, want 0", d)
	}
	out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(aggQueue), MessageAttributeNames: []string{"All"}, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != orphan ||
		aws.ToString(out.Messages[0].MessageAttributes[messages.MetadataEventName].StringValue) != messages.EventNameMetric {
		t.Fatalf("work queue holds %+v, want the redriven message with its attributes", out.Messages)
	}
}

func TestDLQRedriveStopsAtMax(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	c := sqs.NewFromConfig(env.AWS)
	dlq := env.Resource.DLQURLs[resources.QueueMailerReportDue]
	for i := range 13 {
		sendTo(t, c, dlq, fmt.Sprintf(`{"event_id":"evt_%d"}`, i), messages.EventNameReportDue)
	}
	r := cli(t, env.Names, "dlq", "redrive", "--queue", env.Names.Queue(resources.QueueMailerReportDue), "--max", "12")
	if r.Code != 0 || !strings.Contains(r.Stdout, "moved 12 message") {
		t.Fatalf("dlq redrive --max 12: exit %d: %s %s", r.Code, r.Stdout, r.Stderr)
	}
	if d := depthOf(t, c, dlq); d != 1 {
		t.Fatalf("DLQ holds %d messages after moving 12 of 13, want 1", d)
	}
	if d := depthOf(t, c, env.Resource.QueueURLs[resources.QueueMailerReportDue]); d != 12 {
		t.Fatalf("work queue holds %d messages, want 12", d)
	}
}
