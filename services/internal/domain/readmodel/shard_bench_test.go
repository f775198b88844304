package readmodel_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/internal/platform/table"
)

// pkCounter is a BatchAPI that counts the items written per partition key.
type pkCounter struct {
	readmodel.BatchAPI
	mu  sync.Mutex
	per map[string]int
}

func (c *pkCounter) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	c.mu.Lock()
	for _, reqs := range in.RequestItems {
		for _, r := range reqs {
			if r.PutRequest != nil {
				c.per[r.PutRequest.Item[table.AttrPK].(*types.AttributeValueMemberS).Value]++
			}
		}
	}
	c.mu.Unlock()
	return c.BatchAPI.BatchWriteItem(ctx, in, opts...)
}

func hotTenantFacts(n int) []readmodel.Record {
	now := time.Now().UTC()
	recs := make([]readmodel.Record, 0, n)
	for i := range n {
		e := messages.MetricEvent{Header: messages.Header{EventID: fmt.Sprintf("evt_hot_%06d", i), TenantID: "hot", OccurredAt: now.Add(-time.Duration(i) * time.Second), Source: messages.SourceStripe},
			Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: 100, Currency: "USD"}
		r, err := readmodel.FactRecord(e)
		if err != nil {
			panic(err)
		}
		recs = append(recs, r)
	}
	return recs
}

// TestHotTenantWritesSpreadOverShards: one tenant's facts of one metric,
// written through the aggregator's batched path, land on every shard's
// partition key, none with more than a third of them, and read back
// whole.
func TestHotTenantWritesSpreadOverShards(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	db := dynamodb.NewFromConfig(env.AWS)
	c := &pkCounter{BatchAPI: db, per: map[string]int{}}
	recs := hotTenantFacts(400)
	ctx := context.Background()
	for i := 0; i < len(recs); i += readmodel.MaxBatch {
		if err := readmodel.WriteBatch(ctx, c, env.Names.Table, recs[i:min(i+readmodel.MaxBatch, len(recs))]); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.per) != table.FactShards {
		t.Fatalf("writes went to %d partition keys %v, want %d", len(c.per), c.per, table.FactShards)
	}
	for pk, n := range c.per {
		if n > len(recs)/3 {
			t.Errorf("partition %s took %d of %d writes", pk, n, len(recs))
		}
	}
	store := readmodel.Store{DB: db, Table: env.Names.Table}
	fs, err := store.Facts(ctx, "hot", messages.MetricRevenueGross, time.Time{}, time.Now().Add(time.Hour))
	if err != nil || len(fs) != len(recs) {
		t.Fatalf("read back %d of %d facts: %v", len(fs), len(recs), err)
	}
	for i := 1; i < len(fs); i++ {
		if readmodel.FactKey(fs[i-1]) >= readmodel.FactKey(fs[i]) {
			t.Fatalf("facts from the shards not merged in key order at %d", i)
		}
	}
}

// BenchmarkHotTenantShards writes one tenant's facts to moto through
// WriteBatch and reports how many distinct partition keys they went to
// and the largest partition's share: on AWS each partition key's
// partition takes about 1,000 write units a second, so the tenant's
// ceiling is partition-keys × 1,000 facts/s (deploy/SCALING.md).
//
//	go test -run '^$' -bench BenchmarkHotTenantShards -benchtime 1x ./services/internal/domain/readmodel
func BenchmarkHotTenantShards(b *testing.B) {
	env := mototest.Bootstrap(b, resources.Spec{})
	db := dynamodb.NewFromConfig(env.AWS)
	ctx := context.Background()
	const n = 2000
	for b.Loop() {
		c := &pkCounter{BatchAPI: db, per: map[string]int{}}
		recs := hotTenantFacts(n)
		start := time.Now()
		for i := 0; i < len(recs); i += readmodel.MaxBatch {
			if err := readmodel.WriteBatch(ctx, c, env.Names.Table, recs[i:min(i+readmodel.MaxBatch, len(recs))]); err != nil {
				b.Fatal(err)
			}
		}
		took := time.Since(start)
		most := 0
		for _, v := range c.per {
			most = max(most, v)
		}
		b.ReportMetric(float64(len(c.per)), "partition-keys")
		b.ReportMetric(float64(most)/n, "max-share")
		b.ReportMetric(n/took.Seconds(), "facts/s")
	}
}
