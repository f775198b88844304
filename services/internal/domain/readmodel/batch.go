package readmodel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/platform/table"
)

// Record is one ledger item ready to write.
type Record struct {
	TenantID, SK string
	// PK is the item's partition key: the event's shard (table.FactPK);
	// empty means the tenant's unsharded partition.
	PK  string
	Doc []byte
	// Occurred is when the fact occurred: a late one (Late) changes the
	// tenant's carry epoch once written. Zero counts as late.
	Occurred time.Time
}

func (r Record) pk() string {
	if r.PK != "" {
		return r.PK
	}
	return table.PK(r.TenantID)
}

// FactRecord encodes a metric event as its ledger item. It does not
// validate: the event must have passed Validate already, as every message
// the aggregator decodes has (bus.Decode); PutFact validates for callers
// that hold an unchecked event. The writes still refuse a malformed tenant
// id, so an unchecked record can never land in another partition.
func FactRecord(e messages.MetricEvent) (Record, error) {
	return record(e.TenantID, e.EventID, FactKey(e), e.OccurredAt, e)
}

// FindingRecord encodes a finding observation as its ledger item; like
// FactRecord, it does not validate.
func FindingRecord(f messages.Finding) (Record, error) {
	return record(f.TenantID, f.EventID, findingKey(f), f.OccurredAt, f)
}

func record(tenantID, eventID, sk string, occurred time.Time, v any) (Record, error) {
	doc, err := json.Marshal(v)
	if err != nil {
		return Record{}, fmt.Errorf("encode fact: %w", err)
	}
	return Record{TenantID: tenantID, PK: table.FactPK(tenantID, eventID), SK: sk, Doc: doc, Occurred: occurred}, nil
}

// BatchAPI is what batched writes need of DynamoDB.
type BatchAPI interface {
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// MaxBatch is DynamoDB's limit of items per BatchWriteItem.
const MaxBatch = 25

// WriteBatch writes up to MaxBatch records with one BatchWriteItem,
// retrying the items DynamoDB leaves unprocessed (throttling) with backoff
// until ctx ends.
//
// Why an unconditional write is still exactly once in effect: a fact is
// immutable and keyed by its event id, and the same event id always
// carries the same content (messages.Header), so writing it again
// rewrites identical bytes; every figure is a fold over the set of facts.
// A late record (Late) changes its tenant's carry epoch with one more
// BatchWriteItem, sent only after every record of the batch is written.
//
// What is lost against Store.PutFact is only the knowledge of whether an
// item was new (the duplicates counter); what is won is one request for up
// to 25 events instead of one each.
func WriteBatch(ctx context.Context, db BatchAPI, table string, recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	if len(recs) > MaxBatch {
		return fmt.Errorf("write batch: %d records, at most %d", len(recs), MaxBatch)
	}
	// BatchWriteItem refuses two requests for one key: keep one (they are
	// the same fact).
	seen := map[string]bool{}
	var reqs, epochs []types.WriteRequest
	now := time.Now()
	for _, r := range recs {
		if !messages.ValidTenantID(r.TenantID) {
			return fmt.Errorf("write batch: invalid tenant id %q", r.TenantID)
		}
		if Late(r.Occurred, now) && !seen[r.TenantID] {
			seen[r.TenantID] = true
			epochs = append(epochs, types.WriteRequest{PutRequest: &types.PutRequest{Item: epochItem(r)}})
		}
		k := r.pk() + "\x00" + r.SK
		if seen[k] {
			continue
		}
		seen[k] = true
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item(r.pk(), r.SK, r.Doc)}})
	}
	if err := writeAll(ctx, db, table, reqs); err != nil {
		return err
	}
	return writeAll(ctx, db, table, epochs)
}

// writeAll writes requests with BatchWriteItem, retrying what DynamoDB
// leaves unprocessed until ctx ends.
func writeAll(ctx context.Context, db BatchAPI, table string, reqs []types.WriteRequest) error {
	if len(reqs) == 0 {
		return nil
	}
	backoff := 50 * time.Millisecond
	for {
		out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}})
		if err != nil {
			return fmt.Errorf("write batch of %d: %w", len(reqs), err)
		}
		reqs = out.UnprocessedItems[table]
		if len(reqs) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("write batch: %d items unprocessed: %w", len(reqs), errors.Join(ctx.Err(), ErrUnprocessed))
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// ErrUnprocessed marks items DynamoDB did not write before the deadline.
var ErrUnprocessed = errors.New("unprocessed items")
