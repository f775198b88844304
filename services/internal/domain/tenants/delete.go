package tenants

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/boardpack/boardpack/services/internal/platform/table"
)

// Delete marks a tenant deleted: its configuration and its data stay in
// the table, but Get answers ErrDeleted and List leaves it out, so no
// service schedules, sends, collects or accepts webhooks for it. Restore
// (or applying the tenant again) undoes it; Purge makes it final.
//
// A tenant that is still a member of a portfolio (not deleted) is refused,
// naming the portfolio (ErrPortfolioMember): remove it from the
// portfolio's members and apply the file first.
func (s Store) Delete(ctx context.Context, id string, at time.Time) error {
	ps, err := s.ListPortfolios(ctx)
	if err != nil {
		return err
	}
	var in []string
	for _, p := range ps {
		if p.HasMember(id) {
			in = append(in, p.ID)
		}
	}
	if len(in) > 0 {
		return fmt.Errorf("%w: tenant %s is a member of portfolio %s: remove it from members there and apply the file first",
			ErrPortfolioMember, id, strings.Join(in, ", "))
	}
	return s.mark(ctx, id, table.SKConfig, "SET #d = :at", map[string]types.AttributeValue{
		":at": &types.AttributeValueMemberS{Value: at.UTC().Format(time.RFC3339)},
	})
}

// Restore undoes Delete.
func (s Store) Restore(ctx context.Context, id string) error {
	return s.mark(ctx, id, table.SKConfig, "REMOVE #d", nil)
}

// ErrPortfolioMember refuses deleting a tenant a portfolio still reads.
var ErrPortfolioMember = errors.New("tenant is a portfolio member")

func (s Store) mark(ctx context.Context, id, sk, update string, values map[string]types.AttributeValue) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table),
		Key: map[string]types.AttributeValue{
			table.AttrPK: &types.AttributeValueMemberS{Value: table.PK(id)},
			table.AttrSK: &types.AttributeValueMemberS{Value: sk},
		},
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String("attribute_exists(#pk)"),
		ExpressionAttributeNames:  map[string]string{"#pk": table.AttrPK, "#d": attrDeleted},
		ExpressionAttributeValues: values,
	})
	if table.IsConditionalCheckFailed(err) {
		if sk == table.SKPortfolio {
			return fmt.Errorf("%w: %s", ErrPortfolioNotFound, id)
		}
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", strings.ToLower(sk), id, err)
	}
	return nil
}

// Purge deletes every item of a deleted tenant's partitions
// (table.TenantPKs: its own and its ledger's shards): its configuration,
// read model, ledger of sends and import log. It refuses a
// tenant that is not marked deleted, so a purge is always a second,
// deliberate step. It returns how many items it deleted.
func (s Store) Purge(ctx context.Context, id string) (int, error) {
	if _, err := s.Get(ctx, id); !errors.Is(err, ErrDeleted) {
		if err == nil {
			return 0, fmt.Errorf("tenant %s is not deleted: delete it first", id)
		}
		return 0, err
	}
	n := 0
	var config map[string]types.AttributeValue
	// Every partition of the tenant: its own and its ledger's shards.
	for _, pk := range table.TenantPKs(id) {
		p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
			TableName:                 aws.String(s.Table),
			KeyConditionExpression:    aws.String("#pk = :pk"),
			ProjectionExpression:      aws.String("#pk, #sk"),
			ExpressionAttributeNames:  map[string]string{"#pk": table.AttrPK, "#sk": table.AttrSK},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return n, fmt.Errorf("purge tenant %s: %w", id, err)
			}
			var keys []map[string]types.AttributeValue
			for _, item := range page.Items {
				if sk, ok := item[table.AttrSK].(*types.AttributeValueMemberS); ok && sk.Value == table.SKConfig && pk == table.PK(id) {
					config = item // last, so an interrupted purge can run again
					continue
				}
				keys = append(keys, item)
			}
			if err := s.deleteKeys(ctx, keys); err != nil {
				return n, fmt.Errorf("purge tenant %s: %w (run it again to finish)", id, err)
			}
			n += len(keys)
		}
	}
	if config != nil {
		if err := s.deleteKeys(ctx, []map[string]types.AttributeValue{config}); err != nil {
			return n, fmt.Errorf("purge tenant %s: %w (run it again to finish)", id, err)
		}
		n++
	}
	return n, nil
}

// deleteKeys deletes items in batches of 25, retrying what DynamoDB
// returns unprocessed.
func (s Store) deleteKeys(ctx context.Context, keys []map[string]types.AttributeValue) error {
	for i := 0; i < len(keys); i += 25 {
		var reqs []types.WriteRequest
		for _, k := range keys[i:min(i+25, len(keys))] {
			reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}})
		}
		pending := map[string][]types.WriteRequest{s.Table: reqs}
		for try := 0; len(pending[s.Table]) > 0; try++ {
			if try > 0 {
				if try > 8 {
					return errors.New("DynamoDB kept items unprocessed")
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(time.Duration(try*try) * 50 * time.Millisecond):
				}
			}
			out, err := s.DB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return err
			}
			pending = out.UnprocessedItems
		}
	}
	return nil
}
