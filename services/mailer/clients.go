package main

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// The mailer hands the stores, the sender and the readiness checks the
// operations they call, never the SDK clients themselves. The mailer
// executes templates, and a binary that does keeps every exported method
// of every type it turns into an interface value, or stores in a struct
// that it does (a template may call any method by name): the DynamoDB, SES
// and SQS clients in interfaces kept all of their operations (63, 72 and
// 24), MiB of code and tables the process maps at start (P6's idle RSS in
// BENCHMARKS.md). TestBinaryKeepsOnlyTheAWSOperationsItCalls checks the
// binary. (SQS still keeps its operations: watermill-aws's subscriber
// holds an *sqs.Client.)

// errNotMailerOperation answers the DynamoDB operations that the stores'
// interfaces name but that the mailer never calls (and its IAM role does not
// allow), so the binary keeps neither them nor a grant for them.
type errNotMailerOperation string

func (e errNotMailerOperation) Error() string {
	return "dynamodb " + string(e) + ": not an operation the mailer calls"
}

// dynamoClient is the DynamoDB operations the mailer's stores and
// readiness check call.
type dynamoClient struct {
	getItem       func(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	putItem       func(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	updateItem    func(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	query         func(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	describeTable func(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

func newDynamoClient(c *dynamodb.Client) dynamoClient {
	return dynamoClient{
		getItem:       c.GetItem,
		putItem:       c.PutItem,
		updateItem:    c.UpdateItem,
		query:         c.Query,
		describeTable: c.DescribeTable,
	}
}

func (c dynamoClient) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return c.getItem(ctx, in, opts...)
}

func (c dynamoClient) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return c.putItem(ctx, in, opts...)
}

func (c dynamoClient) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return c.updateItem(ctx, in, opts...)
}

func (c dynamoClient) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return nil, errNotMailerOperation("DeleteItem")
}

func (c dynamoClient) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return c.query(ctx, in, opts...)
}

func (c dynamoClient) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return nil, errNotMailerOperation("TransactWriteItems")
}

func (c dynamoClient) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	return nil, errNotMailerOperation("BatchWriteItem")
}

func (c dynamoClient) DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	return c.describeTable(ctx, in, opts...)
}

// sesClient is the SES operations the sender calls.
type sesClient struct {
	sendRawEmail func(context.Context, *ses.SendRawEmailInput, ...func(*ses.Options)) (*ses.SendRawEmailOutput, error)
	getSendQuota func(context.Context, *ses.GetSendQuotaInput, ...func(*ses.Options)) (*ses.GetSendQuotaOutput, error)
}

func newSESClient(c *ses.Client) sesClient {
	return sesClient{
		sendRawEmail: c.SendRawEmail,
		getSendQuota: c.GetSendQuota,
	}
}

func (c sesClient) SendRawEmail(ctx context.Context, in *ses.SendRawEmailInput, opts ...func(*ses.Options)) (*ses.SendRawEmailOutput, error) {
	return c.sendRawEmail(ctx, in, opts...)
}

func (c sesClient) GetSendQuota(ctx context.Context, in *ses.GetSendQuotaInput, opts ...func(*ses.Options)) (*ses.GetSendQuotaOutput, error) {
	return c.getSendQuota(ctx, in, opts...)
}

// sqsClient is the SQS operations the readiness checks call.
type sqsClient struct {
	getQueueUrl        func(context.Context, *sqs.GetQueueUrlInput, ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	getQueueAttributes func(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

func newSQSClient(c *sqs.Client) sqsClient {
	return sqsClient{
		getQueueUrl:        c.GetQueueUrl,
		getQueueAttributes: c.GetQueueAttributes,
	}
}

func (c sqsClient) GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, opts ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error) {
	return c.getQueueUrl(ctx, in, opts...)
}

func (c sqsClient) GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	return c.getQueueAttributes(ctx, in, opts...)
}
