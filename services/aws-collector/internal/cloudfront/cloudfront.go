// Package cloudfront collects an account's CloudFront distributions
// (enabled, aliases, the WAF web ACL attached) and their daily traffic and
// error rates.
package cloudfront

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudfront"

	"github.com/boardpack/boardpack/services/aws-collector/internal/metricdata"
	"github.com/boardpack/boardpack/services/aws-collector/internal/observation"
)

// API is the part of CloudFront the collector reads.
type API interface {
	ListDistributions(context.Context, *sdk.ListDistributionsInput, ...func(*sdk.Options)) (*sdk.ListDistributionsOutput, error)
	GetDistributionConfig(context.Context, *sdk.GetDistributionConfigInput, ...func(*sdk.Options)) (*sdk.GetDistributionConfigOutput, error)
}

// List lists the distributions with their aliases and attached WAF.
func List(ctx context.Context, api API) ([]observation.Distribution, error) {
	var out []observation.Distribution
	p := sdk.NewListDistributionsPaginator(api, &sdk.ListDistributionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		if page.DistributionList == nil {
			continue
		}
		for _, d := range page.DistributionList.Items {
			dist := observation.Distribution{
				ID: aws.ToString(d.Id), Domain: aws.ToString(d.DomainName),
				Enabled: aws.ToBool(d.Enabled), WebACLID: aws.ToString(d.WebACLId),
			}
			if d.Aliases != nil {
				dist.Aliases = d.Aliases.Items
			}
			// AWS always fills Enabled in a summary; moto 5.2.1 leaves
			// Enabled, WebACLId and Aliases out, so read the configuration.
			if d.Enabled == nil {
				cfg, err := api.GetDistributionConfig(ctx, &sdk.GetDistributionConfigInput{Id: d.Id})
				if err != nil {
					return nil, fmt.Errorf("distribution %s config: %w", dist.ID, err)
				}
				if c := cfg.DistributionConfig; c != nil {
					dist.Enabled, dist.WebACLID = aws.ToBool(c.Enabled), aws.ToString(c.WebACLId)
					if c.Aliases != nil {
						dist.Aliases = c.Aliases.Items
					}
				}
			}
			out = append(out, dist)
		}
	}
	return out, nil
}

// Metrics reads each distribution's daily requests and 4xx/5xx rates
// (CloudWatch in us-east-1, Region=Global).
func Metrics(ctx context.Context, api metricdata.API, dists []observation.Distribution, days []time.Time, at time.Time) error {
	if len(dists) == 0 || len(days) == 0 {
		return nil
	}
	var qs []metricdata.Query
	for i := range dists {
		d := &dists[i]
		d.Days = map[time.Time]observation.DistributionDay{}
		for _, day := range days {
			d.Days[day] = observation.DistributionDay{}
		}
		dims := map[string]string{"DistributionId": d.ID, "Region": "Global"}
		q := func(name, stat string, set func(*observation.DistributionDay, float64)) metricdata.Query {
			return metricdata.Query{Namespace: "AWS/CloudFront", Name: name, Stat: stat, Dims: dims, Period: 86400,
				Put: func(ts time.Time, v float64) {
					day := ts.Truncate(24 * time.Hour)
					if dd, ok := d.Days[day]; ok {
						set(&dd, v)
						d.Days[day] = dd
					}
				}}
		}
		bp := func(v float64) *int64 { n := int64(math.Round(v * 100)); return &n }
		qs = append(qs,
			q("Requests", "Sum", func(dd *observation.DistributionDay, v float64) { dd.Requests = int64(math.Round(v)) }),
			q("4xxErrorRate", "Average", func(dd *observation.DistributionDay, v float64) { dd.Rate4xxBP = bp(v) }),
			q("5xxErrorRate", "Average", func(dd *observation.DistributionDay, v float64) { dd.Rate5xxBP = bp(v) }),
		)
	}
	return metricdata.Read(ctx, api, qs, days[0], metricdata.End(at))
}
