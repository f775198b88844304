package readmodel_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

var windowMetrics = []string{messages.MetricRevenueGross, messages.MetricRevenueRefunded, messages.MetricRevenueDisputed, messages.MetricMRR}

// genFindings makes observations of a few findings, opened and resolved
// at random instants over the history.
func genFindings(rng *rand.Rand, tenant string) []messages.Finding {
	span := int64(propStart.AddDate(0, propMonths, 0).Sub(propStart) / time.Second)
	var out []messages.Finding
	for i := range 5 {
		for k := range 1 + rng.IntN(4) {
			status := messages.FindingOpen
			if rng.IntN(2) == 0 {
				status = messages.FindingResolved
			}
			at := propStart.Add(time.Duration(rng.Int64N(span)) * time.Second).UTC()
			out = append(out, messages.Finding{
				Header:    messages.Header{EventID: fmt.Sprintf("evt_%s_x%d_%d", tenant, i, k), TenantID: tenant, OccurredAt: at, Source: messages.SourceAWS},
				FindingID: fmt.Sprintf("f%d", i), Status: status, Severity: messages.SeverityHigh, Title: "t", Resource: "r",
			})
		}
	}
	return out
}

// windowFigures is every fold of the package at instants from from on.
type windowFigures struct {
	Sums, Counts []int64
	Totals       []int64
	States       []map[string]messages.MetricEvent
	Latest       []messages.MetricEvent
	ByProduct    []map[string]int64
	Movements    []readmodel.Movements
	Findings     []readmodel.FindingState
	Open         []messages.Finding
}

func foldsFrom(s *readmodel.Snapshot, from time.Time) windowFigures {
	end := s.AsOf
	var ts []time.Time
	for t := from; t.Before(end); t = t.Add(97 * time.Hour) {
		ts = append(ts, t)
	}
	ts = append(ts, end)
	var w windowFigures
	for _, m := range windowMetrics {
		fs := s.Facts(m)
		for i, t := range ts {
			w.Totals = append(w.Totals, readmodel.TotalAt(fs, t))
			w.States = append(w.States, readmodel.StatesAt(fs, t))
			l, _ := readmodel.Latest(fs, t)
			w.Latest = append(w.Latest, l)
			if i > 0 {
				w.Sums = append(w.Sums, readmodel.Sum(fs, ts[i-1], t), readmodel.Change(fs, ts[i-1], t))
				w.Counts = append(w.Counts, int64(readmodel.Count(fs, ts[i-1], t)))
				w.ByProduct = append(w.ByProduct, readmodel.ByDimension(fs, "product", ts[i-1], t))
			}
		}
	}
	w.Movements = readmodel.MonthlyMRRMovements(s.Facts(messages.MetricMRR), propStart.Location(), from, end)
	w.Findings = readmodel.FindingStates(s.Findings())
	w.Open = readmodel.OpenFindings(s.Findings())
	return w
}

// checkWindow: whatever the delivery order and duplication, a bounded read
// (ReadWindow, its carry cached or built) gives every fold at instants
// from its window's start on the value of the full-history read; so does
// a second read that uses the cached carry, and one after late facts
// arrive behind the carry's boundary.
func checkWindow(t *testing.T, seed uint64, ledger writableSource) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 7))
	tenant := fmt.Sprintf("win-%d", seed)
	h := genHistory(rng, tenant, 30)
	findings := genFindings(rng, tenant)
	// Hold back some facts and findings from before the first window's
	// boundary: they arrive late, after carries are cached.
	firstFrom := propStart.AddDate(0, 2, 14)
	boundary := readmodel.CarryBoundary(firstFrom)
	var lateFacts []messages.MetricEvent
	var early []messages.MetricEvent
	for _, e := range h.events {
		if e.OccurredAt.Before(boundary) && rng.IntN(5) == 0 {
			lateFacts = append(lateFacts, e)
			continue
		}
		early = append(early, e)
	}
	deliverAll := func(es []messages.MetricEvent, fs []messages.Finding) {
		all := append([]messages.MetricEvent(nil), es...)
		for _, e := range es {
			if rng.IntN(4) == 0 {
				all = append(all, e)
			}
		}
		rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		for _, e := range all {
			if _, err := ledger.PutFact(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range fs {
			if _, err := ledger.PutFinding(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
	}
	deliverAll(early, findings[:len(findings)/2])
	end := propStart.AddDate(0, propMonths, 0)
	froms := []time.Time{firstFrom, propStart.AddDate(0, 3, 0), propStart.AddDate(0, 3, 19)}
	check := func(stage string) {
		full, err := readmodel.Read(ctx, ledger, tenant, end, windowMetrics, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, from := range froms {
			for pass := range 2 { // the first may build the carry, the second reads it
				win, err := readmodel.ReadWindow(ctx, ledger, tenant, from, end, windowMetrics, nil, true)
				if err != nil {
					t.Fatal(err)
				}
				if want, got := foldsFrom(full, from), foldsFrom(win, from); !reflect.DeepEqual(want, got) {
					t.Fatalf("seed %d %s, window from %s, pass %d: bounded read differs from the full history\nwant %+v\ngot  %+v", seed, stage, from, pass, want, got)
				}
			}
		}
	}
	check("before the late facts")
	deliverAll(lateFacts, findings[len(findings)/2:])
	check("after the late facts")
}

func TestReadWindowEqualsFullHistoryInAnyOrder(t *testing.T) {
	for seed := range uint64(40) {
		checkWindow(t, seed, readmodel.NewMemory())
	}
}

func TestStoreReadWindowEqualsFullHistoryInAnyOrder(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	store := readmodel.Store{DB: dynamodb.NewFromConfig(env.AWS), Table: env.Names.Table}
	checkWindow(t, 4243, store)
}

// TestCarryFactsKeepsOnlyWhatFoldsNeed pins the carry's content: each
// entity's latest state, each customer's first paid state, the latest
// fact overall and per currency; no additive fact besides those.
func TestCarryFactsKeepsOnlyWhatFoldsNeed(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 1, d, 12, 0, 0, 0, time.UTC) }
	mk := func(id string, d int, kind messages.Kind, entity string, v int64, cur string) messages.MetricEvent {
		return messages.MetricEvent{Header: messages.Header{EventID: id, TenantID: "jada", OccurredAt: day(d), Source: messages.SourceStripe},
			Metric: messages.MetricMRR, Kind: kind, Entity: entity, Version: int64(d), Value: v, Currency: cur,
			Dimensions: map[string]string{readmodel.DimensionCustomer: "cus_" + entity}}
	}
	facts := []messages.MetricEvent{
		mk("e1", 1, messages.KindState, "a", 900, "USD"), // a's first paid state
		mk("e2", 2, messages.KindState, "a", 1900, "USD"),
		mk("e3", 3, messages.KindState, "a", 0, "USD"), // a's latest: churned
		mk("e4", 4, messages.KindState, "b", 0, "USD"), // b never paid
		mk("e5", 5, messages.KindAdditive, "", 7, "USD"),
		mk("e6", 6, messages.KindAdditive, "", 7, "EUR"), // latest overall, and of EUR
		mk("e7", 9, messages.KindState, "c", 500, "USD"), // after the boundary
	}
	var got []string
	for _, f := range readmodel.CarryFacts(facts, day(8)) {
		got = append(got, f.EventID)
	}
	if want := []string{"e1", "e3", "e4", "e5", "e6"}; !reflect.DeepEqual(got, want) {
		t.Errorf("carry %v, want %v", got, want)
	}
}

func TestCarryFindingsKeepsFirstAndLast(t *testing.T) {
	obs := func(id string, d int, status string) messages.Finding {
		return messages.Finding{Header: messages.Header{EventID: id, TenantID: "jada", OccurredAt: time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC), Source: messages.SourceAWS},
			FindingID: "f", Status: status, Severity: messages.SeverityLow, Title: "t", Resource: "r"}
	}
	var got []string
	for _, f := range readmodel.CarryFindings([]messages.Finding{obs("x3", 3, messages.FindingOpen), obs("x1", 1, messages.FindingOpen), obs("x2", 2, messages.FindingResolved)}) {
		got = append(got, f.EventID)
	}
	if want := []string{"x1", "x3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("carry %v, want %v", got, want)
	}
}

func TestCarryBoundary(t *testing.T) {
	for from, want := range map[time.Time]time.Time{
		time.Date(2026, 10, 1, 7, 0, 0, 0, time.UTC):   time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC): time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC):    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		if got := readmodel.CarryBoundary(from); !got.Equal(want) || from.Sub(got) < readmodel.DistinctMargin {
			t.Errorf("CarryBoundary(%s) = %s, want %s (at least DistinctMargin before)", from, got, want)
		}
	}
}

// countingDB counts the Query requests and the items they return.
type countingDB struct {
	readmodel.DynamoAPI
	mu             sync.Mutex
	queries, items int
}

func (c *countingDB) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := c.DynamoAPI.Query(ctx, in, opts...)
	if err == nil {
		c.mu.Lock()
		c.queries++
		c.items += len(out.Items)
		c.mu.Unlock()
	}
	return out, err
}

func (c *countingDB) reset() (queries, items int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	queries, items = c.queries, c.items
	c.queries, c.items = 0, 0
	return
}

// dailyHistory writes years of daily history ending at end: a charge a
// day and one of 40 subscriptions' MRR a day.
func dailyHistory(t *testing.T, ledger writableSource, tenant string, end time.Time, years int) {
	t.Helper()
	ctx := context.Background()
	i := 0
	for d := end.AddDate(-years, 0, 0); d.Before(end); d, i = d.AddDate(0, 0, 1), i+1 {
		for _, e := range []messages.MetricEvent{
			{Header: messages.Header{EventID: fmt.Sprintf("evt_c%05d", i), TenantID: tenant, OccurredAt: d.Add(17 * time.Hour), Source: messages.SourceStripe},
				Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: 4500, Currency: "USD"},
			{Header: messages.Header{EventID: fmt.Sprintf("evt_m%05d", i), TenantID: tenant, OccurredAt: d.Add(18 * time.Hour), Source: messages.SourceStripe},
				Metric: messages.MetricMRR, Kind: messages.KindState, Entity: fmt.Sprintf("sub_%d", i%40), Version: int64(i), Value: 2900 + int64(i%3)*1000, Currency: "USD"},
		} {
			if _, err := ledger.PutFact(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
	}
}

var (
	boundedEnd     = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	boundedFrom    = boundedEnd.AddDate(0, -7, 0)
	boundedMetrics = []string{messages.MetricRevenueGross, messages.MetricMRR}
)

// TestBoundedReadCostIsIndependentOfHistory: once the carry is cached, a
// bounded read of a tenant with 5 years of history reads exactly as many
// items as one with 1 year, and gives the full read's figures.
func TestBoundedReadCostIsIndependentOfHistory(t *testing.T) {
	ctx := context.Background()
	m := readmodel.NewMemory()
	items := map[int]int{}
	for _, years := range []int{1, 5} {
		tenant := fmt.Sprintf("age-%d", years)
		dailyHistory(t, m, tenant, boundedEnd, years)
		if _, err := readmodel.ReadWindow(ctx, m, tenant, boundedFrom, boundedEnd, boundedMetrics, nil, false); err != nil {
			t.Fatal(err)
		}
		before := m.ItemsRead()
		win, err := readmodel.ReadWindow(ctx, m, tenant, boundedFrom, boundedEnd, boundedMetrics, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		items[years] = m.ItemsRead() - before
		full, err := readmodel.Read(ctx, m, tenant, boundedEnd, boundedMetrics, false)
		if err != nil {
			t.Fatal(err)
		}
		if want, got := readmodel.TotalAt(full.Facts(messages.MetricMRR), boundedFrom), readmodel.TotalAt(win.Facts(messages.MetricMRR), boundedFrom); want != got || want == 0 {
			t.Errorf("%d years: MRR at the window start %d, full history %d", years, got, want)
		}
	}
	if items[5] > items[1] || items[1] == 0 || items[1] > 600 {
		t.Errorf("items read: 1 year %d, 5 years %d; want the same, bounded by the window (9 months from the carry boundary, 2 facts a day)", items[1], items[5])
	}
}

func TestStoreBoundedReadCostIsIndependentOfHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("moto")
	}
	ctx := context.Background()
	env := mototest.Bootstrap(t, resources.Spec{})
	db := &countingDB{DynamoAPI: dynamodb.NewFromConfig(env.AWS)}
	batch := dynamodb.NewFromConfig(env.AWS)
	store := readmodel.Store{DB: db, Table: env.Names.Table}
	type cost struct{ queries, items int }
	got := map[int]cost{}
	for _, years := range []int{1, 5} {
		tenant := fmt.Sprintf("age-%d", years)
		mem := readmodel.NewMemory()
		dailyHistory(t, mem, tenant, boundedEnd, years)
		var recs []readmodel.Record
		for _, m := range boundedMetrics {
			fs, _ := mem.Facts(ctx, tenant, m, time.Time{}, boundedEnd)
			for _, f := range fs {
				r, err := readmodel.FactRecord(f)
				if err != nil {
					t.Fatal(err)
				}
				recs = append(recs, r)
			}
		}
		for i := 0; i < len(recs); i += readmodel.MaxBatch {
			if err := readmodel.WriteBatch(ctx, batch, env.Names.Table, recs[i:min(i+readmodel.MaxBatch, len(recs))]); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := readmodel.ReadWindow(ctx, store, tenant, boundedFrom, boundedEnd, boundedMetrics, nil, false); err != nil {
			t.Fatal(err)
		}
		db.reset()
		win, err := readmodel.ReadWindow(ctx, store, tenant, boundedFrom, boundedEnd, boundedMetrics, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		q, n := db.reset()
		got[years] = cost{q, n}
		full, err := readmodel.Read(ctx, store, tenant, boundedEnd, boundedMetrics, false)
		if err != nil {
			t.Fatal(err)
		}
		if want, have := readmodel.TotalAt(full.Facts(messages.MetricMRR), boundedFrom), readmodel.TotalAt(win.Facts(messages.MetricMRR), boundedFrom); want != have || want == 0 {
			t.Errorf("%d years: MRR at the window start %d, full history %d", years, have, want)
		}
	}
	t.Logf("bounded read on moto: 1 year %+v, 5 years %+v", got[1], got[5])
	if got[5].items > got[1].items || got[5].queries > got[1].queries || got[1].items == 0 || got[1].items > 600 {
		t.Errorf("requests and items: 1 year %+v, 5 years %+v; want 5 years no more than 1", got[1], got[5])
	}
}

// TestStoreCarryChunksAndEpoch: a carry larger than one item is stored as
// several chunks and read back whole under its epoch; under another epoch,
// or with one chunk rewritten under another epoch, the part is not used.
func TestStoreCarryChunksAndEpoch(t *testing.T) {
	ctx := context.Background()
	env := mototest.Bootstrap(t, resources.Spec{})
	db := &countingDB{DynamoAPI: dynamodb.NewFromConfig(env.AWS)}
	store := readmodel.Store{DB: db, Table: env.Names.Table}
	boundary := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var c readmodel.Carry
	for i := range 3000 { // ~700 KB of JSON: three chunks
		c.Facts = append(c.Facts, messages.MetricEvent{Header: messages.Header{EventID: fmt.Sprintf("evt_%05d", i), TenantID: "jada", OccurredAt: boundary.Add(-time.Duration(i) * time.Minute), Source: messages.SourceStripe},
			Metric: messages.MetricMRR, Kind: messages.KindState, Entity: fmt.Sprintf("sub_%05d", i), Version: int64(i), Value: 2900, Currency: "USD",
			Dimensions: map[string]string{readmodel.DimensionCustomer: fmt.Sprintf("cus_%05d", i)}})
	}
	if err := store.StoreCarry(ctx, "jada", boundary, "e1", map[string]readmodel.Carry{"F:mrr": c}); err != nil {
		t.Fatal(err)
	}
	db.reset()
	got, err := store.LoadCarry(ctx, "jada", boundary, "e1")
	if err != nil {
		t.Fatal(err)
	}
	if q, n := db.reset(); n < 3 || q < 1 {
		t.Errorf("carry read as %d items in %d queries, want at least 3 chunks", n, q)
	}
	if len(got["F:mrr"].Facts) != len(c.Facts) || got["F:mrr"].Facts[2999].EventID != "evt_02999" {
		t.Fatalf("carry read back with %d of %d facts", len(got["F:mrr"].Facts), len(c.Facts))
	}
	if got, _ := store.LoadCarry(ctx, "jada", boundary, "e2"); len(got) != 0 {
		t.Errorf("a carry stored under epoch e1 was used under e2")
	}
	if got, _ := store.LoadCarry(ctx, "other", boundary, "e1"); len(got) != 0 {
		t.Errorf("another tenant read jada's carry")
	}
	// A smaller rewrite under e2 leaves e1's chunk 2 behind: e2's part
	// is whole (chunks 0..1 of 2), e1's is not any more.
	small := readmodel.Carry{Facts: c.Facts[:1500]}
	if err := store.StoreCarry(ctx, "jada", boundary, "e2", map[string]readmodel.Carry{"F:mrr": small}); err != nil {
		t.Fatal(err)
	}
	if got, _ := store.LoadCarry(ctx, "jada", boundary, "e1"); len(got) != 0 {
		t.Errorf("a carry with chunks of two epochs was used under the old one")
	}
	if got, _ := store.LoadCarry(ctx, "jada", boundary, "e2"); len(got["F:mrr"].Facts) != 1500 {
		t.Errorf("the rewritten carry read back with %d facts, want 1500", len(got["F:mrr"].Facts))
	}
	// Parts of one chunk (one fact; no findings at all) read back whole.
	feb := boundary.AddDate(0, 1, 0)
	one := map[string]readmodel.Carry{"F:mrr": {Facts: c.Facts[:1]}, "X": {}}
	if err := store.StoreCarry(ctx, "jada", feb, "e3", one); err != nil {
		t.Fatal(err)
	}
	if got, _ := store.LoadCarry(ctx, "jada", feb, "e3"); len(got) != 2 || len(got["F:mrr"].Facts) != 1 || got["F:mrr"].Facts[0].EventID != "evt_00000" {
		t.Errorf("one-chunk parts read back as %+v, want F:mrr with evt_00000 and an empty X", got)
	}
}
