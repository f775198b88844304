// Package delivery records what the mailer sent, in the tenant's partition
// of the table, so that each (report, recipient) gets one email however
// often its ReportDue is delivered, and so that SES feedback, suppression
// and unsubscribes are kept per tenant.
//
// # Items (pk TENANT#<id>; the shapes are package table's)
//
//	SEND#<report id>#<recipient>   one send: status, SES message id, attempts, reason
//	SUPPRESS#<address>             hard bounce or complaint: never send again
//	UNSUB#<role>#<address>         one-click unsubscribe from one role's report
//
// Applied SES events have no items of their own: their keys are kept in
// the send item's events set, so a duplicated event applies once.
//
// # Once-only
//
// Claim is one conditional write: it succeeds when the send does not
// exist, or when an earlier claim expired while still "sending". The claim
// expiry must not exceed the queue's visibility timeout: a redelivered
// message then finds either a final status (skip), a live claim (another
// worker is on it: retry later), or an expired one (the worker died).
//
// The unavoidable window: if the process dies after SES accepted the
// email and before MarkSent, the claim expires and the next delivery sends
// again. Boardpack prefers a possible duplicate to a lost report; the
// second attempt is counted (Attempts > 1) and shown by `reportctl report
// status` as "possible duplicate", and both emails carry the same
// Message-ID so that mail clients thread or collapse them.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/boardpack/boardpack/services/internal/platform/table"
)

// Statuses of a send.
const (
	StatusSending      = "sending"
	StatusSent         = "sent"
	StatusDelivered    = "delivered"
	StatusBounced      = "bounced"
	StatusComplained   = "complained"
	StatusRejected     = "rejected"
	StatusSuppressed   = "suppressed"
	StatusUnsubscribed = "unsubscribed"
)

// Final reports whether a status ends the send (nothing more is sent).
func Final(status string) bool { return status != StatusSending && status != "" }

// DynamoAPI is what the store needs of DynamoDB.
type DynamoAPI interface {
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Store keeps send records.
type Store struct {
	DB    DynamoAPI
	Table string
	// Now is the clock (time.Now when nil); tests move it.
	Now func() time.Time
}

func (s Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Send identifies one email: a report to one recipient.
type Send struct {
	TenantID, ReportID, Recipient string
	Role                          string
	PeriodStart, PeriodEnd        time.Time
	Subject                       string
}

// Record is a send as stored.
type Record struct {
	Send
	Status       string
	MessageID    string
	Reason       string
	Attempts     int
	ClaimedUntil time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// PossibleDuplicate reports whether the send was attempted more than once
// (a worker died after SES accepted but before the record was written).
func (r Record) PossibleDuplicate() bool { return r.Attempts > 1 }

// Outcome of a claim.
type Outcome int

const (
	// Claimed: the caller owns the send until the claim expires.
	Claimed Outcome = iota
	// Done: the send already has a final status; do nothing.
	Done
	// Busy: another worker holds a live claim; retry after it expires.
	Busy
)

// ErrBusy is returned by handlers when a live claim blocks a send: the
// message is redelivered after the visibility timeout.
var ErrBusy = errors.New("send claimed by another worker")

// Claim takes the send for ttl (at most the visibility timeout). It
// returns Done with the existing record when the send is final, Busy when
// another claim is live, and Claimed (with the attempt number) otherwise.
func (st Store) Claim(ctx context.Context, snd Send, ttl time.Duration) (Outcome, Record, error) {
	now := st.now()
	_, err := st.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(st.Table),
		Key:       table.Key(snd.TenantID, table.SendSK(snd.ReportID, Address(snd.Recipient))),
		UpdateExpression: aws.String("SET #status = :sending, claimed_until = :until, updated_at = :now, " +
			"created_at = if_not_exists(created_at, :now), report_id = :rid, recipient = :rcpt, #role = :role, " +
			"period_start = :ps, period_end = :pe, subject = :subj ADD attempts :one"),
		ConditionExpression: aws.String("attribute_not_exists(#pk) OR (#status = :sending AND claimed_until < :nowN)"),
		ExpressionAttributeNames: map[string]string{
			"#pk": table.AttrPK, "#status": "status", "#role": "role",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sending": table.S(StatusSending), ":until": table.N(now.Add(ttl).UnixMilli()), ":now": table.S(now.UTC().Format(time.RFC3339Nano)),
			":nowN": table.N(now.UnixMilli()), ":rid": table.S(snd.ReportID), ":rcpt": table.S(Address(snd.Recipient)), ":role": table.S(snd.Role),
			":ps": table.S(snd.PeriodStart.UTC().Format(time.RFC3339)), ":pe": table.S(snd.PeriodEnd.UTC().Format(time.RFC3339)),
			":subj": table.S(snd.Subject), ":one": table.N(1),
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	if table.IsConditionalCheckFailed(err) {
		rec, found, gerr := st.Get(ctx, snd.TenantID, snd.ReportID, snd.Recipient)
		if gerr != nil {
			return 0, Record{}, gerr
		}
		if !found {
			return Busy, Record{}, nil
		}
		if Final(rec.Status) {
			return Done, rec, nil
		}
		return Busy, rec, nil
	}
	if err != nil {
		return 0, Record{}, fmt.Errorf("claim %s for %s: %w", snd.ReportID, snd.Recipient, err)
	}
	rec, _, err := st.Get(ctx, snd.TenantID, snd.ReportID, snd.Recipient)
	return Claimed, rec, err
}

// MarkSent records SES's message id. Only a send still "sending" moves to
// "sent": an SES event that arrived first is never overwritten.
func (st Store) MarkSent(ctx context.Context, snd Send, messageID string) error {
	return st.finish(ctx, snd, StatusSent, messageID, "")
}

// MarkFailed records a permanent failure (rejected, suppressed,
// unsubscribed) with its reason: the send is never retried.
func (st Store) MarkFailed(ctx context.Context, snd Send, status, reason string) error {
	return st.finish(ctx, snd, status, "", reason)
}

func (st Store) finish(ctx context.Context, snd Send, status, messageID, reason string) error {
	expr := "SET #status = :status, updated_at = :now, reason = :reason"
	vals := map[string]types.AttributeValue{
		":status": table.S(status), ":now": table.S(st.now().UTC().Format(time.RFC3339Nano)), ":reason": table.S(reason), ":sending": table.S(StatusSending),
	}
	if messageID != "" {
		expr += ", message_id = :mid"
		vals[":mid"] = table.S(messageID)
	}
	_, err := st.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.Table),
		Key:                       table.Key(snd.TenantID, table.SendSK(snd.ReportID, Address(snd.Recipient))),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String("#status = :sending"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: vals,
	})
	if table.IsConditionalCheckFailed(err) {
		return nil // already final: an SES event or another worker got there first
	}
	if err != nil {
		return fmt.Errorf("record %s for %s as %s: %w", snd.ReportID, snd.Recipient, status, err)
	}
	return nil
}

// Release gives a claim back after a failure that did not send (SES
// throttled or unreachable), so the next delivery can send at once.
func (st Store) Release(ctx context.Context, snd Send) error {
	_, err := st.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(st.Table),
		Key:                       table.Key(snd.TenantID, table.SendSK(snd.ReportID, Address(snd.Recipient))),
		UpdateExpression:          aws.String("SET claimed_until = :zero ADD attempts :minus"),
		ConditionExpression:       aws.String("#status = :sending"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":zero": table.N(0), ":minus": table.N(-1), ":sending": table.S(StatusSending)},
	})
	if err != nil && !table.IsConditionalCheckFailed(err) {
		return fmt.Errorf("release %s for %s: %w", snd.ReportID, snd.Recipient, err)
	}
	return nil
}

// Get reads one send.
func (st Store) Get(ctx context.Context, tenantID, reportID, recipient string) (Record, bool, error) {
	out, err := st.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(st.Table), Key: table.Key(tenantID, table.SendSK(reportID, Address(recipient))), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Record{}, false, fmt.Errorf("get send %s for %s: %w", reportID, recipient, err)
	}
	if out.Item == nil {
		return Record{}, false, nil
	}
	return decode(tenantID, out.Item), true, nil
}

func decode(tenantID string, item map[string]types.AttributeValue) Record {
	str := func(k string) string {
		if v, ok := item[k].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	num := func(k string) int64 {
		if v, ok := item[k].(*types.AttributeValueMemberN); ok {
			i, _ := strconv.ParseInt(v.Value, 10, 64)
			return i
		}
		return 0
	}
	ts := func(k string) time.Time {
		t, _ := time.Parse(time.RFC3339Nano, str(k))
		return t
	}
	return Record{
		Send: Send{TenantID: tenantID, ReportID: str("report_id"), Recipient: str("recipient"), Role: str("role"),
			PeriodStart: ts("period_start"), PeriodEnd: ts("period_end"), Subject: str("subject")},
		Status: str("status"), MessageID: str("message_id"), Reason: str("reason"), Attempts: int(num("attempts")),
		ClaimedUntil: time.UnixMilli(num("claimed_until")), CreatedAt: ts("created_at"), UpdatedAt: ts("updated_at"),
	}
}

// Recent lists the tenant's sends, most recently updated first, at most
// limit.
func (st Store) Recent(ctx context.Context, tenantID string, limit int) ([]Record, error) {
	var out []Record
	p := dynamodb.NewQueryPaginator(st.DB, &dynamodb.QueryInput{
		TableName:              aws.String(st.Table),
		KeyConditionExpression: aws.String("#pk = :pk AND begins_with(#sk, :pre)"),
		ExpressionAttributeNames: map[string]string{
			"#pk": table.AttrPK, "#sk": table.AttrSK,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": table.S(table.PK(tenantID)), ":pre": table.S(table.PrefixSend),
		},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list sends of %s: %w", tenantID, err)
		}
		for _, item := range page.Items {
			out = append(out, decode(tenantID, item))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].UpdatedAt.After(out[j].UpdatedAt) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
