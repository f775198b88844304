package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	wsqs "github.com/ThreeDotsLabs/watermill-aws/sqs"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/internal/platform/table"
)

// requestCounter counts the aggregator's AWS calls per service and
// operation (logical calls and HTTP attempts, retries included) and the
// DynamoDB write units it was charged (ReturnConsumedCapacity).
type requestCounter struct {
	mu       sync.Mutex
	calls    map[string]int
	attempts map[string]int
	wcu      float64
}

func newRequestCounter() *requestCounter {
	return &requestCounter{calls: map[string]int{}, attempts: map[string]int{}}
}

func (c *requestCounter) snapshot() (calls, attempts map[string]int, wcu float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	calls, attempts = map[string]int{}, map[string]int{}
	for k, v := range c.calls {
		calls[k] = v
	}
	for k, v := range c.attempts {
		attempts[k] = v
	}
	return calls, attempts, c.wcu
}

func (c *requestCounter) option() func(*awsconfig.LoadOptions) error {
	return awsconfig.WithAPIOptions([]func(*middleware.Stack) error{func(s *middleware.Stack) error {
		err := s.Initialize.Add(middleware.InitializeMiddlewareFunc("bench_count_calls",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				if p, ok := in.Parameters.(*dynamodb.PutItemInput); ok {
					p.ReturnConsumedCapacity = ddbtypes.ReturnConsumedCapacityTotal
				}
				out, md, err := next.HandleInitialize(ctx, in)
				key := awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx)
				c.mu.Lock()
				c.calls[key]++
				if r, ok := out.Result.(*dynamodb.PutItemOutput); ok && r.ConsumedCapacity != nil && r.ConsumedCapacity.CapacityUnits != nil {
					c.wcu += *r.ConsumedCapacity.CapacityUnits
				}
				c.mu.Unlock()
				return out, md, err
			}), middleware.Before)
		if err != nil {
			return err
		}
		return s.Deserialize.Add(middleware.DeserializeMiddlewareFunc("bench_count_attempts",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				key := awsmiddleware.GetServiceID(ctx) + "." + awsmiddleware.GetOperationName(ctx)
				c.mu.Lock()
				c.attempts[key]++
				c.mu.Unlock()
				return next.HandleDeserialize(ctx, in)
			}), middleware.After)
	}})
}

// feeder keeps a queue supplied with up to maxDepth messages, sending
// batches of 10 straight to SQS in the shape SNS raw delivery produces.
func feed(ctx context.Context, c *sqs.Client, url string, bodies []sqstypes.SendMessageBatchRequestEntry, maxDepth int) error {
	for i := 0; i < len(bodies); {
		d, err := queueDepth(ctx, c, url)
		if err != nil {
			return err
		}
		if d >= maxDepth {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		for room := maxDepth - d; room > 0 && i < len(bodies); room -= 10 {
			end := min(i+10, len(bodies))
			out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: bodies[i:end]})
			if err != nil {
				return err
			}
			if len(out.Failed) > 0 {
				return fmt.Errorf("send batch: %d failed: %s", len(out.Failed), aws.ToString(out.Failed[0].Message))
			}
			i = end
		}
	}
	return nil
}

var benchTenants = []string{"jada", "quickdumpnow", "dangerouscentaur"}

func benchEvent(i int) messages.MetricEvent {
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	return messages.MetricEvent{
		Header: messages.Header{EventID: fmt.Sprintf("evt_bench_%06d", i), TenantID: benchTenants[i%len(benchTenants)], OccurredAt: t0.Add(time.Duration(i) * time.Second), Source: messages.SourceStripe},
		Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: int64(100 + i%5000), Currency: "USD",
		Dimensions: map[string]string{"product": "plan-pro"}, ObjectID: fmt.Sprintf("ch_%024d", i),
	}
}

func eventEntries(tb testing.TB, from, n int) []sqstypes.SendMessageBatchRequestEntry {
	tb.Helper()
	out := make([]sqstypes.SendMessageBatchRequestEntry, 0, n)
	for i := from; i < from+n; i++ {
		e := benchEvent(i)
		msg, err := bus.NewMessage(context.Background(), e)
		if err != nil {
			tb.Fatal(err)
		}
		m, err := wsqs.DefaultMarshalerUnmarshaler{}.Marshal(msg)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i - from)), MessageBody: m.Body, MessageAttributes: m.MessageAttributes})
	}
	return out
}

// BenchmarkAggregatorMoto measures, on one moto, events/s through the
// aggregator and its AWS requests and write units per event at table
// sizes from empty to 10,000 facts, then the raw SQS receive+delete rate
// with the same feeding. Between measured stages the table is grown with
// BatchWriteItem of facts of the same shape (pushing 10,000 events through
// moto's SQS would take many minutes on a shared machine). Run it once:
//
//	go test -run '^$' -bench AggregatorMoto -benchtime 1x -timeout 30m .
func BenchmarkAggregatorMoto(b *testing.B) {
	const (
		perStage = 500
		maxDepth = 50 // moto's SQS cost grows with depth: keep it shallow
	)
	sizes := []int{0, 2500, 5000, 10000} // facts in the table when a stage starts
	env := mototest.Bootstrap(b, resources.Spec{})
	ctx := context.Background()
	sqsc := sqs.NewFromConfig(env.AWS)
	db := dynamodb.NewFromConfig(env.AWS)
	queueURL := env.Resource.QueueURLs[resources.QueueAggregatorMetrics]
	counter := newRequestCounter()
	port, err := mototest.FreePort()
	if err != nil {
		b.Fatal(err)
	}
	cfg := config{Names: env.Names, HTTPAddr: fmt.Sprintf("127.0.0.1:%d", port), Workers: 4, BatchSize: 10,
		HandlerTimeout: 20 * time.Second, awsOpts: []func(*awsconfig.LoadOptions) error{counter.option()}}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- serve(runCtx, quiet, cfg) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()
	base := "http://" + cfg.HTTPAddr
	b.ResetTimer()
	for range b.N {
		head := fmt.Sprintf("%-12s %8s %10s %12s %8s %10s %12s", "table size", "events/s", "ddb req/ev", "ddb tries/ev", "WCU/ev", "sqs req/ev", "receive/ev")
		b.Log(head)
		fmt.Fprintln(os.Stderr, head)
		inTable, next, written, dups0 := 0, 0, 0.0, 0.0
		for _, size := range sizes {
			if size > inTable {
				if err := fillTable(ctx, db, env.Names.Table, next, size-inTable); err != nil {
					b.Fatal(err)
				}
				next += size - inTable
				inTable = size
			}
			entries := eventEntries(b, next, perStage)
			next += perStage
			calls0, attempts0, wcu0 := counter.snapshot()
			start := time.Now()
			if err := feed(ctx, sqsc, queueURL, entries, maxDepth); err != nil {
				b.Fatal(err)
			}
			// Done when every message has been deleted, i.e. handled. (The
			// written counter alone is not a progress measure: an SDK retry
			// of a put whose response was lost counts as a duplicate.)
			for {
				d, err := queueDepth(ctx, sqsc, queueURL)
				if err != nil {
					b.Fatal(err)
				}
				if d == 0 {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			elapsed := time.Since(start)
			inTable += perStage
			w := scrape(b, base, "boardpack_aggregator_facts_written_total")
			dups := scrape(b, base, "boardpack_aggregator_duplicates_total")
			calls1, attempts1, wcu1 := counter.snapshot()
			per := func(m0, m1 map[string]int, prefix string) float64 {
				n := 0
				for k, v := range m1 {
					if strings.HasPrefix(k, prefix) {
						n += v - m0[k]
					}
				}
				return float64(n) / perStage
			}
			rate := perStage / elapsed.Seconds()
			line := fmt.Sprintf("%-12d %8.1f %10.3f %12.3f %8.3f %10.3f %12.3f   (written %.0f, duplicates %.0f)", size, rate,
				per(calls0, calls1, "DynamoDB."), per(attempts0, attempts1, "DynamoDB."), (wcu1-wcu0)/perStage,
				per(calls0, calls1, "SQS."), per(calls0, calls1, "SQS.ReceiveMessage"), w-written, dups-dups0)
			written, dups0 = w, dups
			b.Log(line)
			fmt.Fprintln(os.Stderr, line)
			b.ReportMetric(rate, fmt.Sprintf("events/s@%d", size))
		}
		calls, attempts, wcu := counter.snapshot()
		b.Logf("aggregator calls in total: %v; HTTP attempts %v; WCU %.0f", calls, attempts, wcu)
		facts := 0
		store := readmodel.Store{DB: db, Table: env.Names.Table}
		for _, tn := range benchTenants {
			f, err := store.Facts(ctx, tn, messages.MetricRevenueGross, time.Time{}, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
			if err != nil {
				b.Fatal(err)
			}
			facts += len(f)
		}
		b.Logf("facts in the table: %d (want %d)", facts, inTable)
		if facts != inTable {
			b.Errorf("table holds %d facts, want %d", facts, inTable)
		}

		// Raw SQS on the same moto: same feeding, 4 workers, batch receive,
		// then per-message delete (what watermill-aws does) or batch delete.
		for _, batchDelete := range []bool{false, true} {
			rate, err := rawSQS(ctx, sqsc, fmt.Sprintf("%sraw-%v", env.Names.Prefix, batchDelete), eventEntries(b, 900000, perStage), maxDepth, batchDelete)
			if err != nil {
				b.Fatal(err)
			}
			line := fmt.Sprintf("raw SQS receive(10)+delete (batch delete %v), 4 workers: %.1f msg/s", batchDelete, rate)
			b.Log(line)
			fmt.Fprintln(os.Stderr, line)
			b.ReportMetric(rate, fmt.Sprintf("raw-sqs-msg/s-batchdelete=%v", batchDelete))
		}
	}
}

// fillTable writes n facts straight into the table (BatchWriteItem, 25 a
// request) in the item shape readmodel.Store writes.
func fillTable(ctx context.Context, db *dynamodb.Client, tableName string, from, n int) error {
	var batch []ddbtypes.WriteRequest
	flush := func() error {
		for len(batch) > 0 {
			out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]ddbtypes.WriteRequest{tableName: batch}})
			if err != nil {
				return err
			}
			batch = out.UnprocessedItems[tableName]
		}
		return nil
	}
	for i := from; i < from+n; i++ {
		e := benchEvent(i)
		doc, err := json.Marshal(e)
		if err != nil {
			return err
		}
		item := table.Key(e.TenantID, readmodel.FactKey(e))
		item["doc"] = table.S(string(doc))
		batch = append(batch, ddbtypes.WriteRequest{PutRequest: &ddbtypes.PutRequest{Item: item}})
		if len(batch) == 25 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// rawSQS measures receive+delete on a fresh queue fed like the aggregator's.
func rawSQS(ctx context.Context, c *sqs.Client, name string, entries []sqstypes.SendMessageBatchRequestEntry, maxDepth int, batchDelete bool) (float64, error) {
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		return 0, err
	}
	url := aws.ToString(q.QueueUrl)
	var got atomic.Int64
	total := int64(len(entries))
	start := time.Now()
	feedErr := make(chan error, 1)
	go func() { feedErr <- feed(ctx, c, url, entries, maxDepth) }()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for got.Load() < total {
				out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
				if err != nil {
					errs <- err
					return
				}
				if batchDelete && len(out.Messages) > 0 {
					var del []sqstypes.DeleteMessageBatchRequestEntry
					for i, m := range out.Messages {
						del = append(del, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
					}
					if _, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: del}); err != nil {
						errs <- err
						return
					}
				} else {
					for _, m := range out.Messages {
						if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
							errs <- err
							return
						}
					}
				}
				got.Add(int64(len(out.Messages)))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := <-feedErr; err != nil {
		return 0, err
	}
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	_, _ = c.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)})
	return float64(total) / elapsed.Seconds(), nil
}
