package readmodel_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

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

// figureCalls are the folds a report computes over a snapshot; expect
// computes what each must return from the tenant's own facts only.
var figureCalls = []struct {
	name   string
	got    func(s *readmodel.Snapshot) any
	expect func(own []messages.MetricEvent, findings []messages.Finding) any
}{
	{"Sum", func(s *readmodel.Snapshot) any {
		return readmodel.Sum(s.Facts(messages.MetricRevenueGross), fzFrom, fzTo)
	}, func(own []messages.MetricEvent, _ []messages.Finding) any {
		return readmodel.Sum(ofMetric(own, messages.MetricRevenueGross, fzFrom, fzTo), fzFrom, fzTo)
	}},
	{"Count", func(s *readmodel.Snapshot) any {
		return readmodel.Count(s.Facts(messages.MetricRevenueGross), fzFrom, fzTo)
	}, func(own []messages.MetricEvent, _ []messages.Finding) any {
		return readmodel.Count(ofMetric(own, messages.MetricRevenueGross, fzFrom, fzTo), fzFrom, fzTo)
	}},
	{"ByDimension", func(s *readmodel.Snapshot) any {
		return readmodel.ByDimension(s.Facts(messages.MetricRevenueGross), "product", fzFrom, fzTo)
	}, func(own []messages.MetricEvent, _ []messages.Finding) any {
		return readmodel.ByDimension(ofMetric(own, messages.MetricRevenueGross, fzFrom, fzTo), "product", fzFrom, fzTo)
	}},
	{"Daily", func(s *readmodel.Snapshot) any {
		return readmodel.Daily(s.Facts(messages.MetricRevenueGross), fzLoc, fzFrom, fzTo)
	}, func(own []messages.MetricEvent, _ []messages.Finding) any {
		return readmodel.Daily(ofMetric(own, messages.MetricRevenueGross, fzFrom, fzTo), fzLoc, fzFrom, fzTo)
	}},
	{"TotalAt", func(s *readmodel.Snapshot) any {
		return readmodel.TotalAt(s.Facts(messages.MetricCashStripe), fzTo)
	}, func(own []messages.MetricEvent, _ []messages.Finding) any {
		return readmodel.TotalAt(ofMetric(own, messages.MetricCashStripe, zero, fzTo), fzTo)
	}},
	{"Change", func(s *readmodel.Snapshot) any {
		return readmodel.Change(s.Facts(messages.MetricMRR), fzFrom, fzTo)
	}, func(own []messages.MetricEvent, _ []messages.Finding) any {
		return readmodel.Change(ofMetric(own, messages.MetricMRR, zero, fzTo), fzFrom, fzTo)
	}},
	{"StatesAt", func(s *readmodel.Snapshot) any {
		return readmodel.StatesAt(s.Facts(messages.MetricMRR), fzTo)
	}, func(own []messages.MetricEvent, _ []messages.Finding) any {
		return readmodel.StatesAt(ofMetric(own, messages.MetricMRR, zero, fzTo), fzTo)
	}},
	{"Latest", func(s *readmodel.Snapshot) any {
		f, ok := readmodel.Latest(s.Facts(messages.MetricCashStripe), fzTo)
		return fmt.Sprint(ok, f.EventID, f.Value)
	}, func(own []messages.MetricEvent, _ []messages.Finding) any {
		f, ok := readmodel.Latest(ofMetric(own, messages.MetricCashStripe, zero, fzTo), fzTo)
		return fmt.Sprint(ok, f.EventID, f.Value)
	}},
	{"MRRMovements", func(s *readmodel.Snapshot) any {
		return readmodel.MRRMovements(s.Facts(messages.MetricMRR), fzFrom, fzTo)
	}, func(own []messages.MetricEvent, _ []messages.Finding) any {
		return readmodel.MRRMovements(ofMetric(own, messages.MetricMRR, zero, fzTo), fzFrom, fzTo)
	}},
	{"MonthlyMRRMovements", func(s *readmodel.Snapshot) any {
		return readmodel.MonthlyMRRMovements(s.Facts(messages.MetricMRR), fzLoc, fzFrom, fzTo)
	}, func(own []messages.MetricEvent, _ []messages.Finding) any {
		return readmodel.MonthlyMRRMovements(ofMetric(own, messages.MetricMRR, zero, fzTo), fzLoc, fzFrom, fzTo)
	}},
	{"OpenFindings", func(s *readmodel.Snapshot) any {
		return readmodel.OpenFindings(s.Findings())
	}, func(_ []messages.MetricEvent, findings []messages.Finding) any {
		return readmodel.OpenFindings(before(findings, fzTo))
	}},
	{"FindingStates", func(s *readmodel.Snapshot) any {
		return readmodel.FindingStates(s.Findings())
	}, func(_ []messages.MetricEvent, findings []messages.Finding) any {
		return readmodel.FindingStates(before(findings, fzTo))
	}},
}

func before(findings []messages.Finding, t time.Time) []messages.Finding {
	var out []messages.Finding
	for _, f := range findings {
		if f.OccurredAt.Before(t) {
			out = append(out, f)
		}
	}
	return out
}

// snapshotMetrics are the metrics the isolation test reads.
var snapshotMetrics = []string{messages.MetricRevenueGross, messages.MetricMRR, messages.MetricCashStripe}

// writableSource is a Source that also records facts, as the aggregator and the
// aws-collector write them.
type writableSource interface {
	readmodel.Source
	PutFact(ctx context.Context, e messages.MetricEvent) (duplicate bool, err error)
	PutFinding(ctx context.Context, f messages.Finding) (duplicate bool, err error)
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
func tenantData(t *testing.T, rng *rand.Rand, ledger writableSource, tenantIDs []string, perTenant int) (map[string][]messages.MetricEvent, map[string][]messages.Finding) {
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

func checkTenantIsolation(t *testing.T, rng *rand.Rand, ledger writableSource, tenants, perTenant int) {
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
	ctx := context.Background()
	// Unknown but well-formed tenants see nothing; malformed ids are refused.
	probes := append(append([]string{}, ids...), fuzzTenantID(rng)+"-zz")
	for _, tn := range probes {
		snap, err := readmodel.Read(ctx, ledger, tn, fzTo, snapshotMetrics, true)
		if err != nil {
			t.Fatalf("Read(%q): %v", tn, err)
		}
		for _, m := range snapshotMetrics {
			if got, want := eventIDs(snap.Facts(m)), eventIDs(ofMetric(facts[tn], m, zero, fzTo)); !reflect.DeepEqual(got, want) {
				t.Fatalf("Read(%q) facts of %s = %v, want %v (its own facts only)", tn, m, got, want)
			}
		}
		for _, c := range figureCalls {
			if got, want := c.got(snap), c.expect(facts[tn], findings[tn]); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s(%q) = %+v, want %+v (its own facts only)", c.name, tn, got, want)
			}
		}
	}
	for _, bad := range []string{"", "A", "a#b", "TENANT#a", "a ", "-a", ids[0] + "#"} {
		if _, err := readmodel.Read(ctx, ledger, bad, fzTo, snapshotMetrics, true); err == nil {
			t.Fatalf("Read(%q) accepted a malformed tenant id", bad)
		}
		if _, err := ledger.Facts(ctx, bad, messages.MetricMRR, zero, fzTo); err == nil {
			t.Fatalf("Facts(%q) accepted a malformed tenant id", bad)
		}
		if _, err := ledger.Findings(ctx, bad, fzTo); err == nil {
			t.Fatalf("Findings(%q) accepted a malformed tenant id", bad)
		}
	}
}

// eventIDs lists facts' event ids, sorted: Read's order is the key order
// of the source, the expectation's the order of writing.
func eventIDs(facts []messages.MetricEvent) []string {
	out := []string{}
	for _, f := range facts {
		out = append(out, f.EventID)
	}
	slices.Sort(out)
	return out
}

// lyingSource returns another tenant's facts, as a broken key scheme
// would.
type lyingSource struct{ readmodel.Source }

func (l lyingSource) Facts(ctx context.Context, _, metric string, from, until time.Time) ([]messages.MetricEvent, error) {
	return l.Source.Facts(ctx, "other", metric, from, until)
}

func (l lyingSource) Findings(ctx context.Context, _ string, until time.Time) ([]messages.Finding, error) {
	return l.Source.Findings(ctx, "other", until)
}

func TestReadRefusesAnotherTenantsFacts(t *testing.T) {
	ctx := context.Background()
	mem := readmodel.NewMemory()
	h := messages.Header{EventID: "evt_1", TenantID: "other", OccurredAt: fzFrom, Source: messages.SourceStripe}
	if _, err := mem.PutFact(ctx, messages.MetricEvent{Header: h, Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: 1, Currency: "EUR"}); err != nil {
		t.Fatal(err)
	}
	if _, err := mem.PutFinding(ctx, messages.Finding{Header: h, FindingID: "waf:x", Check: "waf", Severity: messages.SeverityHigh, Status: messages.FindingOpen}); err != nil {
		t.Fatal(err)
	}
	if _, err := readmodel.Read(ctx, lyingSource{mem}, "mine", fzTo, []string{messages.MetricRevenueGross}, false); err == nil {
		t.Fatal("Read accepted another tenant's fact")
	}
	if _, err := readmodel.Read(ctx, lyingSource{mem}, "mine", fzTo, nil, true); err == nil {
		t.Fatal("Read accepted another tenant's finding")
	}
}

func TestReadNeverCrossesTenants(t *testing.T) {
	for seed := range uint64(30) {
		checkTenantIsolation(t, rand.New(rand.NewPCG(seed, 1)), readmodel.NewMemory(), 6, 25)
	}
}

func TestStoreReadNeverCrossesTenants(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	store := readmodel.Store{DB: dynamodb.NewFromConfig(env.AWS), Table: env.Names.Table}
	checkTenantIsolation(t, rand.New(rand.NewPCG(7, 1)), store, 8, 20)
}
