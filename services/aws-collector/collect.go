package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/costexplorer"
	cetypes "github.com/aws/aws-sdk-go-v2/service/costexplorer/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/bojanz/currency"
)

// The narrow views of the AWS APIs the collector reads. The SDK clients
// satisfy them; nothing else is called.
type (
	lambdaAPI interface {
		ListFunctions(context.Context, *lambda.ListFunctionsInput, ...func(*lambda.Options)) (*lambda.ListFunctionsOutput, error)
	}
	metricsAPI interface {
		GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
	}
	costAPI interface {
		GetCostAndUsage(context.Context, *costexplorer.GetCostAndUsageInput, ...func(*costexplorer.Options)) (*costexplorer.GetCostAndUsageOutput, error)
		GetCostForecast(context.Context, *costexplorer.GetCostForecastInput, ...func(*costexplorer.Options)) (*costexplorer.GetCostForecastOutput, error)
	}
	cloudfrontAPI interface {
		ListDistributions(context.Context, *cloudfront.ListDistributionsInput, ...func(*cloudfront.Options)) (*cloudfront.ListDistributionsOutput, error)
		GetDistributionConfig(context.Context, *cloudfront.GetDistributionConfigInput, ...func(*cloudfront.Options)) (*cloudfront.GetDistributionConfigOutput, error)
	}
	s3API interface {
		ListBuckets(context.Context, *s3.ListBucketsInput, ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
		GetBucketLocation(context.Context, *s3.GetBucketLocationInput, ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
		GetPublicAccessBlock(context.Context, *s3.GetPublicAccessBlockInput, ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	}
	route53API interface {
		ListHostedZones(context.Context, *route53.ListHostedZonesInput, ...func(*route53.Options)) (*route53.ListHostedZonesOutput, error)
		ListResourceRecordSets(context.Context, *route53.ListResourceRecordSetsInput, ...func(*route53.Options)) (*route53.ListResourceRecordSetsOutput, error)
	}
)

// Account gives the clients of one tenant's AWS account.
type Account interface {
	Lambda(region string) lambdaAPI
	CloudWatch(region string) metricsAPI
	Cost() costAPI
	CloudFront() cloudfrontAPI
	S3() s3API
	Route53() route53API
}

// Global services answer in us-east-1: Cost Explorer, CloudFront (and its
// CloudWatch metrics, dimension Region=Global), Route53.
const globalRegion = "us-east-1"

// collectOptions say what one pass collects.
type collectOptions struct {
	Regions []string
	At      time.Time
	// LookbackDays is how many UTC days (today included) of CloudWatch
	// figures are read.
	LookbackDays int
	// Cost is false when the cost interval has not elapsed.
	Cost bool
}

// collect reads one tenant's account. Sections fail independently: the
// observation holds what succeeded (Covered says which) and the error
// joins every failure.
func collect(ctx context.Context, acct Account, tenantID string, opt collectOptions) (Observation, error) {
	at := opt.At.UTC()
	o := Observation{TenantID: tenantID, At: at, Covered: map[string]bool{}}
	today := at.Truncate(24 * time.Hour)
	for i := opt.LookbackDays - 1; i >= 0; i-- {
		o.Days = append(o.Days, today.AddDate(0, 0, -i))
	}
	var errs []error
	fail := func(section string, err error) { errs = append(errs, fmt.Errorf("%s: %w", section, err)) }

	for _, region := range opt.Regions {
		fns, err := listFunctions(ctx, acct.Lambda(region), region)
		if err != nil {
			fail("lambda "+region, err)
			continue
		}
		o.Covered[scopeLambda(region)] = true
		if note, err := functionMetrics(ctx, acct.CloudWatch(region), fns, o.Days, at); err != nil {
			fail("cloudwatch lambda "+region, err)
		} else {
			if note != "" {
				o.Notes = append(o.Notes, region+": "+note)
			}
			o.Covered[scopeLambdaMetrics(region)] = true
		}
		o.Functions = append(o.Functions, fns...)
	}

	if opt.Cost {
		c, err := costs(ctx, acct.Cost(), at)
		if err != nil {
			fail("cost explorer", err)
		} else {
			o.Cost = c
			o.Covered[scopeCost] = true
			if c.ForecastNote != "" {
				o.Notes = append(o.Notes, c.ForecastNote)
			}
		}
	}

	if dists, err := listDistributions(ctx, acct.CloudFront()); err != nil {
		fail("cloudfront", err)
	} else {
		o.Covered[scopeCloudFront] = true
		if err := distributionMetrics(ctx, acct.CloudWatch(globalRegion), dists, o.Days, at); err != nil {
			fail("cloudwatch cloudfront", err)
		}
		o.Distributions = dists
	}

	if buckets, err := listBuckets(ctx, acct.S3()); err != nil {
		fail("s3", err)
	} else {
		o.Covered[scopeS3] = true
		if err := bucketMetrics(ctx, acct, buckets, at); err != nil {
			fail("cloudwatch s3", err)
		}
		o.Buckets = buckets
	}

	if zones, err := listZones(ctx, acct.Route53()); err != nil {
		fail("route53", err)
	} else {
		o.Covered[scopeRoute53] = true
		o.Zones = zones
	}
	return o, errors.Join(errs...)
}

func listFunctions(ctx context.Context, api lambdaAPI, region string) ([]Function, error) {
	var out []Function
	p := lambda.NewListFunctionsPaginator(api, &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, f := range page.Functions {
			fn := Function{Region: region, Name: aws.ToString(f.FunctionName), Runtime: string(f.Runtime)}
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

// metricQuery is one CloudWatch series to read, with where its values go.
type metricQuery struct {
	namespace, name, stat string
	dims                  map[string]string
	period                int32
	put                   func(ts time.Time, v float64)
}

// maxQueries is GetMetricData's limit of queries per request.
const maxQueries = 500

// readMetrics runs the queries over [start, end), batching and paging.
func readMetrics(ctx context.Context, api metricsAPI, qs []metricQuery, start, end time.Time, opts ...func(*cloudwatch.Options)) error {
	for lo := 0; lo < len(qs); lo += maxQueries {
		batch := qs[lo:min(lo+maxQueries, len(qs))]
		in := &cloudwatch.GetMetricDataInput{
			StartTime: aws.Time(start), EndTime: aws.Time(end),
			ScanBy: cwtypes.ScanByTimestampAscending,
		}
		for i, q := range batch {
			var dims []cwtypes.Dimension
			for _, k := range slices.Sorted(maps.Keys(q.dims)) {
				dims = append(dims, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(q.dims[k])})
			}
			in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{
				Id: aws.String(fmt.Sprintf("q%d", i)),
				MetricStat: &cwtypes.MetricStat{
					Metric: &cwtypes.Metric{Namespace: aws.String(q.namespace), MetricName: aws.String(q.name), Dimensions: dims},
					Period: aws.Int32(q.period),
					Stat:   aws.String(q.stat),
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
						batch[i].put(ts.UTC(), r.Values[k])
					}
				}
			}
		}
	}
	return nil
}

// functionMetrics reads the daily counts, then the p95 durations in a
// request of their own: percentiles are the one statistic an emulator may
// not compute (moto 5.2.1 answers 500), and losing them must not lose the
// counts. A p95 failure is returned as a note, not an error.
func functionMetrics(ctx context.Context, api metricsAPI, fns []Function, days []time.Time, at time.Time) (p95Note string, err error) {
	if len(fns) == 0 || len(days) == 0 {
		return "", nil
	}
	var counts, p95s []metricQuery
	for i := range fns {
		f := &fns[i]
		f.Days = map[time.Time]FunctionDay{}
		for _, d := range days {
			f.Days[d] = FunctionDay{}
		}
		dims := map[string]string{"FunctionName": f.Name}
		query := func(name, stat string, set func(*FunctionDay, float64)) metricQuery {
			return metricQuery{namespace: "AWS/Lambda", name: name, stat: stat, dims: dims, period: 86400,
				put: func(ts time.Time, v float64) {
					day := ts.Truncate(24 * time.Hour)
					if fd, ok := f.Days[day]; ok {
						set(&fd, v)
						f.Days[day] = fd
					}
				}}
		}
		counts = append(counts,
			query("Invocations", "Sum", func(d *FunctionDay, v float64) { d.Invocations = int64(math.Round(v)) }),
			query("Errors", "Sum", func(d *FunctionDay, v float64) { d.Errors = int64(math.Round(v)) }),
			query("Throttles", "Sum", func(d *FunctionDay, v float64) { d.Throttles = int64(math.Round(v)) }),
		)
		p95s = append(p95s, query("Duration", "p95", func(d *FunctionDay, v float64) { d.P95Ms = &v }))
	}
	if err := readMetrics(ctx, api, counts, days[0], metricsEnd(at)); err != nil {
		return "", err
	}
	// Optional figures get one retry, not the standard five attempts.
	oneRetry := func(o *cloudwatch.Options) { o.RetryMaxAttempts = 2 }
	if err := readMetrics(ctx, api, p95s, days[0], metricsEnd(at), oneRetry); err != nil {
		return "no Lambda p95 durations: " + shortErr(err), nil
	}
	return "", nil
}

// shortErr is an SDK error without the operation preamble.
func shortErr(err error) string {
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

// metricsEnd rounds the end of the window up to the minute, as CloudWatch
// wants whole minutes.
func metricsEnd(at time.Time) time.Time { return at.Truncate(time.Minute).Add(time.Minute) }

func costs(ctx context.Context, api costAPI, at time.Time) (*CostObservation, error) {
	monthStart := time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC)
	tomorrow := at.Truncate(24*time.Hour).AddDate(0, 0, 1)
	c := &CostObservation{Months: map[string]MonthCost{}}
	cur, err := costByService(ctx, api, monthStart, tomorrow)
	if err != nil {
		return nil, err
	}
	c.Months[monthOf(monthStart)] = cur
	// Cost Explorer keeps revising the last days of a month for a while:
	// observe the previous month again during the first days.
	if at.Day() <= 3 {
		prevStart := monthStart.AddDate(0, -1, 0)
		prev, err := costByService(ctx, api, prevStart, monthStart)
		if err != nil {
			return nil, err
		}
		c.Months[monthOf(prevStart)] = prev
	}
	c.Forecast, c.ForecastNote = forecast(ctx, api, at, cur)
	return c, nil
}

func costByService(ctx context.Context, api costAPI, start, end time.Time) (MonthCost, error) {
	mc := MonthCost{ByService: map[string]Amount{}}
	in := &costexplorer.GetCostAndUsageInput{
		TimePeriod:  &cetypes.DateInterval{Start: aws.String(start.Format(dayFormat)), End: aws.String(end.Format(dayFormat))},
		Granularity: cetypes.GranularityMonthly,
		Metrics:     []string{"UnblendedCost"},
		GroupBy:     []cetypes.GroupDefinition{{Type: cetypes.GroupDefinitionTypeDimension, Key: aws.String("SERVICE")}},
	}
	for {
		out, err := api.GetCostAndUsage(ctx, in)
		if err != nil {
			return MonthCost{}, err
		}
		for _, r := range out.ResultsByTime {
			for _, g := range r.Groups {
				if len(g.Keys) == 0 {
					continue
				}
				m, ok := g.Metrics["UnblendedCost"]
				if !ok {
					continue
				}
				a, err := toAmount(aws.ToString(m.Amount), aws.ToString(m.Unit))
				if err != nil {
					return MonthCost{}, fmt.Errorf("service %s: %w", g.Keys[0], err)
				}
				prev := mc.ByService[g.Keys[0]]
				if prev.Currency != "" && prev.Currency != a.Currency {
					return MonthCost{}, fmt.Errorf("service %s: costs in %s and %s", g.Keys[0], prev.Currency, a.Currency)
				}
				mc.ByService[g.Keys[0]] = Amount{Minor: prev.Minor + a.Minor, Currency: a.Currency}
			}
		}
		if aws.ToString(out.NextPageToken) == "" {
			return mc, nil
		}
		in.NextPageToken = out.NextPageToken
	}
}

func toAmount(amount, unit string) (Amount, error) {
	if unit == "" {
		unit = "USD"
	}
	digits, ok := currency.GetDigits(unit)
	if !ok {
		return Amount{}, fmt.Errorf("unknown currency %q", unit)
	}
	minor, err := parseMinor(amount, int(digits))
	if err != nil {
		return Amount{}, err
	}
	return Amount{Minor: minor, Currency: unit}, nil
}

// forecast asks for the rest of the month and adds the month so far. Cost
// Explorer refuses a forecast without enough history; emulators may not
// implement it. Either way the pass goes on and the note says why.
func forecast(ctx context.Context, api costAPI, at time.Time, soFar MonthCost) (*Amount, string) {
	today := at.Truncate(24 * time.Hour)
	nextMonth := time.Date(at.Year(), at.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	out, err := api.GetCostForecast(ctx, &costexplorer.GetCostForecastInput{
		TimePeriod:  &cetypes.DateInterval{Start: aws.String(today.Format(dayFormat)), End: aws.String(nextMonth.Format(dayFormat))},
		Granularity: cetypes.GranularityMonthly,
		Metric:      cetypes.MetricUnblendedCost,
	}, func(o *costexplorer.Options) { o.RetryMaxAttempts = 2 })
	if err != nil {
		return nil, "no cost forecast: " + shortErr(err)
	}
	if out.Total == nil {
		return nil, "no cost forecast: Cost Explorer returned no total"
	}
	rest, err := toAmount(aws.ToString(out.Total.Amount), aws.ToString(out.Total.Unit))
	if err != nil {
		return nil, "no cost forecast: " + err.Error()
	}
	total := rest
	for _, a := range soFar.ByService {
		if a.Currency != rest.Currency {
			return nil, fmt.Sprintf("no cost forecast: forecast in %s, costs in %s", rest.Currency, a.Currency)
		}
		total.Minor += a.Minor
	}
	return &total, ""
}

func listDistributions(ctx context.Context, api cloudfrontAPI) ([]Distribution, error) {
	var out []Distribution
	p := cloudfront.NewListDistributionsPaginator(api, &cloudfront.ListDistributionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		if page.DistributionList == nil {
			continue
		}
		for _, d := range page.DistributionList.Items {
			dist := Distribution{
				ID: aws.ToString(d.Id), Domain: aws.ToString(d.DomainName),
				Enabled: aws.ToBool(d.Enabled), WebACLID: aws.ToString(d.WebACLId),
			}
			if d.Aliases != nil {
				dist.Aliases = d.Aliases.Items
			}
			// AWS always fills Enabled in a summary; moto 5.2.1 leaves
			// Enabled, WebACLId and Aliases out, so read the configuration.
			if d.Enabled == nil {
				cfg, err := api.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: d.Id})
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

func distributionMetrics(ctx context.Context, api metricsAPI, dists []Distribution, days []time.Time, at time.Time) error {
	if len(dists) == 0 || len(days) == 0 {
		return nil
	}
	var qs []metricQuery
	for i := range dists {
		d := &dists[i]
		d.Days = map[time.Time]DistributionDay{}
		for _, day := range days {
			d.Days[day] = DistributionDay{}
		}
		dims := map[string]string{"DistributionId": d.ID, "Region": "Global"}
		q := func(name, stat string, set func(*DistributionDay, float64)) metricQuery {
			return metricQuery{namespace: "AWS/CloudFront", name: name, stat: stat, dims: dims, period: 86400,
				put: func(ts time.Time, v float64) {
					day := ts.Truncate(24 * time.Hour)
					if dd, ok := d.Days[day]; ok {
						set(&dd, v)
						d.Days[day] = dd
					}
				}}
		}
		bp := func(v float64) *int64 { n := int64(math.Round(v * 100)); return &n }
		qs = append(qs,
			q("Requests", "Sum", func(dd *DistributionDay, v float64) { dd.Requests = int64(math.Round(v)) }),
			q("4xxErrorRate", "Average", func(dd *DistributionDay, v float64) { dd.Rate4xxBP = bp(v) }),
			q("5xxErrorRate", "Average", func(dd *DistributionDay, v float64) { dd.Rate5xxBP = bp(v) }),
		)
	}
	return readMetrics(ctx, api, qs, days[0], metricsEnd(at))
}

func listBuckets(ctx context.Context, api s3API) ([]Bucket, error) {
	var out []Bucket
	in := &s3.ListBucketsInput{}
	for {
		page, err := api.ListBuckets(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, b := range page.Buckets {
			out = append(out, Bucket{Name: aws.ToString(b.Name), Region: aws.ToString(b.BucketRegion)})
		}
		if aws.ToString(page.ContinuationToken) == "" {
			break
		}
		in.ContinuationToken = page.ContinuationToken
	}
	for i := range out {
		b := &out[i]
		if b.Region == "" {
			loc, err := api.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(b.Name)})
			if err != nil {
				return nil, fmt.Errorf("bucket %s location: %w", b.Name, err)
			}
			b.Region = bucketRegion(loc.LocationConstraint)
		}
		pab, err := api.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(b.Name)},
			func(o *s3.Options) { o.Region = b.Region })
		var apiErr smithy.APIError
		switch {
		case errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchPublicAccessBlockConfiguration":
			b.PublicAccessBlock = pabNone
		case err != nil:
			return nil, fmt.Errorf("bucket %s public access block: %w", b.Name, err)
		default:
			b.PublicAccessBlock = pabState(pab.PublicAccessBlockConfiguration)
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

func pabState(c *s3types.PublicAccessBlockConfiguration) string {
	if c == nil {
		return pabNone
	}
	on := 0
	for _, v := range []*bool{c.BlockPublicAcls, c.IgnorePublicAcls, c.BlockPublicPolicy, c.RestrictPublicBuckets} {
		if aws.ToBool(v) {
			on++
		}
	}
	switch on {
	case 4:
		return pabFull
	case 0:
		return pabNone
	}
	return pabPartial
}

// bucketMetrics reads the daily storage metrics, in each bucket's region.
func bucketMetrics(ctx context.Context, acct Account, buckets []Bucket, at time.Time) error {
	byRegion := map[string][]metricQuery{}
	for i := range buckets {
		b := &buckets[i]
		var bytesAt, objectsAt time.Time
		byRegion[b.Region] = append(byRegion[b.Region],
			metricQuery{namespace: "AWS/S3", name: "BucketSizeBytes", stat: "Average", period: 86400,
				dims: map[string]string{"BucketName": b.Name, "StorageType": "StandardStorage"},
				put: func(ts time.Time, v float64) {
					if !ts.Before(bytesAt) {
						n := int64(math.Round(v))
						b.Bytes, bytesAt = &n, ts
					}
				}},
			metricQuery{namespace: "AWS/S3", name: "NumberOfObjects", stat: "Average", period: 86400,
				dims: map[string]string{"BucketName": b.Name, "StorageType": "AllStorageTypes"},
				put: func(ts time.Time, v float64) {
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
		if err := readMetrics(ctx, acct.CloudWatch(region), byRegion[region], start, metricsEnd(at)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", region, err))
		}
	}
	return errors.Join(errs...)
}

func listZones(ctx context.Context, api route53API) ([]Zone, error) {
	var zones []Zone
	p := route53.NewListHostedZonesPaginator(api, &route53.ListHostedZonesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, z := range page.HostedZones {
			zone := Zone{ID: strings.TrimPrefix(aws.ToString(z.Id), "/hostedzone/"), Name: aws.ToString(z.Name)}
			if z.Config != nil {
				zone.Private = z.Config.PrivateZone
			}
			zones = append(zones, zone)
		}
	}
	for i := range zones {
		z := &zones[i]
		in := &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(z.ID)}
		for {
			out, err := api.ListResourceRecordSets(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("zone %s records: %w", z.Name, err)
			}
			for _, rs := range out.ResourceRecordSets {
				r := Record{Name: aws.ToString(rs.Name), Type: string(rs.Type), TTL: rs.TTL}
				for _, v := range rs.ResourceRecords {
					r.Values = append(r.Values, aws.ToString(v.Value))
				}
				if rs.AliasTarget != nil {
					r.AliasTarget = aws.ToString(rs.AliasTarget.DNSName)
					r.TTL = nil
				}
				z.Records = append(z.Records, r)
			}
			if !out.IsTruncated {
				break
			}
			in.StartRecordName, in.StartRecordType, in.StartRecordIdentifier = out.NextRecordName, out.NextRecordType, out.NextRecordIdentifier
		}
	}
	return zones, nil
}
