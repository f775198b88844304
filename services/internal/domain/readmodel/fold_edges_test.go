package readmodel

import (
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

func ev(id string, kind messages.Kind, entity string, at time.Time, version, value int64) messages.MetricEvent {
	return messages.MetricEvent{Header: messages.Header{EventID: id, OccurredAt: at}, Kind: kind, Entity: entity, Version: version, Value: value}
}

// Count counts additive facts in [from, to): one at from counts, one at to
// does not, state facts never.
func TestCountHalfOpen(t *testing.T) {
	from := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 1, 0)
	fs := []messages.MetricEvent{
		ev("a", messages.KindAdditive, "", from, 0, 1),
		ev("b", messages.KindAdditive, "", to.Add(-time.Second), 0, 1),
		ev("c", messages.KindAdditive, "", to, 0, 1),
		ev("d", messages.KindAdditive, "", from.Add(-time.Second), 0, 1),
		ev("e", messages.KindState, "x", from.Add(time.Hour), 1, 1),
	}
	if n := Count(fs, from, to); n != 2 {
		t.Errorf("Count = %d; want 2 (a, b)", n)
	}
}

// Equal version and time: the greater event id wins, in any order; a
// later time wins over a greater id.
func TestTiesBreakByEventIDInAnyOrder(t *testing.T) {
	at := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	lo, hi := ev("evt_a", messages.KindState, "x", at, 5, 100), ev("evt_b", messages.KindState, "x", at, 5, 200)
	for _, fs := range [][]messages.MetricEvent{{lo, hi}, {hi, lo}} {
		if got := TotalAt(fs, at.Add(time.Second)); got != 200 {
			t.Errorf("TotalAt tie = %d; want evt_b's 200", got)
		}
		if l, ok := Latest(fs, at.Add(time.Second)); !ok || l.EventID != "evt_b" {
			t.Errorf("Latest tie = %+v; want evt_b", l)
		}
	}
	early := ev("evt_z", messages.KindGauge, "g", at, 1, 1)
	late := ev("evt_a", messages.KindGauge, "g", at.Add(time.Minute), 1, 2)
	for _, fs := range [][]messages.MetricEvent{{early, late}, {late, early}} {
		if l, ok := Latest(fs, at.Add(time.Hour)); !ok || l.EventID != "evt_a" {
			t.Errorf("Latest = %+v; want the later reading", l)
		}
	}
}

// OpenFindings keeps each finding's latest status (the greater event id
// on a tie), most severe first, then by id.
func TestOpenFindingsLatestAndOrder(t *testing.T) {
	at := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	f := func(evID, id, sev, status string, t time.Time) messages.Finding {
		return messages.Finding{Header: messages.Header{EventID: evID, OccurredAt: t}, FindingID: id, Severity: sev, Status: status}
	}
	for _, in := range [][]messages.Finding{
		{f("e1", "low-b", messages.SeverityLow, messages.FindingOpen, at), f("e2", "crit", messages.SeverityCritical, messages.FindingOpen, at),
			f("e3", "low-a", messages.SeverityLow, messages.FindingOpen, at),
			f("e4", "gone", messages.SeverityHigh, messages.FindingOpen, at), f("e5", "gone", messages.SeverityHigh, messages.FindingResolved, at)},
		{f("e5", "gone", messages.SeverityHigh, messages.FindingResolved, at), f("e4", "gone", messages.SeverityHigh, messages.FindingOpen, at),
			f("e3", "low-a", messages.SeverityLow, messages.FindingOpen, at), f("e1", "low-b", messages.SeverityLow, messages.FindingOpen, at),
			f("e2", "crit", messages.SeverityCritical, messages.FindingOpen, at)},
	} {
		out := OpenFindings(in)
		var ids []string
		for _, o := range out {
			ids = append(ids, o.FindingID)
		}
		if len(ids) != 3 || ids[0] != "crit" || ids[1] != "low-a" || ids[2] != "low-b" {
			t.Errorf("open findings %v; want crit, low-a, low-b (gone resolved by e5)", ids)
		}
	}
}
