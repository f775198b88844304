package readmodel_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// queryCall runs one Query method for a tenant; expect computes what that
// method must return from the tenant's own facts only.
type queryCall struct {
	method string
	call   func(ctx context.Context, q readmodel.Query, tenant string) (any, error)
	expect func(own []messages.MetricEvent, findings []messages.Finding) any
}

var (
	fzFrom = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	fzTo   = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	fzLoc  = mustLoc("Europe/Berlin")
)

func ofMetric(facts []messages.MetricEvent, metric string, from, to time.Time) []messages.MetricEvent {
	var out []messages.MetricEvent
	for _, f := range facts {
		if f.Metric == metric && !f.OccurredAt.Before(from) && f.OccurredAt.Before(to) {
			out = append(out, f)
		}
	}
	return out
}

var zero time.Time

var queryCalls = []queryCall{
	{"Sum", func(ctx context.Context, q readmodel.Query, tn string) (any, error) {
		return q.Sum(ctx, tn, messages.MetricRevenueGross, fzFrom, fzTo)
	}, func(own []messages.MetricEvent, _ []messages.Finding) any {
		return readmodel.Sum(ofMetric(own, messages.MetricRevenueGross, fzFrom, fzTo), fzFrom, fzTo)
	}},
	{"Count", func(ctx context.Context, q readmodel.Query, tn string) (any, error) {
		return q.Count(ctx, tn, messages.MetricRevenueGross, fzFrom, fzTo)
	}, func(own []messages.MetricEvent, _ []messages.Finding) any {
		return readmodel.Count(ofMetric(own, messages.MetricRevenueGross, fzFrom, fzTo), fzFrom, fzTo)
	}},
	{"ByDimension", func(ctx context.Context, q readmodel.Query, tn string) (any, error) {
		return q.ByDimension(ctx, tn, messages.MetricRevenueGross, "product", fzFrom, fzTo)
	}, func(own []messages.MetricEvent, _ []messages.Finding) any {
		return readmodel.ByDimension(ofMetric(own, messages.MetricRevenueGross, fzFrom, fzTo), "product", fzFrom, fzTo)
	}},
	{"Daily", func(ctx context.Context, q readmodel.Query, tn string) (any, error) {
		return q.Daily(ctx, tn, messages.MetricRevenueGross, fzLoc, fzFrom, fzTo)
	}, func(own []messages.MetricEvent, _ []messages.Finding) any {
		return readmodel.Daily(ofMetric(own, messages.MetricRevenueGross, fzFrom, fzTo), fzLoc, fzFrom, fzTo)
	}},
	{"TotalAt", func(ctx context.Context, q readmodel.Query, tn string) (any, error) {
		return q.TotalAt(ctx, tn, messages.MetricCashStripe, fzTo)
	}, func(own []messages.MetricEvent, _ []messages.Finding) any {
		return readmodel.TotalAt(ofMetric(own, messages.MetricCashStripe, zero, fzTo), fzTo)
	}},
	{"Change", func(ctx context.Context, q readmodel.Query, tn string) (any, error) {
		return q.Change(ctx, tn, messages.MetricMRR, fzFrom, fzTo)
	}, func(own []messages.MetricEvent, _ []messages.Finding) any {
		return readmodel.Change(ofMetric(own, messages.MetricMRR, zero, fzTo), fzFrom, fzTo)
	}},
	{"StatesAt", func(ctx context.Context, q readmodel.Query, tn string) (any, error) {
		return q.StatesAt(ctx, tn, messages.MetricMRR, fzTo)
	}, func(own []messages.MetricEvent, _ []messages.Finding) any {
		return readmodel.StatesAt(ofMetric(own, messages.MetricMRR, zero, fzTo), fzTo)
	}},
	{"Latest", func(ctx context.Context, q readmodel.Query, tn string) (any, error) {
		f, ok, err := q.Latest(ctx, tn, messages.MetricCashStripe, fzTo)
		return fmt.Sprint(ok, f.EventID, f.Value), err
	}, func(own []messages.MetricEvent, _ []messages.Finding) any {
		f, ok := readmodel.Latest(ofMetric(own, messages.MetricCashStripe, zero, fzTo), fzTo)
		return fmt.Sprint(ok, f.EventID, f.Value)
	}},
	{"MRRMovements", func(ctx context.Context, q readmodel.Query, tn string) (any, error) {
		return q.MRRMovements(ctx, tn, fzFrom, fzTo)
	}, func(own []messages.MetricEvent, _ []messages.Finding) any {
		return readmodel.MRRMovements(ofMetric(own, messages.MetricMRR, zero, fzTo), fzFrom, fzTo)
	}},
	{"MonthlyMRRMovements", func(ctx context.Context, q readmodel.Query, tn string) (any, error) {
		return q.MonthlyMRRMovements(ctx, tn, fzLoc, fzFrom, fzTo)
	}, func(own []messages.MetricEvent, _ []messages.Finding) any {
		return readmodel.MonthlyMRRMovements(ofMetric(own, messages.MetricMRR, zero, fzTo), fzLoc, fzFrom, fzTo)
	}},
	{"OpenFindings", func(ctx context.Context, q readmodel.Query, tn string) (any, error) {
		return q.OpenFindings(ctx, tn, fzTo)
	}, func(_ []messages.MetricEvent, findings []messages.Finding) any {
		var before []messages.Finding
		for _, f := range findings {
			if f.OccurredAt.Before(fzTo) {
				before = append(before, f)
			}
		}
		return readmodel.OpenFindings(before)
	}},
	{"FindingStates", func(ctx context.Context, q readmodel.Query, tn string) (any, error) {
		return q.FindingStates(ctx, tn, fzTo)
	}, func(_ []messages.MetricEvent, findings []messages.Finding) any {
		var before []messages.Finding
		for _, f := range findings {
			if f.OccurredAt.Before(fzTo) {
				before = append(before, f)
			}
		}
		return readmodel.FindingStates(before)
	}},
}

// fuzzTenantID favours ids that are prefixes or near-copies of each other
// ("a", "a-1", "a1", "a-10"), the ones a careless key scheme would mix up.
func fuzzTenantID(rng *rand.Rand) string {
	parts := []string{"a", "b", "1", "-", "ab", "a1", "0"}
	for {
		var b strings.Builder
		for range 1 + rng.IntN(4) {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		if id := b.String(); messages.ValidTenantID(id) {
			return id
		}
	}
}

// tenantData writes random facts of several kinds for each tenant and
// returns them per tenant.
func tenantData(t *testing.T, rng *rand.Rand, ledger readmodel.Ledger, tenantIDs []string, perTenant int) (map[string][]messages.MetricEvent, map[string][]messages.Finding) {
	t.Helper()
	ctx := context.Background()
	facts, findings := map[string][]messages.MetricEvent{}, map[string][]messages.Finding{}
	span := int64(fzTo.Add(30*24*time.Hour).Sub(fzFrom.Add(-60*24*time.Hour)) / time.Second)
	for _, tn := range tenantIDs {
		for i := range perTenant {
			at := fzFrom.Add(-60*24*time.Hour + time.Duration(rng.Int64N(span))*time.Second)
			h := messages.Header{EventID: fmt.Sprintf("evt_%d", i), TenantID: tn, OccurredAt: at, Source: messages.SourceStripe}
			var e messages.MetricEvent
			switch rng.IntN(4) {
			case 0, 1:
				e = messages.MetricEvent{Header: h, Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: rng.Int64N(5000), Currency: "EUR",
					Dimensions: map[string]string{"product": []string{"x", "y"}[rng.IntN(2)]}}
			case 2:
				e = messages.MetricEvent{Header: h, Metric: messages.MetricMRR, Kind: messages.KindState, Entity: fmt.Sprintf("sub_%d", rng.IntN(3)),
					Version: at.Unix(), Value: rng.Int64N(3) * 1000, Currency: "EUR", Dimensions: map[string]string{readmodel.DimensionCustomer: fmt.Sprintf("cus_%d", rng.IntN(2))}}
			default:
				e = messages.MetricEvent{Header: h, Metric: messages.MetricCashStripe, Kind: messages.KindGauge, Entity: "EUR", Value: rng.Int64N(1e6), Currency: "EUR"}
			}
			if _, err := ledger.PutFact(ctx, e); err != nil {
				t.Fatal(err)
			}
			facts[tn] = append(facts[tn], e)
		}
		// The same event ids in every tenant: ids are unique per source,
		// not across tenants.
		f := messages.Finding{Header: messages.Header{EventID: "evt_f", TenantID: tn, OccurredAt: fzFrom, Source: messages.SourceAWS},
			FindingID: "waf:" + tn, Check: "waf", Severity: messages.SeverityHigh, Status: messages.FindingOpen}
		if _, err := ledger.PutFinding(ctx, f); err != nil {
			t.Fatal(err)
		}
		findings[tn] = append(findings[tn], f)
	}
	return facts, findings
}

func checkTenantIsolation(t *testing.T, rng *rand.Rand, ledger readmodel.Ledger, tenants, perTenant int) {
	t.Helper()
	seen := map[string]bool{}
	var ids []string
	for len(ids) < tenants {
		if id := fuzzTenantID(rng); !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	facts, findings := tenantData(t, rng, ledger, ids, perTenant)
	q := readmodel.Query{Source: ledger}
	ctx := context.Background()
	// Unknown but well-formed tenants see nothing; malformed ids are refused.
	probes := append(append([]string{}, ids...), fuzzTenantID(rng)+"-zz")
	for _, tn := range probes {
		for _, c := range queryCalls {
			got, err := c.call(ctx, q, tn)
			if err != nil {
				t.Fatalf("%s(%q): %v", c.method, tn, err)
			}
			if want := c.expect(facts[tn], findings[tn]); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s(%q) = %+v, want %+v (its own facts only)", c.method, tn, got, want)
			}
		}
	}
	for _, bad := range []string{"", "A", "a#b", "TENANT#a", "a ", "-a", ids[0] + "#"} {
		for _, c := range queryCalls {
			if _, err := c.call(ctx, q, bad); err == nil {
				t.Fatalf("%s(%q) accepted a malformed tenant id", c.method, bad)
			}
		}
	}
}

func TestQueryCoversEveryMethod(t *testing.T) {
	if n := reflect.TypeOf(readmodel.Query{}).NumMethod(); n != len(queryCalls) {
		t.Fatalf("Query has %d methods and the tenant fuzz test covers %d: add the new method to queryCalls", n, len(queryCalls))
	}
}

func TestQueryNeverCrossesTenants(t *testing.T) {
	for seed := range uint64(30) {
		checkTenantIsolation(t, rand.New(rand.NewPCG(seed, 1)), readmodel.NewMemory(), 6, 25)
	}
}

func TestStoreQueryNeverCrossesTenants(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	store := readmodel.Store{DB: dynamodb.NewFromConfig(env.AWS), Table: env.Names.Table}
	checkTenantIsolation(t, rand.New(rand.NewPCG(7, 1)), store, 8, 20)
}
