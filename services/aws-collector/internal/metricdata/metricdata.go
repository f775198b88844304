// Package metricdata reads CloudWatch series with GetMetricData, batched
// and paged, for the collectors that need figures (Lambda, CloudFront, S3).
package metricdata

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// API is the part of CloudWatch the collectors read.
type API interface {
	GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// Query is one CloudWatch series to read, with where its values go.
type Query struct {
	Namespace, Name, Stat string
	Dims                  map[string]string
	Period                int32
	// Put receives each datapoint (UTC timestamp, finite value).
	Put func(ts time.Time, v float64)
}

// maxQueries is GetMetricData's limit of queries per request.
const maxQueries = 500

// Read runs the queries over [start, end), batching and paging.
func Read(ctx context.Context, api API, qs []Query, start, end time.Time, opts ...func(*cloudwatch.Options)) error {
	for lo := 0; lo < len(qs); lo += maxQueries {
		batch := qs[lo:min(lo+maxQueries, len(qs))]
		in := &cloudwatch.GetMetricDataInput{
			StartTime: aws.Time(start), EndTime: aws.Time(end),
			ScanBy: cwtypes.ScanByTimestampAscending,
		}
		for i, q := range batch {
			var dims []cwtypes.Dimension
			for _, k := range slices.Sorted(maps.Keys(q.Dims)) {
				dims = append(dims, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(q.Dims[k])})
			}
			in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{
				Id: aws.String(fmt.Sprintf("q%d", i)),
				MetricStat: &cwtypes.MetricStat{
					Metric: &cwtypes.Metric{Namespace: aws.String(q.Namespace), MetricName: aws.String(q.Name), Dimensions: dims},
					Period: aws.Int32(q.Period),
					Stat:   aws.String(q.Stat),
				},
			})
		}
		p := cloudwatch.NewGetMetricDataPaginator(api, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx, opts...)
			if err != nil {
				return err
			}
			for _, r := range page.MetricDataResults {
				var i int
				if _, err := fmt.Sscanf(aws.ToString(r.Id), "q%d", &i); err != nil || i < 0 || i >= len(batch) {
					continue
				}
				for k, ts := range r.Timestamps {
					if k < len(r.Values) && !math.IsNaN(r.Values[k]) && !math.IsInf(r.Values[k], 0) {
						batch[i].Put(ts.UTC(), r.Values[k])
					}
				}
			}
		}
	}
	return nil
}

// End rounds the end of the window up to the minute, as CloudWatch
// wants whole minutes.
func End(at time.Time) time.Time { return at.Truncate(time.Minute).Add(time.Minute) }
