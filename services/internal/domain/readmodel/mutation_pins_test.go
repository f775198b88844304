package readmodel

import (
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// The tests in this file pin behaviours that the order and equivalence
// properties cannot: those compare a fold with itself over other
// deliveries, so a fold that is wrong the same way every time passes them.

// halfOpenFixture is additive facts on both sides of [from, to) and one
// state fact inside it, each value a different power of ten, so a sum
// says exactly which facts it took: 1 at from, 10 just before to, 100 at
// to, 1000 just before from, 10000 a state inside.
func halfOpenFixture() (from, to time.Time, fs []messages.MetricEvent) {
	from = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	to = from.AddDate(0, 0, 2)
	dim := func(f messages.MetricEvent, p string) messages.MetricEvent {
		f.Dimensions = map[string]string{"product": p}
		return f
	}
	fs = []messages.MetricEvent{
		dim(ev("a", messages.KindAdditive, "", from, 0, 1), "pro"),
		dim(ev("b", messages.KindAdditive, "", to.Add(-time.Second), 0, 10), "pro"),
		dim(ev("c", messages.KindAdditive, "", to, 0, 100), "pro"),
		dim(ev("d", messages.KindAdditive, "", from.Add(-time.Second), 0, 1000), "pro"),
		dim(ev("e", messages.KindState, "x", from.Add(time.Hour), 1, 10000), "pro"),
	}
	return from, to, fs
}

// TestPeriodFoldsTakeAdditiveFactsOfTheHalfOpenPeriod: Sum, ByDimension
// and Daily take the additive facts with OccurredAt in [from, to) — the
// one at from, the one just before to — and neither the one at to, the
// one just before from, nor a state fact.
func TestPeriodFoldsTakeAdditiveFactsOfTheHalfOpenPeriod(t *testing.T) {
	from, to, fs := halfOpenFixture()
	const want = 1 + 10 // a and b
	if got := Sum(fs, from, to); got != want {
		t.Errorf("Sum = %d; want %d (a at from, b before to)", got, want)
	}
	if got := ByDimension(fs, "product", from, to); len(got) != 1 || got["pro"] != want {
		t.Errorf("ByDimension = %v; want map[pro:%d]", got, want)
	}
	// Daily: one entry per day of the period (two), a on the first, b on
	// the second; d, a second before from, is on the day before.
	days := Daily(fs, time.UTC, from, to)
	if len(days) != 2 || days[0].Value != 1 || days[1].Value != 10 || !days[0].Day.Equal(from) || !days[1].Day.Equal(from.AddDate(0, 0, 1)) {
		t.Errorf("Daily = %+v; want %v: 1, %v: 10", days, from, from.AddDate(0, 0, 1))
	}
	// A period that starts mid-day: the day's entry holds only what
	// happened from from on, not the fact earlier that day.
	mid := from.Add(12 * time.Hour)
	early := ev("f", messages.KindAdditive, "", from.Add(6*time.Hour), 0, 100000)
	if days := Daily(append(fs, early), time.UTC, mid, to); len(days) != 2 || days[0].Value != 0 || days[1].Value != 10 {
		t.Errorf("Daily from noon = %+v; want 0 on the first day (a and f are before noon), 10 on the second", days)
	}
}
