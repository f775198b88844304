// Package bus connects services to SNS topics and SQS queues through
// watermill-aws. Topics and queues are never created here: they come from
// `reportctl bootstrap` (local runs, tests) or deploy/cloudformation.
package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsns "github.com/ThreeDotsLabs/watermill-aws/sns"
	wsqs "github.com/ThreeDotsLabs/watermill-aws/sqs"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/platform/lifecycle"
	"github.com/boardpack/boardpack/services/internal/platform/logging"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/internal/platform/tracing"
)

// Logger adapts slog for watermill, one level quieter so that watermill's
// per-message info lines do not drown the service's own.
func Logger(log *slog.Logger) watermill.LoggerAdapter {
	return watermill.NewSlogLoggerWithLevelMapping(log, map[slog.Level]slog.Level{
		slog.LevelInfo: slog.LevelDebug,
	})
}

// Publisher publishes Boardpack events to their SNS topics. Publish returns
// only once SNS accepted every message.
type Publisher struct {
	pub     message.Publisher
	names   resources.Names
	account resources.Account
}

type topicResolver struct {
	account resources.Account
}

func (r topicResolver) ResolveTopic(_ context.Context, topic string) (wsns.TopicArn, error) {
	return wsns.TopicArn(r.account.TopicARN(topic)), nil
}

// NewPublisher publishes to the deployment's topics (names), whose ARNs are
// built from account without a lookup.
func NewPublisher(cfg aws.Config, names resources.Names, account resources.Account, log watermill.LoggerAdapter) (*Publisher, error) {
	pub, err := wsns.NewPublisher(wsns.PublisherConfig{
		AWSConfig:                   cfg,
		DoNotCreateTopicIfNotExists: true,
		TopicResolver:               topicResolver{account: account},
	}, log)
	if err != nil {
		return nil, fmt.Errorf("sns publisher: %w", err)
	}
	return &Publisher{pub: pub, names: names, account: account}, nil
}

// Publish sends events to the topic (a messages.Topic* constant), in order.
func (p *Publisher) Publish(ctx context.Context, topic string, events ...messages.Event) (err error) {
	ctx, span := startPublish(ctx, p.names.Topic(topic), events)
	defer func() { tracing.End(span, err) }()
	msgs := make([]*message.Message, 0, len(events))
	for _, ev := range events {
		msg, err := NewMessage(ctx, ev)
		if err != nil {
			return err
		}
		msgs = append(msgs, msg)
	}
	if err := p.pub.Publish(p.names.Topic(topic), msgs...); err != nil {
		return fmt.Errorf("publish to %s: %w", topic, err)
	}
	return nil
}

// Close releases the publisher.
func (p *Publisher) Close() error { return p.pub.Close() }

// NewMessage encodes an event as a watermill message: the JSON document as
// payload, the event id as message UUID, and a small set of metadata:
// tenant id, event name, correlation id and, with tracing on, the
// traceparent of ctx's span (the publish span). With watermill-aws's UUID
// attribute that is five message attributes, within raw delivery's ten
// (TestMessageAttributesWithinRawDeliveryLimit).
func NewMessage(ctx context.Context, ev messages.Event) (*message.Message, error) {
	h := ev.EventHeader()
	payload, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("encode %s %s: %w", ev.Name(), h.EventID, err)
	}
	msg := message.NewMessage(h.EventID, payload)
	msg.Metadata.Set(messages.MetadataTenantID, h.TenantID)
	msg.Metadata.Set(messages.MetadataEventName, ev.Name())
	cid := CorrelationID(ctx)
	if cid == "" {
		cid = h.EventID
	}
	middleware.SetCorrelationID(cid, msg)
	tracing.Inject(ctx, msg.Metadata)
	return msg, nil
}

// MaxMessageAttributes is SNS raw delivery's limit: a message with more
// attributes is dropped silently on its way to SQS.
const MaxMessageAttributes = 10

type correlationKey struct{}

// WithCorrelationID carries a correlation id to the messages published
// while handling a request or a message.
func WithCorrelationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// CorrelationID returns the id set by WithCorrelationID, or "".
func CorrelationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}

// SubscriberConfig says how a service reads its queue.
type SubscriberConfig struct {
	// Queue is the deployed queue name (resources.Names.Queue).
	Queue string
	// Workers is how many receive loops run at once (ConsumeWorkers).
	Workers int
	// BatchSize is how many messages one ReceiveMessage asks for (1-10).
	BatchSize int32
	// Linger is how long a receive loop of BatchSubscriber waits after a
	// partial batch before it receives again, so that at moderate load
	// batches fill (fewer receives and deletes per message) at the cost
	// of up to Linger of latency. Zero receives again at once.
	Linger time.Duration
}

// DefaultReceiveLinger is the services' SubscriberConfig.Linger. Measured
// with BenchmarkIngest (1,500 events, 8 closed-loop senders, one run
// each): no linger gave 0.95 AWS requests per event over all services,
// 80 ms 0.78 and 150 ms 0.75, for 40-150 ms more webhook-to-read-model
// latency at p50. 50 ms takes most of the gain for a latency no report
// or alert notices.
const DefaultReceiveLinger = 50 * time.Millisecond

// DefaultReceiveWorkers is the aggregator's and the alerter's number of
// receive loops. One loop keeps two received batches in hand (pipelined),
// which carries the load moto can deliver; more loops help only with a
// backlog, since while the queue is shallow BatchSubscriber's loops poll
// one at a time anyway. Measured with BenchmarkIngest (500 events, 8
// closed-loop senders, one run each): two loops took 0.130 receives per
// event at the aggregator and 0.124 at the alerter, one loop 0.106 and
// 0.110. (Our reading, not measured: with two loops up to four batches
// are in hand, so a receive rarely waits for a free slot, and its batch
// has less time to fill.)
const DefaultReceiveWorkers = 1

// NewSubscriber reads a queue that bootstrap or CloudFormation created.
func NewSubscriber(cfg aws.Config, sc SubscriberConfig, log watermill.LoggerAdapter) (*wsqs.Subscriber, error) {
	if sc.BatchSize < 1 || sc.BatchSize > 10 {
		sc.BatchSize = 10
	}
	sub, err := wsqs.NewSubscriber(wsqs.SubscriberConfig{
		AWSConfig:                   cfg,
		DoNotCreateQueueIfNotExists: true,
		ConsumeWorkers:              sc.Workers,
		GenerateReceiveMessageInput: func(ctx context.Context, url wsqs.QueueURL) (*sqs.ReceiveMessageInput, error) {
			return &sqs.ReceiveMessageInput{
				QueueUrl:              aws.String(string(url)),
				MessageAttributeNames: []string{"All"},
				WaitTimeSeconds:       20,
				MaxNumberOfMessages:   sc.BatchSize,
			}, nil
		},
	}, log)
	if err != nil {
		return nil, fmt.Errorf("sqs subscriber for %s: %w", sc.Queue, err)
	}
	return sub, nil
}

// ErrPermanent marks a message that can never succeed (no tenant, bad
// JSON): it is not retried in-process and reaches the DLQ after the
// queue's redrive count.
var ErrPermanent = errors.New("permanent failure")

// Permanent wraps err as a permanent failure.
func Permanent(err error) error { return fmt.Errorf("%w: %w", ErrPermanent, err) }

// NewRouter returns a router with the middleware every consumer wants:
// panics recovered into errors, correlation ids kept, a handler timeout
// well inside the visibility timeout, and a short in-process retry of
// transient errors (the queue's redelivery is the long retry).
func NewRouter(log watermill.LoggerAdapter, handlerTimeout time.Duration) (*message.Router, error) {
	r, err := message.NewRouter(message.RouterConfig{CloseTimeout: handlerTimeout}, log)
	if err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	retry := middleware.Retry{
		MaxRetries:      3,
		InitialInterval: 100 * time.Millisecond,
		MaxInterval:     2 * time.Second,
		Multiplier:      2,
		MaxElapsedTime:  handlerTimeout / 2,
		ShouldRetry:     func(p middleware.RetryParams) bool { return !errors.Is(p.Err, ErrPermanent) },
		// Each attempt gets a fresh handler timeout, not the expired
		// context of the attempt before.
		ResetContextOnRetry: true,
	}
	r.AddMiddleware(
		middleware.CorrelationID,
		handling,
		// The retry's log lines name the message they are about (watermill's
		// own name neither).
		func(h message.HandlerFunc) message.HandlerFunc {
			return func(msg *message.Message) ([]*message.Message, error) {
				rt := retry
				rt.Logger = log.With(watermill.LogFields{
					logging.KeyCorrelationID: middleware.MessageCorrelationID(msg),
					logging.KeyMessageID:     msg.UUID,
				})
				return rt.Middleware(h)(msg)
			}
		},
		middleware.Timeout(handlerTimeout),
		middleware.Recoverer,
	)
	return r, nil
}

// Decode reads a message's JSON payload into v and refuses a message whose
// tenant is missing or invalid, as a permanent failure.
func Decode[T interface {
	messages.Event
	Validate() error
}](msg *message.Message) (T, error) {
	var v T
	if err := json.Unmarshal(msg.Payload, &v); err != nil {
		return v, Permanent(fmt.Errorf("decode message %s: %w", msg.UUID, err))
	}
	if err := v.Validate(); err != nil {
		return v, Permanent(fmt.Errorf("invalid %s %s: %w", v.Name(), msg.UUID, err))
	}
	if meta := msg.Metadata.Get(messages.MetadataTenantID); meta != "" && meta != v.EventHeader().TenantID {
		return v, Permanent(fmt.Errorf("message %s: metadata tenant %q differs from payload tenant %q", msg.UUID, meta, v.EventHeader().TenantID))
	}
	return v, nil
}

// RouterComponent runs a watermill router under a lifecycle.Runner. The
// stop is the router's Close: it stops receiving and waits, up to the
// router's CloseTimeout (the handler timeout), for the handlers that are
// running; grace bounds that wait from the runner's side and should be a
// little longer. The router's own context is cancelled only if the drain
// overruns.
func RouterComponent(name string, r *message.Router, grace time.Duration) lifecycle.Component {
	return lifecycle.Component{
		Name: name,
		Run: func(ctx context.Context) error {
			if err := r.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				return fmt.Errorf("router: %w", err)
			}
			return nil
		},
		Drain: func(context.Context) error {
			if err := r.Close(); err != nil {
				return fmt.Errorf("close router: %w", err)
			}
			return nil
		},
		Timeout: grace,
	}
}
