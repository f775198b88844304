// Package collector runs the aws-collector's passes: for every tenant
// that configures AWS it observes the account (Observe calls the
// collectors in packages lambda, cost, cloudfront, s3 and route53),
// translates what it saw into metric events and findings (packages
// translate and checks), reconciles findings with those already open, and
// publishes the result on metrics-v1. One tenant's failure never stops
// the others.
package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/aws-collector/internal/checks"
	"github.com/boardpack/boardpack/services/aws-collector/internal/observation"
	"github.com/boardpack/boardpack/services/aws-collector/internal/translate"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// What the service needs, declared here where it is used.
type (
	tenantLister interface {
		List(ctx context.Context) ([]tenants.Tenant, error)
	}
	accountSource interface {
		For(ctx context.Context, t tenants.Tenant) (Account, []string, error)
	}
	publisher interface {
		Publish(ctx context.Context, topic string, events ...messages.Event) error
	}
	// findingLedger is the read model's record of findings, so a restarted
	// collector still knows which findings are open and resolves them.
	findingLedger interface {
		Findings(ctx context.Context, tenantID string, until time.Time) ([]messages.Finding, error)
	}
)

// Service collects every AWS-configured tenant and publishes the results.
type Service struct {
	Tenants   tenantLister
	Accounts  accountSource
	Publisher publisher
	// Ledger may be nil: then only this process's memory says which
	// findings are open.
	Ledger findingLedger
	Log    *slog.Logger
	Checks checks.Checks
	// LookbackDays of CloudWatch figures (today included).
	LookbackDays int
	// CostInterval spaces Cost Explorer reads (each request is billed);
	// zero reads cost on every pass.
	CostInterval time.Duration
	// Concurrency is how many tenants are collected at once.
	Concurrency int
	// PublishBatch is how many events one Publish call carries.
	PublishBatch int
	Now          func() time.Time
	Metrics      *Metrics

	mu       sync.Mutex
	findings map[string][]messages.Finding // tenant → observations published by this process
	costAt   map[string]time.Time          // tenant → last successful cost read
}

// TenantResult is one tenant's outcome of a pass.
type TenantResult struct {
	TenantID string
	Events   int
	Findings int
	Open     int
	Duration time.Duration
	// Notes say what could not be observed without it being a failure.
	Notes []string
	Err   error
}

// Pass collects every tenant that configures AWS once. One tenant's
// failure never stops the others; it is in its result.
func (s *Service) Pass(ctx context.Context) ([]TenantResult, error) {
	all, err := s.Tenants.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	var list []tenants.Tenant
	for _, t := range all {
		if t.AWS != nil {
			list = append(list, t)
		}
	}
	results := make([]TenantResult, len(list))
	sem := make(chan struct{}, max(1, s.Concurrency))
	var wg sync.WaitGroup
	for i, t := range list {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = s.collectTenant(ctx, t)
		}()
	}
	wg.Wait()
	for _, r := range results {
		s.Metrics.observe(r)
		if r.Err != nil {
			s.Log.Error("tenant collection failed", "tenant", r.TenantID, "err", r.Err, "events", r.Events, "findings", r.Findings)
		} else {
			s.Log.Info("tenant collected", "tenant", r.TenantID, "events", r.Events, "findings", r.Findings,
				"open_findings", r.Open, "duration", r.Duration.String(), "notes", r.Notes)
		}
	}
	return results, nil
}

// collectTenant observes one tenant, publishes what it saw (even when a
// section failed) and reports every failure.
func (s *Service) collectTenant(ctx context.Context, t tenants.Tenant) (res TenantResult) {
	start := time.Now()
	res.TenantID = t.ID
	defer func() { res.Duration = time.Since(start) }()
	acct, regions, err := s.Accounts.For(ctx, t)
	if err != nil {
		res.Err = err
		return res
	}
	at := s.now().UTC()
	wantCost := s.costDue(t.ID, at)
	obs, collectErr := Observe(ctx, acct, t.ID, Options{
		Regions: regions, At: at, LookbackDays: s.LookbackDays, Cost: wantCost,
	})
	res.Notes = obs.Notes

	events := translate.Events(obs)
	current := checks.Findings(obs, s.Checks)
	res.Open = len(current)
	prior, ledgerErr := s.priorFindings(ctx, t.ID, at)
	changes := checks.Reconcile(current, prior, obs.Covered, at)

	var errs []error
	if collectErr != nil {
		errs = append(errs, collectErr)
	}
	if ledgerErr != nil {
		errs = append(errs, ledgerErr)
	}
	n, err := s.publish(ctx, asEvents(events))
	res.Events = n
	if err != nil {
		errs = append(errs, err)
	}
	if err == nil {
		if obs.Covered[observation.ScopeCost] {
			s.costDone(t.ID, at)
		}
		if _, err := s.publish(ctx, asEvents(changes)); err != nil {
			errs = append(errs, err)
		} else {
			res.Findings = len(changes)
			s.remember(t.ID, changes)
		}
	}
	res.Err = errors.Join(errs...)
	return res
}

func asEvents[T messages.Event](xs []T) []messages.Event {
	out := make([]messages.Event, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// publish sends events in batches and returns how many SNS accepted.
func (s *Service) publish(ctx context.Context, evs []messages.Event) (int, error) {
	batch := max(1, s.PublishBatch)
	sent := 0
	for lo := 0; lo < len(evs); lo += batch {
		chunk := evs[lo:min(lo+batch, len(evs))]
		if err := s.Publisher.Publish(ctx, messages.TopicMetrics, chunk...); err != nil {
			return sent, fmt.Errorf("publish: %w", err)
		}
		sent += len(chunk)
	}
	return sent, nil
}

// priorFindings merges the read model's findings with those this process
// published (the aggregator may not have stored them yet).
func (s *Service) priorFindings(ctx context.Context, tenantID string, at time.Time) ([]messages.Finding, error) {
	s.mu.Lock()
	prior := append([]messages.Finding(nil), s.findings[tenantID]...)
	s.mu.Unlock()
	if s.Ledger == nil {
		return prior, nil
	}
	stored, err := s.Ledger.Findings(ctx, tenantID, at.Add(time.Second))
	if err != nil {
		// Without the ledger a restarted collector could miss resolutions,
		// but it can still publish what it sees.
		return prior, fmt.Errorf("read open findings: %w", err)
	}
	return append(prior, stored...), nil
}

// remember keeps the latest published observation per finding.
func (s *Service) remember(tenantID string, published []messages.Finding) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.findings == nil {
		s.findings = map[string][]messages.Finding{}
	}
	latest := map[string]messages.Finding{}
	for _, f := range append(s.findings[tenantID], published...) {
		if cur, ok := latest[f.FindingID]; !ok || !f.OccurredAt.Before(cur.OccurredAt) {
			latest[f.FindingID] = f
		}
	}
	keep := make([]messages.Finding, 0, len(latest))
	for _, f := range latest {
		keep = append(keep, f)
	}
	sort.Slice(keep, func(i, j int) bool { return keep[i].FindingID < keep[j].FindingID })
	s.findings[tenantID] = keep
}

func (s *Service) costDue(tenantID string, at time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	last, ok := s.costAt[tenantID]
	return !ok || s.CostInterval <= 0 || at.Sub(last) >= s.CostInterval
}

func (s *Service) costDone(tenantID string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.costAt == nil {
		s.costAt = map[string]time.Time{}
	}
	s.costAt[tenantID] = at
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Loop runs a pass now and then every interval until ctx ends.
func (s *Service) Loop(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.Metrics.passStarted()
		start := time.Now()
		if _, err := s.Pass(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error("pass failed", "err", err)
			s.Metrics.passFailed()
		}
		s.Metrics.passDone(time.Since(start))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Metrics are the collector's Prometheus metrics. A nil
// *Metrics records nothing (tests, -once).
type Metrics struct {
	passes       prometheus.Counter
	passFailures prometheus.Counter
	passDuration prometheus.Histogram
	lastPass     prometheus.Gauge
	tenantRuns   *prometheus.CounterVec
	events       *prometheus.CounterVec
	findings     *prometheus.CounterVec
}

// NewMetrics registers the collector's metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		passes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "boardpack_aws_collector_passes_total", Help: "Collection passes started."}),
		passFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "boardpack_aws_collector_pass_failures_total", Help: "Passes that could not list tenants."}),
		passDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "boardpack_aws_collector_pass_duration_seconds", Help: "Duration of a pass over all tenants.",
			Buckets: prometheus.ExponentialBuckets(0.5, 2, 12)}),
		lastPass: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "boardpack_aws_collector_last_pass_timestamp_seconds", Help: "End of the latest pass."}),
		tenantRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boardpack_aws_collector_tenant_collections_total", Help: "Tenant collections by outcome (ok, failed)."},
			[]string{"tenant", "outcome"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boardpack_aws_collector_events_published_total", Help: "Metric events published."}, []string{"tenant"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boardpack_aws_collector_findings_published_total", Help: "Finding observations published (opened, changed, resolved)."},
			[]string{"tenant"}),
	}
	reg.MustRegister(m.passes, m.passFailures, m.passDuration, m.lastPass, m.tenantRuns, m.events, m.findings)
	return m
}

func (m *Metrics) passStarted() {
	if m != nil {
		m.passes.Inc()
	}
}

func (m *Metrics) passFailed() {
	if m != nil {
		m.passFailures.Inc()
	}
}

func (m *Metrics) passDone(d time.Duration) {
	if m != nil {
		m.passDuration.Observe(d.Seconds())
		m.lastPass.SetToCurrentTime()
	}
}

func (m *Metrics) observe(r TenantResult) {
	if m == nil {
		return
	}
	outcome := "ok"
	if r.Err != nil {
		outcome = "failed"
	}
	m.tenantRuns.WithLabelValues(r.TenantID, outcome).Inc()
	m.events.WithLabelValues(r.TenantID).Add(float64(r.Events))
	m.findings.WithLabelValues(r.TenantID).Add(float64(r.Findings))
}
