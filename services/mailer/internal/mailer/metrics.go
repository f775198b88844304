package mailer

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/boardpack/boardpack/services/internal/platform/httpserver"
)

// Outcomes of an email, the outcome label of boardpack_mailer_emails_total.
// A blocked send counts under its block's status: suppressed (a hard
// bounce or complaint earlier) or unsubscribed.
const (
	OutcomeSent       = "sent"       // SES accepted it
	OutcomeRejected   = "rejected"   // refused for good: invalid, SES rejected, From not allowed
	OutcomeFailed     = "failed"     // SES failed for now (sending paused, no answer); retried through the queue
	OutcomeBounced    = "bounced"    // a hard bounce reported by SES (soft ones SES retries itself)
	OutcomeComplained = "complained" // a complaint reported by SES
)

// emails counts report emails (a recipient's, or a data-health notice;
// not audit or test copies) per tenant and outcome. The tenant label is
// the sender's id: a tenant's, or a portfolio's for its reports. Bounces
// and complaints count once per SES event, for the sends this mailer
// recorded. It is process-wide like awsconf.Requests, so the report-due
// handler and the SES-events consumer count into one family.
var emails = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "boardpack_mailer_emails_total",
	Help: "Report emails by tenant and outcome (sent, rejected, failed, bounced, complained, suppressed, unsubscribed).",
}, []string{"tenant", "outcome"})

func countEmail(tenant, outcome string) { emails.WithLabelValues(tenant, outcome).Inc() }

// RegisterMetrics adds the per-tenant email outcomes, the send rate and
// throttle counts to srv's /metrics.
func RegisterMetrics(srv *httpserver.Server, m *Mailer) {
	srv.Registry.MustRegister(
		emails,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "boardpack_mailer_send_rate_limit", Help: "Emails per second allowed (SES max send rate)."},
			m.sender.Rate),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "boardpack_mailer_ses_throttles_total", Help: "SES throttling errors seen."},
			func() float64 { m.sender.mu.Lock(); defer m.sender.mu.Unlock(); return float64(m.sender.Throttles) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "boardpack_mailer_pdf_failures_total", Help: "Reports sent without their PDF because it could not be rendered."},
			func() float64 { return float64(m.counters.pdfFailures.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "boardpack_mailer_attachments_dropped_total", Help: "Attachments left out because the email would exceed SES's 10 MB limit."},
			func() float64 { return float64(m.counters.attachmentsDropped.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "boardpack_mailer_view_failures_total", Help: "Reports sent without a View in browser link because their view could not be stored."},
			func() float64 { return float64(m.counters.viewFailures.Load()) }),
	)
}
