package collector

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/boardpack/boardpack/services/aws-collector/internal/cloudfront"
	"github.com/boardpack/boardpack/services/aws-collector/internal/cost"
	"github.com/boardpack/boardpack/services/aws-collector/internal/lambda"
	"github.com/boardpack/boardpack/services/aws-collector/internal/metricdata"
	"github.com/boardpack/boardpack/services/aws-collector/internal/observation"
	"github.com/boardpack/boardpack/services/aws-collector/internal/route53"
	"github.com/boardpack/boardpack/services/aws-collector/internal/s3"
)

// Account gives the clients of one tenant's AWS account, each seen through
// the narrow API its collector declares (package account builds them from
// the SDK).
type Account interface {
	Lambda(region string) lambda.API
	CloudWatch(region string) metricdata.API
	Cost() cost.API
	CloudFront() cloudfront.API
	S3() s3.API
	Route53() route53.API
}

// Options say what one pass collects.
type Options struct {
	Regions []string
	At      time.Time
	// LookbackDays is how many UTC days (today included) of CloudWatch
	// figures are read.
	LookbackDays int
	// Cost is false when the cost interval has not elapsed.
	Cost bool
}

// Observe reads one tenant's account. Sections fail independently: the
// observation holds what succeeded (Covered says which) and the error
// joins every failure.
func Observe(ctx context.Context, acct Account, tenantID string, opt Options) (observation.Observation, error) {
	at := opt.At.UTC()
	o := observation.Observation{TenantID: tenantID, At: at, Covered: map[string]bool{}}
	today := at.Truncate(24 * time.Hour)
	for i := opt.LookbackDays - 1; i >= 0; i-- {
		o.Days = append(o.Days, today.AddDate(0, 0, -i))
	}
	var errs []error
	fail := func(section string, err error) { errs = append(errs, fmt.Errorf("%s: %w", section, err)) }

	for _, region := range opt.Regions {
		fns, err := lambda.List(ctx, acct.Lambda(region), region)
		if err != nil {
			fail("lambda "+region, err)
			continue
		}
		o.Covered[observation.ScopeLambda(region)] = true
		if note, err := lambda.Metrics(ctx, acct.CloudWatch(region), fns, o.Days, at); err != nil {
			fail("cloudwatch lambda "+region, err)
		} else {
			if note != "" {
				o.Notes = append(o.Notes, region+": "+note)
			}
			o.Covered[observation.ScopeLambdaMetrics(region)] = true
		}
		o.Functions = append(o.Functions, fns...)
	}

	if opt.Cost {
		c, err := cost.Read(ctx, acct.Cost(), at)
		if err != nil {
			fail("cost explorer", err)
		} else {
			o.Cost = c
			o.Covered[observation.ScopeCost] = true
			if c.ForecastNote != "" {
				o.Notes = append(o.Notes, c.ForecastNote)
			}
		}
	}

	if dists, err := cloudfront.List(ctx, acct.CloudFront()); err != nil {
		fail("cloudfront", err)
	} else {
		o.Covered[observation.ScopeCloudFront] = true
		if err := cloudfront.Metrics(ctx, acct.CloudWatch(observation.GlobalRegion), dists, o.Days, at); err != nil {
			fail("cloudwatch cloudfront", err)
		}
		o.Distributions = dists
	}

	if buckets, err := s3.List(ctx, acct.S3()); err != nil {
		fail("s3", err)
	} else {
		o.Covered[observation.ScopeS3] = true
		if err := s3.Metrics(ctx, acct.CloudWatch, buckets, at); err != nil {
			fail("cloudwatch s3", err)
		}
		o.Buckets = buckets
	}

	if zones, err := route53.List(ctx, acct.Route53()); err != nil {
		fail("route53", err)
	} else {
		o.Covered[observation.ScopeRoute53] = true
		o.Zones = zones
	}
	return o, errors.Join(errs...)
}
