package bus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsqs "github.com/ThreeDotsLabs/watermill-aws/sqs"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/internal/platform/tracing"
)

// SNS PublishBatch limits.
const (
	// MaxBatchEntries is the most entries one PublishBatch takes.
	MaxBatchEntries = 10
	// MaxBatchBytes is SNS's limit on a whole PublishBatch's payload
	// (messages and attributes together), and on one message.
	MaxBatchBytes = 256 * 1024
)

// Defaults of GroupConfig, and how they were sized (moto on the shared
// 2-core bench machine, so wall times are noisy):
//
//   - BenchmarkPublishBatch: one PublishBatch to moto takes 18 ms for one
//     entry and 135 ms for ten (13.5 ms per entry: moto delivers each
//     entry to SQS on its own). On AWS, and in our own CPU and request
//     counts, ten entries cost one request; on moto they save only the
//     per-request overhead, so moto's SNS takes about 55–75 entries/s
//     here however they are batched.
//   - At 200 webhooks/s one arrives every 5 ms. A window of 10 ms adds at
//     most 10 ms to an answer when the publisher is idle (P7 allows 50 ms).
//     Under load entries also queue behind the requests in flight and the
//     next batch leaves full at once. Measured with BenchmarkIngest (8
//     closed-loop senders, 1,500 events, same machine, one run each):
//     2 ms gave 3.3 entries per PublishBatch and 93 events/s; 5 ms 5.3
//     and 129 events/s; 10 ms 7.8 and 164-170 events/s (fewer, fuller
//     requests are what moto, the bottleneck, handles fastest).
//   - Two requests in flight: one batch forms while the other is being
//     answered. More would only split concurrent webhooks into smaller
//     batches (more requests) without more throughput, since moto handles
//     the entries one after another. In BenchmarkIngest (8 closed-loop
//     senders) batches average about 8 entries at 10 ms (0.13
//     PublishBatch per event, against 1 Publish per event before).
//
// MaxWait bounds how long an entry may queue before its webhook is
// answered 503 (admission control: under overload the queue does not
// grow, and a refused entry is never sent). A webhook admitted into a
// batch still waits for SNS's answer, so its latency is MaxWait plus one
// request's round trip at worst.
const (
	DefaultGroupWindow      = 10 * time.Millisecond
	DefaultGroupMaxInFlight = 2
	DefaultGroupMaxQueued   = 256
	DefaultGroupMaxWait     = 500 * time.Millisecond
)

// ErrBusy is returned when the publisher refused an entry under overload
// (queue full, or not sent within MaxWait). Nothing of it was sent.
var ErrBusy = errors.New("publisher busy")

// ErrRejected marks entries SNS refused individually (SenderFault in a
// PublishBatch answer, e.g. a message over 256 KiB): retrying the same
// entry cannot succeed.
var ErrRejected = errors.New("entry rejected by SNS")

// GroupConfig sizes a GroupPublisher; zero values take the defaults.
type GroupConfig struct {
	// Window is how long the first entry of a batch waits for more when
	// a request slot is free.
	Window time.Duration
	// MaxInFlight bounds concurrent PublishBatch requests.
	MaxInFlight int
	// MaxQueued bounds the requests (webhooks) waiting to be sent; beyond
	// it Publish fails at once with ErrBusy.
	MaxQueued int
	// MaxWait bounds how long a request waits to be sent; past it Publish
	// fails with ErrBusy and its entries are never sent.
	MaxWait time.Duration
}

func (c *GroupConfig) setDefaults() {
	if c.Window <= 0 {
		c.Window = DefaultGroupWindow
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = DefaultGroupMaxInFlight
	}
	if c.MaxQueued <= 0 {
		c.MaxQueued = DefaultGroupMaxQueued
	}
	if c.MaxWait <= 0 {
		c.MaxWait = DefaultGroupMaxWait
	}
}

// SNSBatchAPI is what GroupPublisher needs of SNS.
type SNSBatchAPI interface {
	PublishBatch(context.Context, *sns.PublishBatchInput, ...func(*sns.Options)) (*sns.PublishBatchOutput, error)
}

// GroupPublisher is group commit for SNS: concurrent Publish calls wait
// at most Window and leave together in one PublishBatch (up to 10
// entries, 256 KiB). Each call returns only once its own entries were
// accepted, and fails alone when SNS refuses one of its entries. Messages
// are encoded exactly as Publisher's (watermill-aws's marshaler: payload,
// the watermill UUID attribute and NewMessage's metadata: four
// attributes, five with tracing on, well under raw delivery's ten), so subscribers cannot tell
// them apart.
//
// A call whose context ends, or that waited MaxWait, before its batch was
// sent is withdrawn: its entries are never sent, so an answer of 503 is
// never followed by a publish. Once its batch is sent, the call waits for
// SNS's answer; the request carries the earliest deadline of its callers,
// so no caller waits past its own.
type GroupPublisher struct {
	api     SNSBatchAPI
	names   resources.Names
	account resources.Account
	cfg     GroupConfig
	log     watermill.LoggerAdapter

	mu      sync.Mutex
	topics  map[string]*groupTopic
	closing chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
}

// NewGroupPublisher publishes to the deployment's topics through api.
func NewGroupPublisher(api SNSBatchAPI, names resources.Names, account resources.Account, cfg GroupConfig, log watermill.LoggerAdapter) *GroupPublisher {
	cfg.setDefaults()
	return &GroupPublisher{api: api, names: names, account: account, cfg: cfg, log: log,
		topics: map[string]*groupTopic{}, closing: make(chan struct{})}
}

// NewGroupPublisherFromConfig is NewGroupPublisher with an SNS client
// built from cfg.
func NewGroupPublisherFromConfig(cfg aws.Config, names resources.Names, account resources.Account, gc GroupConfig, log watermill.LoggerAdapter) *GroupPublisher {
	return NewGroupPublisher(sns.NewFromConfig(cfg), names, account, gc, log)
}

// Config is the effective configuration (defaults applied).
func (p *GroupPublisher) Config() GroupConfig { return p.cfg }

// groupRequest is one Publish call's share of a batch: all its entries
// travel in one PublishBatch, so it succeeds or fails as one.
type groupRequest struct {
	ctx      context.Context
	entries  []snstypes.PublishBatchRequestEntry
	size     int
	enqueued time.Time
	// state: queued → sending (the loop took it) or queued → withdrawn
	// (the caller gave up first). Whoever wins the swap decides.
	state atomic.Int32
	done  chan error
}

const (
	stateQueued int32 = iota
	stateSending
	stateWithdrawn
)

type groupTopic struct {
	arn string
	in  chan *groupRequest
}

// Publish sends events to the topic and returns once SNS accepted all of
// them. More than 10 events (or 256 KiB) go in consecutive requests.
func (p *GroupPublisher) Publish(ctx context.Context, topic string, events ...messages.Event) (err error) {
	if len(events) == 0 {
		return nil
	}
	ctx, span := startPublish(ctx, p.names.Topic(topic), events)
	defer func() { tracing.End(span, err) }()
	t := p.topic(topic)
	var (
		chunk []snstypes.PublishBatchRequestEntry
		size  int
	)
	for _, ev := range events {
		e, n, err := encodeEntry(ctx, ev)
		if err != nil {
			return err
		}
		if len(chunk) == MaxBatchEntries || (len(chunk) > 0 && size+n > MaxBatchBytes) {
			if err := p.send(ctx, t, chunk, size); err != nil {
				return fmt.Errorf("publish to %s: %w", topic, err)
			}
			chunk, size = nil, 0
		}
		chunk, size = append(chunk, e), size+n
	}
	if err := p.send(ctx, t, chunk, size); err != nil {
		return fmt.Errorf("publish to %s: %w", topic, err)
	}
	return nil
}

func (p *GroupPublisher) send(ctx context.Context, t *groupTopic, entries []snstypes.PublishBatchRequestEntry, size int) error {
	r := &groupRequest{ctx: ctx, entries: entries, size: size, enqueued: time.Now(), done: make(chan error, 1)}
	select {
	case t.in <- r:
	default:
		return ErrBusy
	}
	wait := time.NewTimer(p.cfg.MaxWait)
	defer wait.Stop()
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		if r.state.CompareAndSwap(stateQueued, stateWithdrawn) {
			return ctx.Err()
		}
	case <-wait.C:
		if r.state.CompareAndSwap(stateQueued, stateWithdrawn) {
			return ErrBusy
		}
	}
	// Already sent: SNS's answer decides (the request's deadline is at
	// most this caller's).
	return <-r.done
}

func (p *GroupPublisher) topic(name string) *groupTopic {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t, ok := p.topics[name]; ok {
		return t
	}
	t := &groupTopic{arn: p.account.TopicARN(p.names.Topic(name)), in: make(chan *groupRequest, p.cfg.MaxQueued)}
	p.topics[name] = t
	p.wg.Add(1)
	go func() { defer p.wg.Done(); p.run(t) }()
	return t
}

// run forms batches for one topic: it takes a request slot first, then
// fills a batch from what is queued (waiting up to Window for more only
// if another batch is in flight or the batch before was shared, and the
// first entry has not waited that long already), and sends it aside.
// While every slot is busy, entries queue and the next batch leaves full.
func (p *GroupPublisher) run(t *groupTopic) {
	slots := make(chan struct{}, p.cfg.MaxInFlight)
	var carry *groupRequest
	// lastShared is how many requests the latest batch sent carried.
	lastShared := 0
	for {
		first := carry
		carry = nil
		if first == nil {
			select {
			case first = <-t.in:
			case <-p.closing:
				return
			}
		}
		select {
		case slots <- struct{}{}:
		case <-p.closing:
			first.done <- ErrBusy
			return
		}
		// Sparse traffic (no other batch in flight, and the batch before
		// carried a single request): nothing is gained by waiting, so the
		// batch leaves with what is queued now. Busy, or steady traffic
		// (the batch before was shared): it waits up to Window for more.
		// Sending at once whenever no batch was in flight, whatever the
		// traffic, halved the entries per PublishBatch under
		// BenchmarkIngest's steady load (4.2 instead of 7.9 per request):
		// every answer found the publisher idle for an instant.
		window := p.cfg.Window
		if len(slots) == 1 && lastShared <= 1 {
			window = 0
		}
		batch, size := p.take(nil, 0, first)
		timer := time.NewTimer(max(window-time.Since(first.enqueued), 0))
	fill:
		for countEntries(batch) < MaxBatchEntries {
			var r *groupRequest
			// What is already queued first: a timer that has fired must
			// not cut a batch short while callers wait.
			select {
			case r = <-t.in:
			default:
				select {
				case r = <-t.in:
				case <-timer.C:
					break fill
				}
			}
			if countEntries(batch)+len(r.entries) > MaxBatchEntries || (size > 0 && size+r.size > MaxBatchBytes) {
				carry = r
				break fill
			}
			batch, size = p.take(batch, size, r)
		}
		timer.Stop()
		if len(batch) == 0 {
			<-slots
			continue
		}
		lastShared = len(batch)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer func() { <-slots }()
			p.publishBatch(t.arn, batch)
		}()
	}
}

// take adds r to the batch unless its caller withdrew it.
func (p *GroupPublisher) take(batch []*groupRequest, size int, r *groupRequest) ([]*groupRequest, int) {
	if !r.state.CompareAndSwap(stateQueued, stateSending) {
		return batch, size // withdrawn: never sent
	}
	return append(batch, r), size + r.size
}

func countEntries(batch []*groupRequest) int {
	n := 0
	for _, r := range batch {
		n += len(r.entries)
	}
	return n
}

// publishBatch sends one PublishBatch and tells each request its outcome.
func (p *GroupPublisher) publishBatch(arn string, batch []*groupRequest) {
	deadline := time.Now().Add(defaultPublishTimeout)
	owner := map[string]*groupRequest{}
	var entries []snstypes.PublishBatchRequestEntry
	for _, r := range batch {
		if d, ok := r.ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		for _, e := range r.entries {
			id := strconv.Itoa(len(entries))
			e.Id = aws.String(id)
			owner[id] = r
			entries = append(entries, e)
		}
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	out, err := p.api.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: aws.String(arn), PublishBatchRequestEntries: entries})
	if err != nil {
		for _, r := range batch {
			r.done <- fmt.Errorf("publish batch of %d: %w", len(entries), err)
		}
		return
	}
	failed := map[*groupRequest]error{}
	for _, f := range out.Failed {
		r := owner[aws.ToString(f.Id)]
		if r == nil || failed[r] != nil {
			continue
		}
		err := fmt.Errorf("%s: %s", aws.ToString(f.Code), aws.ToString(f.Message))
		if f.SenderFault {
			err = fmt.Errorf("%w: %w", ErrRejected, err)
		}
		failed[r] = err
	}
	accepted := map[*groupRequest]int{}
	for _, s := range out.Successful {
		if r := owner[aws.ToString(s.Id)]; r != nil {
			accepted[r]++
		}
	}
	for _, r := range batch {
		switch {
		case failed[r] != nil:
			r.done <- failed[r]
		case accepted[r] != len(r.entries):
			r.done <- fmt.Errorf("publish batch: %d of %d entries acknowledged", accepted[r], len(r.entries))
		default:
			r.done <- nil
		}
	}
}

// defaultPublishTimeout bounds a batch whose callers set no deadline.
const defaultPublishTimeout = 20 * time.Second

// Close stops forming batches (queued callers get ErrBusy) and waits for
// the requests in flight.
func (p *GroupPublisher) Close() error {
	p.once.Do(func() { close(p.closing) })
	p.wg.Wait()
	// Callers still queued were never sent.
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.topics {
		for {
			select {
			case r := <-t.in:
				if r.state.CompareAndSwap(stateQueued, stateWithdrawn) {
					r.done <- ErrBusy
				}
				continue
			default:
			}
			break
		}
	}
	return nil
}

// encodeEntry encodes ev like NewMessage and watermill-aws's SNS
// marshaler, and returns the entry's size as SNS counts it.
func encodeEntry(ctx context.Context, ev messages.Event) (snstypes.PublishBatchRequestEntry, int, error) {
	msg, err := NewMessage(ctx, ev)
	if err != nil {
		return snstypes.PublishBatchRequestEntry{}, 0, err
	}
	attrs := make(map[string]snstypes.MessageAttributeValue, len(msg.Metadata)+1)
	size := len(msg.Payload)
	add := func(k, v string) {
		attrs[k] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
		size += len(k) + len("String") + len(v)
	}
	for k, v := range msg.Metadata {
		add(k, v)
	}
	add(wsqs.UUIDAttribute, msg.UUID)
	return snstypes.PublishBatchRequestEntry{Message: aws.String(string(msg.Payload)), MessageAttributes: attrs}, size, nil
}
