package translate

import (
	"github.com/boardpack/boardpack/services/aws-collector/internal/observation"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

func ptr[T any](v T) *T { return &v }

var (
	day1 = time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	day2 = day1.AddDate(0, 0, 1)
)

func sampleObservation(at time.Time, invocations int64) observation.Observation {
	return observation.Observation{
		TenantID: "jada", At: at, Days: []time.Time{day1, day2},
		Functions: []observation.Function{{
			Region: "us-east-1", Name: "checkout", Runtime: "nodejs20.x",
			LastModified: time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC),
			Days: map[time.Time]observation.FunctionDay{
				day1: {Invocations: 100, Errors: 2, P95Ms: ptr(123.6)},
				day2: {Invocations: invocations, Errors: 1},
			},
		}},
		Cost: &observation.CostObservation{Months: map[string]observation.MonthCost{
			"2026-03": {ByService: map[string]observation.Amount{"AWS Lambda": {Minor: 1234, Currency: "USD"}, "Amazon S3": {Minor: 56, Currency: "USD"}}},
		}},
		Distributions: []observation.Distribution{{ID: "E1", Domain: "d1.cloudfront.net", Enabled: true,
			Days: map[time.Time]observation.DistributionDay{day2: {Requests: 10, Rate5xxBP: ptr(int64(250))}}}},
		Buckets: []observation.Bucket{{Name: "assets", Region: "us-east-1", PublicAccessBlock: observation.PABNone, Bytes: ptr(int64(2048))}},
		Zones:   []observation.Zone{{ID: "Z1", Name: "example.com.", Records: make([]observation.Record, 3)}},
	}
}

func byMetric(evs []messages.MetricEvent) map[string][]messages.MetricEvent {
	out := map[string][]messages.MetricEvent{}
	for _, e := range evs {
		out[e.Metric] = append(out[e.Metric], e)
	}
	return out
}

func TestEventsAreValidAndModelled(t *testing.T) {
	at := day2.Add(10 * time.Hour)
	evs := Events(sampleObservation(at, 40))
	for _, e := range evs {
		if err := e.Validate(); err != nil {
			t.Errorf("%s %s: %v", e.Metric, e.Entity, err)
		}
		if e.Source != messages.SourceAWS || e.TenantID != "jada" {
			t.Errorf("%s: source %q tenant %q", e.Metric, e.Source, e.TenantID)
		}
	}
	m := byMetric(evs)
	cases := []struct {
		metric string
		n      int
		kind   messages.Kind
	}{
		{messages.MetricAWSLambdaFunction, 1, messages.KindGauge},
		{messages.MetricAWSLambdaDeploys, 1, messages.KindAdditive},
		{messages.MetricAWSLambdaInvocations, 2, messages.KindState},
		{messages.MetricAWSLambdaErrors, 2, messages.KindState},
		{messages.MetricAWSLambdaThrottles, 2, messages.KindState},
		{messages.MetricAWSLambdaDurationP95, 1, messages.KindGauge},
		{messages.MetricAWSCostMonthToDate, 2, messages.KindGauge},
		{messages.MetricAWSCloudFrontDistribution, 1, messages.KindGauge},
		{messages.MetricAWSCloudFrontRequests, 1, messages.KindState},
		{messages.MetricAWSCloudFront5xxRate, 1, messages.KindGauge},
		{messages.MetricAWSCloudFront4xxRate, 0, ""},
		{messages.MetricAWSS3Bucket, 1, messages.KindGauge},
		{messages.MetricAWSS3BucketBytes, 1, messages.KindGauge},
		{messages.MetricAWSS3BucketObjects, 0, ""},
		{messages.MetricAWSRoute53Records, 1, messages.KindGauge},
	}
	for _, c := range cases {
		if got := len(m[c.metric]); got != c.n {
			t.Errorf("%s: %d events, want %d", c.metric, got, c.n)
			continue
		}
		for _, e := range m[c.metric] {
			if e.Kind != c.kind {
				t.Errorf("%s: kind %s, want %s", c.metric, e.Kind, c.kind)
			}
		}
	}
	inv := m[messages.MetricAWSLambdaInvocations][1]
	if inv.Entity != "us-east-1/checkout@2026-03-10" || !inv.OccurredAt.Equal(day2) || inv.Version != 40 || inv.Dimensions["function"] != "checkout" {
		t.Errorf("invocations event = %+v", inv)
	}
	if p := m[messages.MetricAWSLambdaDurationP95][0]; p.Value != 124 || p.Unit != messages.UnitMilliseconds {
		t.Errorf("p95 = %d %s, want 124 ms", p.Value, p.Unit)
	}
	cost := readmodel.StatesAt(m[messages.MetricAWSCostMonthToDate], at.Add(time.Second))
	if got := cost["AWS Lambda@2026-03"]; got.Value != 1234 || got.Currency != "USD" || got.Dimensions["month"] != "2026-03" {
		t.Errorf("lambda cost = %+v", got)
	}
}

// Re-collecting a day publishes the same ids for unchanged facts, and the
// read model's fold takes the newer count when it grew: no double counting.
func TestRecollectingADayNeitherDuplicatesNorDoubleCounts(t *testing.T) {
	first := Events(sampleObservation(day2.Add(10*time.Hour), 40))
	second := Events(sampleObservation(day2.Add(11*time.Hour), 55))

	ids := map[string]messages.MetricEvent{}
	for _, e := range first {
		ids[e.EventID] = e
	}
	for _, e := range second {
		if e.Kind == messages.KindGauge {
			continue
		}
		if e.Entity == "us-east-1/checkout@2026-03-10" && e.Metric == messages.MetricAWSLambdaInvocations {
			if _, same := ids[e.EventID]; same {
				t.Errorf("grown count kept its id %s", e.EventID)
			}
			continue
		}
		prev, ok := ids[e.EventID]
		if !ok {
			t.Errorf("%s %s: new id on re-collection", e.Metric, e.Entity)
			continue
		}
		if prev.Value != e.Value || prev.Version != e.Version || !prev.OccurredAt.Equal(e.OccurredAt) {
			t.Errorf("%s %s: same id, different content", e.Metric, e.Entity)
		}
	}
	// Both passes delivered, in either order, twice: the day is 55, the
	// window 155.
	var all []messages.MetricEvent
	for _, e := range append(append(second, first...), first...) {
		if e.Metric == messages.MetricAWSLambdaInvocations {
			all = append(all, e)
		}
	}
	if got := readmodel.TotalAt(all, day2.AddDate(0, 0, 1)); got != 155 {
		t.Fatalf("invocations total = %d, want 155", got)
	}
}
