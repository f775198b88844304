package webhook

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the webhook's Prometheus series, per tenant ("unknown" for
// requests to a tenant that does not exist).
type Metrics struct {
	accepted        *prometheus.CounterVec
	rejected        *prometheus.CounterVec
	duplicates      *prometheus.CounterVec
	unhandled       *prometheus.CounterVec
	publishFailures *prometheus.CounterVec
	facts           *prometheus.CounterVec
	versions        *prometheus.CounterVec
	latency         *prometheus.HistogramVec
}

// NewMetrics registers the webhook's series on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boardpack_stripe_webhooks_accepted_total",
			Help: "Webhooks answered 2xx (published, or a type that yields no figure).",
		}, []string{"tenant"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boardpack_stripe_webhooks_rejected_total",
			Help: "Webhooks refused, by reason (4xx, or 5xx when a dependency failed).",
		}, []string{"tenant", "reason"}),
		duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boardpack_stripe_webhooks_duplicates_total",
			Help: "Accepted webhooks whose Stripe event id this replica had accepted recently.",
		}, []string{"tenant"}),
		unhandled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boardpack_stripe_webhooks_unhandled_total",
			Help: "Verified webhooks of an event type that yields no metric (acknowledged, not published).",
		}, []string{"tenant"}),
		publishFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boardpack_stripe_publish_failures_total",
			Help: "Webhooks answered 503 because SNS did not accept their metric events in time.",
		}, []string{"tenant"}),
		facts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boardpack_stripe_metric_events_published_total",
			Help: "Metric events SNS accepted.",
		}, []string{"tenant"}),
		versions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boardpack_stripe_webhook_events_by_api_version_total",
			Help: "Verified webhook events by Stripe API version (\"other\" for a version older than the translator reads).",
		}, []string{"tenant", "api_version"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "boardpack_stripe_webhook_duration_seconds",
			Help:    "Time to answer a webhook, including the publish.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"code"}),
	}
	reg.MustRegister(m.accepted, m.rejected, m.duplicates, m.unhandled, m.publishFailures, m.facts, m.versions, m.latency)
	return m
}

func (m *Metrics) observe(tenant string, o outcome, d time.Duration) {
	if o.status < 300 {
		m.accepted.WithLabelValues(tenant).Inc()
	} else {
		m.rejected.WithLabelValues(tenant, o.reason).Inc()
	}
	m.latency.WithLabelValues(strconv.Itoa(o.status)).Observe(d.Seconds())
}
