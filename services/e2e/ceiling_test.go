package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsns "github.com/ThreeDotsLabs/watermill-aws/sns"
	wsqs "github.com/ThreeDotsLabs/watermill-aws/sqs"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/platform/awsconf"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/internal/platform/table"
)

// BenchmarkRawSQSCeiling is the emulator's ceiling for our shape of work:
// an aws-sdk-go-v2 loop of SendMessageBatch(10) + ReceiveMessage(10) +
// DeleteMessageBatch on a shallow queue. Reports msgs/s.
func BenchmarkRawSQSCeiling(b *testing.B) {
	// The same emulator treatment as BenchmarkIngest (mototest.KeepAlive).
	if url := mototest.KeepAlive(b); url != "" {
		b.Setenv("AWS_ENDPOINT_URL", url)
	}
	env := mototest.Bootstrap(b, resources.Spec{})
	c := sqs.NewFromConfig(env.AWS)
	url := aws.String(env.Resource.QueueURLs[resources.QueueAggregatorMetrics])
	ctx := context.Background()
	body := aws.String(`{"event_id":"x","tenant_id":"jada"}`)
	moved := 0
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		entries := make([]sqstypes.SendMessageBatchRequestEntry, 10)
		for j := range entries {
			entries[j] = sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), MessageBody: body}
		}
		if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url, Entries: entries}); err != nil {
			b.Fatal(err)
		}
		for got := 0; got < 10; {
			out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
			if err != nil {
				b.Fatal(err)
			}
			if len(out.Messages) == 0 {
				continue
			}
			del := make([]sqstypes.DeleteMessageBatchRequestEntry, len(out.Messages))
			for j, m := range out.Messages {
				del[j] = sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), ReceiptHandle: m.ReceiptHandle}
			}
			if _, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: url, Entries: del}); err != nil {
				b.Fatal(err)
			}
			got += len(out.Messages)
		}
		moved += 10
	}
	b.ReportMetric(float64(moved)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkNaiveWatermillPeer is what a straightforward build would do:
// watermill-aws with its defaults (one SNS Publish per event, one worker,
// one message per receive, one delete per message) and a DynamoDB
// transaction per event (an idempotency marker plus an ADD to a rollup).
// Reports events/s and AWS requests per event. Its EVT# and ROLLUP# items
// are that rejected design's, in a throwaway table: Boardpack itself never
// writes them (package table lists what it does write).
func BenchmarkNaiveWatermillPeer(b *testing.B) {
	// The same emulator treatment as BenchmarkIngest (mototest.KeepAlive).
	if url := mototest.KeepAlive(b); url != "" {
		b.Setenv("AWS_ENDPOINT_URL", url)
	}
	env := mototest.Bootstrap(b, resources.Spec{})
	logger := watermill.NopLogger{}
	pub, err := wsns.NewPublisher(wsns.PublisherConfig{
		AWSConfig:     env.AWS,
		TopicResolver: wsns.TransparentTopicResolver{},
	}, logger)
	if err != nil {
		b.Fatal(err)
	}
	sub, err := wsqs.NewSubscriber(wsqs.SubscriberConfig{AWSConfig: env.AWS, DoNotCreateQueueIfNotExists: true}, logger)
	if err != nil {
		b.Fatal(err)
	}
	ddb := dynamodb.NewFromConfig(env.AWS)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	msgs, err := sub.Subscribe(ctx, env.Names.Queue(resources.QueueAggregatorMetrics))
	if err != nil {
		b.Fatal(err)
	}
	var handled atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for msg := range msgs {
			var ev messages.MetricEvent
			if err := json.Unmarshal(msg.Payload, &ev); err != nil {
				msg.Nack()
				continue
			}
			_, err := ddb.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
				{Put: &ddbtypes.Put{
					TableName:           aws.String(env.Names.Table),
					Item:                table.Key(ev.TenantID, "EVT#"+ev.EventID),
					ConditionExpression: aws.String("attribute_not_exists(pk)"),
				}},
				{Update: &ddbtypes.Update{
					TableName:                 aws.String(env.Names.Table),
					Key:                       table.Key(ev.TenantID, "ROLLUP#"+ev.Metric),
					UpdateExpression:          aws.String("ADD v :v"),
					ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":v": table.N(ev.Value)},
				}},
			}})
			if err != nil {
				msg.Nack()
				continue
			}
			msg.Ack()
			handled.Add(1)
		}
	}()
	topic := env.Resource.TopicARNs[messages.TopicMetrics]
	before := awsconf.RequestCounts()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		ev := messages.MetricEvent{
			Header: messages.Header{EventID: fmt.Sprintf("naive-%d", i), TenantID: "jada", OccurredAt: time.Now(), Source: messages.SourceStripe},
			Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: 100, Currency: "USD",
		}
		payload, _ := json.Marshal(ev)
		if err := pub.Publish(topic, message.NewMessage(ev.EventID, payload)); err != nil {
			b.Fatal(err)
		}
	}
	for handled.Load() < int64(b.N) {
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	_ = sub.Close()
	wg.Wait()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	reportRequests(b, before, b.N)
}

// reportRequests reports AWS requests per event, in total and by service.
func reportRequests(b *testing.B, before map[string]float64, events int) {
	bySvc, total := awsconf.RequestsSince(before)
	b.ReportMetric(total/float64(events), "aws-req/event")
	for svc, n := range bySvc {
		b.ReportMetric(n/float64(events), strings.ToLower(svc)+"-req/event")
	}
}
