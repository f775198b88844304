// Package awsconf loads the AWS SDK configuration. The endpoint (AWS, moto,
// LocalStack) is chosen only by the SDK's own variables: AWS_REGION,
// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>.
package awsconf

import (
	"context"
	"fmt"
	"os"

	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
)

// DefaultRegion is used when neither AWS_REGION nor a profile names one.
const DefaultRegion = "us-east-1"

// RequestTimeout bounds one HTTP attempt. It must exceed SQS's 20 s long
// poll; callers bound whole operations with their context.
const RequestTimeout = 30 * time.Second

// Load returns the SDK configuration with the standard retryer (throttling
// and transient errors retried with jittered backoff) and a bounded
// per-attempt timeout, and a deadline on every operation whose caller set
// none (DefaultCallTimeout), so a hung endpoint never blocks a handler
// forever.
func Load(ctx context.Context, opts ...func(*config.LoadOptions) error) (aws.Config, error) {
	timeout, err := callTimeout()
	if err != nil {
		return aws.Config{}, err
	}
	opts = append([]func(*config.LoadOptions) error{
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(RequestTimeout)),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 5 })
		}),
	}, opts...)
	opts = append(opts, func(o *config.LoadOptions) error {
		o.APIOptions = append(o.APIOptions, addRequestCounter, addDeadline(timeout))
		return nil
	})
	if os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" && os.Getenv("AWS_PROFILE") == "" {
		opts = append(opts, config.WithRegion(DefaultRegion))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load aws config: %w", err)
	}
	return cfg, nil
}
