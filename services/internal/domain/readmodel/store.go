package readmodel

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/platform/table"
)

const (
	attrDoc    = "doc"
	attrEpoch  = "epoch"
	attrPart   = "part"
	attrChunk  = "chunk"
	attrChunks = "chunks"
	// carryChunkBytes bounds one carry item's doc, well under DynamoDB's
	// 400 KB item limit.
	carryChunkBytes = 300 << 10
	// carryTTL is how long a cached carry lives (expires_at): a boundary
	// no report asks for any more goes away.
	carryTTL = 90 * 24 * time.Hour
)

// DynamoAPI is what the read model needs of DynamoDB.
type DynamoAPI interface {
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Store reads and writes facts.
type Store struct {
	DB    DynamoAPI
	Table string
}

// FactKey is the sort key of a metric fact.
func FactKey(e messages.MetricEvent) string { return table.FactSK(e.Metric, e.OccurredAt, e.EventID) }

func findingKey(f messages.Finding) string { return table.FindingSK(f.OccurredAt, f.EventID) }

// PutFact validates and records a metric event. It returns duplicate=true
// when the fact was already recorded (a redelivery), which is success.
func (s Store) PutFact(ctx context.Context, e messages.MetricEvent) (duplicate bool, err error) {
	if err := e.Validate(); err != nil {
		return false, err
	}
	rec, err := FactRecord(e)
	if err != nil {
		return false, err
	}
	return s.Put(ctx, rec)
}

// PutFinding validates and records a finding observation, idempotently.
func (s Store) PutFinding(ctx context.Context, f messages.Finding) (duplicate bool, err error) {
	if err := f.Validate(); err != nil {
		return false, err
	}
	rec, err := FindingRecord(f)
	if err != nil {
		return false, err
	}
	return s.Put(ctx, rec)
}

// item is a ledger item: the fact's JSON under its key.
func item(pk, sk string, doc []byte) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{table.AttrPK: table.S(pk), table.AttrSK: table.S(sk), attrDoc: table.S(string(doc))}
}

// epochItem is the carry epoch a late record sets: its key and a random
// nonce, so that no two writes (not even a redelivery of one) ever set
// the same epoch.
func epochItem(r Record) map[string]types.AttributeValue {
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	it := table.Key(r.TenantID, table.SKCarryEpoch)
	it[attrEpoch] = table.S(hex.EncodeToString(nonce[:]) + "#" + r.SK)
	return it
}

// Put records one encoded fact or finding with a conditional PutItem. It
// returns duplicate=true when the item was already there (a redelivery),
// which is success. A late record then changes the tenant's carry epoch,
// duplicate or not (the first delivery may have stopped before it).
func (s Store) Put(ctx context.Context, rec Record) (duplicate bool, err error) {
	if !messages.ValidTenantID(rec.TenantID) {
		return false, fmt.Errorf("put: invalid tenant id %q", rec.TenantID)
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.Table),
		Item:                     item(rec.pk(), rec.SK, rec.Doc),
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": table.AttrPK},
	})
	duplicate = table.IsConditionalCheckFailed(err)
	if err != nil && !duplicate {
		return false, fmt.Errorf("put %s/%s: %w", rec.TenantID, rec.SK, err)
	}
	if Late(rec.Occurred, time.Now()) {
		if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: epochItem(rec)}); err != nil {
			return false, fmt.Errorf("put carry epoch of %s: %w", rec.TenantID, err)
		}
	}
	return duplicate, nil
}

// Facts returns the tenant's facts of one metric that occurred in
// [from, until), in key order. A zero from means since the beginning.
func (s Store) Facts(ctx context.Context, tenantID, metric string, from, until time.Time) ([]messages.MetricEvent, error) {
	return s.facts(ctx, tenantID, metric, from, until, false)
}

// FactsConsistent is Facts with strongly consistent reads.
func (s Store) FactsConsistent(ctx context.Context, tenantID, metric string, from, until time.Time) ([]messages.MetricEvent, error) {
	return s.facts(ctx, tenantID, metric, from, until, true)
}

func (s Store) facts(ctx context.Context, tenantID, metric string, from, until time.Time, consistent bool) ([]messages.MetricEvent, error) {
	prefix := table.FactPrefix(metric)
	lo := prefix
	if !from.IsZero() {
		lo = prefix + from.UTC().Format(table.TimeKey)
	}
	hi := prefix + until.UTC().Format(table.TimeKey)
	var out []messages.MetricEvent
	err := s.ledger(ctx, tenantID, lo, hi, consistent, func(doc []byte) error {
		var e messages.MetricEvent
		if err := json.Unmarshal(doc, &e); err != nil {
			return err
		}
		// The key range of metric "a" would also cover a metric named
		// "a#b": keep only the metric asked for.
		if e.TenantID == tenantID && e.Metric == metric && e.OccurredAt.Before(until) && !e.OccurredAt.Before(from) {
			out = append(out, e)
		}
		return nil
	})
	sortFacts(out)
	return out, err
}

// Findings returns the tenant's finding observations before until.
func (s Store) Findings(ctx context.Context, tenantID string, until time.Time) ([]messages.Finding, error) {
	return s.FindingsBetween(ctx, tenantID, time.Time{}, until)
}

// FindingsBetween returns the tenant's finding observations in
// [from, until), in key order.
func (s Store) FindingsBetween(ctx context.Context, tenantID string, from, until time.Time) ([]messages.Finding, error) {
	lo := table.PrefixFinding
	if !from.IsZero() {
		lo += from.UTC().Format(table.TimeKey)
	}
	var out []messages.Finding
	err := s.ledger(ctx, tenantID, lo, table.PrefixFinding+until.UTC().Format(table.TimeKey), false, func(doc []byte) error {
		var f messages.Finding
		if err := json.Unmarshal(doc, &f); err != nil {
			return err
		}
		if f.TenantID == tenantID && f.OccurredAt.Before(until) && !f.OccurredAt.Before(from) {
			out = append(out, f)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return findingKey(out[i]) < findingKey(out[j]) })
	return out, err
}

// ledger queries the sort-key range [lo, hi] in every partition of the
// tenant's ledger (table.LedgerPKs: the unsharded one and each shard),
// in parallel, and hands each item's doc to each in partition order.
func (s Store) ledger(ctx context.Context, tenantID, lo, hi string, consistent bool, each func([]byte) error) error {
	if !messages.ValidTenantID(tenantID) {
		return fmt.Errorf("invalid tenant id %q", tenantID)
	}
	pks := table.LedgerPKs(tenantID)
	docs := make([][]string, len(pks))
	errs := make([]error, len(pks))
	var wg sync.WaitGroup
	for i, pk := range pks {
		wg.Go(func() {
			errs[i] = s.query(ctx, pk, "#sk BETWEEN :lo AND :hi", map[string]types.AttributeValue{":lo": table.S(lo), ":hi": table.S(hi)}, consistent, func(it map[string]types.AttributeValue) error {
				if doc, ok := it[attrDoc].(*types.AttributeValueMemberS); ok {
					docs[i] = append(docs[i], doc.Value)
				}
				return nil
			})
		})
	}
	wg.Wait()
	for i := range pks {
		if errs[i] != nil {
			return errs[i]
		}
		for _, d := range docs[i] {
			if err := each([]byte(d)); err != nil {
				return fmt.Errorf("decode %s: %w", tenantID, err)
			}
		}
	}
	return nil
}

// query pages through one partition's items matching the sort-key
// condition.
func (s Store) query(ctx context.Context, pk, skCond string, values map[string]types.AttributeValue, consistent bool, each func(map[string]types.AttributeValue) error) error {
	vals := map[string]types.AttributeValue{":pk": table.S(pk)}
	for k, v := range values {
		vals[k] = v
	}
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		KeyConditionExpression:    aws.String("#pk = :pk AND " + skCond),
		ExpressionAttributeNames:  map[string]string{"#pk": table.AttrPK, "#sk": table.AttrSK},
		ExpressionAttributeValues: vals,
		ConsistentRead:            aws.Bool(consistent),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("query %s (%s): %w", pk, skCond, err)
		}
		for _, it := range page.Items {
			if err := each(it); err != nil {
				return err
			}
		}
	}
	return nil
}

// CarryEpoch returns the tenant's carry epoch, read consistently.
func (s Store) CarryEpoch(ctx context.Context, tenantID string) (string, error) {
	if !messages.ValidTenantID(tenantID) {
		return "", fmt.Errorf("invalid tenant id %q", tenantID)
	}
	var epoch string
	err := s.query(ctx, table.PK(tenantID), "#sk = :sk", map[string]types.AttributeValue{":sk": table.S(table.SKCarryEpoch)}, true, func(it map[string]types.AttributeValue) error {
		if v, ok := it[attrEpoch].(*types.AttributeValueMemberS); ok {
			epoch = v.Value
		}
		return nil
	})
	return epoch, err
}

// LoadCarry returns the carry parts as of boundary stored whole under
// epoch: every chunk 0..chunks-1 present, each with that epoch and the
// same chunk count. Anything else (a part half written, or written under
// an older epoch) is left out, to be built again.
func (s Store) LoadCarry(ctx context.Context, tenantID string, boundary time.Time, epoch string) (map[string]Carry, error) {
	if !messages.ValidTenantID(tenantID) {
		return nil, fmt.Errorf("invalid tenant id %q", tenantID)
	}
	type chunk struct {
		n, of int
		doc   string
		ok    bool
	}
	parts := map[string][]chunk{}
	err := s.query(ctx, table.PK(tenantID), "begins_with(#sk, :p)", map[string]types.AttributeValue{":p": table.S(table.CarryPrefix(boundary))}, false, func(it map[string]types.AttributeValue) error {
		part, _ := it[attrPart].(*types.AttributeValueMemberS)
		e, _ := it[attrEpoch].(*types.AttributeValueMemberS)
		doc, _ := it[attrDoc].(*types.AttributeValueMemberS)
		if part == nil || doc == nil {
			return nil
		}
		c := chunk{n: numAttr(it[attrChunk]), of: numAttr(it[attrChunks]), doc: doc.Value, ok: e != nil && e.Value == epoch}
		parts[part.Value] = append(parts[part.Value], c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := map[string]Carry{}
	for name, cs := range parts {
		sort.Slice(cs, func(i, j int) bool { return cs[i].n < cs[j].n })
		if len(cs) == 0 || cs[0].of < 1 || len(cs) < cs[0].of {
			continue
		}
		var whole Carry
		good := true
		for i, c := range cs[:cs[0].of] {
			var part Carry
			if !c.ok || c.n != i || c.of != cs[0].of || json.Unmarshal([]byte(c.doc), &part) != nil {
				good = false
				break
			}
			whole.Facts = append(whole.Facts, part.Facts...)
			whole.Findings = append(whole.Findings, part.Findings...)
		}
		if good {
			out[name] = whole
		}
	}
	return out, nil
}

func numAttr(v types.AttributeValue) int {
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return -1
	}
	i, err := strconv.Atoi(n.Value)
	if err != nil {
		return -1
	}
	return i
}

// StoreCarry writes each part as chunks of at most carryChunkBytes, one
// PutItem each, tagged with epoch and the chunk count, expiring after
// carryTTL.
func (s Store) StoreCarry(ctx context.Context, tenantID string, boundary time.Time, epoch string, parts map[string]Carry) error {
	if !messages.ValidTenantID(tenantID) {
		return fmt.Errorf("invalid tenant id %q", tenantID)
	}
	expires := time.Now().Add(carryTTL).Unix()
	for name, c := range parts {
		chunks, err := chunkCarry(c)
		if err != nil {
			return err
		}
		for i, doc := range chunks {
			it := table.Key(tenantID, table.CarrySK(boundary, name, i))
			it[attrDoc] = table.S(string(doc))
			it[attrPart] = table.S(name)
			it[attrEpoch] = table.S(epoch)
			it[attrChunk] = table.N(int64(i))
			it[attrChunks] = table.N(int64(len(chunks)))
			it[table.AttrExpiresAt] = table.N(expires)
			if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: it}); err != nil {
				return fmt.Errorf("store carry %s of %s: %w", name, tenantID, err)
			}
		}
	}
	return nil
}

// chunkCarry encodes a carry part as one or more JSON docs of at most
// carryChunkBytes (a single fact larger than that is its own chunk).
func chunkCarry(c Carry) ([][]byte, error) {
	var out [][]byte
	var cur Carry
	size := 0
	flush := func() error {
		doc, err := json.Marshal(cur)
		if err != nil {
			return err
		}
		out = append(out, doc)
		cur, size = Carry{}, 0
		return nil
	}
	for _, f := range c.Facts {
		b, err := json.Marshal(f)
		if err != nil {
			return nil, err
		}
		if size > 0 && size+len(b) > carryChunkBytes {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		cur.Facts, size = append(cur.Facts, f), size+len(b)+1
	}
	for _, f := range c.Findings {
		b, err := json.Marshal(f)
		if err != nil {
			return nil, err
		}
		if size > 0 && size+len(b) > carryChunkBytes {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		cur.Findings, size = append(cur.Findings, f), size+len(b)+1
	}
	// What is left (every chunk ends with a fact, so there is always
	// some, or the part is empty and this is its one empty chunk).
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}
