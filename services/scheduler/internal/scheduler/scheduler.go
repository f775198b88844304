// Package scheduler is the scheduler service's durable part over package
// schedule's pure firings: each pass writes a report's record with a
// conditional put before publishing its report due, advances a per-tenant
// cursor over the firings handled, and republishes, under a claim, the
// records a crash left unpublished (see store.go).
package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/schedule"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// publisher is what the scheduler needs of the bus (bus.Publisher).
type publisher interface {
	Publish(ctx context.Context, topic string, events ...messages.Event) error
}

// tenantLister reads the tenants at every pass, so a tenants apply takes
// effect at the next pass without a restart (tenants.Store).
type tenantLister interface {
	List(ctx context.Context) ([]tenants.Tenant, error)
}

// portfolioLister reads the portfolios at every pass (tenants.Store), like
// tenantLister.
type portfolioLister interface {
	ListPortfolios(ctx context.Context) ([]tenants.Portfolio, error)
}

// tooOldCountLimit bounds the counting of firings too old to send.
const tooOldCountLimit = 100000

// pendingPerPass bounds how many unpublished records one pass republishes.
const pendingPerPass = 100

// Scheduler makes each report due once. Many may run at once, against one
// table; each pass:
//
//  1. reads every tenant (config changes apply at the next pass);
//  2. for each tenant, takes the firings of its schedules since the
//     tenant's cursor (newest first; those older than the catch-up window
//     are counted and logged, not sent), and for each firing writes the
//     DUE# record with attribute_not_exists — only the pass that creates
//     the record publishes the report due, then marks the record
//     published; then moves the cursor to now;
//  3. republishes records left unpublished (a crash or a failed publish
//     between the write and the publish), each claimed by one replica for
//     a lease.
type Scheduler struct {
	Tenants tenantLister
	// Portfolios, when set, are scheduled exactly as tenants are: the same
	// records, cursor and repair, under the portfolio's id (which shares
	// the tenants' id space and partition shapes).
	Portfolios portfolioLister
	Store      store
	Publisher  publisher
	Clock      schedule.Clock
	Log        *slog.Logger
	Metrics    *metrics
	// Owner names this replica in the records it writes and claims.
	Owner string
	// Catchup is how far back a pass sends missed firings.
	Catchup time.Duration
	// Lease is how long a record's claim keeps other replicas from
	// publishing it; longer than any publish takes.
	Lease time.Duration
	// Late is how long after its due time a firing counts as caught up
	// rather than on time.
	Late time.Duration

	mu       sync.Mutex
	problems map[string]string // tenant → last schedule problem logged
	lastPass time.Time
}

// Pass runs one pass at the clock's now and returns the earliest next
// firing of any schedule (zero if none), so the caller can wake up for it.
func (s *Scheduler) Pass(ctx context.Context) (next time.Time, err error) {
	now := s.Clock.Now()
	ts, err := s.Tenants.List(ctx)
	if err != nil {
		s.Metrics.passErrors.Inc()
		return time.Time{}, err
	}
	var errs []error
	type unit struct {
		id     string
		scheds []schedule.Schedule
		err    error
	}
	var units []unit
	for _, t := range ts {
		scheds, problem := schedule.ForTenant(t)
		units = append(units, unit{t.ID, scheds, problem})
	}
	if s.Portfolios != nil {
		ps, err := s.Portfolios.ListPortfolios(ctx)
		if err != nil {
			// The tenants' reports still go out; the pass counts as failed.
			errs = append(errs, err)
		}
		for _, p := range ps {
			scheds, problem := schedule.ForPortfolio(p)
			units = append(units, unit{p.ID, scheds, problem})
		}
	}
	for _, u := range units {
		n, err := s.passUnit(ctx, u.id, u.scheds, u.err, now)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !n.IsZero() && (next.IsZero() || n.Before(next)) {
			next = n
		}
	}
	if err := s.repair(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		s.Metrics.passErrors.Inc()
		return next, err
	}
	s.mu.Lock()
	s.lastPass = s.Clock.Now()
	s.mu.Unlock()
	s.Metrics.lastPass.Set(float64(now.Unix()))
	return next, nil
}

// LastPass is when the last pass without errors ended.
func (s *Scheduler) LastPass() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastPass
}

// passUnit fires the due firings of one tenant's or portfolio's schedules
// (id is the tenant's or the portfolio's) and advances its cursor.
func (s *Scheduler) passUnit(ctx context.Context, id string, scheds []schedule.Schedule, problem error, now time.Time) (time.Time, error) {
	s.noteProblem(id, problem)
	var next time.Time
	for _, sc := range scheds {
		n, err := sc.Next(now)
		if err == nil && (next.IsZero() || n.Before(next)) {
			next = n
		}
	}
	cursor, ok, err := s.Store.cursor(ctx, id)
	if err != nil {
		return next, err
	}
	if !ok {
		// A tenant the scheduler never saw starts now: applying a tenant
		// does not send the reports of its past.
		s.Log.Info("tenant scheduled from now", "tenant", id, "schedules", len(scheds))
		return next, s.Store.advance(ctx, id, now)
	}
	if !now.After(cursor) {
		return next, nil
	}
	due := s.dueFirings(id, scheds, cursor, now)
	// Newest first: after downtime the current report matters most.
	sort.SliceStable(due, func(i, j int) bool { return due[i].At.After(due[j].At) })
	for _, f := range due {
		if err := s.fire(ctx, f, now); err != nil {
			// The cursor stays: the next pass tries these firings again,
			// and the records already written make that harmless.
			return next, err
		}
	}
	return next, s.Store.advance(ctx, id, now)
}

// dueFirings returns the firings in (cursor, now] within the catch-up
// window, and counts and logs the older ones.
func (s *Scheduler) dueFirings(tenantID string, scheds []schedule.Schedule, cursor, now time.Time) []schedule.Firing {
	oldest := now.Add(-s.Catchup)
	var due []schedule.Firing
	for _, sc := range scheds {
		from := cursor
		if from.Before(oldest) {
			old, more, err := sc.Between(from, oldest, tooOldCountLimit)
			if err == nil && len(old) > 0 {
				s.Metrics.skippedTooOld.Add(float64(len(old)))
				s.Log.Warn("missed firings older than the catch-up window not sent",
					"tenant", tenantID, "role", sc.Role, "cron", sc.Cron,
					"count", len(old), "count_is_lower_bound", more,
					"oldest", old[0].UTC(), "newest", old[len(old)-1].UTC(), "catchup", s.Catchup.String())
			}
			from = oldest
		}
		ats, _, err := sc.Between(from, now, 0)
		if err != nil {
			s.Log.Error("schedule firings", "tenant", tenantID, "role", sc.Role, "cron", sc.Cron, "err", err)
			continue
		}
		for _, at := range ats {
			f, err := sc.FiringAt(at)
			if err != nil {
				s.Log.Error("schedule period", "tenant", tenantID, "role", sc.Role, "cron", sc.Cron, "at", at, "err", err)
				continue
			}
			due = append(due, f)
		}
	}
	return due
}

// fire writes the firing's record and, if this pass created it, publishes
// the report due. A failed publish leaves the record pending for repair and
// is not an error of the pass.
func (s *Scheduler) fire(ctx context.Context, f schedule.Firing, now time.Time) error {
	created, err := s.Store.create(ctx, f, now, s.Lease, s.Owner)
	if err != nil {
		return err
	}
	log := s.Log.With("tenant", f.Schedule.TenantID, "role", f.Schedule.Role, "report_id", f.ReportID, "due_at", f.At)
	if !created {
		s.Metrics.alreadyWritten.Inc()
		return nil
	}
	if err := s.publish(ctx, f.Schedule.TenantID, f.ReportID, f.ReportDue()); err != nil {
		log.Warn("report due not published; a later pass republishes it", "err", err)
		return nil
	}
	s.Metrics.fired.Inc()
	if late := now.Sub(f.At); late > s.Late {
		s.Metrics.caughtUp.Inc()
		log.Info("report due caught up", "late", late.Round(time.Second).String())
	} else {
		log.Info("report due")
	}
	return nil
}

// publish sends a claimed record's report due and marks it published.
func (s *Scheduler) publish(ctx context.Context, tenantID, reportID string, due messages.ReportDue) error {
	if err := s.Publisher.Publish(ctx, messages.TopicReportDue, due); err != nil {
		s.Metrics.publishFailures.Inc()
		if rerr := s.Store.release(context.WithoutCancel(ctx), tenantID, reportID, s.Owner); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return err
	}
	// Published but not yet marked: a crash here makes a later pass publish
	// again. The mailer dedupes on the report id; a lost report due would
	// be worse than a doubled one.
	return s.Store.markPublished(context.WithoutCancel(ctx), tenantID, reportID, s.Clock.Now(), s.Owner)
}

// repair republishes records whose claim expired without a publish.
func (s *Scheduler) repair(ctx context.Context) error {
	now := s.Clock.Now()
	pending, err := s.Store.pending(ctx, now, pendingPerPass)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range pending {
		ok, err := s.Store.claim(ctx, p.TenantID, p.ReportID, now, s.Lease, s.Owner)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			continue // another replica took it
		}
		if err := s.publish(ctx, p.TenantID, p.ReportID, p.Due); err != nil {
			s.Log.Warn("report due not republished", "tenant", p.TenantID, "report_id", p.ReportID, "err", err)
			continue
		}
		s.Metrics.republished.Inc()
		s.Log.Info("report due republished", "tenant", p.TenantID, "role", p.Due.Role, "report_id", p.ReportID, "due_at", p.Due.DueAt)
	}
	return errors.Join(errs...)
}

// noteProblem logs a tenant's schedule problems once per change, not at
// every pass.
func (s *Scheduler) noteProblem(tenantID string, problem error) {
	text := ""
	if problem != nil {
		text = problem.Error()
	}
	s.mu.Lock()
	if s.problems == nil {
		s.problems = map[string]string{}
	}
	prev := s.problems[tenantID]
	s.problems[tenantID] = text
	s.mu.Unlock()
	if text != "" && text != prev {
		s.Metrics.invalidSchedules.Inc()
		s.Log.Error("schedules skipped", "tenant", tenantID, "err", problem)
	}
}

// metrics are the scheduler's Prometheus counters.
type metrics struct {
	fired, caughtUp, skippedTooOld, publishFailures, republished, alreadyWritten, passErrors, invalidSchedules prometheus.Counter
	lastPass                                                                                                   prometheus.Gauge
}

// NewMetrics registers the scheduler's metrics on reg (nil: none).
func NewMetrics(reg prometheus.Registerer) *metrics {
	// Full names, not built from parts: the template's alarms and
	// dashboard name them, and services/e2e/deploytest checks they agree.
	c := func(opts prometheus.CounterOpts) prometheus.Counter {
		ctr := prometheus.NewCounter(opts)
		if reg != nil {
			reg.MustRegister(ctr)
		}
		return ctr
	}
	m := &metrics{
		fired:            c(prometheus.CounterOpts{Name: "boardpack_scheduler_reports_fired_total", Help: "Report dues written and published by this replica."}),
		caughtUp:         c(prometheus.CounterOpts{Name: "boardpack_scheduler_reports_caught_up_total", Help: "Report dues published late (after downtime), included in fired."}),
		skippedTooOld:    c(prometheus.CounterOpts{Name: "boardpack_scheduler_reports_skipped_too_old_total", Help: "Missed firings older than the catch-up window, not sent."}),
		publishFailures:  c(prometheus.CounterOpts{Name: "boardpack_scheduler_publish_failures_total", Help: "Failed publishes of report dues (republished by a later pass)."}),
		republished:      c(prometheus.CounterOpts{Name: "boardpack_scheduler_reports_republished_total", Help: "Report dues republished after a crash or failed publish."}),
		alreadyWritten:   c(prometheus.CounterOpts{Name: "boardpack_scheduler_reports_already_written_total", Help: "Firings whose record another pass or replica had written."}),
		passErrors:       c(prometheus.CounterOpts{Name: "boardpack_scheduler_pass_errors_total", Help: "Passes that ended with an error."}),
		invalidSchedules: c(prometheus.CounterOpts{Name: "boardpack_scheduler_invalid_schedules_total", Help: "Times a tenant's schedules were found invalid."}),
	}
	m.lastPass = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "boardpack", Subsystem: "scheduler", Name: "last_pass_timestamp_seconds", Help: "Clock time of the last pass without errors."})
	if reg != nil {
		reg.MustRegister(m.lastPass)
	}
	return m
}

// NewStore returns the DynamoDB store of report records and cursors in
// table.
func NewStore(db dynamoAPI, table string) store { return store{db: db, table: table} }
