package mailer

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/boardpack/boardpack/services/internal/platform/httpserver"
)

// RegisterMetrics adds the send rate and throttle counts to srv's /metrics.
func RegisterMetrics(srv *httpserver.Server, m *Mailer) {
	srv.Registry.MustRegister(
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
