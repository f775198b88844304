package awsconf_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/boardpack/boardpack/services/internal/platform/awsconf"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
)

func TestMain(m *testing.M) { mototest.Main(m) }

func TestEveryRequestIsCounted(t *testing.T) {
	mototest.Endpoint(t)
	cfg, err := awsconf.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := awsconf.Requests.WithLabelValues("SQS", "ListQueues")
	before := testutil.ToFloat64(c)
	for range 3 {
		if _, err := sqs.NewFromConfig(cfg).ListQueues(context.Background(), &sqs.ListQueuesInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := testutil.ToFloat64(c) - before; got != 3 {
		t.Fatalf("counted %v ListQueues requests, want 3", got)
	}
}
