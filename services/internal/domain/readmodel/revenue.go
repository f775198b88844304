package readmodel

import (
	"strconv"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// Revenue recognition, the way Stripe Revenue Recognition presents it:
// every invoice line (messages.MetricRevenueBilled) is billed when the
// invoice is finalised and recognised straight-line by day over its
// service period, in the tenant's time zone; what is billed and not yet
// recognised is deferred. A line billed after its period began (in
// arrears, or a late invoice) catches up in the month it is billed, so a
// closed month never changes. For every month:
//
//	recognised to date + deferred at the end = billed to date
//
// holds by construction, in any delivery order (lines are states, folded
// with StatesAt).

// Dimensions of a billed line.
const (
	DimensionPeriodStart = "period_start"
	DimensionPeriodEnd   = "period_end"
)

// Recognition is one month of the revenue schedule (minor units).
type Recognition struct {
	From, To time.Time
	// Billed is what was billed in the month; Recognised what was earned
	// in it, whenever billed; DeferredEnd what was billed up to To and is
	// earned later.
	Billed, Recognised, DeferredEnd int64
}

// MonthlyRecognition is the schedule for each calendar month in loc that
// overlaps [from, to).
func MonthlyRecognition(facts []messages.MetricEvent, loc *time.Location, from, to time.Time) []Recognition {
	bounds := MonthBounds(loc, from, to)
	if len(bounds) < 2 {
		return nil
	}
	out := make([]Recognition, len(bounds)-1)
	prevBilled, prevRec := billedTo(facts, loc, bounds[0])
	for i := range out {
		b, r := billedTo(facts, loc, bounds[i+1])
		out[i] = Recognition{From: bounds[i], To: bounds[i+1], Billed: b - prevBilled, Recognised: r - prevRec, DeferredEnd: b - r}
		prevBilled, prevRec = b, r
	}
	return out
}

// billedTo is what was billed before t and how much of it was earned by t.
func billedTo(facts []messages.MetricEvent, loc *time.Location, t time.Time) (billed, recognised int64) {
	for _, f := range StatesAt(facts, t) {
		billed += f.Value
		recognised += earned(f, loc, t)
	}
	return billed, recognised
}

// earned is how much of a line billed before t is recognised by t: its
// value × the days of its period elapsed by t / the days of its period,
// counted as calendar days in loc, rounded half away from zero.
func earned(f messages.MetricEvent, loc *time.Location, t time.Time) int64 {
	if !f.OccurredAt.Before(t) {
		return 0
	}
	s, e, ok := servicePeriod(f)
	if !ok {
		return f.Value
	}
	total := days(s, e, loc)
	if total <= 0 {
		return f.Value
	}
	el := days(s, t, loc)
	switch {
	case el <= 0:
		return 0
	case el >= total:
		return f.Value
	}
	return divHalfAway(f.Value*el, total)
}

func servicePeriod(f messages.MetricEvent) (time.Time, time.Time, bool) {
	s, err1 := strconv.ParseInt(f.Dimensions[DimensionPeriodStart], 10, 64)
	e, err2 := strconv.ParseInt(f.Dimensions[DimensionPeriodEnd], 10, 64)
	if err1 != nil || err2 != nil || e <= s {
		return time.Time{}, time.Time{}, false
	}
	return time.Unix(s, 0), time.Unix(e, 0), true
}

// days counts the calendar days in loc from a's date to b's date.
func days(a, b time.Time, loc *time.Location) int64 {
	ay, am, ad := a.In(loc).Date()
	by, bm, bd := b.In(loc).Date()
	return int64(time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC).Sub(time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
}

func divHalfAway(v, d int64) int64 {
	q, r := v/d, v%d
	if r < 0 {
		r = -r
	}
	if r*2 >= d {
		if v < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}

// Waterfall is Stripe Revenue Recognition's waterfall over the months
// that overlap [from, to): one row per month billed, what each row's lines
// earn in each month (Cells, one per month, zero before it was billed
// except the catch-up of a late line in its billing month), and what they
// earn after the last month (Later).
type Waterfall struct {
	Months []time.Time // month starts
	Rows   []WaterfallRow
}

// WaterfallRow is the lines billed in one month.
type WaterfallRow struct {
	Billed int64
	Cells  []int64
	Later  int64
}

// MonthlyWaterfall builds the waterfall of the lines billed in [from, to).
func MonthlyWaterfall(facts []messages.MetricEvent, loc *time.Location, from, to time.Time) Waterfall {
	bounds := MonthBounds(loc, from, to)
	if len(bounds) < 2 {
		return Waterfall{}
	}
	w := Waterfall{Months: bounds[:len(bounds)-1], Rows: make([]WaterfallRow, len(bounds)-1)}
	for i := range w.Rows {
		w.Rows[i].Cells = make([]int64, len(bounds)-1)
	}
	for _, f := range StatesAt(facts, to) {
		row := -1
		for i := 0; i+1 < len(bounds); i++ {
			if inRange(f.OccurredAt, bounds[i], bounds[i+1]) {
				row = i
			}
		}
		if row < 0 {
			continue
		}
		r := &w.Rows[row]
		r.Billed += f.Value
		for c := 0; c+1 < len(bounds); c++ {
			r.Cells[c] += earned(f, loc, bounds[c+1]) - earned(f, loc, bounds[c])
		}
		r.Later += f.Value - earned(f, loc, bounds[len(bounds)-1])
	}
	return w
}
