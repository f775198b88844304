package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

func TestMain(m *testing.M) { mototest.Main(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// startAggregator runs the service in-process until the test ends and
// checks that it shut down cleanly.
func startAggregator(t *testing.T, env mototest.Env, writes string) string {
	t.Helper()
	port, err := mototest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{Names: env.Names, HTTPAddr: fmt.Sprintf("127.0.0.1:%d", port), Workers: 4, BatchSize: 10, HandlerTimeout: 10 * time.Second,
		Writes: writes, Linger: 5 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, quiet, cfg) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("aggregator shutdown: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("aggregator did not stop within 30s")
		}
	})
	base := "http://" + cfg.HTTPAddr
	waitFor(t, 20*time.Second, "aggregator ready", func() (bool, error) {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	return base
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ok, err := cond()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached after %s", what, limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// scrape returns the sum of a counter's series from /metrics.
func scrape(t testing.TB, base, name string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var sum float64
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		sum += v
	}
	return sum
}

func queueDepth(ctx context.Context, c *sqs.Client, url string) (int, error) {
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		return 0, err
	}
	a, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	b, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return a + b, nil
}

func newPublisher(t *testing.T, env mototest.Env) *bus.Publisher {
	t.Helper()
	pub, err := bus.NewPublisher(env.AWS, env.Names, env.Account, bus.Logger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close() })
	return pub
}

func TestPublishedEventsBecomeFactsOnce(t *testing.T) {
	for _, writes := range []string{writesBatch, writesConditional} {
		t.Run(writes, func(t *testing.T) { testPublishedEventsBecomeFactsOnce(t, writes) })
	}
}

func testPublishedEventsBecomeFactsOnce(t *testing.T, writes string) {
	env := mototest.Bootstrap(t, resources.Spec{VisibilityTimeout: 5 * time.Second, MaxReceiveCount: 2})
	base := startAggregator(t, env, writes)
	pub := newPublisher(t, env)
	ctx := context.Background()

	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	var events []messages.Event
	var want int64
	for i := range 20 {
		e := messages.MetricEvent{
			Header: messages.Header{EventID: fmt.Sprintf("evt_%02d", i), TenantID: "jada", OccurredAt: t0.Add(time.Duration(i) * time.Hour), Source: messages.SourceStripe},
			Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: int64(100 * (i + 1)), Currency: "USD",
		}
		want += e.Value
		events = append(events, e)
	}
	// Every event twice, the second round reversed: Stripe's duplicates.
	for i := len(events) - 1; i >= 0; i-- {
		events = append(events, events[i])
	}
	finding := messages.Finding{
		Header:    messages.Header{EventID: "evt_finding", TenantID: "jada", OccurredAt: t0, Source: messages.SourceAWS},
		FindingID: "cloudfront-waf:E123", Check: "cloudfront-waf", Resource: "E123", Severity: messages.SeverityHigh, Status: messages.FindingOpen, Title: "No WAF",
	}
	events = append(events, finding, finding)
	if err := pub.Publish(ctx, messages.TopicMetrics, events...); err != nil {
		t.Fatal(err)
	}

	sqsc := sqs.NewFromConfig(env.AWS)
	waitFor(t, 60*time.Second, "all 42 deliveries handled", func() (bool, error) {
		n := scrape(t, base, "boardpack_aggregator_facts_written_total") + scrape(t, base, "boardpack_aggregator_duplicates_total")
		return n >= 42, nil
	})
	waitFor(t, 30*time.Second, "queue drained", func() (bool, error) {
		d, err := queueDepth(ctx, sqsc, env.Resource.QueueURLs[resources.QueueAggregatorMetrics])
		return d == 0, err
	})
	// Conditional writes tell new facts from redeliveries; batched writes
	// rewrite identical items and cannot (readmodel.WriteBatch). The read
	// model below is the same either way.
	wantWritten, wantDup := 21.0, 21.0
	if writes == writesBatch {
		wantWritten, wantDup = 42, 0
	}
	if got := scrape(t, base, "boardpack_aggregator_facts_written_total"); got != wantWritten {
		t.Errorf("facts written = %v, want %v", got, wantWritten)
	}
	if got := scrape(t, base, "boardpack_aggregator_duplicates_total"); got != wantDup {
		t.Errorf("duplicates = %v, want %v", got, wantDup)
	}

	store := readmodel.Store{DB: dynamodb.NewFromConfig(env.AWS), Table: env.Names.Table}
	facts, err := store.Facts(ctx, "jada", messages.MetricRevenueGross, time.Time{}, t0.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(facts) != 20 {
		t.Errorf("stored %d facts, want 20", len(facts))
	}
	if got := readmodel.Sum(facts, t0, t0.AddDate(0, 1, 0)); got != want {
		t.Errorf("gross revenue = %d, want %d", got, want)
	}
	findings, err := store.Findings(ctx, "jada", t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if open := readmodel.OpenFindings(findings); len(open) != 1 || open[0].FindingID != finding.FindingID {
		t.Errorf("open findings = %+v, want %s", open, finding.FindingID)
	}
}

func TestTenantlessMessageReachesTheDLQAfterTheRedriveCount(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{VisibilityTimeout: time.Second, MaxReceiveCount: 2})
	base := startAggregator(t, env, writesBatch)
	ctx := context.Background()

	// Published straight to SNS, as a broken producer would: no tenant in
	// the payload nor in the attributes.
	body := `{"event_id":"evt_orphan","occurred_at":"2026-11-01T00:00:00Z","source":"stripe","metric":"revenue.gross","kind":"additive","value":100,"currency":"USD"}`
	_, err := sns.NewFromConfig(env.AWS).Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(env.Resource.TopicARNs[messages.TopicMetrics]),
		Message:  aws.String(body),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			messages.MetadataEventName: {DataType: aws.String("String"), StringValue: aws.String(messages.EventNameMetric)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	sqsc := sqs.NewFromConfig(env.AWS)
	dlq := env.Resource.DLQURLs[resources.QueueAggregatorMetrics]
	waitFor(t, 60*time.Second, "message in the DLQ", func() (bool, error) {
		d, err := queueDepth(ctx, sqsc, dlq)
		return d == 1, err
	})
	if got := scrape(t, base, "boardpack_aggregator_rejected_total"); got != 2 {
		t.Errorf("rejections = %v, want 2 (one per delivery, MaxReceiveCount 2)", got)
	}
	if got := scrape(t, base, "boardpack_aggregator_facts_written_total"); got != 0 {
		t.Errorf("facts written = %v, want 0", got)
	}
	out, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq), MaxNumberOfMessages: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != body {
		t.Fatalf("DLQ holds %+v, want the refused message", out.Messages)
	}
}

// While the table is unavailable every write fails; the message must
// survive (retried in process, then redelivered by the queue) and be
// recorded once the table is back.
func TestTransientWriteFailuresAreRetriedNotLost(t *testing.T) {
	spec := resources.Spec{VisibilityTimeout: time.Second, MaxReceiveCount: 100}
	env := mototest.Bootstrap(t, spec)
	spec.Names = env.Names
	ctx := context.Background()
	db := dynamodb.NewFromConfig(env.AWS)
	if _, err := db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(env.Names.Table)}); err != nil {
		t.Fatal(err)
	}
	port, err := mototest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{Names: env.Names, HTTPAddr: fmt.Sprintf("127.0.0.1:%d", port), Workers: 2, BatchSize: 10, HandlerTimeout: 5 * time.Second}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- serve(runCtx, quiet, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("aggregator shutdown: %v", err)
		}
	})
	base := "http://" + cfg.HTTPAddr
	// Under load the server may take a while to listen: scrape once it does.
	waitFor(t, 30*time.Second, "aggregator listening", func() (bool, error) {
		select {
		case err := <-done:
			done <- err // for the cleanup
			return false, fmt.Errorf("the aggregator stopped: %v", err)
		default:
		}
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return true, nil
	})

	e := sampleMetric("evt_survivor")
	if err := newPublisher(t, env).Publish(ctx, messages.TopicMetrics, e); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "failed writes", func() (bool, error) {
		return scrape(t, base, "boardpack_aggregator_write_failures_total") >= 2, nil
	})
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz without the table: %d, want 503", resp.StatusCode)
	}
	if _, err := resources.Bootstrap(ctx, env.AWS, spec); err != nil { // the table comes back
		t.Fatal(err)
	}
	store := readmodel.Store{DB: db, Table: env.Names.Table}
	waitFor(t, 60*time.Second, "fact recorded after the outage", func() (bool, error) {
		facts, err := store.Facts(ctx, e.TenantID, e.Metric, time.Time{}, e.OccurredAt.Add(time.Second))
		return len(facts) == 1, err
	})
	if d, err := queueDepth(ctx, sqs.NewFromConfig(env.AWS), env.Resource.DLQURLs[resources.QueueAggregatorMetrics]); err != nil || d != 0 {
		t.Errorf("DLQ holds %d (err %v), want 0", d, err)
	}
}

func sampleMetric(id string) messages.MetricEvent {
	return messages.MetricEvent{
		Header: messages.Header{EventID: id, TenantID: "jada", OccurredAt: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC), Source: messages.SourceStripe},
		Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: 1200, Currency: "USD",
	}
}
