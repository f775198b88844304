package deploytest

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/boardpack/boardpack/services/e2e/stack"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// TestWebhookToEmailOnTheStack runs the walking skeleton's path on the
// resources the CloudFormation template creates, not on bootstrap's: the
// services find every topic, queue and the table by the stack's names and
// create nothing themselves (watermill-aws DoNotCreate* everywhere).
//
// moto's CloudFormation silently skips SNS subscriptions, queue policies
// and SES configuration sets (see motoSkips; TestTemplateStatic checks those
// parts of the template). This test makes the subscriptions exactly as the
// template declares them (raw delivery), and verifies the sender identity,
// the one manual step of deploy/README.md.
func TestWebhookToEmailOnTheStack(t *testing.T) {
	cfg := awsConfig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	prefix, outputs := deployStack(ctx, t, cfg)
	names := resources.Names{Prefix: outputs["Prefix"], Table: outputs["TableName"], ConfigurationSet: outputs["ConfigurationSetName"]}
	if names.Prefix != prefix || names.Table == "" || names.ConfigurationSet == "" {
		t.Fatalf("stack outputs lack the names the services read: %v", outputs)
	}

	snsc, sqsc := sns.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	topicARN := map[string]string{
		"metrics-v1":    outputs["MetricsTopicArn"],
		"report-due-v1": outputs["ReportDueTopicArn"],
		"ses-events":    outputs["SESEventsTopicArn"],
	}
	for _, sub := range resources.Subscriptions {
		url, err := sqsc.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(names.Queue(sub.Queue))})
		if err != nil {
			t.Fatalf("the stack has no queue %s: %v", names.Queue(sub.Queue), err)
		}
		attrs, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url.QueueUrl,
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{
			TopicArn: aws.String(topicARN[sub.Topic]), Protocol: aws.String("sqs"),
			Endpoint:   aws.String(attrs.Attributes["QueueArn"]),
			Attributes: map[string]string{"RawMessageDelivery": "true"},
		}); err != nil {
			t.Fatalf("subscribe %s: %v", sub.Queue, err)
		}
	}
	sender := outputs["SenderAddress"]
	if _, err := ses.NewFromConfig(cfg).VerifyEmailIdentity(ctx, &ses.VerifyEmailIdentityInput{EmailAddress: aws.String(sender)}); err != nil {
		t.Fatal(err)
	}

	s := stack.StartWith(t, stack.Options{Names: names, ExtraEnv: []string{"BOARDPACK_SENDER=" + sender}})
	const tenant, secret = "jada", "whsec_demo_jada"
	id := "cfn" + mototest.UniqueID()
	if code := s.PostWebhook(tenant, secret, stack.ChargeEvent(t, id, 98765, time.Now())); code != http.StatusOK {
		t.Fatalf("webhook answered %d, want 200", code)
	}
	s.Reportctl("wait", "drained", "--timeout", "60s")
	s.Reportctl("report", "send", "--tenant", tenant, "--role", "cfo")
	msg, ok := stack.WaitForEmail(t, 60*time.Second, func(m mototest.SESMessage) bool {
		return slices.Contains(m.Destinations, "cfo@jada.example.com") && strings.Contains(m.RawData, "987.65") &&
			!strings.Contains(m.RawData, "X-Boardpack-Audit-Copy:")
	})
	if !ok {
		t.Fatal("no CFO email showing $987.65 from the stack's resources after 60s")
	}
	if msg.Source != sender {
		t.Errorf("email from %s: want the stack's sender %s", msg.Source, sender)
	}
	// The audit address gets its own copy (security finding 11).
	audit, ok := stack.WaitForEmail(t, 30*time.Second, func(m mototest.SESMessage) bool {
		return slices.Contains(m.Destinations, "audit@boardpack.example.com") && strings.Contains(m.RawData, "987.65")
	})
	if !ok || audit.Source != sender {
		t.Errorf("no audit copy from the stack's sender (%v, %+v)", ok, audit.Source)
	}
}
