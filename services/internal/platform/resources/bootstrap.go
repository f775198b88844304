package resources

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/platform/table"
)

// Spec says what bootstrap creates.
type Spec struct {
	Names Names
	// VisibilityTimeout of the work queues: longer than any handler runs.
	VisibilityTimeout time.Duration
	// MaxReceiveCount deliveries before a message moves to the DLQ.
	MaxReceiveCount int
	// Identities to verify in SES: the envelope sender and the From
	// addresses (or their domains).
	Identities []string
}

func (s *Spec) setDefaults() {
	if s.VisibilityTimeout == 0 {
		s.VisibilityTimeout = 60 * time.Second
	}
	if s.MaxReceiveCount == 0 {
		s.MaxReceiveCount = 5
	}
}

// Result reports what bootstrap found or made.
type Result struct {
	TopicARNs map[string]string
	QueueURLs map[string]string
	DLQURLs   map[string]string
}

// Bootstrap creates every topic, queue, dead-letter queue, subscription,
// the table and the SES identities and configuration set. It is idempotent:
// running it again changes nothing that is already right, and corrects
// queue attributes that drifted.
func Bootstrap(ctx context.Context, cfg aws.Config, spec Spec) (Result, error) {
	spec.setDefaults()
	snsc, sqsc := sns.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	res := Result{TopicARNs: map[string]string{}, QueueURLs: map[string]string{}, DLQURLs: map[string]string{}}

	for _, t := range Topics {
		out, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(spec.Names.Topic(t))})
		if err != nil {
			return res, fmt.Errorf("create topic %s: %w", spec.Names.Topic(t), err)
		}
		res.TopicARNs[t] = aws.ToString(out.TopicArn)
	}

	for _, sub := range Subscriptions {
		dlqURL, dlqARN, err := ensureQueue(ctx, sqsc, spec.Names.DLQ(sub.Queue), map[string]string{
			"MessageRetentionPeriod": strconv.Itoa(14 * 24 * 3600),
		})
		if err != nil {
			return res, err
		}
		redrive, _ := json.Marshal(map[string]string{
			"deadLetterTargetArn": dlqARN,
			"maxReceiveCount":     strconv.Itoa(spec.MaxReceiveCount),
		})
		topicARN := res.TopicARNs[sub.Topic]
		policy, _ := json.Marshal(map[string]any{
			"Version": "2012-10-17",
			"Statement": []map[string]any{{
				"Effect":    "Allow",
				"Principal": map[string]string{"Service": "sns.amazonaws.com"},
				"Action":    "sqs:SendMessage",
				"Resource":  "*",
				"Condition": map[string]any{"ArnEquals": map[string]string{"aws:SourceArn": topicARN}},
			}},
		})
		url, queueARN, err := ensureQueue(ctx, sqsc, spec.Names.Queue(sub.Queue), map[string]string{
			"VisibilityTimeout":             strconv.Itoa(int(spec.VisibilityTimeout / time.Second)),
			"MessageRetentionPeriod":        strconv.Itoa(4 * 24 * 3600),
			"ReceiveMessageWaitTimeSeconds": "20",
			"RedrivePolicy":                 string(redrive),
			"Policy":                        string(policy),
		})
		if err != nil {
			return res, err
		}
		res.QueueURLs[sub.Queue], res.DLQURLs[sub.Queue] = url, dlqURL
		if err := ensureSubscription(ctx, snsc, topicARN, queueARN); err != nil {
			return res, err
		}
	}

	if err := ensureTable(ctx, dynamodb.NewFromConfig(cfg), spec.Names.Table); err != nil {
		return res, err
	}
	if err := ensureSES(ctx, ses.NewFromConfig(cfg), spec, res.TopicARNs[messages.TopicSESEvents]); err != nil {
		return res, err
	}
	return res, nil
}

func ensureQueue(ctx context.Context, c *sqs.Client, name string, attrs map[string]string) (url, arn string, err error) {
	out, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		// AWS refuses CreateQueue when the queue exists with other
		// attributes: find it and set them instead.
		var exists *sqstypes.QueueNameExists
		if !errors.As(err, &exists) {
			return "", "", fmt.Errorf("create queue %s: %w", name, err)
		}
		got, gerr := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
		if gerr != nil {
			return "", "", fmt.Errorf("find queue %s: %w", name, gerr)
		}
		if _, serr := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: got.QueueUrl, Attributes: attrs}); serr != nil {
			return "", "", fmt.Errorf("update queue %s: %w", name, serr)
		}
		out = &sqs.CreateQueueOutput{QueueUrl: got.QueueUrl}
	} else if _, err := c.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: out.QueueUrl, Attributes: attrs}); err != nil {
		// CreateQueue of an existing queue with the same name succeeds on
		// some emulators without applying attributes: always set them.
		return "", "", fmt.Errorf("update queue %s: %w", name, err)
	}
	qa, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       out.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", "", fmt.Errorf("queue %s arn: %w", name, err)
	}
	return aws.ToString(out.QueueUrl), qa.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], nil
}

func ensureSubscription(ctx context.Context, c *sns.Client, topicARN, queueARN string) error {
	// Subscribe is idempotent for the same endpoint and attributes.
	_, err := c.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn:              aws.String(topicARN),
		Protocol:              aws.String("sqs"),
		Endpoint:              aws.String(queueARN),
		Attributes:            map[string]string{"RawMessageDelivery": "true"},
		ReturnSubscriptionArn: true,
	})
	if err != nil {
		return fmt.Errorf("subscribe %s to %s: %w", queueARN, topicARN, err)
	}
	return nil
}

func ensureTable(ctx context.Context, c *dynamodb.Client, name string) error {
	s := func(name string) ddbtypes.AttributeDefinition {
		return ddbtypes.AttributeDefinition{AttributeName: aws.String(name), AttributeType: ddbtypes.ScalarAttributeTypeS}
	}
	key := func(pk, sk string) []ddbtypes.KeySchemaElement {
		return []ddbtypes.KeySchemaElement{
			{AttributeName: aws.String(pk), KeyType: ddbtypes.KeyTypeHash},
			{AttributeName: aws.String(sk), KeyType: ddbtypes.KeyTypeRange},
		}
	}
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{s(table.AttrPK), s(table.AttrSK), s(table.AttrGSI1PK), s(table.AttrGSI1SK)},
		KeySchema:            key(table.AttrPK, table.AttrSK),
		GlobalSecondaryIndexes: []ddbtypes.GlobalSecondaryIndex{{
			IndexName:  aws.String(table.IndexGSI1),
			KeySchema:  key(table.AttrGSI1PK, table.AttrGSI1SK),
			Projection: &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionTypeAll},
		}},
	})
	var inUse *ddbtypes.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	if err := dynamodb.NewTableExistsWaiter(c).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 2*time.Minute); err != nil {
		return fmt.Errorf("wait for table %s: %w", name, err)
	}
	ttl, err := c.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("describe ttl of %s: %w", name, err)
	}
	if d := ttl.TimeToLiveDescription; d == nil || d.TimeToLiveStatus == ddbtypes.TimeToLiveStatusDisabled {
		_, err = c.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName:               aws.String(name),
			TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String(table.AttrExpiresAt), Enabled: aws.Bool(true)},
		})
		if err != nil {
			return fmt.Errorf("enable ttl on %s: %w", name, err)
		}
	}
	return nil
}

func ensureSES(ctx context.Context, c *ses.Client, spec Spec, sesEventsTopicARN string) error {
	for _, id := range spec.Identities {
		var err error
		if isEmail(id) {
			_, err = c.VerifyEmailIdentity(ctx, &ses.VerifyEmailIdentityInput{EmailAddress: aws.String(id)})
		} else {
			_, err = c.VerifyDomainIdentity(ctx, &ses.VerifyDomainIdentityInput{Domain: aws.String(id)})
		}
		if err != nil {
			return fmt.Errorf("verify ses identity %s: %w", id, err)
		}
	}
	set := spec.Names.ConfigurationSet
	if set == "" {
		return nil
	}
	_, err := c.CreateConfigurationSet(ctx, &ses.CreateConfigurationSetInput{
		ConfigurationSet: &sestypes.ConfigurationSet{Name: aws.String(set)},
	})
	var exists *sestypes.ConfigurationSetAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("create ses configuration set %s: %w", set, err)
	}
	_, err = c.CreateConfigurationSetEventDestination(ctx, &ses.CreateConfigurationSetEventDestinationInput{
		ConfigurationSetName: aws.String(set),
		EventDestination: &sestypes.EventDestination{
			Name:    aws.String("boardpack-ses-events"),
			Enabled: true,
			MatchingEventTypes: []sestypes.EventType{
				sestypes.EventTypeDelivery, sestypes.EventTypeBounce, sestypes.EventTypeComplaint,
				sestypes.EventTypeReject, sestypes.EventTypeSend,
			},
			SNSDestination: &sestypes.SNSDestination{TopicARN: aws.String(sesEventsTopicARN)},
		},
	})
	var destExists *sestypes.EventDestinationAlreadyExistsException
	if err != nil && !errors.As(err, &destExists) {
		return fmt.Errorf("create ses event destination on %s: %w", set, err)
	}
	return nil
}

func isEmail(id string) bool {
	for _, r := range id {
		if r == '@' {
			return true
		}
	}
	return false
}
