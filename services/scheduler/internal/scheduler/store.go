package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/schedule"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/table"
)

// The scheduler's items (their key shapes are package table's):
//
//	pk           sk                 item
//	TENANT#<id>  DUE#<report id>    a report due: written once, before it is
//	                                published (attribute_not_exists decides
//	                                which pass or replica fires it)
//	TENANT#<id>  DUE#CURSOR         every firing up to cursor_at has its
//	                                DUE# record
//
// A DUE# record that is not yet published carries gsi1pk=DUE#PENDING (a
// sparse entry in gsi1, removed when published), so one Query finds every
// record a crash left unpublished, across tenants, without scanning the
// ever-growing history.
const (
	attrDoc         = "doc"
	attrRole        = "role"
	attrPeriodKind  = "period_kind"
	attrDueAt       = "due_at"
	attrCron        = "cron"
	attrWrittenAt   = "written_at"
	attrWrittenBy   = "written_by"
	attrClaimUntil  = "claim_until"
	attrClaimedBy   = "claimed_by"
	attrPublishedAt = "published_at"
	attrPublishedBy = "published_by"
	attrCursorAt    = "cursor_at"
)

// retention keeps DUE# records (the idempotency keys) long after any
// catch-up window could bring their firing back.
const retention = 400 * 24 * time.Hour

// dynamoAPI is what the scheduler needs of DynamoDB.
type dynamoAPI interface {
	tenants.DynamoAPI
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// store reads and writes the scheduler's items.
type store struct {
	db    dynamoAPI
	table string
}

func dueKey(tenantID, reportID string) map[string]types.AttributeValue {
	return table.Key(tenantID, table.DueSK(reportID))
}

// create writes the record of a firing, claimed by owner until
// now+lease. created=false means the record already existed: another pass
// or replica fired this report (or a schedule change led to the same
// period), and this one must not publish it.
func (st store) create(ctx context.Context, f schedule.Firing, now time.Time, lease time.Duration, owner string) (created bool, err error) {
	doc, err := json.Marshal(f.ReportDue())
	if err != nil {
		return false, fmt.Errorf("encode report due %s: %w", f.ReportID, err)
	}
	item := dueKey(f.Schedule.TenantID, f.ReportID)
	item[attrDoc] = table.S(string(doc))
	item[attrRole] = table.S(f.Schedule.Role)
	item[attrPeriodKind] = table.S(f.Schedule.Period)
	item[attrDueAt] = table.S(f.At.UTC().Format(time.RFC3339))
	item[attrCron] = table.S(f.Schedule.Cron)
	item[attrWrittenAt] = table.S(now.UTC().Format(time.RFC3339Nano))
	item[attrWrittenBy] = table.S(owner)
	item[attrClaimUntil] = table.N(now.Add(lease).UnixMilli())
	item[attrClaimedBy] = table.S(owner)
	item[table.AttrGSI1PK] = table.S(table.GSI1DuePending)
	item[table.AttrGSI1SK] = table.S(table.DuePendingSK(f.At, f.Schedule.TenantID, f.ReportID))
	item[table.AttrExpiresAt] = table.N(f.At.Add(retention).Unix())
	_, err = st.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(st.table),
		Item:                item,
		ConditionExpression: aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{
			"#pk": table.AttrPK,
		},
	})
	if table.IsConditionalCheckFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("write report due %s of tenant %s: %w", f.ReportID, f.Schedule.TenantID, err)
	}
	return true, nil
}

// markPublished records the publish and takes the record out of the
// pending index.
func (st store) markPublished(ctx context.Context, tenantID, reportID string, now time.Time, owner string) error {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(st.table),
		Key:                 dueKey(tenantID, reportID),
		UpdateExpression:    aws.String("SET #pa = :now, #pb = :owner REMOVE #gpk, #gsk, #cu"),
		ConditionExpression: aws.String("attribute_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{
			"#pa": attrPublishedAt, "#pb": attrPublishedBy,
			"#gpk": table.AttrGSI1PK, "#gsk": table.AttrGSI1SK, "#cu": attrClaimUntil,
			"#pk": table.AttrPK,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": table.S(now.UTC().Format(time.RFC3339Nano)), ":owner": table.S(owner),
		},
	})
	if err != nil {
		return fmt.Errorf("mark report due %s of tenant %s published: %w", reportID, tenantID, err)
	}
	return nil
}

// claim takes an unpublished record whose claim expired, for owner until
// now+lease. Only one replica wins a claim, so a record is republished once
// per lease, not once per replica.
func (st store) claim(ctx context.Context, tenantID, reportID string, now time.Time, lease time.Duration, owner string) (bool, error) {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(st.table),
		Key:                 dueKey(tenantID, reportID),
		UpdateExpression:    aws.String("SET #cu = :until, #cb = :owner"),
		ConditionExpression: aws.String("attribute_exists(#gpk) AND (attribute_not_exists(#cu) OR #cu < :now)"),
		ExpressionAttributeNames: map[string]string{
			"#cu": attrClaimUntil, "#cb": attrClaimedBy, "#gpk": table.AttrGSI1PK,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":until": table.N(now.Add(lease).UnixMilli()), ":now": table.N(now.UnixMilli()), ":owner": table.S(owner),
		},
	})
	if table.IsConditionalCheckFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim report due %s of tenant %s: %w", reportID, tenantID, err)
	}
	return true, nil
}

// release gives up owner's claim after a failed publish, so the next pass
// (of any replica) retries at once instead of after the lease.
func (st store) release(ctx context.Context, tenantID, reportID, owner string) error {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(st.table),
		Key:                 dueKey(tenantID, reportID),
		UpdateExpression:    aws.String("SET #cu = :zero"),
		ConditionExpression: aws.String("attribute_exists(#gpk) AND #cb = :owner"),
		ExpressionAttributeNames: map[string]string{
			"#cu": attrClaimUntil, "#cb": attrClaimedBy, "#gpk": table.AttrGSI1PK,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":zero": table.N(0), ":owner": table.S(owner),
		},
	})
	if err != nil && !table.IsConditionalCheckFailed(err) {
		return fmt.Errorf("release report due %s of tenant %s: %w", reportID, tenantID, err)
	}
	return nil
}

// pendingDue is an unpublished record.
type pendingDue struct {
	TenantID, ReportID string
	Due                messages.ReportDue
}

// pending returns up to limit unpublished records whose claim expired by
// now, oldest firing first.
func (st store) pending(ctx context.Context, now time.Time, limit int) ([]pendingDue, error) {
	p := dynamodb.NewQueryPaginator(st.db, &dynamodb.QueryInput{
		TableName:              aws.String(st.table),
		IndexName:              aws.String(table.IndexGSI1),
		KeyConditionExpression: aws.String("#gpk = :p"),
		FilterExpression:       aws.String("attribute_not_exists(#cu) OR #cu < :now"),
		ExpressionAttributeNames: map[string]string{
			"#gpk": table.AttrGSI1PK, "#cu": attrClaimUntil,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p": table.S(table.GSI1DuePending), ":now": table.N(now.UnixMilli()),
		},
	})
	var res []pendingDue
	for p.HasMorePages() && len(res) < limit {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query pending report dues: %w", err)
		}
		for _, item := range page.Items {
			doc, ok := item[attrDoc].(*types.AttributeValueMemberS)
			if !ok {
				return nil, errors.New("pending report due without doc")
			}
			var d messages.ReportDue
			if err := json.Unmarshal([]byte(doc.Value), &d); err != nil {
				return nil, fmt.Errorf("decode pending report due: %w", err)
			}
			res = append(res, pendingDue{TenantID: d.TenantID, ReportID: d.ReportID, Due: d})
		}
	}
	if len(res) > limit {
		res = res[:limit]
	}
	return res, nil
}

// cursor returns the tenant's cursor; ok=false for a tenant the scheduler
// has never passed over.
func (st store) cursor(ctx context.Context, tenantID string) (at time.Time, ok bool, err error) {
	out, err := st.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(st.table),
		Key:            table.Key(tenantID, table.SKDueCursor),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read cursor of tenant %s: %w", tenantID, err)
	}
	v, found := out.Item[attrCursorAt].(*types.AttributeValueMemberN)
	if !found {
		return time.Time{}, false, nil
	}
	ms, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("cursor of tenant %s: %w", tenantID, err)
	}
	return time.UnixMilli(ms).UTC(), true, nil
}

// advance moves the tenant's cursor forward to at; never backwards, so a
// slow replica finishing an old pass cannot undo a newer one.
func (st store) advance(ctx context.Context, tenantID string, at time.Time) error {
	_, err := st.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(st.table),
		Key:                 table.Key(tenantID, table.SKDueCursor),
		UpdateExpression:    aws.String("SET #c = :at"),
		ConditionExpression: aws.String("attribute_not_exists(#c) OR #c < :at"),
		ExpressionAttributeNames: map[string]string{
			"#c": attrCursorAt,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":at": table.N(at.UnixMilli()),
		},
	})
	if err != nil && !table.IsConditionalCheckFailed(err) {
		return fmt.Errorf("advance cursor of tenant %s: %w", tenantID, err)
	}
	return nil
}
