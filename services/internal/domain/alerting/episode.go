package alerting

import (
	"fmt"
	"slices"
	"time"
)

// Notification kinds.
const (
	KindFiring   = "firing"
	KindRepeat   = "repeat"
	KindResolved = "resolved"
)

// Observation is the value of a rule's metric for one subject at one
// instant: from a fact (At = the fact's time) or from an evaluation over
// the read model (At = the evaluation time).
type Observation struct {
	Subject string
	At      time.Time
	Value   int64
	// Currency of a money value.
	Currency string
}

// Notification is one message to send about an episode. Its ID is the
// same however the facts that caused it were delivered.
type Notification struct {
	ID      string    `json:"id"`
	Kind    string    `json:"kind"`
	Rule    string    `json:"rule"`
	Subject string    `json:"subject,omitempty"`
	Episode int       `json:"episode"`
	Value   int64     `json:"value"`
	At      time.Time `json:"at"`
	// Due is when it may be sent: At, or the end of quiet hours.
	Due  time.Time `json:"due"`
	Held bool      `json:"held,omitempty"`
	// OpenedAt and ClosedAt of the episode, for the message.
	OpenedAt time.Time `json:"opened_at"`
	ClosedAt time.Time `json:"closed_at,omitzero"`
	Currency string    `json:"currency,omitempty"`
}

// Episode is the state of one (rule, subject): its latest episode, open or
// closed, and the notifications not yet sent.
type Episode struct {
	Rule    string `json:"rule"`
	Subject string `json:"subject,omitempty"`
	// Seq numbers the episodes of (rule, subject) from 1; 0 means none
	// ever opened.
	Seq  int  `json:"seq"`
	Open bool `json:"open"`

	OpenedAt   time.Time `json:"opened_at,omitzero"`
	LastTrueAt time.Time `json:"last_true_at,omitzero"`
	// FalseSince is when the condition was first seen false after
	// LastTrueAt (zero while it holds); the episode closes Window later.
	FalseSince time.Time `json:"false_since,omitzero"`
	ClosedAt   time.Time `json:"closed_at,omitzero"`
	// Value is the latest value seen while open.
	Value    int64  `json:"value"`
	Currency string `json:"currency,omitempty"`

	Repeats        int            `json:"repeats"`
	LastNotifiedAt time.Time      `json:"last_notified_at,omitzero"`
	Pending        []Notification `json:"pending,omitempty"`
}

// maxFactAge bounds how old a fact may be and still open an episode: a
// backfilled dispute from last year is history, not news.
func maxFactAge(c Compiled) time.Duration { return max(c.Window, 24*time.Hour) }

// Step applies one observation at processing time now and returns the
// new state with the notifications it created (also appended to
// Pending). ep is the zero Episode (with Rule and Subject) when none
// exists.
func Step(c Compiled, ep Episode, obs Observation, now time.Time, loc *time.Location) (Episode, []Notification) {
	ep.Rule, ep.Subject = c.Name, obs.Subject
	var out []Notification
	holds := c.Holds(obs.Value)
	switch {
	case holds && !ep.Open:
		// A fact no newer than the last close belongs to an episode already
		// told (a redelivery, a reordered duplicate): it cannot reopen.
		if ep.Seq > 0 && !obs.At.After(ep.ClosedAt) {
			break
		}
		if now.Sub(obs.At) > maxFactAge(c) {
			break
		}
		ep.Seq++
		ep.Open = true
		ep.OpenedAt, ep.LastTrueAt, ep.FalseSince, ep.ClosedAt = obs.At, obs.At, time.Time{}, time.Time{}
		if c.Def.Point {
			ep.FalseSince = obs.At
		}
		ep.Value, ep.Currency, ep.Repeats, ep.LastNotifiedAt = obs.Value, obs.Currency, 0, now
		out = append(out, ep.notify(c, KindFiring, now, loc))
	case holds && ep.Open:
		if obs.At.After(ep.LastTrueAt) {
			ep.LastTrueAt, ep.Value, ep.Currency = obs.At, obs.Value, obs.Currency
		}
		switch {
		case c.Def.Point:
			ep.FalseSince = ep.LastTrueAt
		case !ep.FalseSince.IsZero() && !obs.At.Before(ep.FalseSince):
			ep.FalseSince = time.Time{}
		}
	case !holds && ep.Open:
		if obs.At.After(ep.LastTrueAt) && ep.FalseSince.IsZero() {
			ep.FalseSince = obs.At
		}
	}
	ep, more := Tick(c, ep, now, loc)
	return ep, append(out, more...)
}

// Tick advances the clock: it closes an episode whose condition has been
// false for the window (sending "resolved"), and repeats an open one once
// per Repeat interval while the condition holds.
func Tick(c Compiled, ep Episode, now time.Time, loc *time.Location) (Episode, []Notification) {
	if !ep.Open {
		return ep, nil
	}
	if !ep.FalseSince.IsZero() && now.Sub(ep.FalseSince) >= c.Window {
		ep.Open = false
		ep.ClosedAt = now
		return ep, []Notification{ep.notify(c, KindResolved, now, loc)}
	}
	if ep.FalseSince.IsZero() && c.Repeat > 0 && now.Sub(ep.LastNotifiedAt) >= c.Repeat && !ep.hasPendingAlert() {
		ep.Repeats++
		ep.LastNotifiedAt = now
		return ep, []Notification{ep.notify(c, KindRepeat, now, loc)}
	}
	return ep, nil
}

// hasPendingAlert reports a firing or repeat still waiting (quiet hours):
// repeats do not pile up behind it.
func (ep Episode) hasPendingAlert() bool {
	for _, n := range ep.Pending {
		if n.Kind != KindResolved {
			return true
		}
	}
	return false
}

func (ep *Episode) notify(c Compiled, kind string, now time.Time, loc *time.Location) Notification {
	id := fmt.Sprintf("%s#%s#%d#%s", c.Name, ep.Subject, ep.Seq, kind)
	if kind == KindRepeat {
		id += fmt.Sprint(ep.Repeats)
	}
	n := Notification{ID: id, Kind: kind, Rule: c.Name, Subject: ep.Subject, Episode: ep.Seq, Value: ep.Value,
		Currency: ep.Currency, At: now, Due: now, OpenedAt: ep.OpenedAt, ClosedAt: ep.ClosedAt}
	if c.Quiet != nil && !c.Critical && c.Quiet.Contains(now, loc) {
		n.Due, n.Held = c.Quiet.EndAfter(now, loc), true
	}
	ep.Pending = append(slices.Clip(ep.Pending), n)
	return n
}

// Due returns the pending notifications that may be sent at now, in
// order.
func (ep Episode) Due(now time.Time) []Notification {
	var out []Notification
	for _, n := range ep.Pending {
		if !n.Due.After(now) {
			out = append(out, n)
		}
	}
	return out
}

// Done removes a sent (or permanently failed) notification from Pending.
func (ep Episode) Done(id string) Episode {
	var keep []Notification
	for _, n := range ep.Pending {
		if n.ID != id {
			keep = append(keep, n)
		}
	}
	ep.Pending = keep
	return ep
}

// Forgettable reports whether a per-entity episode's state may be
// deleted: closed, nothing pending, and closed longer ago than the oldest
// fact that may open an episode. A late fact about it is then older than
// that bound and cannot reopen it, state or no state; aggregate rules keep
// their one state item.
func Forgettable(c Compiled, ep Episode, now time.Time) bool {
	return c.Def.PerEntity && !ep.Open && ep.Seq > 0 && len(ep.Pending) == 0 && now.Sub(ep.ClosedAt) > maxFactAge(c)
}
