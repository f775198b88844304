// Package episodes keeps alert episodes in the DynamoDB table with
// conditional writes: the state of each (rule, subject) is one item whose
// version every update checks, so concurrent workers handling duplicates
// of one fact serialise on it and only one of them creates a given
// notification. Notifications are then claimed and recorded per recipient
// as delivery sends (delivery.Store.Claim / MarkSent), the discipline of
// report sends: a claim before notifying, the record after.
package episodes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/boardpack/boardpack/services/internal/domain/alerting"
	"github.com/boardpack/boardpack/services/internal/platform/table"
)

// DynamoAPI is what the store needs of DynamoDB.
type DynamoAPI interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	DeleteItem(context.Context, *dynamodb.DeleteItemInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// Store keeps episode state.
type Store struct {
	DB    DynamoAPI
	Table string
}

// State is an episode as stored, with its version.
type State struct {
	alerting.Episode
	TenantID string
	Version  int64
}

// ErrContended is returned when an update lost the race too often.
var ErrContended = errors.New("episode state contended")

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

// Get reads the state of (rule, subject); the zero State (Version 0) when
// none exists.
func (st Store) Get(ctx context.Context, tenantID, rule, subject string) (State, error) {
	out, err := st.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.Table), Key: table.Key(tenantID, table.AlertStateSK(rule, subject)), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return State{}, fmt.Errorf("get alert state %s/%s of %s: %w", rule, subject, tenantID, err)
	}
	if out.Item == nil {
		return State{TenantID: tenantID, Episode: alerting.Episode{Rule: rule, Subject: subject}}, nil
	}
	return decode(tenantID, out.Item)
}

func decode(tenantID string, item map[string]types.AttributeValue) (State, error) {
	st := State{TenantID: tenantID}
	doc, _ := item["doc"].(*types.AttributeValueMemberS)
	ver, _ := item["version"].(*types.AttributeValueMemberN)
	if doc == nil || ver == nil {
		return st, errors.New("alert state item without doc or version")
	}
	if err := json.Unmarshal([]byte(doc.Value), &st.Episode); err != nil {
		return st, fmt.Errorf("decode alert state: %w", err)
	}
	st.Version, _ = strconv.ParseInt(ver.Value, 10, 64)
	return st, nil
}

// put writes next over the state read at version prev (0: none), and
// reports false when another writer got there first.
func (st Store) put(ctx context.Context, tenantID string, prev int64, next alerting.Episode, now time.Time) (bool, error) {
	doc, err := json.Marshal(next)
	if err != nil {
		return false, err
	}
	item := table.Key(tenantID, table.AlertStateSK(next.Rule, next.Subject))
	item["doc"] = s(string(doc))
	item["version"] = n(prev + 1)
	item["rule"] = s(next.Rule)
	item["open"] = &types.AttributeValueMemberBOOL{Value: next.Open}
	item["pending"] = n(int64(len(next.Pending)))
	item["updated_at"] = s(now.UTC().Format(time.RFC3339Nano))
	in := &dynamodb.PutItemInput{TableName: aws.String(st.Table), Item: item}
	if prev == 0 {
		in.ConditionExpression = aws.String("attribute_not_exists(#pk)")
		in.ExpressionAttributeNames = map[string]string{"#pk": table.AttrPK}
	} else {
		in.ConditionExpression = aws.String("version = :v")
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":v": n(prev)}
	}
	_, err = st.DB.PutItem(ctx, in)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("put alert state %s/%s of %s: %w", next.Rule, next.Subject, tenantID, err)
	}
	return true, nil
}

// Update applies fn to the state of (rule, subject) with optimistic
// concurrency: read, apply, write if unchanged, else read again and
// re-apply. fn must be pure (it may run more than once). It returns the
// state written and the notifications fn created in the run that won;
// nothing is written when fn changes nothing.
func (st Store) Update(ctx context.Context, tenantID, rule, subject string, now time.Time,
	fn func(alerting.Episode) (alerting.Episode, []alerting.Notification)) (State, []alerting.Notification, error) {
	for attempt := 0; attempt < 8; attempt++ {
		cur, err := st.Get(ctx, tenantID, rule, subject)
		if err != nil {
			return State{}, nil, err
		}
		next, notes := fn(cur.Episode)
		if same(cur.Episode, next) {
			return cur, nil, nil
		}
		ok, err := st.put(ctx, tenantID, cur.Version, next, now)
		if err != nil {
			return State{}, nil, err
		}
		if !ok {
			continue
		}
		if next.Seq != cur.Seq || next.Open != cur.Open {
			if err := st.putEpisode(ctx, tenantID, next, now); err != nil {
				return State{}, nil, err
			}
		}
		return State{Episode: next, TenantID: tenantID, Version: cur.Version + 1}, notes, nil
	}
	return State{}, nil, fmt.Errorf("%w: %s/%s of %s", ErrContended, rule, subject, tenantID)
}

func same(a, b alerting.Episode) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// putEpisode records the episode for history. Rewriting it with the same
// content is harmless, so no condition.
func (st Store) putEpisode(ctx context.Context, tenantID string, ep alerting.Episode, now time.Time) error {
	item := table.Key(tenantID, table.AlertEpisodeSK(ep.Rule, ep.Subject, ep.Seq))
	item["rule"] = s(ep.Rule)
	item["subject"] = s(ep.Subject)
	item["seq"] = n(int64(ep.Seq))
	item["opened_at"] = s(ep.OpenedAt.UTC().Format(time.RFC3339Nano))
	item["value"] = n(ep.Value)
	item["currency"] = s(ep.Currency)
	if !ep.Open {
		item["closed_at"] = s(ep.ClosedAt.UTC().Format(time.RFC3339Nano))
	}
	item["updated_at"] = s(now.UTC().Format(time.RFC3339Nano))
	if _, err := st.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(st.Table), Item: item}); err != nil {
		return fmt.Errorf("record episode %s/%s#%d of %s: %w", ep.Rule, ep.Subject, ep.Seq, tenantID, err)
	}
	return nil
}

// List returns the tenant's current states (one per rule and subject
// ever seen), open ones first.
func (st Store) List(ctx context.Context, tenantID string) ([]State, error) {
	items, err := st.query(ctx, tenantID, table.AlertStatePrefix)
	if err != nil {
		return nil, err
	}
	out := make([]State, 0, len(items))
	for _, it := range items {
		s, err := decode(tenantID, it)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Open && !out[j].Open })
	return out, nil
}

// Record is one past or current episode.
type Record struct {
	TenantID, Rule, Subject string
	Seq                     int
	OpenedAt, ClosedAt      time.Time
	Value                   int64
	Currency                string
}

// Open reports whether the episode had not closed when last recorded.
func (r Record) Open() bool { return r.ClosedAt.IsZero() }

// History lists the tenant's episodes, most recently opened first, at
// most limit (0: all).
func (st Store) History(ctx context.Context, tenantID string, limit int) ([]Record, error) {
	items, err := st.query(ctx, tenantID, table.AlertEpisodePrefix)
	if err != nil {
		return nil, err
	}
	out := make([]Record, 0, len(items))
	for _, it := range items {
		str := func(k string) string {
			v, _ := it[k].(*types.AttributeValueMemberS)
			if v == nil {
				return ""
			}
			return v.Value
		}
		num := func(k string) int64 {
			v, _ := it[k].(*types.AttributeValueMemberN)
			if v == nil {
				return 0
			}
			i, _ := strconv.ParseInt(v.Value, 10, 64)
			return i
		}
		opened, _ := time.Parse(time.RFC3339Nano, str("opened_at"))
		closed, _ := time.Parse(time.RFC3339Nano, str("closed_at"))
		out = append(out, Record{TenantID: tenantID, Rule: str("rule"), Subject: str("subject"), Seq: int(num("seq")),
			OpenedAt: opened, ClosedAt: closed, Value: num("value"), Currency: str("currency")})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].OpenedAt.After(out[j].OpenedAt) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (st Store) query(ctx context.Context, tenantID, prefix string) ([]map[string]types.AttributeValue, error) {
	var out []map[string]types.AttributeValue
	p := dynamodb.NewQueryPaginator(st.DB, &dynamodb.QueryInput{
		TableName:                aws.String(st.Table),
		KeyConditionExpression:   aws.String("#pk = :pk AND begins_with(#sk, :pre)"),
		ExpressionAttributeNames: map[string]string{"#pk": table.AttrPK, "#sk": table.AttrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": s(table.PK(tenantID)), ":pre": s(prefix),
		},
		ConsistentRead: aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s of %s: %w", strings.TrimSuffix(prefix, "#"), tenantID, err)
		}
		out = append(out, page.Items...)
	}
	return out, nil
}

// Seen records that source was heard from at t (only ever moving
// forward).
func (st Store) Seen(ctx context.Context, tenantID, source string, t time.Time) error {
	_, err := st.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.Table),
		Key:                       table.Key(tenantID, table.AlertSeenSK(source)),
		UpdateExpression:          aws.String("SET seen_at = :t"),
		ConditionExpression:       aws.String("attribute_not_exists(seen_at) OR seen_at < :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": n(t.UnixMilli())},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("record %s seen for %s: %w", source, tenantID, err)
	}
	return nil
}

// LastSeen is when source was last heard from (zero: never).
func (st Store) LastSeen(ctx context.Context, tenantID, source string) (time.Time, error) {
	out, err := st.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(st.Table), Key: table.Key(tenantID, table.AlertSeenSK(source))})
	if err != nil {
		return time.Time{}, fmt.Errorf("read %s seen for %s: %w", source, tenantID, err)
	}
	if v, ok := out.Item["seen_at"].(*types.AttributeValueMemberN); ok {
		ms, _ := strconv.ParseInt(v.Value, 10, 64)
		return time.UnixMilli(ms).UTC(), nil
	}
	return time.Time{}, nil
}

// MarkDeadWebhook records that the tenant's webhook (by hash) is gone and
// reports whether this call recorded it first (so the operator is told
// once).
func (st Store) MarkDeadWebhook(ctx context.Context, tenantID, hash, reason string) (bool, error) {
	item := table.Key(tenantID, table.AlertDeadSK(hash))
	item["reason"] = s(reason)
	item["created_at"] = s(time.Now().UTC().Format(time.RFC3339Nano))
	_, err := st.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(st.Table), Item: item,
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": table.AttrPK},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("record dead webhook of %s: %w", tenantID, err)
	}
	return true, nil
}

// DeadWebhook reports whether the webhook (by hash) is known gone.
func (st Store) DeadWebhook(ctx context.Context, tenantID, hash string) (bool, error) {
	out, err := st.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(st.Table), Key: table.Key(tenantID, table.AlertDeadSK(hash))})
	if err != nil {
		return false, fmt.Errorf("read dead webhook of %s: %w", tenantID, err)
	}
	return out.Item != nil, nil
}

// Forget deletes the state of (rule, subject) if it is still at version
// (a closed episode with nothing pending, long enough ago that no fact
// about it can open a new one; see alerting.Forgettable). Its history
// item stays.
func (st Store) Forget(ctx context.Context, tenantID, rule, subject string, version int64) error {
	_, err := st.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(st.Table), Key: table.Key(tenantID, table.AlertStateSK(rule, subject)),
		ConditionExpression:       aws.String("version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": n(version)},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("forget alert state %s/%s of %s: %w", rule, subject, tenantID, err)
	}
	return nil
}
