package readmodel

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

func billedLine(id string, billed, start, end time.Time, v int64) messages.MetricEvent {
	f := messages.MetricEvent{
		Header: messages.Header{EventID: "e_" + id, TenantID: "jada", OccurredAt: billed, Source: messages.SourceStripe},
		Metric: messages.MetricRevenueBilled, Kind: messages.KindState, Entity: id, ObjectID: "in_" + id, Version: billed.Unix(), Value: v, Currency: "USD",
	}
	if !start.IsZero() {
		f.Dimensions = map[string]string{DimensionPeriodStart: strconv.FormatInt(start.Unix(), 10), DimensionPeriodEnd: strconv.FormatInt(end.Unix(), 10)}
	}
	return f
}

// TestAnnualPrepaymentIsRecognisedByDay is issue 15 problem 6: a $1,200
// annual plan paid on 1 January (Los Angeles) is not January revenue.
// January earns 31/365 of it ($101.92), February 28/365 ($92.05), March
// 31/365 ($101.92), and $1,098.08 is deferred at the end of January; a
// $50 one-off line is earned when billed; a $100 credit note on the plan
// in February is spread over the same year.
func TestAnnualPrepaymentIsRecognisedByDay(t *testing.T) {
	la, _ := time.LoadLocation("America/Los_Angeles")
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, la)
	next := jan.AddDate(1, 0, 0)
	facts := []messages.MetricEvent{
		billedLine("il_plan", jan.Add(9*time.Hour), jan, next, 120000),
		billedLine("il_setup", jan.Add(9*time.Hour), time.Time{}, time.Time{}, 5000),
	}
	ms := MonthlyRecognition(facts, la, jan, jan.AddDate(0, 3, 0))
	want := []Recognition{
		{Billed: 125000, Recognised: 10192 + 5000, DeferredEnd: 120000 - 10192},
		{Billed: 0, Recognised: 19397 - 10192, DeferredEnd: 120000 - 19397}, // 59/365 by 1 March
		{Billed: 0, Recognised: 29589 - 19397, DeferredEnd: 120000 - 29589}, // 90/365 by 1 April
	}
	for i, w := range want {
		w.From, w.To = ms[i].From, ms[i].To
		if ms[i] != w {
			t.Errorf("month %d: %+v; want %+v", i, ms[i], w)
		}
	}
	// A $100 credit note on 15 February for the plan's year: February
	// takes back the credit's share up to 1 March (59/365 of $100 =
	// $16.16, the catch-up from January included) and the deferred
	// balance falls by the rest.
	credit := billedLine("cnli_1", time.Date(2026, 2, 15, 0, 0, 0, 0, la), jan, next, -10000)
	ms = MonthlyRecognition(append(facts, credit), la, jan, jan.AddDate(0, 2, 0))
	if got := ms[1]; got.Billed != -10000 || got.Recognised != 9205-1616 || got.DeferredEnd != 110000-(19397-1616) {
		t.Errorf("February with the credit note: %+v", got)
	}
	w := MonthlyWaterfall(append(facts, credit), la, jan, jan.AddDate(0, 2, 0))
	if r := w.Rows[0]; r.Billed != 125000 || r.Cells[0] != 15192 || r.Cells[1] != 9205 || r.Later != 125000-15192-9205 {
		t.Errorf("waterfall January row: %+v", r)
	}
	if r := w.Rows[1]; r.Billed != -10000 || r.Cells[0] != 0 || r.Cells[1] != -1616 || r.Later != -10000+1616 {
		t.Errorf("waterfall February row: %+v", r)
	}
}

// TestRecognisedPlusDeferredEqualsBilledInAnyOrder is issue 15's order
// property: random lines (periods of 1 to 400 days, one-offs, credit
// notes, lines billed in arrears) delivered in any order and duplicated
// give the same schedule, and every month recognised to date + deferred =
// billed to date, net of credits; the waterfall's rows add up to what was
// billed.
func TestRecognisedPlusDeferredEqualsBilledInAnyOrder(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Berlin")
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, loc)
	to := time.Date(2027, 1, 1, 0, 0, 0, 0, loc)
	for seed := range uint64(100) {
		rng := rand.New(rand.NewPCG(seed, 15))
		var facts []messages.MetricEvent
		for i := range 30 {
			start := from.Add(time.Duration(rng.IntN(600*24)) * time.Hour)
			end := start.Add(time.Duration(1+rng.IntN(400*24)) * time.Hour)
			billed := start.Add(time.Duration(rng.IntN(60*24)-20*24) * time.Hour)
			v := int64(rng.IntN(500000))
			switch rng.IntN(5) {
			case 0:
				start, end = time.Time{}, time.Time{} // one-off
			case 1:
				v = -v / 3 // credit note
			}
			facts = append(facts, billedLine(fmt.Sprintf("l%d", i), billed, start, end, v))
		}
		// From a month before the first line: nothing deferred at the start.
		early := from.AddDate(0, -1, 0)
		ms := MonthlyRecognition(facts, loc, early, to)
		var billed, rec int64
		for i, m := range ms {
			billed += m.Billed
			rec += m.Recognised
			if rec+m.DeferredEnd != billed {
				t.Fatalf("seed %d month %d: recognised %d + deferred %d != billed %d", seed, i, rec, m.DeferredEnd, billed)
			}
		}
		var all int64
		for _, f := range facts {
			if f.OccurredAt.Before(to) {
				all += f.Value
			}
		}
		if billed != all {
			t.Fatalf("seed %d: billed %d, lines %d", seed, billed, all)
		}
		shuffled := append(append([]messages.MetricEvent{}, facts...), facts[:7]...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		again := MonthlyRecognition(shuffled, loc, early, to)
		for i := range ms {
			if ms[i] != again[i] {
				t.Fatalf("seed %d month %d: order changed the schedule: %+v vs %+v", seed, i, ms[i], again[i])
			}
		}
		w := MonthlyWaterfall(shuffled, loc, early, to)
		for i, r := range w.Rows {
			sum := r.Later
			for _, c := range r.Cells {
				sum += c
			}
			if sum != r.Billed || r.Billed != ms[i].Billed {
				t.Fatalf("seed %d row %d: cells+later %d, billed %d, schedule %d", seed, i, sum, r.Billed, ms[i].Billed)
			}
		}
	}
}
