package bus_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// A nacked message must not hold back its batch-mates: they are handled
// concurrently and deleted with one request, while the nacked one stays.
func TestBatchSubscriberDeletesAckedBatchAndKeepsNacked(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{VisibilityTimeout: 2 * time.Second, MaxReceiveCount: 100})
	queue := env.Names.Queue(resources.QueueAggregatorMetrics)
	url := env.Resource.QueueURLs[resources.QueueAggregatorMetrics]
	c := sqs.NewFromConfig(env.AWS)
	ctx := context.Background()
	var entries []sqstypes.SendMessageBatchRequestEntry
	for i := range 10 {
		entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(strconv.Itoa(i))})
	}
	if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries}); err != nil {
		t.Fatal(err)
	}

	sub := bus.NewBatchSubscriber(env.AWS, bus.SubscriberConfig{Queue: queue, Workers: 1, BatchSize: 10}, watermill.NopLogger{})
	msgs, err := sub.Subscribe(ctx, queue)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	concurrent, maxConcurrent := 0, 0
	var wg sync.WaitGroup
	deadline := time.After(30 * time.Second)
	for handled := 0; handled < 10; {
		select {
		case msg := <-msgs:
			handled++
			wg.Add(1)
			go func() {
				defer wg.Done()
				mu.Lock()
				seen[string(msg.Payload)]++
				concurrent++
				maxConcurrent = max(maxConcurrent, concurrent)
				mu.Unlock()
				time.Sleep(200 * time.Millisecond)
				mu.Lock()
				concurrent--
				mu.Unlock()
				if string(msg.Payload) == "3" {
					msg.Nack()
					return
				}
				msg.Ack()
			}()
		case <-deadline:
			t.Fatalf("only %d of 10 messages handed out", handled)
		}
	}
	wg.Wait()
	// The nacked message comes back after the visibility timeout; the
	// nine others never do.
	select {
	case msg := <-msgs:
		if string(msg.Payload) != "3" {
			t.Fatalf("redelivered %q, want only the nacked message 3", msg.Payload)
		}
		msg.Ack()
	case <-time.After(30 * time.Second):
		t.Fatal("the nacked message never came back")
	}
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if maxConcurrent < 2 {
		t.Errorf("handled at most %d messages at once: the batch was handed out one by one", maxConcurrent)
	}
	out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Attributes["ApproximateNumberOfMessages"] != "0" || out.Attributes["ApproximateNumberOfMessagesNotVisible"] != "0" {
		t.Errorf("queue not empty after all were acked: %v", out.Attributes)
	}
}

// The subscriber works under the router, with its middleware.
func TestBatchSubscriberUnderRouter(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	queue := env.Names.Queue(resources.QueueAggregatorMetrics)
	url := env.Resource.QueueURLs[resources.QueueAggregatorMetrics]
	c := sqs.NewFromConfig(env.AWS)
	for i := range 25 {
		if _, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
	}
	router, err := bus.NewRouter(watermill.NopLogger{}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[string]bool{}
	done := make(chan struct{})
	router.AddConsumerHandler("h", queue, bus.NewBatchSubscriber(env.AWS, bus.SubscriberConfig{Queue: queue, Workers: 2}, watermill.NopLogger{}),
		func(msg *message.Message) error {
			mu.Lock()
			defer mu.Unlock()
			got[string(msg.Payload)] = true
			if len(got) == 25 {
				select {
				case <-done:
				default:
					close(done)
				}
			}
			return nil
		})
	go func() { _ = router.Run(context.Background()) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("handled %d of 25", len(got))
	}
	if err := router.Close(); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}

// After a partial batch a receive loop lingers before it receives again,
// so that messages arriving meanwhile share one receive (and one delete);
// Close does not wait out the linger.
func TestBatchSubscriberLingersAfterAPartialBatch(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{VisibilityTimeout: 30 * time.Second, MaxReceiveCount: 100})
	queue := env.Names.Queue(resources.QueueAggregatorMetrics)
	url := env.Resource.QueueURLs[resources.QueueAggregatorMetrics]
	c := sqs.NewFromConfig(env.AWS)
	ctx := context.Background()
	send := func(body string) {
		t.Helper()
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	send("first")
	for _, linger := range []time.Duration{time.Hour, 0} {
		sub := bus.NewBatchSubscriber(env.AWS, bus.SubscriberConfig{Queue: queue, Workers: 1, BatchSize: 10, Linger: linger}, watermill.NopLogger{})
		msgs, err := sub.Subscribe(ctx, queue)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case msg := <-msgs:
			msg.Ack()
		case <-time.After(30 * time.Second):
			t.Fatalf("linger %s: the first message was not handed out", linger)
		}
		send("second")
		select {
		case msg := <-msgs:
			msg.Ack()
			if linger > 0 {
				t.Fatalf("linger %s: %q received again at once after a partial batch", linger, msg.Payload)
			}
		case <-time.After(3 * time.Second):
			if linger == 0 {
				t.Fatal("no linger: the second message was not received within 3 s")
			}
		}
		closed := make(chan error, 1)
		go func() { closed <- sub.Close() }()
		select {
		case err := <-closed:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("linger %s: Close waited out the linger", linger)
		}
	}
}

// The linger holds for every receive loop of a subscription: after a
// partial batch, no other loop's long poll picks up the next message
// before the linger ends. A backlog still leaves in full batches, none of
// which lingers.
func TestBatchSubscriberLoopsShareTheLinger(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{VisibilityTimeout: 30 * time.Second, MaxReceiveCount: 100})
	c := sqs.NewFromConfig(env.AWS)
	ctx := context.Background()
	send := func(q string, n int) {
		t.Helper()
		var entries []sqstypes.SendMessageBatchRequestEntry
		for i := range n {
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(strconv.Itoa(i))})
		}
		if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(env.Resource.QueueURLs[q]), Entries: entries}); err != nil {
			t.Fatal(err)
		}
	}
	subscribe := func(q string) (<-chan *message.Message, *bus.BatchSubscriber) {
		t.Helper()
		sub := bus.NewBatchSubscriber(env.AWS, bus.SubscriberConfig{Queue: env.Names.Queue(q), Workers: 4, BatchSize: 10, Linger: time.Hour}, watermill.NopLogger{})
		t.Cleanup(func() { _ = sub.Close() })
		msgs, err := sub.Subscribe(ctx, env.Names.Queue(q))
		if err != nil {
			t.Fatal(err)
		}
		return msgs, sub
	}
	take := func(msgs <-chan *message.Message, n int, what string) {
		t.Helper()
		for i := range n {
			select {
			case msg := <-msgs:
				msg.Ack()
			case <-time.After(30 * time.Second):
				t.Fatalf("%s: %d of %d handed out", what, i, n)
			}
		}
	}

	msgs, sub := subscribe(resources.QueueAggregatorMetrics)
	send(resources.QueueAggregatorMetrics, 1)
	take(msgs, 1, "first message")
	send(resources.QueueAggregatorMetrics, 1)
	select {
	case msg := <-msgs:
		msg.Ack()
		t.Fatalf("message %q received at once after a partial batch, by another receive loop", msg.Payload)
	case <-time.After(3 * time.Second):
	}
	_ = sub.Close()

	msgs, _ = subscribe(resources.QueueAlerterMetrics)
	for range 3 {
		send(resources.QueueAlerterMetrics, 10)
	}
	take(msgs, 30, "a backlog of three full batches")
}
