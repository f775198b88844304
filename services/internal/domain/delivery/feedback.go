package delivery

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/boardpack/boardpack/services/internal/platform/table"
)

// Suppress stops every future email of the tenant to address (hard
// bounce, complaint). Idempotent: the first reason is kept.
func (st Store) Suppress(ctx context.Context, tenantID, address, reason string) error {
	return st.putOnce(ctx, tenantID, table.SuppressSK(Address(address)), map[string]types.AttributeValue{
		"address": table.S(Address(address)), "reason": table.S(reason),
	})
}

// Unsubscribe stops the role's report to address. Idempotent.
func (st Store) Unsubscribe(ctx context.Context, tenantID, role, address string) error {
	return st.putOnce(ctx, tenantID, table.UnsubSK(role, Address(address)), map[string]types.AttributeValue{
		"address": table.S(Address(address)), "role": table.S(role),
	})
}

func (st Store) putOnce(ctx context.Context, tenantID, sk string, attrs map[string]types.AttributeValue) error {
	item := table.Key(tenantID, sk)
	for k, v := range attrs {
		item[k] = v
	}
	item["created_at"] = table.S(st.now().UTC().Format(time.RFC3339Nano))
	_, err := st.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(st.Table), Item: item,
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": table.AttrPK},
	})
	if err != nil && !table.IsConditionalCheckFailed(err) {
		return fmt.Errorf("put %s of %s: %w", sk, tenantID, err)
	}
	return nil
}

// Blocked says why address must not receive the role's report of the
// tenant: StatusSuppressed or StatusUnsubscribed with the reason, or "".
func (st Store) Blocked(ctx context.Context, tenantID, role, address string) (status, reason string, err error) {
	for _, c := range []struct{ sk, status string }{
		{table.SuppressSK(Address(address)), StatusSuppressed}, {table.UnsubSK(role, Address(address)), StatusUnsubscribed},
	} {
		out, err := st.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(st.Table), Key: table.Key(tenantID, c.sk), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return "", "", fmt.Errorf("check %s of %s: %w", c.sk, tenantID, err)
		}
		if out.Item != nil {
			r := "unsubscribed by one-click link"
			if v, ok := out.Item["reason"].(*types.AttributeValueMemberS); ok && c.status == StatusSuppressed {
				r = v.Value
			}
			return c.status, r, nil
		}
	}
	return "", "", nil
}

// Event is one SES event about one recipient of one send.
type Event struct {
	TenantID, ReportID, Recipient string
	// Key identifies the event (SES message id + type + recipient +
	// timestamp): the same key applies once.
	Key string
	// Status is StatusDelivered, StatusBounced or StatusComplained.
	Status string
	Reason string
	At     time.Time
}

// statusRank orders feedback: a later, weaker event (a delivery after a
// complaint) never overrides a stronger one.
var statusRank = map[string]int{StatusSending: 0, StatusSent: 1, StatusDelivered: 2, StatusBounced: 3, StatusComplained: 4}

// ApplyEvent updates the send's status once per event key. It returns
// applied=false for a duplicate (or an event about an unknown send).
func (st Store) ApplyEvent(ctx context.Context, ev Event) (applied bool, err error) {
	expr := "ADD events :k SET updated_at = :now"
	vals := map[string]types.AttributeValue{
		":k": &types.AttributeValueMemberSS{Value: []string{ev.Key}}, ":key": table.S(ev.Key),
		":now": table.S(st.now().UTC().Format(time.RFC3339Nano)),
	}
	cond := "attribute_exists(#pk) AND NOT contains(events, :key)"
	names := map[string]string{"#pk": table.AttrPK}
	// Recording the event key and raising the status are two conditional
	// writes (the status only moves forward: delivered < bounced <
	// complained). Both are idempotent; a crash between them is repaired
	// by the redelivery, which calls EnsureStatus.
	_, err = st.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(st.Table), Key: table.Key(ev.TenantID, table.SendSK(ev.ReportID, Address(ev.Recipient))),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String(cond),
		ExpressionAttributeNames: names, ExpressionAttributeValues: vals,
	})
	if table.IsConditionalCheckFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("apply %s event to %s/%s: %w", ev.Status, ev.ReportID, ev.Recipient, err)
	}
	if err := st.raiseStatus(ctx, ev); err != nil {
		return true, err
	}
	return true, nil
}

// raiseStatus sets the status when it is stronger than the current one.
// It is idempotent.
func (st Store) raiseStatus(ctx context.Context, ev Event) error {
	weaker := []types.AttributeValue{}
	for name, r := range statusRank {
		if r < statusRank[ev.Status] {
			weaker = append(weaker, table.S(name))
		}
	}
	vals := map[string]types.AttributeValue{":status": table.S(ev.Status), ":reason": table.S(ev.Reason)}
	var ors []string
	for i, w := range weaker {
		k := fmt.Sprintf(":w%d", i)
		vals[k] = w
		ors = append(ors, "#status = "+k)
	}
	if len(ors) == 0 {
		return nil
	}
	_, err := st.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(st.Table), Key: table.Key(ev.TenantID, table.SendSK(ev.ReportID, Address(ev.Recipient))),
		UpdateExpression:          aws.String("SET #status = :status, reason = :reason"),
		ConditionExpression:       aws.String(strings.Join(ors, " OR ")),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: vals,
	})
	if err != nil && !table.IsConditionalCheckFailed(err) {
		return fmt.Errorf("set status %s on %s/%s: %w", ev.Status, ev.ReportID, ev.Recipient, err)
	}
	return nil
}

// EnsureStatus re-applies an event's status without counting it: used on
// redelivery after a crash between the two writes of ApplyEvent.
func (st Store) EnsureStatus(ctx context.Context, ev Event) error { return st.raiseStatus(ctx, ev) }
