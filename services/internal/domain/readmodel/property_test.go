package readmodel_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// A business history as it happened, from which the expected figures are
// computed directly (the oracle), and from which the metric events a
// collector would publish are derived.
type history struct {
	tenant   string
	loc      *time.Location
	charges  []charge
	refunds  []change // cumulative refunded amount per charge
	disputes []change // amount at stake per dispute
	subs     []change // MRR per subscription
	events   []messages.MetricEvent
}

type charge struct {
	at      time.Time
	amount  int64
	product string
}

// change is one new state of an entity: inc is the difference from the
// entity's previous state.
type change struct {
	entity, customer string
	at               time.Time
	value, inc       int64
}

var (
	propStart  = time.Date(2026, 1, 1, 0, 0, 0, 0, mustLoc("America/Los_Angeles"))
	propMonths = 4
)

func mustLoc(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// genHistory makes a random history. Every instant is distinct (clock),
// as Stripe's created times are for one object.
func genHistory(rng *rand.Rand, tenant string, charges int) *history {
	h := &history{tenant: tenant, loc: propStart.Location()}
	span := int64(propStart.AddDate(0, propMonths, 0).Sub(propStart) / time.Second)
	used := map[int64]bool{}
	at := func(after time.Time) time.Time {
		for {
			lo := after.Sub(propStart).Milliseconds()/1000 + 1
			if lo >= span {
				lo = span - 1
			}
			s := lo + rng.Int64N(span-lo)
			if !used[s] {
				used[s] = true
				return propStart.Add(time.Duration(s) * time.Second).UTC()
			}
		}
	}
	seq := 0
	id := func() string { seq++; return fmt.Sprintf("evt_%s_%04d", tenant, seq) }
	hdr := func(t time.Time) messages.Header {
		return messages.Header{EventID: id(), TenantID: tenant, OccurredAt: t, Source: messages.SourceStripe}
	}
	state := func(metric string, c change, dims map[string]string) messages.MetricEvent {
		return messages.MetricEvent{Header: hdr(c.at), Metric: metric, Kind: messages.KindState, Entity: c.entity,
			Version: c.at.Unix(), Value: c.value, Currency: "USD", Dimensions: dims}
	}
	products := []string{"plan-basic", "plan-pro", "addon"}
	for i := range charges {
		c := charge{at: at(propStart.Add(-time.Second)), amount: 100 + rng.Int64N(9900), product: products[rng.IntN(len(products))]}
		h.charges = append(h.charges, c)
		h.events = append(h.events, messages.MetricEvent{Header: hdr(c.at), Metric: messages.MetricRevenueGross,
			Kind: messages.KindAdditive, Value: c.amount, Currency: "USD", Dimensions: map[string]string{"product": c.product}})
		chargeID := fmt.Sprintf("ch_%d", i)
		if rng.IntN(3) == 0 { // partial refunds, cumulative
			var cum int64
			t := c.at
			for range 1 + rng.IntN(3) {
				inc := 1 + rng.Int64N((c.amount-cum)/2+1)
				cum += inc
				t = at(t)
				r := change{entity: chargeID, at: t, value: cum, inc: inc}
				h.refunds = append(h.refunds, r)
				h.events = append(h.events, state(messages.MetricRevenueRefunded, r, nil))
			}
		}
		if rng.IntN(8) == 0 { // a dispute: open, then won (0) or lost (kept)
			d := change{entity: fmt.Sprintf("dp_%d", i), at: at(c.at), value: c.amount, inc: c.amount}
			h.disputes = append(h.disputes, d)
			h.events = append(h.events, state(messages.MetricRevenueDisputed, d, nil))
			if rng.IntN(2) == 0 {
				won := change{entity: d.entity, at: at(d.at), value: 0, inc: -c.amount}
				h.disputes = append(h.disputes, won)
				h.events = append(h.events, state(messages.MetricRevenueDisputed, won, nil))
			}
		}
	}
	prices := []int64{0, 900, 1900, 4900}
	for c := range 6 {
		cust := fmt.Sprintf("cus_%d", c)
		for s := range 1 + rng.IntN(2) {
			sub := fmt.Sprintf("sub_%d_%d", c, s)
			t, prev := propStart.Add(-time.Second), int64(0)
			for k := range 1 + rng.IntN(4) {
				v := prices[1+rng.IntN(3)]
				if k > 0 {
					v = prices[rng.IntN(4)]
				}
				t = at(t)
				ch := change{entity: sub, customer: cust, at: t, value: v, inc: v - prev}
				prev = v
				h.subs = append(h.subs, ch)
				h.events = append(h.events, state(messages.MetricMRR, ch, map[string]string{readmodel.DimensionCustomer: cust}))
			}
		}
	}
	return h
}

// figures is everything compared between the oracle and the read model.
type figures struct {
	Gross, Refunds, DisputedEnd, DisputedChange, MRREnd []int64
	GrossByProduct                                      []map[string]int64
	Movements                                           []readmodel.Movements
	DailyGross                                          []readmodel.DayValue
	RefundedTotal                                       int64
}

func monthRange(i int) (time.Time, time.Time) {
	return propStart.AddDate(0, i, 0), propStart.AddDate(0, i+1, 0)
}

func in(t, from, to time.Time) bool { return !t.Before(from) && t.Before(to) }

// oracle computes the figures straight from the history, in chronological
// terms, with no notion of events, versions or duplicates.
func (h *history) oracle() figures {
	var f figures
	stateAt := func(changes []change, t time.Time) int64 {
		latest := map[string]change{}
		for _, c := range changes {
			if c.at.Before(t) && (latest[c.entity].at.IsZero() || c.at.After(latest[c.entity].at)) {
				latest[c.entity] = c
			}
		}
		var sum int64
		for _, c := range latest {
			sum += c.value
		}
		return sum
	}
	subs := append([]change(nil), h.subs...)
	sort.Slice(subs, func(i, j int) bool { return subs[i].at.Before(subs[j].at) })
	for i := range propMonths {
		from, to := monthRange(i)
		var gross, refunds int64
		byProduct := map[string]int64{}
		for _, c := range h.charges {
			if in(c.at, from, to) {
				gross += c.amount
				byProduct[c.product] += c.amount
			}
		}
		for _, r := range h.refunds {
			if in(r.at, from, to) {
				refunds += r.inc
			}
		}
		f.Gross = append(f.Gross, gross)
		f.GrossByProduct = append(f.GrossByProduct, byProduct)
		f.Refunds = append(f.Refunds, refunds)
		f.DisputedEnd = append(f.DisputedEnd, stateAt(h.disputes, to))
		f.DisputedChange = append(f.DisputedChange, stateAt(h.disputes, to)-stateAt(h.disputes, from))
		f.MRREnd = append(f.MRREnd, stateAt(h.subs, to))

		m := readmodel.Movements{From: from, To: to, Start: stateAt(h.subs, from), End: stateAt(h.subs, to)}
		subMRR, custMRR, paid := map[string]int64{}, map[string]int64{}, map[string]bool{}
		newC, churnC, reactC, expC, conC := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
		for _, c := range subs {
			if !c.at.Before(to) {
				break
			}
			before := custMRR[c.customer]
			after := before - subMRR[c.entity] + c.value
			subMRR[c.entity], custMRR[c.customer] = c.value, after
			if in(c.at, from, to) && before != after {
				switch {
				case before == 0 && paid[c.customer]:
					m.Reactivation += after
					reactC[c.customer] = true
				case before == 0:
					m.New += after
					newC[c.customer] = true
				case after == 0:
					m.Churn += before
					churnC[c.customer] = true
				case after > before:
					m.Expansion += after - before
					expC[c.customer] = true
				default:
					m.Contraction += before - after
					conC[c.customer] = true
				}
			}
			if after > 0 {
				paid[c.customer] = true
			}
		}
		m.NewCustomers, m.ChurnedCustomers, m.ReactivatedCustomers = len(newC), len(churnC), len(reactC)
		m.ExpansionCustomers, m.ContractionCustomers = len(expC), len(conC)
		f.Movements = append(f.Movements, m)
	}
	from, to := monthRange(1)
	days := map[string]int64{}
	for _, c := range h.charges {
		if in(c.at, from, to) {
			days[c.at.In(h.loc).Format(time.DateOnly)] += c.amount
		}
	}
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		f.DailyGross = append(f.DailyGross, readmodel.DayValue{Day: d, Value: days[d.Format(time.DateOnly)]})
	}
	for _, r := range h.refunds {
		f.RefundedTotal += r.inc
	}
	return f
}

// readFigures computes the same figures the way reports do: one
// readmodel.Read, then the folds over its snapshot.
func readFigures(t *testing.T, src readmodel.Source, h *history) figures {
	t.Helper()
	end := propStart.AddDate(0, propMonths, 0)
	snap, err := readmodel.Read(context.Background(), src, h.tenant, end, []string{
		messages.MetricRevenueGross, messages.MetricRevenueRefunded, messages.MetricRevenueDisputed, messages.MetricMRR,
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	gross, mrr := snap.Facts(messages.MetricRevenueGross), snap.Facts(messages.MetricMRR)
	refunded, disputed := snap.Facts(messages.MetricRevenueRefunded), snap.Facts(messages.MetricRevenueDisputed)
	var f figures
	for i := range propMonths {
		from, to := monthRange(i)
		f.Gross = append(f.Gross, readmodel.Sum(gross, from, to))
		f.GrossByProduct = append(f.GrossByProduct, readmodel.ByDimension(gross, "product", from, to))
		f.Refunds = append(f.Refunds, readmodel.Change(refunded, from, to))
		f.DisputedEnd = append(f.DisputedEnd, readmodel.TotalAt(disputed, to))
		f.DisputedChange = append(f.DisputedChange, readmodel.Change(disputed, from, to))
		f.MRREnd = append(f.MRREnd, readmodel.TotalAt(mrr, to))
	}
	f.Movements = readmodel.MonthlyMRRMovements(mrr, h.loc, propStart, end)
	for _, m := range f.Movements {
		if err := m.Check(); err != nil {
			t.Fatal(err)
		}
	}
	from, to := monthRange(1)
	f.DailyGross = readmodel.Daily(gross, h.loc, from, to)
	f.RefundedTotal = readmodel.TotalAt(refunded, end)
	return f
}

// deliver sends every event of the histories to the ledger in a random
// order with random duplicates, as SNS/SQS and Stripe may.
func deliver(t *testing.T, rng *rand.Rand, ledger writableSource, hs ...*history) (deliveries, duplicates int) {
	t.Helper()
	var all []messages.MetricEvent
	for _, h := range hs {
		all = append(all, h.events...)
		for _, e := range h.events {
			for rng.IntN(4) == 0 {
				all = append(all, e)
			}
		}
	}
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	for _, e := range all {
		dup, err := ledger.PutFact(context.Background(), e)
		if err != nil {
			t.Fatal(err)
		}
		if dup {
			duplicates++
		}
	}
	return len(all), duplicates
}

// checkLedger delivers two tenants' random histories, duplicated and in
// random order, and compares the figures with the ledger's. exact: the
// ledger reports exactly the redeliveries as duplicates; over the network
// (the Store on moto) a write whose answer was lost and that the SDK sent
// again is reported a duplicate too, so only at least that many.
func checkLedger(t *testing.T, seed uint64, ledger writableSource, charges int, exact bool) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 99))
	a, b := genHistory(rng, "queen-of-san-diego", charges), genHistory(rng, "jada", charges)
	n, dups := deliver(t, rng, ledger, a, b)
	if want := n - len(a.events) - len(b.events); dups != want && (exact || dups < want) {
		t.Fatalf("seed %d: %d duplicates reported, want %d", seed, dups, want)
	}
	for _, h := range []*history{a, b} {
		want, got := h.oracle(), readFigures(t, ledger, h)
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("seed %d tenant %s: read model differs from the ledger\nwant %+v\ngot  %+v", seed, h.tenant, want, got)
		}
	}
}

// TestReadModelEqualsLedgerInAnyOrder is the property: whatever the
// delivery order and duplication, the read model's figures equal those
// computed directly from the history, for each of two tenants.
func TestReadModelEqualsLedgerInAnyOrder(t *testing.T) {
	for seed := range uint64(60) {
		checkLedger(t, seed, readmodel.NewMemory(), 30, true)
	}
}

func TestStoreEqualsLedgerInAnyOrder(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	store := readmodel.Store{DB: dynamodb.NewFromConfig(env.AWS), Table: env.Names.Table}
	checkLedger(t, 4242, store, 30, false)
}
