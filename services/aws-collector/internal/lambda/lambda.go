// Package lambda collects a region's Lambda functions (inventory, runtime,
// last deploy, environment for the secret check) and their daily
// CloudWatch figures: invocations, errors, throttles and p95 duration.
package lambda

import (
	"context"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	sdk "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/boardpack/boardpack/services/aws-collector/internal/metricdata"
	"github.com/boardpack/boardpack/services/aws-collector/internal/observation"
)

// API is the part of Lambda the collector reads.
type API interface {
	ListFunctions(context.Context, *sdk.ListFunctionsInput, ...func(*sdk.Options)) (*sdk.ListFunctionsOutput, error)
}

// List lists the region's functions.
func List(ctx context.Context, api API, region string) ([]observation.Function, error) {
	var out []observation.Function
	p := sdk.NewListFunctionsPaginator(api, &sdk.ListFunctionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, f := range page.Functions {
			fn := observation.Function{Region: region, Name: aws.ToString(f.FunctionName), Runtime: string(f.Runtime)}
			if fn.Runtime == "" {
				fn.Runtime = string(f.PackageType) // container images have no runtime
			}
			// Lambda's own format: 2026-01-31T12:00:00.000+0000.
			if t, err := time.Parse("2006-01-02T15:04:05.000-0700", aws.ToString(f.LastModified)); err == nil {
				fn.LastModified = t.UTC()
			} else if t, err := time.Parse(time.RFC3339Nano, aws.ToString(f.LastModified)); err == nil {
				fn.LastModified = t.UTC()
			}
			if f.Environment != nil {
				fn.Env = f.Environment.Variables
			}
			out = append(out, fn)
		}
	}
	return out, nil
}

// Metrics reads the daily counts, then the p95 durations in a
// request of their own: percentiles are the one statistic an emulator may
// not compute (moto 5.2.1 answers 500), and losing them must not lose the
// counts. A p95 failure is returned as a note, not an error.
func Metrics(ctx context.Context, api metricdata.API, fns []observation.Function, days []time.Time, at time.Time) (p95Note string, err error) {
	if len(fns) == 0 || len(days) == 0 {
		return "", nil
	}
	var counts, p95s []metricdata.Query
	for i := range fns {
		f := &fns[i]
		f.Days = map[time.Time]observation.FunctionDay{}
		for _, d := range days {
			f.Days[d] = observation.FunctionDay{}
		}
		dims := map[string]string{"FunctionName": f.Name}
		query := func(name, stat string, set func(*observation.FunctionDay, float64)) metricdata.Query {
			return metricdata.Query{Namespace: "AWS/Lambda", Name: name, Stat: stat, Dims: dims, Period: 86400,
				Put: func(ts time.Time, v float64) {
					day := ts.Truncate(24 * time.Hour)
					if fd, ok := f.Days[day]; ok {
						set(&fd, v)
						f.Days[day] = fd
					}
				}}
		}
		counts = append(counts,
			query("Invocations", "Sum", func(d *observation.FunctionDay, v float64) { d.Invocations = int64(math.Round(v)) }),
			query("Errors", "Sum", func(d *observation.FunctionDay, v float64) { d.Errors = int64(math.Round(v)) }),
			query("Throttles", "Sum", func(d *observation.FunctionDay, v float64) { d.Throttles = int64(math.Round(v)) }),
		)
		p95s = append(p95s, query("Duration", "p95", func(d *observation.FunctionDay, v float64) { d.P95Ms = &v }))
	}
	if err := metricdata.Read(ctx, api, counts, days[0], metricdata.End(at)); err != nil {
		return "", err
	}
	// Optional figures get one retry, not the standard five attempts.
	oneRetry := func(o *cloudwatch.Options) { o.RetryMaxAttempts = 2 }
	if err := metricdata.Read(ctx, api, p95s, days[0], metricdata.End(at), oneRetry); err != nil {
		return "no Lambda p95 durations: " + observation.ShortErr(err), nil
	}
	return "", nil
}
