// Package s3 collects an account's S3 buckets: region, public access block
// state, and the daily storage metrics (size, object count).
package s3

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/boardpack/boardpack/services/aws-collector/internal/metricdata"
	"github.com/boardpack/boardpack/services/aws-collector/internal/observation"
)

// API is the part of S3 the collector reads.
type API interface {
	ListBuckets(context.Context, *sdk.ListBucketsInput, ...func(*sdk.Options)) (*sdk.ListBucketsOutput, error)
	GetBucketLocation(context.Context, *sdk.GetBucketLocationInput, ...func(*sdk.Options)) (*sdk.GetBucketLocationOutput, error)
	GetPublicAccessBlock(context.Context, *sdk.GetPublicAccessBlockInput, ...func(*sdk.Options)) (*sdk.GetPublicAccessBlockOutput, error)
}

// List lists the buckets with their region and public access block.
func List(ctx context.Context, api API) ([]observation.Bucket, error) {
	var out []observation.Bucket
	in := &sdk.ListBucketsInput{}
	for {
		page, err := api.ListBuckets(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, b := range page.Buckets {
			out = append(out, observation.Bucket{Name: aws.ToString(b.Name), Region: aws.ToString(b.BucketRegion)})
		}
		if aws.ToString(page.ContinuationToken) == "" {
			break
		}
		in.ContinuationToken = page.ContinuationToken
	}
	for i := range out {
		b := &out[i]
		if b.Region == "" {
			loc, err := api.GetBucketLocation(ctx, &sdk.GetBucketLocationInput{Bucket: aws.String(b.Name)})
			if err != nil {
				return nil, fmt.Errorf("bucket %s location: %w", b.Name, err)
			}
			b.Region = bucketRegion(loc.LocationConstraint)
		}
		pab, err := api.GetPublicAccessBlock(ctx, &sdk.GetPublicAccessBlockInput{Bucket: aws.String(b.Name)},
			func(o *sdk.Options) { o.Region = b.Region })
		var apiErr smithy.APIError
		switch {
		case errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchPublicAccessBlockConfiguration":
			b.PublicAccessBlock = observation.PABNone
		case err != nil:
			return nil, fmt.Errorf("bucket %s public access block: %w", b.Name, err)
		default:
			b.PublicAccessBlock = publicAccessBlock(pab.PublicAccessBlockConfiguration)
		}
	}
	return out, nil
}

// bucketRegion maps GetBucketLocation's answer to a region ("" is
// us-east-1, "EU" the historical eu-west-1).
func bucketRegion(c s3types.BucketLocationConstraint) string {
	switch c {
	case "":
		return "us-east-1"
	case "EU":
		return "eu-west-1"
	}
	return string(c)
}

func publicAccessBlock(c *s3types.PublicAccessBlockConfiguration) string {
	if c == nil {
		return observation.PABNone
	}
	on := 0
	for _, v := range []*bool{c.BlockPublicAcls, c.IgnorePublicAcls, c.BlockPublicPolicy, c.RestrictPublicBuckets} {
		if aws.ToBool(v) {
			on++
		}
	}
	switch on {
	case 4:
		return observation.PABFull
	case 0:
		return observation.PABNone
	}
	return observation.PABPartial
}

// Metrics reads the daily storage metrics, in each bucket's region
// (cloudWatch gives that region's client).
func Metrics(ctx context.Context, cloudWatch func(region string) metricdata.API, buckets []observation.Bucket, at time.Time) error {
	byRegion := map[string][]metricdata.Query{}
	for i := range buckets {
		b := &buckets[i]
		var bytesAt, objectsAt time.Time
		byRegion[b.Region] = append(byRegion[b.Region],
			metricdata.Query{Namespace: "AWS/S3", Name: "BucketSizeBytes", Stat: "Average", Period: 86400,
				Dims: map[string]string{"BucketName": b.Name, "StorageType": "StandardStorage"},
				Put: func(ts time.Time, v float64) {
					if !ts.Before(bytesAt) {
						n := int64(math.Round(v))
						b.Bytes, bytesAt = &n, ts
					}
				}},
			metricdata.Query{Namespace: "AWS/S3", Name: "NumberOfObjects", Stat: "Average", Period: 86400,
				Dims: map[string]string{"BucketName": b.Name, "StorageType": "AllStorageTypes"},
				Put: func(ts time.Time, v float64) {
					if !ts.Before(objectsAt) {
						n := int64(math.Round(v))
						b.Objects, objectsAt = &n, ts
					}
				}},
		)
	}
	// S3 reports storage once a day, about a day late: look three days back.
	start := at.Truncate(24*time.Hour).AddDate(0, 0, -3)
	var errs []error
	for _, region := range slices.Sorted(maps.Keys(byRegion)) {
		if err := metricdata.Read(ctx, cloudWatch(region), byRegion[region], start, metricdata.End(at)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", region, err))
		}
	}
	return errors.Join(errs...)
}
