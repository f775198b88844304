package readmodel

import (
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

func TestPreferParts(t *testing.T) {
	at := time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)
	st := func(id, entity, object string, v int64) messages.MetricEvent {
		return messages.MetricEvent{Header: messages.Header{EventID: id, OccurredAt: at}, Kind: messages.KindState, Entity: entity, ObjectID: object, Value: v, Version: 1}
	}
	whole := st("a", "ch_1", "ch_1", 5000)
	other := st("b", "ch_2", "ch_2", 700)
	part := st("c", "re_1", "ch_1", 2000)
	loose := st("d", "ch_3", "", 300)
	add := messages.MetricEvent{Header: messages.Header{EventID: "e", OccurredAt: at}, Kind: messages.KindAdditive, ObjectID: "ch_1", Value: 1}
	if got := TotalAt(PreferParts([]messages.MetricEvent{whole, other, loose}), at.Add(time.Hour)); got != 6000 {
		t.Errorf("without parts = %d, want 6000", got)
	}
	for _, order := range [][]messages.MetricEvent{{whole, other, part, loose, add}, {add, loose, part, other, whole}} {
		got := PreferParts(order)
		if total := TotalAt(got, at.Add(time.Hour)); total != 3000 || len(got) != 4 {
			t.Errorf("with a part = %d over %d facts, want 3000 over 4 (whole dropped)", total, len(got))
		}
	}
}

func TestDistinctKeepsTheEarliestOfAnEventID(t *testing.T) {
	at := time.Date(2026, 10, 2, 9, 0, 0, 0, time.UTC)
	f := func(id string, sec int, v int64) messages.MetricEvent {
		return messages.MetricEvent{Header: messages.Header{EventID: id, OccurredAt: at.Add(time.Duration(sec) * time.Second)}, Metric: "m", Kind: messages.KindAdditive, Value: v}
	}
	a1, a2, b := f("a", 3, 100), f("a", 0, 100), f("b", 1, 7)
	for _, order := range [][]messages.MetricEvent{{a1, a2, b}, {b, a2, a1}, {a2, a1, a2, b}} {
		got := Distinct(order)
		if len(got) != 2 || Sum(got, at, at.Add(time.Minute)) != 107 || Sum(got, at, at.Add(time.Second)) != 100 {
			t.Errorf("Distinct(%v) = %v, want a at +0s and b", order, got)
		}
	}
	if got := Distinct([]messages.MetricEvent{b, a1}); len(got) != 2 {
		t.Errorf("no duplicates: %v", got)
	}
}
