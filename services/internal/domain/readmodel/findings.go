package readmodel

import (
	"sort"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// FindingState is a finding as of its latest observation, with when it was
// first and last observed.
type FindingState struct {
	// Finding is the latest observation (highest OccurredAt, then EventID):
	// its Status says whether the finding is open or resolved now.
	messages.Finding
	// FirstSeen is the earliest observation of the finding, in any status.
	FirstSeen time.Time
	// LastSeen is the latest observation (when it was resolved, for a
	// resolved finding).
	LastSeen time.Time
}

// FindingStates folds finding observations into one state per finding:
// open ones first, most severe first, then resolved ones, each group by
// finding id. Any order and duplication of observations gives the same
// result.
func FindingStates(findings []messages.Finding) []FindingState {
	byID := map[string]*FindingState{}
	for _, f := range findings {
		s, ok := byID[f.FindingID]
		if !ok {
			byID[f.FindingID] = &FindingState{Finding: f, FirstSeen: f.OccurredAt, LastSeen: f.OccurredAt}
			continue
		}
		if f.OccurredAt.Before(s.FirstSeen) {
			s.FirstSeen = f.OccurredAt
		}
		if f.OccurredAt.After(s.Finding.OccurredAt) || (f.OccurredAt.Equal(s.Finding.OccurredAt) && f.EventID > s.Finding.EventID) {
			s.Finding = f
			s.LastSeen = f.OccurredAt
		}
	}
	out := make([]FindingState, 0, len(byID))
	for _, s := range byID {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.Status == messages.FindingOpen) != (b.Status == messages.FindingOpen) {
			return a.Status == messages.FindingOpen
		}
		if ra, rb := severityRank[a.Severity], severityRank[b.Severity]; ra != rb {
			return ra < rb
		}
		return a.FindingID < b.FindingID
	})
	return out
}
