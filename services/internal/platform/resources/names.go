// Package resources names Boardpack's AWS resources and creates them for local
// runs and tests (`reportctl bootstrap`). Outside local runs the same
// resources come from deploy/cloudformation, and services never create
// anything at run time. The table's key schema is package table's.
package resources

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/platform/envconfig"
)

// Queue names (before the prefix). Each has a dead-letter queue named
// <queue>-dlq.
const (
	QueueAggregatorMetrics = "aggregator-metrics"
	QueueMailerReportDue   = "mailer-report-due"
	QueueMailerSESEvents   = "mailer-ses-events"
	// QueueAlerterMetrics is the alerter's own copy of metrics-v1.
	QueueAlerterMetrics = "alerter-metrics"
)

// DLQSuffix ends every dead-letter queue name.
const DLQSuffix = "-dlq"

// Subscription ties a queue to the topic it receives.
type Subscription struct {
	Topic, Queue string
}

// Subscriptions lists every topic → queue pair, before prefixing.
var Subscriptions = []Subscription{
	{Topic: messages.TopicMetrics, Queue: QueueAggregatorMetrics},
	{Topic: messages.TopicReportDue, Queue: QueueMailerReportDue},
	{Topic: messages.TopicSESEvents, Queue: QueueMailerSESEvents},
	{Topic: messages.TopicMetrics, Queue: QueueAlerterMetrics},
}

// Topics lists every topic, before prefixing.
var Topics = []string{messages.TopicMetrics, messages.TopicReportDue, messages.TopicSESEvents}

// Names turns logical names into the deployment's resource names. A prefix
// lets several deployments (or tests) share one account.
type Names struct {
	// Prefix is prepended to every topic and queue (BOARDPACK_PREFIX).
	Prefix string
	// Table is the DynamoDB table (BOARDPACK_TABLE).
	Table string
	// ConfigurationSet is the SES configuration set (BOARDPACK_SES_CONFIGURATION_SET).
	ConfigurationSet string
}

// NamesFromEnv reads the names every service shares.
func NamesFromEnv(r *envconfig.Reader) Names {
	n := Names{
		Prefix:           r.String("BOARDPACK_PREFIX", ""),
		Table:            r.String("BOARDPACK_TABLE", "boardpack"),
		ConfigurationSet: r.String("BOARDPACK_SES_CONFIGURATION_SET", "boardpack"),
	}
	if strings.ContainsAny(n.Prefix, " /:") {
		r.Fail("BOARDPACK_PREFIX: %q may hold only letters, digits, - and _", n.Prefix)
	}
	return n
}

// Topic is the deployed name of a topic.
func (n Names) Topic(base string) string { return n.Prefix + base }

// Queue is the deployed name of a queue.
func (n Names) Queue(base string) string { return n.Prefix + base }

// DLQ is the deployed name of a queue's dead-letter queue.
func (n Names) DLQ(base string) string { return n.Prefix + base + DLQSuffix }

// Account identifies where topics live, to build their ARNs without any
// lookup on the publish path.
type Account struct {
	ID, Region, Partition string
}

// TopicARN is the ARN of a deployed topic name.
func (a Account) TopicARN(name string) string {
	return fmt.Sprintf("arn:%s:sns:%s:%s:%s", a.Partition, a.Region, a.ID, name)
}

// ResolveAccount asks STS who we are (sts:GetCallerIdentity needs no
// permission).
func ResolveAccount(ctx context.Context, cfg aws.Config) (Account, error) {
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Account{}, fmt.Errorf("get caller identity: %w", err)
	}
	partition := "aws"
	if arn := aws.ToString(out.Arn); strings.HasPrefix(arn, "arn:") {
		if parts := strings.SplitN(arn, ":", 3); len(parts) == 3 {
			partition = parts[1]
		}
	}
	return Account{ID: aws.ToString(out.Account), Region: cfg.Region, Partition: partition}, nil
}
