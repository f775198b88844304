package main

import "github.com/prometheus/client_golang/prometheus"

// metrics are the alerter's Prometheus series.
type metrics struct {
	facts         *prometheus.CounterVec
	notifications *prometheus.CounterVec
	sent          *prometheus.CounterVec
	deadWebhooks  prometheus.Counter
	ticks         *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		facts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boardpack_alerter_facts_total", Help: "Facts and findings handled, by result (ok, unknown_tenant, rejected, retry).",
		}, []string{"result"}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boardpack_alerter_notifications_total", Help: "Notifications created by episodes, by kind (firing, repeat, resolved).",
		}, []string{"kind"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boardpack_alerter_messages_sent_total", Help: "Alert messages sent, by channel (email, slack).",
		}, []string{"channel"}),
		deadWebhooks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "boardpack_alerter_dead_webhooks_total", Help: "Slack webhooks found gone (404/410), each counted once.",
		}),
		ticks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boardpack_alerter_ticks_total", Help: "Evaluation passes over every tenant, by result.",
		}, []string{"result"}),
	}
	reg.MustRegister(m.facts, m.notifications, m.sent, m.deadWebhooks, m.ticks)
	return m
}
