package report

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// memSource is an in-memory Source with readmodel.Store's semantics (a
// fact is stored once per event id), for pure tests of the analyses.
type memSource struct {
	facts    []messages.MetricEvent
	findings []messages.Finding

	// byMetric indexes facts by metric, as the table's sort key does, so
	// that benchmarks measure the report and not a scan of every fact.
	index    sync.Once
	byMetric map[string][]messages.MetricEvent
}

func (s *memSource) Facts(_ context.Context, tenantID, metric string, from, until time.Time) ([]messages.MetricEvent, error) {
	s.index.Do(func() {
		s.byMetric = map[string][]messages.MetricEvent{}
		for _, f := range s.facts {
			s.byMetric[f.Metric] = append(s.byMetric[f.Metric], f)
		}
	})
	var out []messages.MetricEvent
	seen := map[string]bool{}
	for _, f := range s.byMetric[metric] {
		if f.TenantID == tenantID && f.Metric == metric && !f.OccurredAt.Before(from) && f.OccurredAt.Before(until) && !seen[f.EventID] {
			seen[f.EventID] = true
			out = append(out, f)
		}
	}
	return out, nil
}

func (s *memSource) Findings(_ context.Context, tenantID string, until time.Time) ([]messages.Finding, error) {
	var out []messages.Finding
	for _, f := range s.findings {
		if f.TenantID == tenantID && f.OccurredAt.Before(until) {
			out = append(out, f)
		}
	}
	return out, nil
}

func testTenant() tenants.Tenant {
	return tenants.Tenant{
		ID: "queen", Name: "Queen of San Diego <script>alert(1)</script>", Timezone: "America/Los_Angeles", Currency: "USD",
		Email:      tenants.Email{From: "Queen Reports <reports@queen.example.com>", ReplyTo: "owner@queen.example.com", BCCAudit: []string{"audit@queen.example.com"}},
		Recipients: map[string][]string{"ceo": {"ceo@queen.example.com"}, "cfo": {"cfo@queen.example.com", "books@queen.example.com"}},
		Finance:    tenants.Finance{MonthlyRevenueTarget: "15000.00", FixedCostsMonthly: "9000", UnitPrice: "120", VariableCostPerUnit: "35", MinRunwayMonths: 12},
	}
}

// fullData is a year of daily activity ending at end (UTC), from every
// source, deterministic.
func fullData(tenantID string, end time.Time) *memSource { return historyData(tenantID, end, 1) }

// historyData is fullData over years of daily history ending at end.
func historyData(tenantID string, end time.Time, years int) *memSource {
	s := &memSource{}
	n := 0
	h := func(at time.Time, src string) messages.Header {
		n++
		return messages.Header{EventID: fmt.Sprintf("evt_%06d", n), TenantID: tenantID, OccurredAt: at, Source: src}
	}
	add := func(e messages.MetricEvent) { s.facts = append(s.facts, e) }
	start := end.AddDate(-years, 0, 0)
	products := []string{"Harbor cruise", "Sunset tour <script>alert('x')</script>", "Private charter"}
	for day, i := start, 0; day.Before(end); day, i = day.AddDate(0, 0, 1), i+1 {
		at := day.Add(17 * time.Hour)
		for c := 0; c < 3+i%4; c++ {
			amt := int64(4500 + 1500*((i+c)%5))
			add(messages.MetricEvent{Header: h(at.Add(time.Duration(c)*time.Minute), messages.SourceStripe), Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive,
				Value: amt, Currency: "USD", ObjectID: fmt.Sprintf("ch_%d_%d", i, c), Dimensions: map[string]string{"product": products[(i+c)%3]}})
			add(messages.MetricEvent{Header: h(at.Add(time.Duration(c)*time.Minute), messages.SourceStripe), Metric: messages.MetricRevenueFees, Kind: messages.KindAdditive, Value: amt*29/1000 + 30, Currency: "USD"})
			add(messages.MetricEvent{Header: h(at, messages.SourceStripe), Metric: messages.MetricCheckoutCompleted, Kind: messages.KindAdditive, Value: 1, Unit: messages.UnitCount})
		}
		if i%9 == 0 {
			add(messages.MetricEvent{Header: h(at.Add(2*time.Hour), messages.SourceStripe), Metric: messages.MetricRevenueRefunded, Kind: messages.KindState, Entity: fmt.Sprintf("ch_%d_0", i), Version: at.Unix(), Value: 4500, Currency: "USD"})
		}
		add(messages.MetricEvent{Header: h(at, messages.SourceStripe), Metric: messages.MetricCheckoutExpired, Kind: messages.KindAdditive, Value: 1, Unit: messages.UnitCount})
		if i%2 == 0 {
			add(messages.MetricEvent{Header: h(at, messages.SourceStripe), Metric: messages.MetricCustomersNew, Kind: messages.KindAdditive, Value: 1 + int64(i%3), Unit: messages.UnitCount})
		}
		if i%7 == 0 {
			add(messages.MetricEvent{Header: h(at.Add(time.Hour), messages.SourceStripe), Metric: messages.MetricPayoutsPaid, Kind: messages.KindAdditive, Value: 60000, Currency: "USD"})
		}
		add(messages.MetricEvent{Header: h(day.Add(23*time.Hour), messages.SourceStripe), Metric: messages.MetricCashStripe, Kind: messages.KindGauge, Entity: "USD", Value: 250000 + int64(i*300), Currency: "USD"})
		add(messages.MetricEvent{Header: h(at, messages.SourceStripe), Metric: messages.MetricMRR, Kind: messages.KindState, Entity: fmt.Sprintf("sub_%d", i%40), Version: at.Unix(), Value: 2900 + int64(i%3)*1000, Currency: "USD"})
		// AWS, per UTC day.
		dayKey := day.UTC().Format(time.DateOnly)
		month := day.UTC().Format("2006-01")
		for fi, fn := range []string{"api", "worker"} {
			inv := int64(10000 + 100*i + 5000*fi)
			errs := int64(i%5) * int64(1+fi*80)
			ent := "us-west-2/" + fn + "@" + dayKey
			dims := map[string]string{"region": "us-west-2", "function": fn, "day": dayKey}
			add(messages.MetricEvent{Header: h(day.UTC(), messages.SourceAWS), Metric: messages.MetricAWSLambdaInvocations, Kind: messages.KindState, Entity: ent, Version: inv, Value: inv, Unit: messages.UnitCount, Dimensions: dims})
			add(messages.MetricEvent{Header: h(day.UTC(), messages.SourceAWS), Metric: messages.MetricAWSLambdaErrors, Kind: messages.KindState, Entity: ent, Version: errs, Value: errs, Unit: messages.UnitCount, Dimensions: dims})
			add(messages.MetricEvent{Header: h(day.UTC().Add(23*time.Hour), messages.SourceAWS), Metric: messages.MetricAWSLambdaDurationP95, Kind: messages.KindGauge, Entity: ent, Value: int64(120 + 7*(i%11) + 300*fi), Unit: messages.UnitMilliseconds, Dimensions: dims})
		}
		cfDims := map[string]string{"distribution": "E1ABC", "day": dayKey}
		add(messages.MetricEvent{Header: h(day.UTC(), messages.SourceAWS), Metric: messages.MetricAWSCloudFrontRequests, Kind: messages.KindState, Entity: "E1ABC@" + dayKey, Version: int64(50000 + i), Value: int64(50000 + i), Unit: messages.UnitCount, Dimensions: cfDims})
		add(messages.MetricEvent{Header: h(day.UTC().Add(23*time.Hour), messages.SourceAWS), Metric: messages.MetricAWSCloudFront4xxRate, Kind: messages.KindGauge, Entity: "E1ABC@" + dayKey, Value: int64(150 + i%50), Unit: messages.UnitBasisPoints, Dimensions: cfDims})
		add(messages.MetricEvent{Header: h(day.UTC().Add(23*time.Hour), messages.SourceAWS), Metric: messages.MetricAWSCloudFront5xxRate, Kind: messages.KindGauge, Entity: "E1ABC@" + dayKey, Value: int64(i % 40), Unit: messages.UnitBasisPoints, Dimensions: cfDims})
		// Cost month to date per service: grows daily within the month.
		dom := int64(day.UTC().Day())
		for si, svc := range []string{"AWS Lambda", "Amazon CloudFront", "Amazon S3", "Amazon DynamoDB"} {
			add(messages.MetricEvent{Header: h(day.UTC().Add(23*time.Hour), messages.SourceAWS), Metric: messages.MetricAWSCostMonthToDate, Kind: messages.KindGauge,
				Entity: svc + "@" + month, Value: dom * int64(400-90*si+int(day.Month())*10*si), Currency: "USD", Dimensions: map[string]string{"service": svc, "month": month}})
		}
		// Inventory, one reading a day.
		obs := day.UTC().Add(23*time.Hour + 30*time.Minute)
		for _, fn := range []string{"api", "worker"} {
			add(messages.MetricEvent{Header: h(obs, messages.SourceAWS), Metric: messages.MetricAWSLambdaFunction, Kind: messages.KindGauge, Entity: "us-west-2/" + fn,
				Value: end.AddDate(0, 0, -12).Unix(), Unit: messages.UnitUnixSeconds, Dimensions: map[string]string{"region": "us-west-2", "function": fn, "runtime": "nodejs20.x"}})
		}
		add(messages.MetricEvent{Header: h(obs, messages.SourceAWS), Metric: messages.MetricAWSCloudFrontDistribution, Kind: messages.KindGauge, Entity: "E1ABC", Value: 1,
			Dimensions: map[string]string{"distribution": "E1ABC", "domain": "d111.cloudfront.net", "enabled": "true", "waf": "false"}})
		for _, b := range []string{"queen-assets", "queen-logs"} {
			pab := "full"
			if b == "queen-logs" {
				pab = "none"
			}
			add(messages.MetricEvent{Header: h(obs, messages.SourceAWS), Metric: messages.MetricAWSS3Bucket, Kind: messages.KindGauge, Entity: b, Value: 1, Dimensions: map[string]string{"bucket": b, "region": "us-west-2", "public_access_block": pab}})
			add(messages.MetricEvent{Header: h(obs, messages.SourceAWS), Metric: messages.MetricAWSS3BucketBytes, Kind: messages.KindGauge, Entity: b, Value: int64(5<<30) + int64(i)<<20, Unit: messages.UnitBytes, Dimensions: map[string]string{"bucket": b}})
			add(messages.MetricEvent{Header: h(obs, messages.SourceAWS), Metric: messages.MetricAWSS3BucketObjects, Kind: messages.KindGauge, Entity: b, Value: int64(1000 + i), Unit: messages.UnitCount, Dimensions: map[string]string{"bucket": b}})
		}
		add(messages.MetricEvent{Header: h(obs, messages.SourceAWS), Metric: messages.MetricAWSRoute53Records, Kind: messages.KindGauge, Entity: "Z123", Value: 14, Unit: messages.UnitCount, Dimensions: map[string]string{"zone": "queenofsandiego.example.", "private": "false"}})
		// Imports: expenses, channels.
		if day.Day() == 1 {
			for ci, cat := range []string{"payroll", "software", "marketing", "rent"} {
				add(messages.MetricEvent{Header: h(at, messages.SourceImport), Metric: metricExpenses, Kind: messages.KindState, Version: 1,
					Entity: fmt.Sprintf("expense/%s/vendor/%s/#1", day.Format(time.DateOnly), cat), Value: int64(150000 - 30000*ci + 1000*int(day.Month())), Currency: "USD",
					Dimensions: map[string]string{"category": cat, "vendor": "vendor", "account_code": map[bool]string{true: "6000", false: ""}[cat == "payroll"]}})
			}
			add(messages.MetricEvent{Header: h(at, messages.SourceImport), Metric: metricCashBalance, Kind: messages.KindGauge, Entity: "cash/bank", Version: int64(i), Value: 4000000 - int64(i)*5000, Currency: "USD", Dimensions: map[string]string{"account": "Bank"}})
			add(messages.MetricEvent{Header: h(day, messages.SourceImport), Metric: metricRevenueTarget, Kind: messages.KindState, Version: 1, Entity: "target/" + day.Format("2006-01") + "/revenue",
				Value: 1200000, Currency: "USD", Dimensions: map[string]string{"month": day.Format("2006-01"), "metric": "revenue"}})
		}
		for ci, ch := range []string{"google-ads", "instagram", "email"} {
			ent := "channel/" + ch + "/" + day.Format(time.DateOnly)
			dims := map[string]string{"channel": ch, "status": "active"}
			add(messages.MetricEvent{Header: h(day, messages.SourceImport), Metric: metricChannelSessions, Kind: messages.KindState, Version: 1, Entity: ent, Value: int64(100 + 40*ci + i%13), Unit: messages.UnitCount, Dimensions: dims})
			add(messages.MetricEvent{Header: h(day, messages.SourceImport), Metric: metricChannelConversion, Kind: messages.KindState, Version: 1, Entity: ent, Value: int64((3 - ci) * (i % 3)), Unit: messages.UnitCount, Dimensions: dims})
			add(messages.MetricEvent{Header: h(day, messages.SourceImport), Metric: metricChannelSpend, Kind: messages.KindState, Version: 1, Entity: ent, Value: int64(2000 * (3 - ci)), Currency: "USD", Dimensions: dims})
		}
	}
	add(messages.MetricEvent{Header: h(end.AddDate(0, 0, -12), messages.SourceAWS), Metric: messages.MetricAWSLambdaDeploys, Kind: messages.KindAdditive, Value: 1, Dimensions: map[string]string{"function": "api"}})
	add(messages.MetricEvent{Header: h(end.AddDate(0, 0, -40), messages.SourceAWS), Metric: messages.MetricAWSLambdaDeploys, Kind: messages.KindAdditive, Value: 1, Dimensions: map[string]string{"function": "worker"}})
	add(messages.MetricEvent{Header: h(end.AddDate(0, 0, -3), messages.SourceImport), Metric: metricPipelineValue, Kind: messages.KindState, Entity: "deal/acme", Version: 1, Value: 1200000, Currency: "USD", Dimensions: map[string]string{"deal": "Acme <b>fleet</b>", "stage": "proposal", "status": "open"}})
	for _, f := range []messages.Finding{
		{FindingID: "f1", Check: messages.CheckCloudFrontNoWAF, Resource: "E1ABC", Severity: messages.SeverityHigh, Status: messages.FindingOpen, Title: "CloudFront distribution without WAF"},
		{FindingID: "f2", Check: messages.CheckS3NoPublicAccessBlock, Resource: "queen-logs", Severity: messages.SeverityHigh, Status: messages.FindingOpen, Title: "Bucket without public access block"},
		{FindingID: "f3", Check: messages.CheckLambdaSecretInEnv, Resource: "us-west-2/api", Severity: messages.SeverityCritical, Status: messages.FindingOpen, Title: "Secret in Lambda environment <script>", Detail: "STRIPE_KEY"},
		{FindingID: "f4", Check: messages.CheckRoute53TTL, Resource: "Z123/www/CNAME", Severity: messages.SeverityLow, Status: messages.FindingOpen, Title: "TTL out of range"},
	} {
		f.Header = h(end.AddDate(0, 0, -20), messages.SourceAWS)
		s.findings = append(s.findings, f)
	}
	sort.Slice(s.facts, func(i, j int) bool { return s.facts[i].OccurredAt.Before(s.facts[j].OccurredAt) })
	return s
}

// monthDue is the ReportDue of a calendar month in the tenant's zone.
func monthDue(t tenants.Tenant, role string, year int, month time.Month) messages.ReportDue {
	loc := t.Location()
	start := time.Date(year, month, 1, 0, 0, 0, 0, loc)
	end := start.AddDate(0, 1, 0)
	return messages.ReportDue{
		Header:   messages.Header{EventID: "due-1", TenantID: t.ID, OccurredAt: end, Source: messages.SourceScheduler},
		ReportID: messages.ReportIDFor(t.ID, role, start, end), Role: role,
		PeriodStart: start.UTC(), PeriodEnd: end.UTC(), PeriodKind: messages.PeriodMonth, DueAt: end,
	}
}
