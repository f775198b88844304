package awsconf

import (
	"context"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
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

// RequestCounts returns the requests counted so far by service ("SQS",
// "DynamoDB", ...), for benchmarks that report requests per event.
func RequestCounts() map[string]float64 {
	ch := make(chan prometheus.Metric, 64)
	go func() { Requests.Collect(ch); close(ch) }()
	out := map[string]float64{}
	for m := range ch {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			continue
		}
		for _, l := range pb.GetLabel() {
			if l.GetName() == "service" {
				out[l.GetValue()] += pb.GetCounter().GetValue()
			}
		}
	}
	return out
}

// RequestsSince returns requests per service counted since before, and
// their total.
func RequestsSince(before map[string]float64) (map[string]float64, float64) {
	out := map[string]float64{}
	total := 0.0
	for svc, n := range RequestCounts() {
		if d := n - before[svc]; d > 0 {
			out[svc] = d
			total += d
		}
	}
	return out, total
}
