package readmodel

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/platform/table"
)

const attrDoc = "doc"

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
func item(tenantID, sk string, doc []byte) map[string]types.AttributeValue {
	it := table.Key(tenantID, sk)
	it[attrDoc] = table.S(string(doc))
	return it
}

// Put records one encoded fact or finding with a conditional PutItem. It
// returns duplicate=true when the item was already there (a redelivery),
// which is success.
func (s Store) Put(ctx context.Context, rec Record) (duplicate bool, err error) {
	if !messages.ValidTenantID(rec.TenantID) {
		return false, fmt.Errorf("put: invalid tenant id %q", rec.TenantID)
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(s.Table),
		Item:                     item(rec.TenantID, rec.SK, rec.Doc),
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": table.AttrPK},
	})
	if table.IsConditionalCheckFailed(err) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("put %s/%s: %w", rec.TenantID, rec.SK, err)
	}
	return false, nil
}

// Facts returns the tenant's facts of one metric that occurred in
// [from, until). A zero from means since the beginning (state metrics and
// gauges need the history to know the state at a time).
func (s Store) Facts(ctx context.Context, tenantID, metric string, from, until time.Time) ([]messages.MetricEvent, error) {
	prefix := table.FactPrefix(metric)
	lo := prefix
	if !from.IsZero() {
		lo = prefix + from.UTC().Format(table.TimeKey)
	}
	hi := prefix + until.UTC().Format(table.TimeKey)
	var out []messages.MetricEvent
	err := s.query(ctx, tenantID, lo, hi, func(doc []byte) error {
		var e messages.MetricEvent
		if err := json.Unmarshal(doc, &e); err != nil {
			return err
		}
		// The key range of metric "a" would also cover a metric named
		// "a#b": keep only the metric asked for.
		if e.TenantID == tenantID && e.Metric == metric && e.OccurredAt.Before(until) {
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// Findings returns the tenant's finding observations before until.
func (s Store) Findings(ctx context.Context, tenantID string, until time.Time) ([]messages.Finding, error) {
	var out []messages.Finding
	err := s.query(ctx, tenantID, table.PrefixFinding, table.PrefixFinding+until.UTC().Format(table.TimeKey), func(doc []byte) error {
		var f messages.Finding
		if err := json.Unmarshal(doc, &f); err != nil {
			return err
		}
		if f.TenantID == tenantID {
			out = append(out, f)
		}
		return nil
	})
	return out, err
}

func (s Store) query(ctx context.Context, tenantID, lo, hi string, each func([]byte) error) error {
	if !messages.ValidTenantID(tenantID) {
		return fmt.Errorf("invalid tenant id %q", tenantID)
	}
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
		TableName:              aws.String(s.Table),
		KeyConditionExpression: aws.String("#pk = :pk AND #sk BETWEEN :lo AND :hi"),
		ExpressionAttributeNames: map[string]string{
			"#pk": table.AttrPK, "#sk": table.AttrSK,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": table.S(table.PK(tenantID)), ":lo": table.S(lo), ":hi": table.S(hi),
		},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("query %s %s..%s: %w", tenantID, lo, hi, err)
		}
		for _, item := range page.Items {
			doc, ok := item[attrDoc].(*types.AttributeValueMemberS)
			if !ok {
				continue
			}
			if err := each([]byte(doc.Value)); err != nil {
				return fmt.Errorf("decode %s: %w", tenantID, err)
			}
		}
	}
	return nil
}
