package importer

import (
	"maps"
	"slices"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// Scope is the part of the read model a valid file is authoritative for:
// rows there that the file no longer has are removed (see the package
// documentation).
type Scope struct {
	// None: the file removes nothing (cash).
	None bool
	// All: the file is a complete snapshot (pipeline).
	All bool
	// From and To bound the dates it covers, [From, To).
	From, To time.Time
}

// Scope returns the file's scope.
func (s *Summary) Scope() Scope {
	switch s.Kind {
	case Cash:
		return Scope{None: true}
	case Pipeline:
		return Scope{All: true}
	}
	return Scope{From: s.From, To: s.To}
}

// Tombstones returns the events that remove, from the figures, the rows
// of earlier imports that lie in the file's scope but are no longer in the
// file. facts are the tenant's recorded facts of the kind's metrics (at
// least those in the scope; others are ignored). A row whose latest state
// has a version at or above opts.Version (a later import) is left alone,
// and so is a row already removed or that came from another source.
func Tombstones(opts Options, sum *Summary, facts []messages.MetricEvent) []messages.MetricEvent {
	scope := sum.Scope()
	if scope.None {
		return nil
	}
	byMetric := map[string][]messages.MetricEvent{}
	for _, f := range facts {
		if f.TenantID == opts.TenantID && f.Source == messages.SourceImport && f.Kind == messages.KindState {
			byMetric[f.Metric] = append(byMetric[f.Metric], f)
		}
	}
	end := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []messages.MetricEvent
	for _, metric := range opts.Kind.Metrics() {
		states := readmodel.StatesAt(byMetric[metric], end)
		for _, entity := range slices.Sorted(maps.Keys(states)) {
			f := states[entity]
			switch {
			case f.Dimensions[messages.DimRemoved] == "true",
				f.Version >= opts.Version,
				!scope.All && (f.OccurredAt.Before(scope.From) || !f.OccurredAt.Before(scope.To)),
				sum.Has(metric, entity):
				continue
			}
			t := f
			t.Value = 0
			t.Version = opts.Version
			if opts.Kind == Pipeline {
				t.OccurredAt = opts.AsOf()
			}
			t.Dimensions = maps.Clone(f.Dimensions)
			if t.Dimensions == nil {
				t.Dimensions = map[string]string{}
			}
			t.Dimensions[messages.DimRemoved] = "true"
			t.ObjectID = ""
			t.EventID = eventID(opts, t, contentHash(t, true), "removed")
			out = append(out, t)
		}
	}
	return out
}
