// Package engine is the alerter's work: it turns each metric fact or
// finding into observations of the tenant's rules, applies them to the
// episode state (episodes.Store), and delivers the notifications that are
// due (notify.Notifier). A periodic Tick re-evaluates aggregate rules over
// the read model, closes episodes whose condition has been false for
// their window, sends repeats, and retries notifications held by quiet
// hours or by a failed send.
//
// A message is acknowledged once the state is written: a notification
// that could not be sent yet stays pending in the state and is retried by
// the next handling or tick, never lost and never sent twice (each send
// is claimed first, see package notify).
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/alerting"
	"github.com/boardpack/boardpack/services/internal/domain/alerting/episodes"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// Tenants is where the engine reads tenants (a tenants.Cache and Store).
type Tenants interface {
	Get(ctx context.Context, id string) (tenants.Tenant, error)
	List(ctx context.Context) ([]tenants.Tenant, error)
}

// States is the episode store (episodes.Store).
type States interface {
	Update(ctx context.Context, tenantID, rule, subject string, now time.Time,
		fn func(alerting.Episode) (alerting.Episode, []alerting.Notification)) (episodes.State, []alerting.Notification, error)
	List(ctx context.Context, tenantID string) ([]episodes.State, error)
	Forget(ctx context.Context, tenantID, rule, subject string, version int64) error
	Seen(ctx context.Context, tenantID, source string, t time.Time) error
	LastSeen(ctx context.Context, tenantID, source string) (time.Time, error)
}

// Deliverer sends one notification (notify.Notifier).
type Deliverer interface {
	Deliver(ctx context.Context, t tenants.Tenant, rule alerting.Compiled, note alerting.Notification, test bool) error
}

// Engine evaluates rules.
type Engine struct {
	Tenants Tenants
	States  States
	Reader  alerting.Reader
	Notify  Deliverer
	Log     *slog.Logger
	Now     func() time.Time
	// OnNotification counts notifications created, by kind.
	OnNotification func(kind string)
	// Debounce bounds how often one fact-driven evaluation of an aggregate
	// rule reads the read model: a burst of facts costs one evaluation now
	// and one trailing evaluation Debounce later, not one per fact (each
	// reads the day's facts). Zero evaluates every time.
	Debounce time.Duration

	debMu   sync.Mutex
	lastRun map[string]time.Time
	trailer map[string]bool

	// seen remembers the last source time written per tenant, so that
	// "last heard from" costs one write a minute per source, not one per
	// fact.
	seenMu sync.Mutex
	seen   map[string]time.Time
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// ErrUnknownTenant is permanent: the fact names a tenant that does not
// exist.
var ErrUnknownTenant = errors.New("unknown tenant")

// HandleFact applies a metric event.
func (e *Engine) HandleFact(ctx context.Context, f messages.MetricEvent) error {
	t, err := e.tenant(ctx, f.TenantID)
	if err != nil {
		return err
	}
	e.markSeen(ctx, t.ID, f.Source, f.OccurredAt)
	now := e.now()
	var errs []error
	for _, rule := range t.AlertRules() {
		if !rule.Watches(f.Metric) {
			continue
		}
		if rule.Def.PerEntity {
			if obs, ok := alerting.FromFact(rule, t.Currency, f); ok {
				errs = append(errs, e.observe(ctx, t, rule, obs, now))
			}
			continue
		}
		errs = append(errs, e.evaluateSoon(ctx, t, rule, now))
	}
	return errors.Join(errs...)
}

// evaluateSoon evaluates an aggregate rule now, or once the debounce
// interval since the last evaluation has passed.
func (e *Engine) evaluateSoon(ctx context.Context, t tenants.Tenant, rule alerting.Compiled, now time.Time) error {
	if e.Debounce <= 0 {
		return e.evaluate(ctx, t, rule, now)
	}
	k := t.ID + "|" + rule.Name
	e.debMu.Lock()
	if e.lastRun == nil {
		e.lastRun, e.trailer = map[string]time.Time{}, map[string]bool{}
	}
	since := time.Since(e.lastRun[k])
	if since >= e.Debounce {
		e.lastRun[k] = time.Now()
		e.debMu.Unlock()
		return e.evaluate(ctx, t, rule, now)
	}
	if !e.trailer[k] {
		e.trailer[k] = true
		time.AfterFunc(e.Debounce-since, func() {
			e.debMu.Lock()
			e.trailer[k] = false
			e.lastRun[k] = time.Now()
			e.debMu.Unlock()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := e.evaluate(ctx, t, rule, e.now()); err != nil {
				e.Log.Warn("evaluate alert rule", "tenant_id", t.ID, "rule", rule.Name, "err", err)
			}
		})
	}
	e.debMu.Unlock()
	return nil
}

// HandleFinding applies a finding.
func (e *Engine) HandleFinding(ctx context.Context, f messages.Finding) error {
	t, err := e.tenant(ctx, f.TenantID)
	if err != nil {
		return err
	}
	e.markSeen(ctx, t.ID, f.Source, f.OccurredAt)
	now := e.now()
	var errs []error
	for _, rule := range t.AlertRules() {
		if obs, ok := alerting.FromFinding(rule, f); ok {
			errs = append(errs, e.observe(ctx, t, rule, obs, now))
		}
	}
	return errors.Join(errs...)
}

func (e *Engine) tenant(ctx context.Context, id string) (tenants.Tenant, error) {
	t, err := e.Tenants.Get(ctx, id)
	if errors.Is(err, tenants.ErrNotFound) {
		return t, fmt.Errorf("%w %q", ErrUnknownTenant, id)
	}
	return t, err
}

func (e *Engine) markSeen(ctx context.Context, tenantID, source string, at time.Time) {
	if source == "" || at.After(e.now().Add(5*time.Minute)) {
		return
	}
	k := tenantID + "|" + source
	e.seenMu.Lock()
	if e.seen == nil {
		e.seen = map[string]time.Time{}
	}
	last := e.seen[k]
	if at.Sub(last) < time.Minute {
		e.seenMu.Unlock()
		return
	}
	e.seen[k] = at
	e.seenMu.Unlock()
	if err := e.States.Seen(ctx, tenantID, source, at); err != nil {
		e.Log.Warn("record source seen", "tenant_id", tenantID, "source", source, "err", err)
		e.seenMu.Lock()
		e.seen[k] = last
		e.seenMu.Unlock()
	}
}

// evaluate observes an aggregate rule over the read model.
func (e *Engine) evaluate(ctx context.Context, t tenants.Tenant, rule alerting.Compiled, now time.Time) error {
	var (
		obs alerting.Observation
		ok  bool
		err error
	)
	if rule.Metric == alerting.MetricSourceStale {
		var last time.Time
		if last, err = e.States.LastSeen(ctx, t.ID, rule.Source); err == nil {
			obs, ok = alerting.Stale(rule, last, now)
		}
	} else {
		obs, ok, err = alerting.Aggregate(ctx, e.Reader, rule, t.ID, t.Currency, t.Location(), now)
	}
	if err != nil || !ok {
		return err
	}
	return e.observe(ctx, t, rule, obs, now)
}

func (e *Engine) observe(ctx context.Context, t tenants.Tenant, rule alerting.Compiled, obs alerting.Observation, now time.Time) error {
	st, notes, err := e.States.Update(ctx, t.ID, rule.Name, obs.Subject, now, func(ep alerting.Episode) (alerting.Episode, []alerting.Notification) {
		return alerting.Step(rule, ep, obs, now, t.Location())
	})
	if err != nil {
		return err
	}
	e.count(notes)
	e.deliver(ctx, t, rule, st, now)
	return nil
}

func (e *Engine) count(notes []alerting.Notification) {
	if e.OnNotification == nil {
		return
	}
	for _, n := range notes {
		e.OnNotification(n.Kind)
	}
}

// deliver sends the state's due notifications in order and removes each
// one sent from Pending. A failure leaves it (and those after it, to keep
// firing before resolved) for the next attempt; it is logged, not
// returned: the state is safe and a tick retries.
func (e *Engine) deliver(ctx context.Context, t tenants.Tenant, rule alerting.Compiled, st episodes.State, now time.Time) {
	for _, note := range st.Due(now) {
		if err := e.Notify.Deliver(ctx, t, rule, note, false); err != nil {
			e.Log.Warn("alert not delivered yet, will retry", "tenant_id", t.ID, "rule", rule.Name, "notification", note.ID, "err", err)
			return
		}
		if _, _, err := e.States.Update(ctx, t.ID, rule.Name, st.Subject, now, func(ep alerting.Episode) (alerting.Episode, []alerting.Notification) {
			return ep.Done(note.ID), nil
		}); err != nil {
			e.Log.Warn("record alert delivered", "tenant_id", t.ID, "notification", note.ID, "err", err)
			return
		}
	}
}

// Tick runs one pass over every tenant: aggregate rules re-evaluated,
// episodes closed or repeated, due notifications sent. Safe to run on
// several replicas at once (the store serialises, claims deduplicate).
func (e *Engine) Tick(ctx context.Context) error {
	list, err := e.Tenants.List(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range list {
		if err := e.TickTenant(ctx, t); err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", t.ID, err))
		}
	}
	return errors.Join(errs...)
}

// TickTenant is Tick for one tenant.
func (e *Engine) TickTenant(ctx context.Context, t tenants.Tenant) error {
	now := e.now()
	rules := map[string]alerting.Compiled{}
	var errs []error
	for _, rule := range t.AlertRules() {
		rules[rule.Name] = rule
		if !rule.Def.PerEntity {
			errs = append(errs, e.evaluate(ctx, t, rule, now))
		}
	}
	states, err := e.States.List(ctx, t.ID)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, st := range states {
		rule, ok := rules[st.Rule]
		if ok && alerting.Forgettable(rule, st.Episode, now) {
			// Keeps the tick's reads bounded by what is live, not by
			// every dispute ever seen.
			errs = append(errs, e.States.Forget(ctx, t.ID, st.Rule, st.Subject, st.Version))
			continue
		}
		if !ok || (!st.Open && len(st.Pending) == 0) {
			continue // a rule since removed keeps its history
		}
		st2, notes, err := e.States.Update(ctx, t.ID, st.Rule, st.Subject, now, func(ep alerting.Episode) (alerting.Episode, []alerting.Notification) {
			return alerting.Tick(rule, ep, now, t.Location())
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		e.count(notes)
		e.deliver(ctx, t, rule, st2, now)
	}
	return errors.Join(errs...)
}

// CachedTenants reads single tenants through a cache (the hot path) and
// lists them from the table (the tick).
type CachedTenants struct {
	Cache *tenants.Cache
	Store tenants.Store
}

// Get implements Tenants.
func (c CachedTenants) Get(ctx context.Context, id string) (tenants.Tenant, error) {
	return c.Cache.Get(ctx, id)
}

// List implements Tenants.
func (c CachedTenants) List(ctx context.Context) ([]tenants.Tenant, error) { return c.Store.List(ctx) }
