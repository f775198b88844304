// Package readiness has the /readyz checks services share: the table is
// active, a queue is reachable.
package readiness

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/boardpack/boardpack/services/internal/platform/httpserver"
)

// TableDescriber is what Table needs of DynamoDB.
type TableDescriber interface {
	DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

// QueueLookup is what Queue needs of SQS.
type QueueLookup interface {
	GetQueueUrl(context.Context, *sqs.GetQueueUrlInput, ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// Table is ready when the table exists and is active (or updating).
func Table(db TableDescriber, table string) httpserver.ReadyCheck {
	return func(ctx context.Context) error {
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err != nil {
			return fmt.Errorf("describe table %s: %w", table, err)
		}
		if s := out.Table.TableStatus; s != ddbtypes.TableStatusActive && s != ddbtypes.TableStatusUpdating {
			return fmt.Errorf("table %s is %s", table, s)
		}
		return nil
	}
}

// Queue is ready when the queue exists and its attributes can be read.
func Queue(c QueueLookup, queue string) httpserver.ReadyCheck {
	return func(ctx context.Context) error {
		u, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(queue)})
		if err != nil {
			return fmt.Errorf("find queue %s: %w", queue, err)
		}
		_, err = c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl:       u.QueueUrl,
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages},
		})
		if err != nil {
			return fmt.Errorf("read queue %s: %w", queue, err)
		}
		return nil
	}
}
