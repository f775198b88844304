// Package observation is the collector's data model: what one pass saw of
// one tenant's AWS account. It is plain data: the collectors (packages
// lambda, cost, cloudfront, s3, route53) fill it, the pure functions
// (packages translate and checks) turn it into metric events and findings.
package observation

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Observation is everything one pass saw of one tenant's AWS account. It
// is plain data: the collectors (packages lambda, cost, cloudfront, s3,
// route53) fill it, the pure functions (packages translate and checks)
// turn it into events and findings.
type Observation struct {
	TenantID string
	// At is the pass's observation time (UTC): OccurredAt of every gauge.
	At time.Time
	// Days are the UTC day starts of the CloudWatch window, oldest first.
	Days []time.Time

	Functions     []Function
	Cost          *CostObservation
	Distributions []Distribution
	Buckets       []Bucket
	Zones         []Zone

	// Notes say what a pass could not observe without it being a failure
	// (no cost forecast, no percentiles).
	Notes []string

	// Covered lists the scopes collected completely ("lambda/<region>",
	// "cloudwatch/lambda/<region>", "cost", "cloudfront", "s3", "route53"):
	// a finding is resolved only when its scope was covered, so a failed
	// API call never reads as "the problem is gone".
	Covered map[string]bool
}

// Scopes of Observation.Covered.
const (
	ScopeCost       = "cost"
	ScopeCloudFront = "cloudfront"
	ScopeS3         = "s3"
	ScopeRoute53    = "route53"
)

// ScopeLambda is the scope of a region's function list.
func ScopeLambda(region string) string { return "lambda/" + region }

// ScopeLambdaMetrics is the scope of a region's Lambda CloudWatch figures.
func ScopeLambdaMetrics(region string) string { return "cloudwatch/lambda/" + region }

// Function is one Lambda function.
type Function struct {
	Region       string
	Name         string
	Runtime      string
	LastModified time.Time
	// Env is the function's environment. Values are only ever inspected by
	// the secret check (package checks) and never leave this process.
	Env map[string]string
	// Days holds CloudWatch figures per UTC day (key: day start); nil when
	// the metrics could not be read.
	Days map[time.Time]FunctionDay
}

// FunctionDay is one function's CloudWatch figures for one day. A day
// without datapoints has zero counts (the query completed: nothing ran)
// and no p95.
type FunctionDay struct {
	Invocations, Errors, Throttles int64
	// P95Ms is the p95 duration in milliseconds, or nil without datapoints
	// (or on an emulator without percentile statistics).
	P95Ms *float64
}

// CostObservation is Cost Explorer's view.
type CostObservation struct {
	// Months maps a month ("2026-01") to its cost by service so far.
	Months map[string]MonthCost
	// Forecast is the whole current month's forecast, nil when Cost
	// Explorer offers none.
	Forecast *Amount
	// ForecastNote says why there is no forecast.
	ForecastNote string
}

// MonthCost is one month's unblended cost per service.
type MonthCost struct {
	ByService map[string]Amount
}

// Amount is money in minor units.
type Amount struct {
	Minor    int64
	Currency string
}

// Distribution is one CloudFront distribution.
type Distribution struct {
	ID, Domain string
	Aliases    []string
	Enabled    bool
	WebACLID   string
	// Days holds CloudWatch figures per UTC day; nil when not read.
	Days map[time.Time]DistributionDay
}

// DistributionDay is one distribution's traffic for one day.
type DistributionDay struct {
	Requests int64
	// Rate4xxBP and Rate5xxBP are error rates in basis points, nil without
	// datapoints.
	Rate4xxBP, Rate5xxBP *int64
}

// Bucket is one S3 bucket.
type Bucket struct {
	Name, Region string
	// PublicAccessBlock is "full", "partial" or "none".
	PublicAccessBlock string
	// Bytes and Objects are the latest daily storage metrics, nil when
	// CloudWatch has none yet (new buckets report after a day).
	Bytes, Objects *int64
}

// Public access block states.
const (
	PABFull    = "full"
	PABPartial = "partial"
	PABNone    = "none"
)

// Zone is one Route53 hosted zone with its records.
type Zone struct {
	ID, Name string
	Private  bool
	Records  []Record
}

// Record is one record set.
type Record struct {
	Name, Type string
	// TTL is nil for alias records (they have none).
	TTL    *int64
	Values []string
	// AliasTarget is the alias's DNS name, "" for plain records.
	AliasTarget string
}

// ID derives an event id from the parts that make a fact what it is, so
// observing the same fact again yields the same id.
func ID(prefix string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0x1f})
	}
	return prefix + hex.EncodeToString(h.Sum(nil)[:16])
}

// DayFormat is how a UTC day is written in ids and dimensions.
const DayFormat = time.DateOnly

// Month is a time's UTC month, as "2006-01".
func Month(t time.Time) string { return t.UTC().Format("2006-01") }

// Global services answer in us-east-1: Cost Explorer, CloudFront (and its
// CloudWatch metrics, dimension Region=Global), Route53.
const GlobalRegion = "us-east-1"

// ShortErr is an SDK error without the operation preamble.
func ShortErr(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
	}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		return fmt.Sprintf("HTTP %d from the endpoint", respErr.HTTPStatusCode())
	}
	return err.Error()
}
