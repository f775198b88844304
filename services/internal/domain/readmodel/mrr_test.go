package readmodel

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

var mrrT0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// mrrFact is subscription sub of customer cust at value v, day days after t0.
func mrrFact(id, cust, sub string, day int, v int64) messages.MetricEvent {
	at := mrrT0.AddDate(0, 0, day)
	return messages.MetricEvent{
		Header: messages.Header{EventID: id, TenantID: "jada", OccurredAt: at, Source: messages.SourceStripe},
		Metric: messages.MetricMRR, Kind: messages.KindState, Entity: sub, Version: at.Unix(), Value: v, Currency: "USD",
		Dimensions: map[string]string{DimensionCustomer: cust},
	}
}

func TestMRRMovementsFollowChartMogulRules(t *testing.T) {
	feb, mar := mrrT0.AddDate(0, 1, 0), mrrT0.AddDate(0, 2, 0)
	cases := map[string]struct {
		facts []messages.MetricEvent
		want  Movements
	}{
		"new customer": {
			facts: []messages.MetricEvent{mrrFact("e1", "c1", "s1", 40, 1000)},
			want:  Movements{New: 1000, End: 1000, NewCustomers: 1},
		},
		"upgrade is expansion": {
			facts: []messages.MetricEvent{mrrFact("e1", "c1", "s1", 3, 1000), mrrFact("e2", "c1", "s1", 35, 1500)},
			want:  Movements{Start: 1000, Expansion: 500, End: 1500, ExpansionCustomers: 1},
		},
		"a second subscription of a paying customer is expansion": {
			facts: []messages.MetricEvent{mrrFact("e1", "c1", "s1", 3, 1000), mrrFact("e2", "c1", "s2", 35, 300)},
			want:  Movements{Start: 1000, Expansion: 300, End: 1300, ExpansionCustomers: 1},
		},
		"downgrade is contraction": {
			facts: []messages.MetricEvent{mrrFact("e1", "c1", "s1", 3, 1000), mrrFact("e2", "c1", "s1", 35, 400)},
			want:  Movements{Start: 1000, Contraction: 600, End: 400, ContractionCustomers: 1},
		},
		"cancelling one of two subscriptions is contraction": {
			facts: []messages.MetricEvent{mrrFact("e1", "c1", "s1", 3, 1000), mrrFact("e2", "c1", "s2", 4, 300), mrrFact("e3", "c1", "s2", 35, 0)},
			want:  Movements{Start: 1300, Contraction: 300, End: 1000, ContractionCustomers: 1},
		},
		"cancelling the last subscription is churn": {
			facts: []messages.MetricEvent{mrrFact("e1", "c1", "s1", 3, 1000), mrrFact("e2", "c1", "s1", 35, 0)},
			want:  Movements{Start: 1000, Churn: 1000, End: 0, ChurnedCustomers: 1},
		},
		"coming back after churning is reactivation": {
			facts: []messages.MetricEvent{mrrFact("e1", "c1", "s1", 3, 1000), mrrFact("e2", "c1", "s1", 10, 0), mrrFact("e3", "c1", "s2", 35, 800)},
			want:  Movements{Reactivation: 800, End: 800, ReactivatedCustomers: 1},
		},
		"new and churned within the month counts both": {
			facts: []messages.MetricEvent{mrrFact("e1", "c1", "s1", 33, 1000), mrrFact("e2", "c1", "s1", 50, 0)},
			want:  Movements{New: 1000, Churn: 1000, NewCustomers: 1, ChurnedCustomers: 1},
		},
		"a stale state delivered late changes nothing": {
			facts: []messages.MetricEvent{mrrFact("e2", "c1", "s1", 35, 1500), mrrFact("e1", "c1", "s1", 3, 1000), mrrFact("e2", "c1", "s1", 35, 1500)},
			want:  Movements{Start: 1000, Expansion: 500, End: 1500, ExpansionCustomers: 1},
		},
		"facts after the period are ignored": {
			facts: []messages.MetricEvent{mrrFact("e1", "c1", "s1", 3, 1000), mrrFact("e2", "c1", "s1", 70, 0)},
			want:  Movements{Start: 1000, End: 1000},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := MRRMovements(tc.facts, feb, mar)
			tc.want.From, tc.want.To = feb, mar
			if got != tc.want {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
			if err := got.Check(); err != nil {
				t.Fatal(err)
			}
			if end := TotalAt(tc.facts, mar); end != got.End {
				t.Fatalf("End %d disagrees with TotalAt %d", got.End, end)
			}
		})
	}
}

func TestMonthlyMRRMovementsRollForwardInAnyOrder(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, la)
	to := time.Date(2026, 7, 1, 0, 0, 0, 0, la)
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 7))
		var facts []messages.MetricEvent
		for i := range 40 {
			cust := fmt.Sprintf("c%d", rng.IntN(5))
			sub := fmt.Sprintf("s%d", rng.IntN(8))
			v := int64(rng.IntN(4)) * 500 // 0 = cancelled
			facts = append(facts, mrrFact(fmt.Sprintf("e%d", i), cust, sub, rng.IntN(200)-10, v))
		}
		months := MonthlyMRRMovements(facts, la, from, to)
		if len(months) != 6 {
			t.Fatalf("seed %d: %d months, want 6", seed, len(months))
		}
		for i, m := range months {
			if err := m.Check(); err != nil {
				t.Fatalf("seed %d month %d: %v", seed, i, err)
			}
			if m.Start != TotalAt(facts, m.From) || m.End != TotalAt(facts, m.To) {
				t.Fatalf("seed %d month %d: start/end %d/%d, TotalAt %d/%d", seed, i, m.Start, m.End, TotalAt(facts, m.From), TotalAt(facts, m.To))
			}
			if i > 0 && months[i-1].End != m.Start {
				t.Fatalf("seed %d: month %d ends at %d, month %d starts at %d", seed, i-1, months[i-1].End, i, m.Start)
			}
			if m.From.In(la).Day() != 1 || m.From.In(la).Hour() != 0 {
				t.Fatalf("seed %d: month %d starts at %s, not a month start in LA", seed, i, m.From.In(la))
			}
		}
		// Shuffled and duplicated delivery gives the same movements.
		shuffled := append(append([]messages.MetricEvent{}, facts...), facts[:10]...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		again := MonthlyMRRMovements(shuffled, la, from, to)
		for i := range months {
			if months[i] != again[i] {
				t.Fatalf("seed %d month %d: order changed the movements:\n%+v\n%+v", seed, i, months[i], again[i])
			}
		}
	}
}

// TestMRRMovementsKeepUnknownApart: a subscription whose MRR becomes
// unknown (a price shape the translator cannot price) is not churn, and
// becoming known again is not new business or reactivation.
func TestMRRMovementsKeepUnknownApart(t *testing.T) {
	feb, mar := mrrT0.AddDate(0, 1, 0), mrrT0.AddDate(0, 2, 0)
	unknownAt := func(id string, day int) messages.MetricEvent {
		f := mrrFact(id, "c1", "s1", day, 0)
		f.Dimensions[DimensionMRRUnknown] = "billing_scheme \"per_outcome\""
		return f
	}
	facts := []messages.MetricEvent{mrrFact("e1", "c1", "s1", 3, 1000), mrrFact("e2", "c2", "s2", 3, 500), unknownAt("e3", 35)}
	got := MRRMovements(facts, feb, mar)
	want := Movements{From: feb, To: mar, Start: 1500, End: 500, Unknown: 1000}
	if got != want {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if err := got.Check(); err != nil {
		t.Fatal(err)
	}
	if u := UnknownMRR(facts, mar); len(u) != 1 || u[0] != "s1" {
		t.Errorf("UnknownMRR = %v; want [s1]", u)
	}
	back := append(facts, mrrFact("e4", "c1", "s1", 45, 1200))
	got = MRRMovements(back, feb, mar)
	want = Movements{From: feb, To: mar, Start: 1500, End: 1700, Unknown: -200}
	if got != want {
		t.Fatalf("known again: got  %+v\nwant %+v", got, want)
	}
	if u := UnknownMRR(back, mar); len(u) != 0 {
		t.Errorf("UnknownMRR = %v; want none", u)
	}
}

// TestKnownMRRWinsOverTheSameObservationUnknown: the enrichment's fact
// for an observation whose discounts came as ids (same entity, version
// and time as the unknown one) is the state, whichever event id is
// greater.
func TestKnownMRRWinsOverTheSameObservationUnknown(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	f := func(id string, v int64, unknown bool) messages.MetricEvent {
		e := messages.MetricEvent{Header: messages.Header{EventID: id, TenantID: "jada", OccurredAt: at, Source: messages.SourceStripe},
			Metric: messages.MetricMRR, Kind: messages.KindState, Entity: "sub_1", ObjectID: "sub_1", Version: 7, Value: v, Currency: "USD",
			Dimensions: map[string]string{"customer": "cus_1"}}
		if unknown {
			e.Dimensions[DimensionMRRUnknown] = "discount di_1 not expanded"
		}
		return e
	}
	for _, ids := range [][2]string{{"a", "b"}, {"b", "a"}} {
		facts := []messages.MetricEvent{f(ids[0], 24000, false), f(ids[1], 0, true)}
		if got := StatesAt(facts, at.Add(time.Second))["sub_1"]; got.Value != 24000 {
			t.Errorf("known %s, unknown %s: state %+v; want the known 24000", ids[0], ids[1], got)
		}
	}
}

// TestMovementsIgnoreAnUnknownTheSameObservationKnows: a metered item's
// usage MRR is $24.68 in January; February's webhook says unknown (its
// price came as an id), and the enrichment's fact of that observation
// says $40.00. The month is $15.32 of expansion, as if the webhook had
// known, never a move into and out of the unknown; a later observation
// left unknown still is one.
func TestMovementsIgnoreAnUnknownTheSameObservationKnows(t *testing.T) {
	jan, feb, mar := mrrT0, mrrT0.AddDate(0, 1, 0), mrrT0.AddDate(0, 2, 0)
	obs := func(id string, at time.Time, v int64, unknown bool) messages.MetricEvent {
		e := messages.MetricEvent{Header: messages.Header{EventID: id, TenantID: "jada", OccurredAt: at, Source: messages.SourceStripe},
			Metric: messages.MetricMRR, Kind: messages.KindState, Entity: "sub_1/si_calls", ObjectID: "sub_1", Version: at.Unix() * 16, Value: v, Currency: "USD",
			Dimensions: map[string]string{DimensionCustomer: "cus_1"}}
		if unknown {
			e.Dimensions[DimensionMRRUnknown] = "price price_calls known by id only"
		}
		return e
	}
	facts := []messages.MetricEvent{obs("e1", jan.Add(time.Hour), 2468, false), obs("e2", feb.Add(time.Hour), 0, true), obs("e3", feb.Add(time.Hour), 4000, false)}
	for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 2, 0}} {
		var in []messages.MetricEvent
		for _, i := range order {
			in = append(in, facts[i])
		}
		got := MRRMovements(in, feb, mar)
		want := Movements{From: feb, To: mar, Start: 2468, End: 4000, Expansion: 4000 - 2468, ExpansionCustomers: 1}
		if got != want {
			t.Fatalf("order %v: got  %+v\nwant %+v", order, got, want)
		}
	}
	// The unknown below the known of its instant (stripemap puts an
	// invoice line's unknown below every known observation) never held
	// either; one above it (a later observation at the same instant) did:
	// replayed after the known it supersedes, it takes all of it.
	below := obs("e2", feb.Add(time.Hour), 0, true)
	below.Version -= 2 << 40
	if got, want := MRRMovements([]messages.MetricEvent{facts[0], below, facts[2]}, feb, mar), (Movements{From: feb, To: mar, Start: 2468, End: 4000, Expansion: 4000 - 2468, ExpansionCustomers: 1}); got != want {
		t.Fatalf("unknown below: got  %+v\nwant %+v", got, want)
	}
	above := obs("e2", feb.Add(time.Hour), 0, true)
	above.Version++
	if got, want := MRRMovements([]messages.MetricEvent{facts[0], above, facts[2]}, feb, mar), (Movements{From: feb, To: mar, Start: 2468, End: 0, Expansion: 4000 - 2468, ExpansionCustomers: 1, Unknown: 4000}); got != want {
		t.Fatalf("unknown above: got  %+v\nwant %+v", got, want)
	}
	// March's observation stays unknown: out of the figures, into Unknown.
	apr := mrrT0.AddDate(0, 3, 0)
	got := MRRMovements(append(facts, obs("e4", mar.Add(time.Hour), 0, true)), mar, apr)
	if want := (Movements{From: mar, To: apr, Start: 4000, End: 0, Unknown: 4000}); got != want {
		t.Fatalf("unknown March: got  %+v\nwant %+v", got, want)
	}
}
