package report

import (
	"fmt"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// pinFacts builds a small hand-written history for the pins tests: each
// fact is written out, so every expected figure follows from the facts in
// the test itself.
type pinFacts struct {
	tenant string
	n      int
	src    memSource
}

func newPinFacts(tenant string) *pinFacts { return &pinFacts{tenant: tenant} }

// add appends a fact with a fresh event id and returns it for reference.
func (p *pinFacts) add(at time.Time, source, metric string, kind messages.Kind, value int64, currency string, mod func(*messages.MetricEvent)) {
	p.n++
	e := messages.MetricEvent{
		Header: messages.Header{EventID: fmt.Sprintf("pin_%04d", p.n), TenantID: p.tenant, OccurredAt: at, Source: source},
		Metric: metric, Kind: kind, Value: value, Currency: currency,
	}
	if mod != nil {
		mod(&e)
	}
	p.src.facts = append(p.src.facts, e)
}

func (p *pinFacts) source() *memSource { return &p.src }

// dims sets a fact's dimensions.
func dims(kv ...string) func(*messages.MetricEvent) {
	return func(e *messages.MetricEvent) {
		e.Dimensions = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			e.Dimensions[kv[i]] = kv[i+1]
		}
	}
}

// state makes a fact the state of entity at version.
func state(entity string, version int64, more ...func(*messages.MetricEvent)) func(*messages.MetricEvent) {
	return func(e *messages.MetricEvent) {
		e.Entity, e.Version = entity, version
		for _, m := range more {
			m(e)
		}
	}
}
