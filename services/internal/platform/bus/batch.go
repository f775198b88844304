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
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// sqsAPI is what BatchSubscriber needs of SQS.
type sqsAPI interface {
	GetQueueUrl(context.Context, *sqs.GetQueueUrlInput, ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// BatchSubscriber is a watermill Subscriber for a high-volume SQS queue.
// Unlike watermill-aws v1.0.3's subscriber, which hands out a received
// batch one message at a time, deletes each acked message with its own
// request and abandons the rest of the batch when one message is nacked,
// it hands out the whole batch at once (the router runs each message's
// handler concurrently), deletes the acked ones with one
// DeleteMessageBatch, and leaves only the nacked ones to come back after
// the visibility timeout. Per message that is 0.1 receive and 0.1 delete
// requests at full batches, instead of 0.1 + 1.
//
// Like watermill-aws's, it never creates the queue.
type BatchSubscriber struct {
	sqs     sqsAPI
	cfg     SubscriberConfig
	log     watermill.LoggerAdapter
	closing chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
}

// NewBatchSubscriber reads a queue that bootstrap or CloudFormation created.
func NewBatchSubscriber(cfg aws.Config, sc SubscriberConfig, log watermill.LoggerAdapter) *BatchSubscriber {
	c := sqs.NewFromConfig(cfg)
	return newBatchSubscriber(sqsClient{getQueueURL: c.GetQueueUrl, receive: c.ReceiveMessage, deleteBatch: c.DeleteMessageBatch}, sc, log)
}

// sqsClient is the SQS operations BatchSubscriber calls, so that the SDK
// client is never stored in an interface (nor in a struct that is): a
// binary that executes templates (the mailer) keeps every exported method
// of every type it turns into an interface value.
type sqsClient struct {
	getQueueURL func(context.Context, *sqs.GetQueueUrlInput, ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	receive     func(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	deleteBatch func(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

func (s sqsClient) GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, opts ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error) {
	return s.getQueueURL(ctx, in, opts...)
}

func (s sqsClient) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	return s.receive(ctx, in, opts...)
}

func (s sqsClient) DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	return s.deleteBatch(ctx, in, opts...)
}

func newBatchSubscriber(api sqsAPI, sc SubscriberConfig, log watermill.LoggerAdapter) *BatchSubscriber {
	if sc.BatchSize < 1 || sc.BatchSize > 10 {
		sc.BatchSize = 10
	}
	if sc.Workers < 1 {
		sc.Workers = 1
	}
	return &BatchSubscriber{sqs: api, cfg: sc, log: log, closing: make(chan struct{})}
}

// Subscribe starts the receive loops on the queue named topic.
func (s *BatchSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	out, err := s.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(topic)})
	if err != nil {
		return nil, fmt.Errorf("queue %s: %w", topic, err)
	}
	url := aws.ToString(out.QueueUrl)
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-s.closing:
		case <-ctx.Done():
		}
		cancel()
	}()
	output := make(chan *message.Message)
	var loops sync.WaitGroup
	var gate *pollGate // nil: no linger, loops poll side by side as ever
	if s.cfg.Linger > 0 {
		gate = newPollGate()
	}
	for range s.cfg.Workers {
		loops.Add(1)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer loops.Done()
			s.receive(ctx, url, gate, output)
		}()
	}
	go func() { loops.Wait(); close(output) }()
	return output, nil
}

// receive is one receive loop. It is pipelined: while a received batch is
// being handled (its writes, then its DeleteMessageBatch), the loop is
// already waiting in the next ReceiveMessage, up to pipelineDepth batches
// per loop, so that the round trips to SQS overlap with the handlers'
// and moto, not the loop's waiting, bounds the throughput.
func (s *BatchSubscriber) receive(ctx context.Context, url string, gate *pollGate, output chan<- *message.Message) {
	fields := watermill.LogFields{"queue": url}
	slots := make(chan struct{}, pipelineDepth)
	var batches sync.WaitGroup
	defer batches.Wait()
	for ctx.Err() == nil {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		release, ok := gate.enter(ctx)
		if !ok {
			<-slots
			return
		}
		res, err := s.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:              aws.String(url),
			MaxNumberOfMessages:   s.cfg.BatchSize,
			WaitTimeSeconds:       20,
			MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			release()
			<-slots
			if ctx.Err() == nil {
				s.log.Error("receive messages", err, fields)
				sleep(ctx, time.Second)
			}
			continue
		}
		full := len(res.Messages) >= int(s.cfg.BatchSize)
		gate.received(full)
		if len(res.Messages) == 0 {
			release()
			<-slots
			continue
		}
		batches.Add(1)
		go func() {
			defer batches.Done()
			defer func() { <-slots }()
			s.handleBatch(ctx, url, res.Messages, output)
		}()
		if !full && s.cfg.Linger > 0 {
			// The queue had less than a batch: let the next one fill
			// rather than pay a receive (and a delete) per few messages.
			sleep(ctx, s.cfg.Linger)
		}
		release()
	}
}

// pollGate is shared by one subscription's receive loops when they linger
// (SubscriberConfig.Linger > 0; a nil gate lets every loop poll at will).
// While the queue is shallow, the loops poll one at a time, each partial
// receive followed by its Linger, as one loop would: a second loop's long
// poll waiting beside the first would return each message as it arrives,
// a receive and a delete for one or two messages. (BenchmarkIngest, 8
// closed-loop senders: two loops polling side by side took 0.156 receives
// per event, one loop 0.106.) The queue counts as backlogged, and the
// loops poll side by side, after backlogRun full receives in a row: one
// full receive after a Linger says only that the Linger filled a batch.
type pollGate struct {
	turn  chan struct{}
	fulls atomic.Int32 // full receives in a row
}

const backlogRun = 2

func newPollGate() *pollGate { return &pollGate{turn: make(chan struct{}, 1)} }

// enter waits for the loop's turn to poll unless the queue is backlogged;
// the returned release ends the turn. It is false when ctx ended first.
func (g *pollGate) enter(ctx context.Context) (release func(), ok bool) {
	if g == nil || g.fulls.Load() >= backlogRun {
		return func() {}, true
	}
	select {
	case g.turn <- struct{}{}:
		return func() { <-g.turn }, true
	case <-ctx.Done():
		return nil, false
	}
}

// received records whether a receive came back with a full batch.
func (g *pollGate) received(full bool) {
	if g == nil {
		return
	}
	if full {
		g.fulls.Add(1)
	} else {
		g.fulls.Store(0)
	}
}

// pipelineDepth is how many received batches one receive loop has in
// hand at once (the next ReceiveMessage waits while that many are being
// handled, so a slow store holds back receiving instead of piling up
// messages whose visibility timeout runs).
const pipelineDepth = 2

// handleBatch hands every message out, waits for each ack or nack, and
// deletes the acked ones together. A message whose handler is still
// running shutdownGrace after Close is not deleted: it comes back.
func (s *BatchSubscriber) handleBatch(ctx context.Context, url string, batch []sqstypes.Message, output chan<- *message.Message) {
	type pending struct {
		msg    *message.Message
		handle *string
	}
	var out []pending
	for i := range batch {
		msg, err := wsqs.DefaultMarshalerUnmarshaler{}.Unmarshal(&batch[i])
		if err != nil {
			s.log.Error("cannot unmarshal message", err, watermill.LogFields{"queue": url})
			continue
		}
		msgCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		msg.SetContext(msgCtx)
		select {
		case output <- msg:
			out = append(out, pending{msg, batch[i].ReceiptHandle})
		case <-ctx.Done():
			return
		}
	}
	var acked []sqstypes.DeleteMessageBatchRequestEntry
	done, grace := ctx.Done(), (<-chan time.Time)(nil)
	for i, p := range out {
	wait:
		for {
			select {
			case <-p.msg.Acked():
				acked = append(acked, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: p.handle})
				break wait
			case <-p.msg.Nacked():
				// Left in the queue: back after the visibility timeout, to
				// the DLQ after the redrive count. Batch-mates go on.
				break wait
			case <-done:
				// Shutting down: give in-flight handlers a moment to
				// finish, so their messages are deleted, not redelivered.
				done, grace = nil, time.After(shutdownGrace)
			case <-grace:
				s.deleteBatch(context.WithoutCancel(ctx), url, acked)
				return
			}
		}
	}
	s.deleteBatch(context.WithoutCancel(ctx), url, acked)
}

// shutdownGrace bounds how long Close waits for in-flight handlers.
const shutdownGrace = 10 * time.Second

func (s *BatchSubscriber) deleteBatch(ctx context.Context, url string, entries []sqstypes.DeleteMessageBatchRequestEntry) {
	if len(entries) == 0 {
		return
	}
	// A failed delete only means a redelivery, which consumers absorb.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := s.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
	if err != nil {
		s.log.Error("delete acked messages (they will be redelivered)", err, watermill.LogFields{"queue": url, "count": len(entries)})
		return
	}
	for _, f := range out.Failed {
		s.log.Error("delete acked message (it will be redelivered)", errors.New(aws.ToString(f.Message)), watermill.LogFields{"queue": url, "code": aws.ToString(f.Code)})
	}
}

// Close stops receiving and waits for the loops to hand back.
func (s *BatchSubscriber) Close() error {
	s.once.Do(func() { close(s.closing) })
	s.wg.Wait()
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
