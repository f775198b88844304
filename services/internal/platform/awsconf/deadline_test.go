package awsconf_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"github.com/boardpack/boardpack/services/internal/platform/awsconf"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
)

// deadlineSeen records the deadline each attempt is sent under.
func deadlineSeen(got *time.Time, ok *bool) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("TestDeadlineSeen",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				*got, *ok = ctx.Deadline()
				return next.HandleFinalize(ctx, in)
			}), middleware.After)
	}
}

// Every AWS call has a deadline (security review, lower severity): the
// caller's when it set one, else BOARDPACK_AWS_CALL_TIMEOUT from the call.
func TestEveryCallHasADeadline(t *testing.T) {
	mototest.Endpoint(t)
	t.Setenv(awsconf.EnvCallTimeout, "7s")
	cfg, err := awsconf.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var at time.Time
	var ok bool
	c := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.APIOptions = append(o.APIOptions, deadlineSeen(&at, &ok)) })

	before := time.Now()
	if _, err := c.ListQueues(context.Background(), &sqs.ListQueuesInput{}); err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Fatal("a call without a caller's deadline was sent without one")
	}
	if at.Before(before.Add(7*time.Second)) || at.After(time.Now().Add(7*time.Second)) {
		t.Errorf("deadline %v from the call, want %s", at.Sub(before), "7s")
	}

	// A caller's own, shorter deadline stands.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	want, _ := ctx.Deadline()
	if _, err := c.ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
		t.Fatal(err)
	}
	if !ok || !at.Equal(want) {
		t.Errorf("deadline %v, want the caller's %v", at, want)
	}
}

func TestCallTimeoutMustBeADuration(t *testing.T) {
	for _, v := range []string{"soon", "0s", "-5s"} {
		t.Setenv(awsconf.EnvCallTimeout, v)
		if _, err := awsconf.Load(context.Background()); err == nil {
			t.Errorf("%s=%q accepted", awsconf.EnvCallTimeout, v)
		}
	}
}
