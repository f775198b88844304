package messages

// AWS metrics, published on TopicMetrics by the aws-collector with
// Source=SourceAWS, one pass per tenant every collection interval.
//
// Conventions shared by every AWS metric:
//
//   - Dimensions always carry "region" for regional resources and the
//     resource's own name ("function", "distribution", "bucket", "zone",
//     "service"), so a reader never parses Entity.
//   - Per-day figures name their day (UTC, YYYY-MM-DD) in Entity
//     ("<region>/<function>@2026-01-31") and in Dimensions["day"]; their
//     OccurredAt is the day's start (00:00 UTC).
//   - Per-day counts (KindState) use Version = the value itself. A day's
//     CloudWatch Sum over a fixed window only grows as data arrives, so
//     the highest value is the latest observation; re-collecting the same
//     day with the same value yields the same EventID and the same
//     content, so the ledger does not grow and nothing is counted twice.
//     The day's figure is the entity's latest state (readmodel.StatesAt).
//   - Gauges (KindGauge) are observations: OccurredAt is the pass's
//     observation time and every observation has its own EventID. The
//     latest reading at or before a moment is the value at that moment.
//   - Inventory gauges (one series per resource) keep their last reading
//     after the resource is deleted: a series whose latest OccurredAt is
//     older than the metric's latest observation time is gone.
const (
	// MetricAWSCostMonthToDate (gauge): unblended cost of one AWS service
	// for the calendar month (UTC) so far, from Cost Explorer
	// GetCostAndUsage. Entity "<service>@<YYYY-MM>"; Dimensions service,
	// month; Currency as Cost Explorer reports it (USD), Value in minor
	// units (cents, rounded half away from zero). During the first days of
	// a month the previous month is observed again until Cost Explorer's
	// figures settle, as its own series. A month's cost is the sum of the
	// latest readings of the series whose Dimensions["month"] is that month.
	MetricAWSCostMonthToDate = "aws.cost.month_to_date"
	// MetricAWSCostForecast (gauge): Cost Explorer's forecast of the whole
	// calendar month's unblended cost (month-to-date actual plus
	// GetCostForecast for the rest of the month). Entity "total@<YYYY-MM>";
	// Dimensions month; Currency USD. Absent when Cost Explorer offers no
	// forecast (too little history, the last day of the month, or an
	// emulator that does not implement GetCostForecast).
	MetricAWSCostForecast = "aws.cost.forecast_month"

	// MetricAWSLambdaFunction (gauge, inventory): one series per function,
	// Entity "<region>/<function>"; Value = last modified time in Unix
	// seconds (Unit UnitUnixSeconds); Dimensions region, function, runtime.
	MetricAWSLambdaFunction = "aws.lambda.function"
	// MetricAWSLambdaDeploys (additive, count): one deployment observed,
	// OccurredAt = the function's LastModified, Value 1, EventID derived
	// from (function, LastModified): each deployment counts once however
	// often it is observed. Deployments replaced between two passes are not
	// seen. Dimensions region, function, runtime.
	MetricAWSLambdaDeploys = "aws.lambda.deploys"
	// MetricAWSLambdaInvocations (state per function per day, count):
	// CloudWatch AWS/Lambda Invocations, Sum over the UTC day (so far).
	// Entity "<region>/<function>@<day>"; Dimensions region, function, day.
	MetricAWSLambdaInvocations = "aws.lambda.invocations"
	// MetricAWSLambdaErrors (state per function per day, count): AWS/Lambda
	// Errors, Sum, as MetricAWSLambdaInvocations.
	MetricAWSLambdaErrors = "aws.lambda.errors"
	// MetricAWSLambdaThrottles (state per function per day, count):
	// AWS/Lambda Throttles, Sum, as MetricAWSLambdaInvocations.
	MetricAWSLambdaThrottles = "aws.lambda.throttles"
	// MetricAWSLambdaDurationP95 (gauge per function per day, Unit
	// UnitMilliseconds): AWS/Lambda Duration p95 over the UTC day (so far),
	// rounded to whole milliseconds. Entity "<region>/<function>@<day>";
	// Dimensions region, function, day; OccurredAt = observation time.
	// Absent for a day without invocations.
	MetricAWSLambdaDurationP95 = "aws.lambda.duration_p95"

	// MetricAWSCloudFrontDistribution (gauge, inventory): Entity = the
	// distribution id; Value 1; Dimensions distribution, domain, enabled
	// ("true"/"false"), waf ("true" when a web ACL is attached).
	MetricAWSCloudFrontDistribution = "aws.cloudfront.distribution"
	// MetricAWSCloudFrontRequests (state per distribution per day, count):
	// AWS/CloudFront Requests (Region=Global, read in us-east-1), Sum over
	// the UTC day. Entity "<distribution>@<day>"; Dimensions distribution,
	// day; Version = value, as the Lambda counts.
	MetricAWSCloudFrontRequests = "aws.cloudfront.requests"
	// MetricAWSCloudFront4xxRate (gauge per distribution per day, Unit
	// UnitBasisPoints): AWS/CloudFront 4xxErrorRate, Average over the UTC
	// day, in hundredths of a percent (250 = 2.5 %). Entity
	// "<distribution>@<day>"; OccurredAt = observation time.
	MetricAWSCloudFront4xxRate = "aws.cloudfront.error_rate_4xx"
	// MetricAWSCloudFront5xxRate (gauge per distribution per day, Unit
	// UnitBasisPoints): AWS/CloudFront 5xxErrorRate, as the 4xx rate.
	MetricAWSCloudFront5xxRate = "aws.cloudfront.error_rate_5xx"

	// MetricAWSS3Bucket (gauge, inventory): Entity = the bucket name; Value
	// 1; Dimensions bucket, region, public_access_block ("full": all four
	// settings on; "partial"; "none").
	MetricAWSS3Bucket = "aws.s3.bucket"
	// MetricAWSS3BucketBytes (gauge per bucket, Unit UnitBytes): AWS/S3
	// BucketSizeBytes (StorageType=StandardStorage), the latest daily
	// datapoint. Entity = bucket; Dimensions bucket, region.
	MetricAWSS3BucketBytes = "aws.s3.bucket_bytes"
	// MetricAWSS3BucketObjects (gauge per bucket, Unit UnitCount): AWS/S3
	// NumberOfObjects (StorageType=AllStorageTypes), the latest daily
	// datapoint. Entity = bucket; Dimensions bucket, region.
	MetricAWSS3BucketObjects = "aws.s3.bucket_objects"

	// MetricAWSRoute53Records (gauge per hosted zone, Unit UnitCount): the
	// number of record sets. Entity = the zone id; Dimensions zone (the
	// zone's name), private ("true"/"false").
	MetricAWSRoute53Records = "aws.route53.records"
)

// Units used by the AWS metrics, beside UnitCount, UnitMilliseconds and
// UnitBytes.
const (
	// UnitUnixSeconds is a point in time as seconds since 1970-01-01 UTC.
	UnitUnixSeconds = "unix_s"
	// UnitBasisPoints is hundredths of a percent (10000 = 100 %).
	UnitBasisPoints = "bp"
)

// Checks named in Finding.Check by the aws-collector. FindingID is derived
// from (check, resource), so the same problem on the same resource is the
// same finding across passes; once a pass no longer observes it, it is
// published with Status FindingResolved.
const (
	// CheckCloudFrontNoWAF (high): an enabled distribution has no web ACL.
	// Resource: the distribution id.
	CheckCloudFrontNoWAF = "cloudfront.no_waf"
	// CheckS3NoPublicAccessBlock (high): a bucket has no public access
	// block, or not all four of its settings on. Resource: the bucket.
	CheckS3NoPublicAccessBlock = "s3.no_public_access_block"
	// CheckLambdaSecretInEnv (critical): a function's environment holds a
	// value that looks like a secret (Stripe live/restricted keys, webhook
	// secrets, AWS access keys). Detail names the variables, never their
	// values. Resource: "<region>/<function>".
	CheckLambdaSecretInEnv = "lambda.secret_in_env"
	// CheckLambdaErrorRate (high): errors / invocations over the collection
	// window is above the configured threshold. Resource:
	// "<region>/<function>".
	CheckLambdaErrorRate = "lambda.error_rate"
	// CheckRoute53TTL (low): a record's TTL is outside the configured
	// range. Resource: "<zone id>/<name>/<type>".
	CheckRoute53TTL = "route53.ttl_out_of_range"
	// CheckRoute53DanglingTarget (high): a CNAME or alias points at a name
	// in the same zone that has no record, or at a CloudFront distribution
	// or S3 bucket the account does not own (subdomain takeover risk).
	// Resource: "<zone id>/<name>/<type>".
	CheckRoute53DanglingTarget = "route53.dangling_target"
	// CheckRoute53CNAMEToAWS (info): a CNAME points at a CloudFront, S3 or
	// load balancer name where an alias record would be free and resolve at
	// the apex. Resource: "<zone id>/<name>/<type>".
	CheckRoute53CNAMEToAWS = "route53.cname_should_be_alias"
)
