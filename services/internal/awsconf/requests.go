package awsconf

import (
	"context"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	"github.com/prometheus/client_golang/prometheus"
)

// Requests counts every AWS API attempt this process makes, by service and
// operation (boardpack_aws_requests_total). httpserver exposes it on
// /metrics, so the cost of each path in requests is measurable from outside.
var Requests = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "boardpack_aws_requests_total",
	Help: "AWS API requests sent (each retry attempt counts), by service and operation.",
}, []string{"service", "operation"})

// countRequests is a finalize-step middleware: it runs once per attempt,
// after retries are decided.
var countRequests = middleware.FinalizeMiddlewareFunc("BoardpackCountRequests",
	func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		Requests.WithLabelValues(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)).Inc()
		return next.HandleFinalize(ctx, in)
	})

func addRequestCounter(stack *middleware.Stack) error {
	return stack.Finalize.Add(countRequests, middleware.After)
}
