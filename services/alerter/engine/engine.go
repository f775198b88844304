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
	"strings"
	"sync"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/alerting"
	"github.com/boardpack/boardpack/services/internal/domain/alerting/episodes"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/logging"
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

// Portfolios lists the portfolios whose rules run over their members'
// facts (a PortfolioList); nil means none.
type Portfolios interface {
	ListPortfolios(ctx context.Context) ([]tenants.Portfolio, error)
}

// scope is whose rules are evaluated over whose facts: a tenant's own
// rules over its facts (owner = the tenant, prefix ""), or a portfolio's
// rules over one member's facts (owner = Portfolio.AlertTenant, prefix
// "member/"). Episodes are kept under (owner, rule, prefix+subject), so a
// member's episodes through a portfolio never meet its own.
type scope struct {
	owner  tenants.Tenant
	data   string // the tenant whose facts and read model are read
	prefix string
}

func tenantScope(t tenants.Tenant) scope { return scope{owner: t, data: t.ID} }

func portfolioScope(p tenants.Portfolio, m tenants.Tenant) scope {
	return scope{owner: p.AlertTenant(m), data: m.ID, prefix: m.ID + "/"}
}

// Deliverer sends one notification (notify.Notifier).
type Deliverer interface {
	Deliver(ctx context.Context, t tenants.Tenant, rule alerting.Compiled, note alerting.Notification, test bool) error
}

// Engine evaluates rules.
type Engine struct {
	Tenants Tenants
	// Portfolios, when set, adds each portfolio's rules over its members'
	// facts.
	Portfolios Portfolios
	States     States
	Reader     alerting.Reader
	Notify     Deliverer
	Log        *slog.Logger
	Now        func() time.Time
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
	fact := func(sc scope, rules []alerting.Compiled) {
		for _, rule := range rules {
			if !rule.Watches(f.Metric) {
				continue
			}
			if rule.Def.PerEntity {
				if obs, ok := alerting.FromFact(rule, t.Currency, f); ok {
					errs = append(errs, e.observe(ctx, sc, rule, obs, now))
				}
				continue
			}
			errs = append(errs, e.evaluateSoon(ctx, sc, rule, now))
		}
	}
	fact(tenantScope(t), t.AlertRules())
	ps, err := e.portfoliosOf(ctx, t.ID)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, p := range ps {
		fact(portfolioScope(p, t), p.AlertRules(t.Currency))
	}
	return errors.Join(errs...)
}

// portfoliosOf returns the portfolios that have tenant id as a member now:
// a tenant removed from a portfolio stops producing its alerts from the
// next fact read after the list changes.
func (e *Engine) portfoliosOf(ctx context.Context, id string) ([]tenants.Portfolio, error) {
	if e.Portfolios == nil {
		return nil, nil
	}
	all, err := e.Portfolios.ListPortfolios(ctx)
	if err != nil {
		return nil, fmt.Errorf("list portfolios: %w", err)
	}
	var out []tenants.Portfolio
	for _, p := range all {
		if p.HasMember(id) {
			out = append(out, p)
		}
	}
	return out, nil
}

// evaluateSoon evaluates an aggregate rule now, or once the debounce
// interval since the last evaluation has passed.
func (e *Engine) evaluateSoon(ctx context.Context, sc scope, rule alerting.Compiled, now time.Time) error {
	if e.Debounce <= 0 {
		return e.evaluate(ctx, sc, rule, now)
	}
	k := sc.owner.ID + "|" + sc.prefix + "|" + rule.Name
	e.debMu.Lock()
	if e.lastRun == nil {
		e.lastRun, e.trailer = map[string]time.Time{}, map[string]bool{}
	}
	since := time.Since(e.lastRun[k])
	if since >= e.Debounce {
		e.lastRun[k] = time.Now()
		e.debMu.Unlock()
		return e.evaluate(ctx, sc, rule, now)
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
			if err := e.evaluate(ctx, sc, rule, e.now()); err != nil {
				e.Log.Warn("evaluate alert rule", logging.TenantKey, sc.owner.ID, "member", sc.data, "rule", rule.Name, "err", err)
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
	finding := func(sc scope, rules []alerting.Compiled) {
		for _, rule := range rules {
			if obs, ok := alerting.FromFinding(rule, f); ok {
				errs = append(errs, e.observe(ctx, sc, rule, obs, now))
			}
		}
	}
	finding(tenantScope(t), t.AlertRules())
	ps, err := e.portfoliosOf(ctx, t.ID)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, p := range ps {
		finding(portfolioScope(p, t), p.AlertRules(t.Currency))
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
		e.Log.Warn("record source seen", logging.TenantKey, tenantID, "source", source, "err", err)
		e.seenMu.Lock()
		e.seen[k] = last
		e.seenMu.Unlock()
	}
}

// evaluate observes an aggregate rule over the read model.
func (e *Engine) evaluate(ctx context.Context, sc scope, rule alerting.Compiled, now time.Time) error {
	t := sc.owner
	var (
		obs alerting.Observation
		ok  bool
		err error
	)
	if rule.Metric == alerting.MetricSourceStale {
		var last time.Time
		if last, err = e.States.LastSeen(ctx, sc.data, rule.Source); err == nil {
			obs, ok = alerting.Stale(rule, last, now)
		}
	} else {
		obs, ok, err = alerting.Aggregate(ctx, e.Reader, rule, sc.data, t.Currency, t.Location(), now)
	}
	if err != nil || !ok {
		return err
	}
	return e.observe(ctx, sc, rule, obs, now)
}

func (e *Engine) observe(ctx context.Context, sc scope, rule alerting.Compiled, obs alerting.Observation, now time.Time) error {
	t := sc.owner
	obs.Subject = sc.prefix + obs.Subject
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
			e.Log.Warn("alert not delivered yet, will retry", logging.TenantKey, t.ID, "rule", rule.Name, "notification", note.ID, "err", err)
			return
		}
		if _, _, err := e.States.Update(ctx, t.ID, rule.Name, st.Subject, now, func(ep alerting.Episode) (alerting.Episode, []alerting.Notification) {
			return ep.Done(note.ID), nil
		}); err != nil {
			e.Log.Warn("record alert delivered", logging.TenantKey, t.ID, "notification", note.ID, "err", err)
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
	byID := map[string]tenants.Tenant{}
	for _, t := range list {
		byID[t.ID] = t
		if err := e.TickTenant(ctx, t); err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", t.ID, err))
		}
	}
	if e.Portfolios == nil {
		return errors.Join(errs...)
	}
	ps, err := e.Portfolios.ListPortfolios(ctx)
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("list portfolios: %w", err))...)
	}
	for _, p := range ps {
		if err := e.TickPortfolio(ctx, p, byID); err != nil {
			errs = append(errs, fmt.Errorf("portfolio %s: %w", p.ID, err))
		}
	}
	return errors.Join(errs...)
}

// TickPortfolio is Tick for one portfolio over its current members
// (members by id). Episodes of a tenant no longer a member are left as
// they are: nothing more is sent about it through the portfolio.
func (e *Engine) TickPortfolio(ctx context.Context, p tenants.Portfolio, members map[string]tenants.Tenant) error {
	var scopes []scope
	for _, id := range p.Members {
		if m, ok := members[id]; ok {
			scopes = append(scopes, portfolioScope(p, m))
		}
	}
	if len(scopes) == 0 || (p.Alerts == nil) {
		return nil
	}
	states, err := e.States.List(ctx, p.ID)
	if err != nil {
		return err
	}
	var errs []error
	for _, sc := range scopes {
		var mine []episodes.State
		for _, st := range states {
			if strings.HasPrefix(st.Subject, sc.prefix) {
				mine = append(mine, st)
			}
		}
		errs = append(errs, e.tickScope(ctx, sc, p.AlertRules(sc.owner.Currency), mine))
	}
	return errors.Join(errs...)
}

// TickTenant is Tick for one tenant.
func (e *Engine) TickTenant(ctx context.Context, t tenants.Tenant) error {
	states, err := e.States.List(ctx, t.ID)
	if err != nil {
		return err
	}
	return e.tickScope(ctx, tenantScope(t), t.AlertRules(), states)
}

// tickScope re-evaluates the scope's aggregate rules and steps its
// states (those of the scope only).
func (e *Engine) tickScope(ctx context.Context, sc scope, compiled []alerting.Compiled, states []episodes.State) error {
	t := sc.owner
	now := e.now()
	rules := map[string]alerting.Compiled{}
	var errs []error
	for _, rule := range compiled {
		rules[rule.Name] = rule
		if !rule.Def.PerEntity {
			errs = append(errs, e.evaluate(ctx, sc, rule, now))
		}
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

// PortfolioList lists portfolios from the table, read again at most once
// per TTL (the hot path asks on every fact).
type PortfolioList struct {
	Store tenants.Store
	TTL   time.Duration

	mu   sync.Mutex
	at   time.Time
	list []tenants.Portfolio
}

// ListPortfolios implements Portfolios.
func (c *PortfolioList) ListPortfolios(ctx context.Context) ([]tenants.Portfolio, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && time.Since(c.at) < c.TTL {
		return c.list, nil
	}
	list, err := c.Store.ListPortfolios(ctx)
	if err != nil {
		return nil, err
	}
	c.list, c.at = list, time.Now()
	return list, nil
}
