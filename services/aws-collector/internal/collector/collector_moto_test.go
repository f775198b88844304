package collector_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/boardpack/boardpack/services/aws-collector/internal/account"
	"github.com/boardpack/boardpack/services/aws-collector/internal/checks"
	"github.com/boardpack/boardpack/services/aws-collector/internal/collector"
	"github.com/boardpack/boardpack/services/aws-collector/internal/observation"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// seeded names the resources one test put into moto.
type seeded struct {
	Function, Distribution, DistributionDomain, Bucket, ProtectedBucket, Zone, ZoneID string
	MetricsAt                                                                         time.Time
}

func zipped(t testing.TB) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, err := w.Create("index.js")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(f, "exports.handler = async () => 'ok';\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// seed creates, in moto, a Lambda with a Stripe live key in its
// environment and CloudWatch figures (10 % errors), a distribution without
// WAF with traffic, a bucket without public access block (and one with),
// a zone with a TTL-60 record, and Cost Explorer's answer.
func seed(t testing.TB, cfg aws.Config, endpoint string) seeded {
	t.Helper()
	ctx := context.Background()
	id := mototest.UniqueID()
	s := seeded{
		Function: "checkout-" + id, Bucket: "assets-" + id, ProtectedBucket: "private-" + id,
		Zone: "shop-" + id + ".example.com", MetricsAt: time.Now().UTC().Add(-2 * time.Minute).Truncate(time.Second),
	}

	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("lambda-" + id),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	})
	if err != nil {
		t.Fatalf("create role: %v", err)
	}
	_, err = lambda.NewFromConfig(cfg).CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(s.Function), Runtime: lambdatypes.RuntimeNodejs20x, Handler: aws.String("index.handler"),
		Role: role.Role.Arn, Code: &lambdatypes.FunctionCode{ZipFile: zipped(t)},
		Environment: &lambdatypes.Environment{Variables: map[string]string{
			"STRIPE_KEY": "sk_live_51Hq" + id + "AbCdEf", "TABLE": "orders",
		}},
	})
	if err != nil {
		t.Fatalf("create function: %v", err)
	}

	dist, err := cloudfront.NewFromConfig(cfg).CreateDistribution(ctx, &cloudfront.CreateDistributionInput{
		DistributionConfig: &cftypes.DistributionConfig{
			CallerReference: aws.String(id), Comment: aws.String("shop"), Enabled: aws.Bool(true),
			Origins: &cftypes.Origins{Quantity: aws.Int32(1), Items: []cftypes.Origin{{
				Id: aws.String("origin"), DomainName: aws.String(s.Bucket + ".s3.amazonaws.com"),
				S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String("")},
			}}},
			DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{
				TargetOriginId: aws.String("origin"), ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyRedirectToHttps,
				CachePolicyId: aws.String("658327ea-f89d-4fab-a63d-7e88639e58f6"),
			},
		},
	})
	if err != nil {
		t.Fatalf("create distribution: %v", err)
	}
	s.Distribution, s.DistributionDomain = aws.ToString(dist.Distribution.Id), aws.ToString(dist.Distribution.DomainName)

	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	for _, b := range []string{s.Bucket, s.ProtectedBucket} {
		if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("create bucket %s: %v", b, err)
		}
	}
	if _, err := s3c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{
		Bucket: aws.String(s.ProtectedBucket), PublicAccessBlockConfiguration: fullPAB(),
	}); err != nil {
		t.Fatalf("put public access block: %v", err)
	}

	r53 := route53.NewFromConfig(cfg)
	zone, err := r53.CreateHostedZone(ctx, &route53.CreateHostedZoneInput{Name: aws.String(s.Zone), CallerReference: aws.String(id)})
	if err != nil {
		t.Fatalf("create zone: %v", err)
	}
	s.ZoneID = strings.TrimPrefix(aws.ToString(zone.HostedZone.Id), "/hostedzone/")
	if _, err := r53.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(s.ZoneID),
		ChangeBatch: &r53types.ChangeBatch{Changes: []r53types.Change{
			{Action: r53types.ChangeActionCreate, ResourceRecordSet: &r53types.ResourceRecordSet{
				Name: aws.String("api." + s.Zone), Type: r53types.RRTypeA, TTL: aws.Int64(60),
				ResourceRecords: []r53types.ResourceRecord{{Value: aws.String("192.0.2.10")}}}},
			{Action: r53types.ChangeActionCreate, ResourceRecordSet: &r53types.ResourceRecordSet{
				Name: aws.String("www." + s.Zone), Type: r53types.RRTypeA, TTL: aws.Int64(300),
				ResourceRecords: []r53types.ResourceRecord{{Value: aws.String("192.0.2.11")}}}},
		}},
	}); err != nil {
		t.Fatalf("create records: %v", err)
	}

	cw := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
	})
	put := func(ns, name string, dims map[string]string, unit cwtypes.StandardUnit, values ...float64) {
		var ds []cwtypes.Dimension
		for _, k := range slices.Sorted(maps.Keys(dims)) {
			ds = append(ds, cwtypes.Dimension{Name: aws.String(k), Value: aws.String(dims[k])})
		}
		var data []cwtypes.MetricDatum
		for _, v := range values {
			data = append(data, cwtypes.MetricDatum{MetricName: aws.String(name), Dimensions: ds,
				Timestamp: aws.Time(s.MetricsAt), Value: aws.Float64(v), Unit: unit})
		}
		if _, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String(ns), MetricData: data}); err != nil {
			t.Fatalf("put metric %s: %v", name, err)
		}
	}
	fn := map[string]string{"FunctionName": s.Function}
	put("AWS/Lambda", "Invocations", fn, cwtypes.StandardUnitCount, 60, 40)
	put("AWS/Lambda", "Errors", fn, cwtypes.StandardUnitCount, 10)
	put("AWS/Lambda", "Throttles", fn, cwtypes.StandardUnitCount, 1)
	put("AWS/Lambda", "Duration", fn, cwtypes.StandardUnitMilliseconds, 120, 340)
	cf := map[string]string{"DistributionId": s.Distribution, "Region": "Global"}
	put("AWS/CloudFront", "Requests", cf, cwtypes.StandardUnitNone, 1000)
	put("AWS/CloudFront", "5xxErrorRate", cf, cwtypes.StandardUnitPercent, 2.5)
	put("AWS/S3", "BucketSizeBytes", map[string]string{"BucketName": s.Bucket, "StorageType": "StandardStorage"}, cwtypes.StandardUnitBytes, 4096)
	put("AWS/S3", "NumberOfObjects", map[string]string{"BucketName": s.Bucket, "StorageType": "AllStorageTypes"}, cwtypes.StandardUnitCount, 3)

	setCostResults(t, endpoint, s.MetricsAt)
	return s
}

func fullPAB() *s3types.PublicAccessBlockConfiguration {
	return &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true),
		BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}
}

// setCostResults queues Cost Explorer's answer in moto (moto tracks no
// cost: GetCostAndUsage answers the queued results, else nothing).
func setCostResults(t testing.TB, endpoint string, at time.Time) {
	t.Helper()
	start := time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC)
	group := func(svc, amount string) map[string]any {
		return map[string]any{"Keys": []string{svc}, "Metrics": map[string]any{"UnblendedCost": map[string]string{"Amount": amount, "Unit": "USD"}}}
	}
	body, _ := json.Marshal(map[string]any{"results": []any{map[string]any{
		"ResultsByTime": []any{map[string]any{
			"TimePeriod": map[string]string{"Start": start.Format(observation.DayFormat), "End": at.AddDate(0, 0, 1).Format(observation.DayFormat)},
			"Total":      map[string]any{},
			"Groups":     []any{group("AWS Lambda", "12.345"), group("Amazon Simple Storage Service", "0.994")},
			"Estimated":  true,
		}},
	}}})
	resp, err := http.Post(endpoint+"/moto-api/static/ce/cost-and-usage-results", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("queue cost results: %s", resp.Status)
	}
}

// newTestService wires the service as main does, against moto.
func newTestService(t testing.TB, env mototest.Env, tenantAWS *tenants.AWS) (*collector.Service, string) {
	t.Helper()
	ctx := context.Background()
	db := dynamodb.NewFromConfig(env.AWS)
	store := tenants.Store{DB: db, Table: env.Names.Table}
	tenantID := "t-" + mototest.UniqueID()
	if err := store.Apply(ctx, tenants.File{Tenants: []tenants.Tenant{{
		ID: tenantID, Name: "Shop", Timezone: "UTC", Currency: "USD",
		Stripe: tenants.Stripe{WebhookSecrets: []string{"whsec_test"}},
		Email:  tenants.Email{From: "Reports <reports@example.com>"},
		AWS:    tenantAWS,
	}}}); err != nil {
		t.Fatalf("apply tenant: %v", err)
	}
	pub, err := bus.NewPublisher(env.AWS, env.Names, env.Account, bus.Logger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close() })
	return &collector.Service{
		Tenants: store, Accounts: account.NewSDK(env.AWS, true), Publisher: pub,
		Ledger: readmodel.Store{DB: db, Table: env.Names.Table},
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)), Checks: testChecks,
		LookbackDays: 2, Concurrency: 2, PublishBatch: 50,
	}, tenantID
}

// received is what arrived on the aggregator's queue.
type received struct {
	metrics  map[string]messages.MetricEvent // by event id
	findings map[string]messages.Finding     // by event id
}

// drain reads the queue until it has been empty for a while.
func drain(t testing.TB, cfg aws.Config, url string) received {
	t.Helper()
	ctx := context.Background()
	c := sqs.NewFromConfig(cfg)
	got := received{metrics: map[string]messages.MetricEvent{}, findings: map[string]messages.Finding{}}
	deadline := time.Now().Add(60 * time.Second)
	empty := 0
	for empty < 2 && time.Now().Before(deadline) {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		if len(out.Messages) == 0 {
			empty++
			continue
		}
		empty = 0
		for _, m := range out.Messages {
			body := []byte(aws.ToString(m.Body))
			if bytes.Contains(body, []byte(`"finding_id"`)) {
				var f messages.Finding
				if err := json.Unmarshal(body, &f); err != nil || f.Validate() != nil {
					t.Fatalf("bad finding %s: %v", body, err)
				}
				got.findings[f.EventID] = f
			} else {
				var e messages.MetricEvent
				if err := json.Unmarshal(body, &e); err != nil || e.Validate() != nil {
					t.Fatalf("bad metric event %s: %v", body, err)
				}
				got.metrics[e.EventID] = e
			}
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return got
}

func (r received) finding(check, resource string) (messages.Finding, bool) {
	for _, f := range r.findings {
		if f.Check == check && f.Resource == resource {
			return f, true
		}
	}
	return messages.Finding{}, false
}

func (r received) metric(metric, entity string) []messages.MetricEvent {
	var out []messages.MetricEvent
	for _, e := range r.metrics {
		if e.Metric == metric && e.Entity == entity {
			out = append(out, e)
		}
	}
	return out
}

func TestOnePassAgainstMoto(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	s := seed(t, env.AWS, env.Endpoint)
	svc, tenantID := newTestService(t, env, &tenants.AWS{
		RoleARN: "arn:aws:iam::" + env.Account.ID + ":role/boardpack-reader", ExternalID: "Zq3vX9LmP2rT8wYk",
	})
	queue := env.Resource.QueueURLs[resources.QueueAggregatorMetrics]
	ctx := context.Background()

	results, err := svc.Pass(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].TenantID != tenantID || results[0].Err != nil {
		t.Fatalf("results = %+v", results)
	}
	got := drain(t, env.AWS, queue)
	for _, e := range got.metrics {
		if e.TenantID != tenantID {
			t.Fatalf("event for tenant %q", e.TenantID)
		}
	}

	fnRes := "us-east-1/" + s.Function
	for _, w := range []struct{ check, resource, severity string }{
		{messages.CheckLambdaSecretInEnv, fnRes, messages.SeverityCritical},
		{messages.CheckCloudFrontNoWAF, s.Distribution, messages.SeverityHigh},
		{messages.CheckS3NoPublicAccessBlock, s.Bucket, messages.SeverityHigh},
		{messages.CheckRoute53TTL, s.ZoneID + "/api." + s.Zone + "/A", messages.SeverityLow},
		{messages.CheckLambdaErrorRate, fnRes, messages.SeverityHigh},
	} {
		f, ok := got.finding(w.check, w.resource)
		if !ok {
			t.Errorf("no %s finding for %s", w.check, w.resource)
			continue
		}
		if f.Status != messages.FindingOpen || f.Severity != w.severity || f.TenantID != tenantID {
			t.Errorf("%s: %+v", w.check, f)
		}
	}
	if f, _ := got.finding(messages.CheckLambdaSecretInEnv, fnRes); !strings.Contains(f.Detail, "STRIPE_KEY") || strings.Contains(f.Detail, "sk_live") {
		t.Errorf("secret finding detail %q must name STRIPE_KEY and hide its value", f.Detail)
	}
	for _, clean := range []string{s.ProtectedBucket} {
		if _, ok := got.finding(messages.CheckS3NoPublicAccessBlock, clean); ok {
			t.Errorf("protected bucket %s reported", clean)
		}
	}
	if _, ok := got.finding(messages.CheckRoute53TTL, s.ZoneID+"/www."+s.Zone+"/A"); ok {
		t.Error("TTL 300 reported")
	}

	month := observation.Month(s.MetricsAt)
	day := s.MetricsAt.Truncate(24 * time.Hour).Format(observation.DayFormat)
	expect := func(metric, entity string, value int64) {
		t.Helper()
		evs := got.metric(metric, entity)
		if len(evs) != 1 || evs[0].Value != value {
			t.Errorf("%s %s = %+v, want one event of %d", metric, entity, evs, value)
		}
	}
	expect(messages.MetricAWSCostMonthToDate, "AWS Lambda@"+month, 1235)
	expect(messages.MetricAWSCostMonthToDate, "Amazon Simple Storage Service@"+month, 99)
	expect(messages.MetricAWSLambdaInvocations, fnRes+"@"+day, 100)
	expect(messages.MetricAWSLambdaErrors, fnRes+"@"+day, 10)
	expect(messages.MetricAWSLambdaThrottles, fnRes+"@"+day, 1)
	expect(messages.MetricAWSCloudFrontRequests, s.Distribution+"@"+day, 1000)
	expect(messages.MetricAWSCloudFront5xxRate, s.Distribution+"@"+day, 250)
	expect(messages.MetricAWSS3BucketBytes, s.Bucket, 4096)
	expect(messages.MetricAWSS3BucketObjects, s.Bucket, 3)
	expect(messages.MetricAWSRoute53Records, s.ZoneID, 4) // SOA, NS and the two records
	if evs := got.metric(messages.MetricAWSLambdaFunction, fnRes); len(evs) != 1 || evs[0].Dimensions["runtime"] != "nodejs20.x" {
		t.Errorf("function inventory = %+v", evs)
	}

	// A second pass the same day: every count and deployment keeps its id
	// (nothing new for the aggregator to add), no finding is republished;
	// then the bucket is fixed and a third pass resolves its finding only.
	if _, err := svc.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	again := drain(t, env.AWS, queue)
	for id, e := range again.metrics {
		if e.Kind == messages.KindGauge {
			continue
		}
		if _, ok := got.metrics[id]; !ok {
			t.Errorf("re-collection published a new id for %s %s", e.Metric, e.Entity)
		}
	}
	if len(again.findings) != 0 {
		t.Errorf("second pass republished %d findings", len(again.findings))
	}

	s3c := s3.NewFromConfig(env.AWS, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String(s.Bucket), PublicAccessBlockConfiguration: fullPAB()}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	third := drain(t, env.AWS, queue)
	resolved, ok := third.finding(messages.CheckS3NoPublicAccessBlock, s.Bucket)
	if !ok || resolved.Status != messages.FindingResolved {
		t.Fatalf("bucket finding after the fix = %+v (found %v)", resolved, ok)
	}
	for _, f := range third.findings {
		if f.Resource == fnRes || f.Resource == s.Distribution || strings.HasPrefix(f.Resource, s.ZoneID+"/") {
			t.Errorf("unexpected change %+v", f)
		}
	}
}

// A tenant whose role cannot be assumed (moto accepts every AssumeRole, so
// the refusal is injected in front of the real accounts) fails alone: the
// other tenant is collected, and -once reports both and exits non-zero.
func TestOneTenantFailingDoesNotStopTheOthers(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	svc, healthy := newTestService(t, env, &tenants.AWS{})
	broken := "broken-" + mototest.UniqueID()
	store := svc.Tenants.(tenants.Store)
	if err := store.Apply(context.Background(), tenants.File{Tenants: []tenants.Tenant{{
		ID: broken, Name: "Broken", Timezone: "UTC", Currency: "USD",
		Stripe: tenants.Stripe{WebhookSecrets: []string{"whsec_test"}},
		Email:  tenants.Email{From: "Reports <reports@example.com>"},
		AWS:    &tenants.AWS{RoleARN: "arn:aws:iam::210987654321:role/missing", ExternalID: "h7Gd2kQp9sLx4Vbn"},
	}}}); err != nil {
		t.Fatal(err)
	}
	denied := errors.New("operation error STS: AssumeRole, api error AccessDenied: not authorized to perform sts:AssumeRole")
	svc.Accounts = failingAccounts{fail: map[string]error{broken: denied}, next: svc.Accounts}
	svc.CostInterval = time.Hour

	var out bytes.Buffer
	err := svc.Once(context.Background(), &out)
	if !errors.Is(err, collector.ErrTenantsFailed) {
		t.Fatalf("Once = %v, want collector.ErrTenantsFailed\n%s", err, out.String())
	}
	text := out.String()
	if !strings.Contains(text, "tenant "+healthy+": ok") || !strings.Contains(text, "tenant "+broken+": FAILED") ||
		!strings.Contains(text, "AccessDenied") {
		t.Fatalf("output:\n%s", text)
	}
}

// failingAccounts refuses the tenants it names, like an AssumeRole denied.
type failingAccounts struct {
	fail map[string]error
	next interface {
		For(context.Context, tenants.Tenant) (collector.Account, []string, error)
	}
}

func (f failingAccounts) For(ctx context.Context, t tenants.Tenant) (collector.Account, []string, error) {
	if err := f.fail[t.ID]; err != nil {
		return nil, nil, err
	}
	return f.next.For(ctx, t)
}

var testChecks = checks.Checks{ErrorRateBP: 500, MinInvocations: 20, TTLMin: 5 * time.Minute, TTLMax: 24 * time.Hour}
