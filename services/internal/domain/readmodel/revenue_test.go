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
// notes, lines billed in arrears, refunds of their charges that may fail
// later, half of them joined through basil invoice payment links)
// delivered in any order and duplicated give the same schedule,
// and every month recognised to date + deferred = billed to date, net of
// credits and refunds; the waterfall's rows add up to what was billed;
// tax collected is the same in any order, and each standing refund is
// split exactly between revenue and tax.
func TestRecognisedPlusDeferredEqualsBilledInAnyOrder(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Berlin")
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, loc)
	to := time.Date(2027, 1, 1, 0, 0, 0, 0, loc)
	for seed := range uint64(100) {
		rng := rand.New(rand.NewPCG(seed, 15))
		var facts []messages.MetricEvent
		var refunded int64             // net of tax, by the end
		var taxed, refundedGross int64 // invoices' tax, and refunds with their tax, by the end
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
			line := billedLine(fmt.Sprintf("l%d", i), billed, start, end, v)
			if v <= 0 || rng.IntN(3) > 0 {
				facts = append(facts, line)
				continue
			}
			// Paid by a charge with 10 % tax on top, partly refunded
			// later; some refunds fail afterwards.
			// Half of them as 2025-03-31.basil records them: the line
			// names no charge, an invoice payment link names the payment
			// intent, and so does the refund.
			ch, total := fmt.Sprintf("ch_%d", i), v+v/10
			basil := rng.IntN(2) == 0
			pi := "pi_" + ch
			if basil {
				facts = append(facts, ofInvoice(line, line.ObjectID, total), link("inpay_"+ch, line.ObjectID, pi, "", billed, total))
			} else {
				facts = append(facts, paidBy(line, ch, total))
			}
			facts = append(facts, invoiceTax(line.ObjectID, billed, v/10, "USD"))
			if billed.Before(to) {
				taxed += v / 10
			}
			at := billed.Add(time.Duration(1+rng.IntN(300*24)) * time.Hour)
			r := 1 + rng.Int64N(total)
			refund := func(at time.Time, version, v int64) messages.MetricEvent {
				if basil {
					return withPI(refundFact("re_"+ch, ch, at, version, v), pi)
				}
				return refundFact("re_"+ch, ch, at, version, v)
			}
			facts = append(facts, refund(at, 3, r))
			net, gross := divHalfAway(r*v, total), r
			if rng.IntN(3) == 0 {
				back := at.Add(time.Duration(1+rng.IntN(40*24)) * time.Hour)
				facts = append(facts, refund(back, 1<<40+4, 0))
				if back.Before(to) {
					net, gross = 0, 0
				}
			}
			if at.Before(to) {
				refunded += net
				refundedGross += gross
			}
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
		all := -refunded
		for _, f := range facts {
			if f.Metric == messages.MetricRevenueBilled && f.OccurredAt.Before(to) {
				all += f.Value
			}
		}
		if billed != all {
			t.Fatalf("seed %d: billed %d, lines net of refunds %d", seed, billed, all)
		}
		shuffled := append(append([]messages.MetricEvent{}, facts...), facts[:7]...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		again := MonthlyRecognition(shuffled, loc, early, to)
		var tax int64
		for i := range ms {
			if ms[i] != again[i] {
				t.Fatalf("seed %d month %d: order changed the schedule: %+v vs %+v", seed, i, ms[i], again[i])
			}
			m, s := TaxCollected(facts, ms[i].From, ms[i].To), TaxCollected(shuffled, ms[i].From, ms[i].To)
			if m != s {
				t.Fatalf("seed %d month %d: order changed tax collected: %d vs %d", seed, i, m, s)
			}
			tax += m
		}
		// Each standing refund is split exactly between the lines and
		// the tax: what revenue did not take back, tax gave back.
		if want := taxed - (refundedGross - refunded); tax != want {
			t.Fatalf("seed %d: tax collected %d; want the invoices' %d less the refunds' tax share %d", seed, tax, taxed, refundedGross-refunded)
		}
		w := MonthlyWaterfall(shuffled, loc, early, to)
		for c := range w.Months {
			var col int64
			for _, r := range w.Rows {
				col += r.Cells[c]
			}
			if col != ms[c].Recognised {
				t.Fatalf("seed %d column %d: waterfall recognises %d, schedule %d", seed, c, col, ms[c].Recognised)
			}
		}
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

// refundFact is a refund's state as stripemap records it: entity the
// refund, object its charge.
func refundFact(id, charge string, at time.Time, version, v int64) messages.MetricEvent {
	return messages.MetricEvent{
		Header: messages.Header{EventID: fmt.Sprintf("e_%s_%d", id, version), TenantID: "jada", OccurredAt: at, Source: messages.SourceStripe},
		Metric: messages.MetricRevenueRefunded, Kind: messages.KindState, Entity: id, ObjectID: charge, Version: version, Value: v, Currency: "USD",
		Dimensions: map[string]string{DimensionCharge: charge},
	}
}

// paidBy marks a billed line as paid by a charge on an invoice of total
// (tax included).
func paidBy(f messages.MetricEvent, charge string, total int64) messages.MetricEvent {
	if f.Dimensions == nil {
		f.Dimensions = map[string]string{}
	}
	f.Dimensions[DimensionCharge], f.Dimensions[DimensionInvoiceTotal] = charge, strconv.FormatInt(total, 10)
	return f
}

// TestRefundsReduceTheLinesTheyBelongTo: a refund of an invoice's charge
// without a credit note reduces that invoice's lines the way Stripe
// Revenue Recognition books it: what the line already recognised is
// offset at once (contra revenue in the refund's month), and the rest
// comes off the deferred balance. The refund is split between tax and
// the lines in proportion, as Stripe Tax splits it.
func TestRefundsReduceTheLinesTheyBelongTo(t *testing.T) {
	la, _ := time.LoadLocation("America/Los_Angeles")
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, la)
	next := jan.AddDate(1, 0, 0)
	// $1,200 a year plus 10 % exclusive tax: the charge is $1,320.
	plan := paidBy(billedLine("il_plan", jan.Add(9*time.Hour), jan, next, 120000), "ch_year", 132000)
	mar := time.Date(2026, 3, 1, 12, 0, 0, 0, la)

	// A full refund on 1 March: Jan + Feb (59/365, $193.97) are taken back
	// in March, March's own days are never earned, nothing stays deferred.
	full := refundFact("re_full", "ch_year", mar, 3, 132000)
	ms := MonthlyRecognition([]messages.MetricEvent{plan, full}, la, jan, jan.AddDate(0, 4, 0))
	want := []Recognition{
		{Billed: 120000, Recognised: 10192, DeferredEnd: 120000 - 10192},
		{Billed: 0, Recognised: 19397 - 10192, DeferredEnd: 120000 - 19397},
		{Billed: -120000, Recognised: -19397, DeferredEnd: 0},
		{Billed: 0, Recognised: 0, DeferredEnd: 0},
	}
	for i, w := range want {
		w.From, w.To = ms[i].From, ms[i].To
		if ms[i] != w {
			t.Errorf("full refund, month %d: %+v; want %+v", i, ms[i], w)
		}
	}

	// A quarter refunded ($330 with its tax, $300 of the line): March
	// earns its 31 days less a quarter of Jan–Mar (90/365 of $300 =
	// $73.97), and a quarter of the deferred balance goes.
	part := refundFact("re_part", "ch_year", mar, 3, 33000)
	ms = MonthlyRecognition([]messages.MetricEvent{part, plan}, la, jan, jan.AddDate(0, 3, 0))
	if m := ms[2]; m.Billed != -30000 || m.Recognised != 29589-19397-7397 || m.DeferredEnd != (120000-29589)-(30000-7397) {
		t.Errorf("quarter refunded, March %+v; want billed -30000, recognised %d, deferred %d", m, 29589-19397-7397, (120000-29589)-(30000-7397))
	}

	// The refund fails in April: the money is back, from April on.
	apr := time.Date(2026, 4, 10, 0, 0, 0, 0, la)
	failed := refundFact("re_part", "ch_year", apr, 1<<40+4, 0)
	ms = MonthlyRecognition([]messages.MetricEvent{plan, part, failed}, la, jan, jan.AddDate(0, 5, 0))
	if m := ms[2]; m.Billed != -30000 {
		t.Errorf("March before the failure: billed %d; want -30000 (a closed month does not change)", m.Billed)
	}
	if m := ms[3]; m.Billed != 30000 || m.DeferredEnd != 120000-39452 {
		t.Errorf("April after the failure %+v; want billed 30000, deferred %d", m, 120000-39452)
	}

	// Stripe Tax's example: lines of $60 and $40, 25 % tax, $125 paid;
	// a $25 refund is $5 of tax and $12 + $8 of the lines.
	l1 := paidBy(billedLine("il_1", jan, time.Time{}, time.Time{}, 6000), "ch_two", 12500)
	l2 := paidBy(billedLine("il_2", jan, time.Time{}, time.Time{}, 4000), "ch_two", 12500)
	l1.ObjectID, l2.ObjectID = "in_two", "in_two" // one invoice's lines
	re := refundFact("re_two", "ch_two", mar, 3, 2500)
	ms = MonthlyRecognition([]messages.MetricEvent{l1, l2, re}, la, jan, jan.AddDate(0, 3, 0))
	if ms[0].Recognised != 10000 || ms[2].Billed != -2000 || ms[2].Recognised != -2000 {
		t.Errorf("Stripe Tax's example: %+v; want January 10000, March -2000", ms)
	}
	w := MonthlyWaterfall([]messages.MetricEvent{l1, l2, re}, la, jan, jan.AddDate(0, 3, 0))
	if r := w.Rows[2]; r.Billed != -2000 || r.Cells[2] != -2000 {
		t.Errorf("waterfall March row %+v; want billed and recognised -2000", r)
	}

	// A refund that a credit note made reduces the lines once, through
	// the credit note; a refund of another charge reduces nothing here.
	cn := billedLine("cnli_1", mar, jan, next, -10000)
	cn.ObjectID = plan.ObjectID
	cn.Dimensions[DimensionRefund] = "re_cn"
	linked := refundFact("re_cn", "ch_year", mar, 3, 11000)
	other := refundFact("re_other", "ch_other", mar, 3, 5000)
	ms = MonthlyRecognition([]messages.MetricEvent{plan, cn, linked, other}, la, jan, jan.AddDate(0, 3, 0))
	if m := ms[2]; m.Billed != -10000 {
		t.Errorf("credit note with its refund: March billed %d; want -10000", m.Billed)
	}

	// Known only as the charge's cumulative refund (API versions since
	// 2022-11-15 list no refunds in charge.refunded): the same reduction.
	cum := refundFact("ch_year", "ch_year", mar, 33000, 33000)
	cum.Dimensions = nil
	ms = MonthlyRecognition([]messages.MetricEvent{plan, cum}, la, jan, jan.AddDate(0, 3, 0))
	if m := ms[2]; m.Billed != -30000 {
		t.Errorf("cumulative refund: March billed %d; want -30000", m.Billed)
	}
}
