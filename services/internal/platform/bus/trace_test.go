package bus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/logging"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/internal/platform/tracing"
)

// rawAttributes receives one message from the aggregator queue as SQS
// hands it out, returns its message attributes, and makes it visible
// again at once for the next reader.
func rawAttributes(t *testing.T, env mototest.Env) map[string]string {
	t.Helper()
	c := sqs.NewFromConfig(env.AWS)
	url := env.Resource.QueueURLs[resources.QueueAggregatorMetrics]
	out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), MaxNumberOfMessages: 1, WaitTimeSeconds: 10, MessageAttributeNames: []string{"All"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("%d messages in the queue, want 1", len(out.Messages))
	}
	m := out.Messages[0]
	if _, err := c.ChangeMessageVisibility(context.Background(), &sqs.ChangeMessageVisibilityInput{
		QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0,
	}); err != nil {
		t.Fatal(err)
	}
	attrs := map[string]string{}
	for k, v := range m.MessageAttributes {
		attrs[k] = aws.ToString(v.StringValue)
	}
	return attrs
}

// Trace context travels in one message attribute, and the whole set
// stays within SNS raw delivery's limit of ten (beyond it SNS drops the
// message silently). With tracing off no attribute is added.
func TestMessageAttributesWithinRawDeliveryLimit(t *testing.T) {
	for _, on := range []bool{false, true} {
		env := mototest.Bootstrap(t, resources.Spec{})
		ctx := bus.WithCorrelationID(context.Background(), "evt_corr")
		if on {
			rec := tracetest.NewSpanRecorder()
			defer tracing.Use(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))()
		}
		p := bus.NewGroupPublisherFromConfig(env.AWS, env.Names, env.Account, bus.GroupConfig{}, watermill.NopLogger{})
		if err := p.Publish(ctx, messages.TopicMetrics, metric("attr"+mototest.UniqueID())); err != nil {
			t.Fatal(err)
		}
		_ = p.Close()
		attrs := rawAttributes(t, env)
		if len(attrs) > bus.MaxMessageAttributes {
			t.Errorf("tracing on=%t: %d message attributes %v, raw delivery drops more than %d", on, len(attrs), attrs, bus.MaxMessageAttributes)
		}
		if _, ok := attrs[tracing.MetadataTraceparent]; ok != on {
			t.Errorf("tracing on=%t: traceparent present=%t (attributes %v)", on, ok, attrs)
		}
		if attrs["correlation_id"] != "evt_corr" {
			t.Errorf("correlation_id %q, want the publisher's", attrs["correlation_id"])
		}
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// One trace runs from the publisher's span through SNS and SQS to the
// handler's work, and the handler's log lines carry the message's
// correlation id and that trace's id.
func TestTraceAcrossTheBus(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	defer tracing.Use(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))()
	env := mototest.Bootstrap(t, resources.Spec{})

	ctx, root := tracing.Start(context.Background(), "webhook", trace.WithSpanKind(trace.SpanKindServer))
	ctx = bus.WithCorrelationID(ctx, "evt_corr")
	ev := metric("trace" + mototest.UniqueID())
	p := bus.NewGroupPublisherFromConfig(env.AWS, env.Names, env.Account, bus.GroupConfig{}, watermill.NopLogger{})
	if err := p.Publish(ctx, messages.TopicMetrics, ev); err != nil {
		t.Fatal(err)
	}
	_ = p.Close()
	root.End()

	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	queue := env.Names.Queue(resources.QueueAggregatorMetrics)
	sub := bus.NewBatchSubscriber(env.AWS, bus.SubscriberConfig{Queue: queue, Workers: 1}, watermill.NopLogger{})
	router, err := bus.NewRouter(bus.Logger(log), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string, 1)
	attempts := 0
	router.AddConsumerHandler("trace_test", queue, sub, func(msg *message.Message) error {
		if attempts++; attempts == 1 {
			return errors.New("transient") // retried in process, and logged
		}
		ctx, span := tracing.Start(msg.Context(), "write")
		defer span.End()
		logging.For(ctx, log).Info("handled")
		select {
		case done <- bus.CorrelationID(msg.Context()):
		default:
		}
		return nil
	})
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = router.Run(runCtx) }()
	var cid string
	select {
	case cid = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the message was not handled within 30s")
	}
	_ = router.Close()
	if cid != "evt_corr" {
		t.Errorf("the handler's context carries correlation id %q, want the publisher's (what it publishes keeps it)", cid)
	}

	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range rec.Ended() {
		byName[s.Name()] = s
	}
	send, process, write := byName["send "+env.Names.Topic(messages.TopicMetrics)], byName["process "+queue], byName["write"]
	if send == nil || process == nil || write == nil {
		t.Fatalf("spans %v: want send, process and write", slices.Sorted(maps.Keys(byName)))
	}
	traceID := root.SpanContext().TraceID()
	for _, c := range []struct {
		span   sdktrace.ReadOnlySpan
		parent trace.SpanContext
		kind   trace.SpanKind
	}{
		{send, root.SpanContext(), trace.SpanKindProducer},
		{process, send.SpanContext(), trace.SpanKindConsumer},
		{write, process.SpanContext(), trace.SpanKindInternal},
	} {
		if c.span.SpanContext().TraceID() != traceID || c.span.Parent().SpanID() != c.parent.SpanID() || c.span.SpanKind() != c.kind {
			t.Errorf("span %q: trace %v parent %v kind %v, want trace %v parent %v kind %v", c.span.Name(),
				c.span.SpanContext().TraceID(), c.span.Parent().SpanID(), c.span.SpanKind(), traceID, c.parent.SpanID(), c.kind)
		}
	}
	if !process.Parent().IsRemote() {
		t.Error("the consumer span's parent should be the remote publisher span")
	}

	// The retry's line (watermill's) and the handler's own name the
	// message; the handler's also its trace.
	lines := map[string]map[string]any{}
	for _, l := range bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n")) {
		var line map[string]any
		if err := json.Unmarshal(l, &line); err != nil {
			t.Fatalf("log %q: %v", l, err)
		}
		lines[fmt.Sprint(line["msg"])] = line
	}
	for _, c := range []struct {
		msg  string
		want map[string]string
	}{
		{"Error occurred, retrying", map[string]string{logging.KeyCorrelationID: "evt_corr", logging.KeyMessageID: ev.EventID}},
		{"handled", map[string]string{logging.KeyCorrelationID: "evt_corr", logging.KeyMessageID: ev.EventID, logging.KeyTraceID: traceID.String()}},
	} {
		line, ok := lines[c.msg]
		if !ok {
			t.Errorf("no log line %q in %s", c.msg, logs.Bytes())
			continue
		}
		for k, want := range c.want {
			if line[k] != want {
				t.Errorf("log line %q: %s = %v, want %q", c.msg, k, line[k], want)
			}
		}
	}
}
