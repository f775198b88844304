package readmodel

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

func TestFindingStatesKeepFirstAndLastSeenInAnyOrder(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	obs := func(id, finding, status, severity string, hours int) messages.Finding {
		return messages.Finding{
			Header:    messages.Header{EventID: id, TenantID: "jada", OccurredAt: t0.Add(time.Duration(hours) * time.Hour), Source: messages.SourceAWS},
			FindingID: finding, Severity: severity, Status: status,
		}
	}
	in := []messages.Finding{
		obs("e1", "waf:E1", messages.FindingOpen, messages.SeverityHigh, 0),
		obs("e2", "waf:E1", messages.FindingOpen, messages.SeverityHigh, 24),
		obs("e3", "s3:logs", messages.FindingOpen, messages.SeverityCritical, 2),
		obs("e4", "s3:logs", messages.FindingResolved, messages.SeverityCritical, 30),
		obs("e5", "ttl:www", messages.FindingOpen, messages.SeverityLow, 5),
	}
	want := []FindingState{
		{Finding: in[1], FirstSeen: t0, LastSeen: t0.Add(24 * time.Hour)},
		{Finding: in[4], FirstSeen: in[4].OccurredAt, LastSeen: in[4].OccurredAt},
		{Finding: in[3], FirstSeen: in[2].OccurredAt, LastSeen: in[3].OccurredAt},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		shuffled := append(append([]messages.Finding{}, in...), in[rng.IntN(len(in))])
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if got := FindingStates(shuffled); !reflect.DeepEqual(got, want) {
			t.Fatalf("got  %+v\nwant %+v", got, want)
		}
	}
	if open := OpenFindings(in); len(open) != 2 || open[0].FindingID != "waf:E1" {
		t.Fatalf("OpenFindings disagrees: %+v", open)
	}
}
