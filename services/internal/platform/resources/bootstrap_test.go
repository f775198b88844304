package resources_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

func TestMain(m *testing.M) { mototest.Main(m) }

func TestBootstrapIsIdempotentAndWiresDLQs(t *testing.T) {
	names := mototest.Names(t)
	spec := resources.Spec{Names: names, MaxReceiveCount: 3, Identities: []string{"reports@boardpack.example.com"}}
	env := mototest.Bootstrap(t, spec)
	// A second run must succeed and keep the same resources.
	again := mototest.Bootstrap(t, spec)
	for q, url := range env.Resource.QueueURLs {
		if again.Resource.QueueURLs[q] != url {
			t.Errorf("queue %s: second bootstrap gave %s, first %s", q, again.Resource.QueueURLs[q], url)
		}
	}
	c := sqs.NewFromConfig(env.AWS)
	for _, sub := range resources.Subscriptions {
		url := env.Resource.QueueURLs[sub.Queue]
		out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
			QueueUrl:       aws.String(url),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
		})
		if err != nil {
			t.Fatal(err)
		}
		var redrive struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			MaxReceiveCount     any    `json:"maxReceiveCount"`
		}
		if err := json.Unmarshal([]byte(out.Attributes["RedrivePolicy"]), &redrive); err != nil {
			t.Fatalf("queue %s: redrive policy %q: %v", sub.Queue, out.Attributes["RedrivePolicy"], err)
		}
		if want := names.DLQ(sub.Queue); len(redrive.DeadLetterTargetArn) < len(want) || redrive.DeadLetterTargetArn[len(redrive.DeadLetterTargetArn)-len(want):] != want {
			t.Errorf("queue %s: DLQ %s, want ...%s", sub.Queue, redrive.DeadLetterTargetArn, want)
		}
	}
}
