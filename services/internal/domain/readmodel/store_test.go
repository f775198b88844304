package readmodel_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

func TestMain(m *testing.M) { mototest.Main(m) }

func TestStoreRefundsAddUpInAnyOrderAndOnce(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	store := readmodel.Store{DB: dynamodb.NewFromConfig(env.AWS), Table: env.Names.Table}
	ctx := context.Background()
	t0 := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	refund := func(id string, version int64, cumulative int64) messages.MetricEvent {
		return messages.MetricEvent{
			Header: messages.Header{EventID: id, TenantID: "jada", OccurredAt: t0.Add(time.Duration(version) * time.Hour), Source: messages.SourceStripe},
			Metric: messages.MetricRevenueRefunded, Kind: messages.KindState, Entity: "ch_1", Version: version, Value: cumulative, Currency: "USD",
		}
	}
	// Partial refunds of 5 then 15 (cumulative 5, 20), delivered reversed and duplicated.
	for _, e := range []messages.MetricEvent{refund("evt_2", 2, 2000), refund("evt_1", 1, 500), refund("evt_2", 2, 2000), refund("evt_1", 1, 500)} {
		if _, err := store.PutFact(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	// Another tenant's fact must never be read.
	other := refund("evt_3", 3, 99900)
	other.TenantID = "quickdumpnow"
	if _, err := store.PutFact(ctx, other); err != nil {
		t.Fatal(err)
	}
	facts, err := store.Facts(ctx, "jada", messages.MetricRevenueRefunded, time.Time{}, t0.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(facts) != 2 {
		t.Fatalf("got %d facts, want 2 (duplicates stored once)", len(facts))
	}
	if got := readmodel.TotalAt(facts, t0.AddDate(0, 1, 0)); got != 2000 {
		t.Fatalf("refunded total = %d, want 2000", got)
	}
	if got := readmodel.Change(facts, t0, t0.Add(90*time.Minute)); got != 500 {
		t.Fatalf("refunds in the first 90 minutes = %d, want 500", got)
	}
	dup, err := store.PutFact(ctx, refund("evt_1", 1, 500))
	if err != nil || !dup {
		t.Fatalf("redelivery: duplicate=%v err=%v, want duplicate", dup, err)
	}
}

func TestWriteBatchIsIdempotentAndEqualsPutFact(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	db := dynamodb.NewFromConfig(env.AWS)
	store := readmodel.Store{DB: db, Table: env.Names.Table}
	ctx := context.Background()
	t0 := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	var recs []readmodel.Record
	for i := range 10 {
		e := messages.MetricEvent{
			Header: messages.Header{EventID: fmt.Sprintf("evt_%d", i), TenantID: "jada", OccurredAt: t0.Add(time.Duration(i) * time.Minute), Source: messages.SourceStripe},
			Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: int64(100 * (i + 1)), Currency: "USD",
		}
		r, err := readmodel.FactRecord(e)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r, r) // each twice in one batch: DynamoDB refuses duplicate keys unless deduplicated
	}
	for range 2 { // the whole batch redelivered
		if err := readmodel.WriteBatch(ctx, db, env.Names.Table, recs[:20]); err != nil {
			t.Fatal(err)
		}
	}
	// A fact written by PutFact and again by a batch is still one fact.
	if dup, err := store.PutFact(ctx, messages.MetricEvent{
		Header: messages.Header{EventID: "evt_0", TenantID: "jada", OccurredAt: t0, Source: messages.SourceStripe},
		Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: 100, Currency: "USD",
	}); err != nil || !dup {
		t.Fatalf("PutFact of a batch-written fact: duplicate=%v err=%v, want duplicate", dup, err)
	}
	facts, err := store.Facts(ctx, "jada", messages.MetricRevenueGross, time.Time{}, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(facts) != 10 || readmodel.Sum(facts, t0, t0.Add(time.Hour)) != 5500 {
		t.Fatalf("got %d facts summing to %d, want 10 summing to 5500", len(facts), readmodel.Sum(facts, t0, t0.Add(time.Hour)))
	}
	if err := readmodel.WriteBatch(ctx, db, env.Names.Table, make([]readmodel.Record, 26)); err == nil {
		t.Fatal("a batch over 25 records was accepted")
	}
}
