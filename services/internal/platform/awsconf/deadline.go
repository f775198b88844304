package awsconf

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/smithy-go/middleware"
)

// DefaultCallTimeout bounds one AWS operation, every retry included, when
// the caller's context has no deadline of its own: an SNS publish or a
// DynamoDB write never waits forever on a hung endpoint. It exceeds SQS's
// 20 s long poll with room for a retry.
const DefaultCallTimeout = 60 * time.Second

// EnvCallTimeout overrides DefaultCallTimeout (a Go duration).
const EnvCallTimeout = "BOARDPACK_AWS_CALL_TIMEOUT"

// callTimeout reads EnvCallTimeout.
func callTimeout() (time.Duration, error) {
	v := os.Getenv(EnvCallTimeout)
	if v == "" {
		return DefaultCallTimeout, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive duration such as 30s", EnvCallTimeout, v)
	}
	return d, nil
}

// addDeadline gives every operation a deadline: the caller's, or d from
// now when the caller set none. It runs first (initialize step), so the
// retries run within it.
func addDeadline(d time.Duration) func(*middleware.Stack) error {
	mw := middleware.InitializeMiddlewareFunc("BoardpackDeadline",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if _, ok := ctx.Deadline(); !ok {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, d)
				defer cancel()
			}
			return next.HandleInitialize(ctx, in)
		})
	return func(s *middleware.Stack) error { return s.Initialize.Add(mw, middleware.Before) }
}
