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
	)
}
