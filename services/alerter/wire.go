package main

import (
	"context"
	"log/slog"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/boardpack/boardpack/services/alerter/engine"
	"github.com/boardpack/boardpack/services/internal/domain/alerting"
	"github.com/boardpack/boardpack/services/internal/domain/alerting/episodes"
	"github.com/boardpack/boardpack/services/internal/domain/alerting/notify"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// newEngine builds the engine and its notifier from the SDK clients.
func newEngine(awsCfg aws.Config, db *dynamodb.Client, cfg config, m *metrics, log *slog.Logger) (*engine.Engine, delivery.Store) {
	table := cfg.Names.Table
	sends := delivery.Store{DB: db, Table: table}
	states := episodes.Store{DB: db, Table: table}
	tstore := tenants.Store{DB: db, Table: table}
	slack := notify.NewSlack()
	// A post (Retry-After waits included) must end well inside its claim.
	slack.MaxWait = cfg.VisibilityTimeout / 4
	n := &notify.Notifier{
		Sends: sends, Dead: states, SES: ses.NewFromConfig(awsCfg), Slack: slack,
		Secrets: tenants.NewSecretResolver(awsCfg, 5*time.Minute),
		Sender:  cfg.Sender, ConfigurationSet: cfg.Names.ConfigurationSet, AllowedHosts: cfg.SlackAllowedHosts,
		PublicURL: cfg.PublicURL, UnsubscribeKey: []byte(cfg.UnsubscribeKey), UnsubscribeTTL: cfg.UnsubscribeTTL,
		Addr:     delivery.NewAddrHasher([]byte(cfg.UnsubscribeKey)),
		ClaimTTL: cfg.VisibilityTimeout, Log: log,
		OnDeadWebhook: func(string) { m.deadWebhooks.Inc() },
		OnSent:        func(channel string, _ alerting.Notification) { m.sent.WithLabelValues(channel).Inc() },
	}
	if base := cfg.ReportViewURL; base != "" {
		n.ReportLink = func(t tenants.Tenant, _ alerting.Compiled) string { return base + "/" + url.PathEscape(t.ID) }
	}
	eng := &engine.Engine{
		Tenants:    engine.CachedTenants{Cache: &tenants.Cache{Store: tstore, TTL: cfg.TenantCacheTTL}, Store: tstore},
		Portfolios: &engine.PortfolioList{Store: tstore, TTL: cfg.TenantCacheTTL},
		States:     states,
		Reader:     engine.ReadModel{Source: readmodel.Store{DB: db, Table: table}},
		Notify:     n, Log: log,
		OnNotification: func(kind string) { m.notifications.WithLabelValues(kind).Inc() },
		Debounce:       cfg.Debounce,
	}
	return eng, sends
}

// tickLoop runs the engine's periodic pass until ctx ends.
func tickLoop(ctx context.Context, eng *engine.Engine, every time.Duration, m *metrics, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pass, cancel := context.WithTimeout(ctx, every)
		err := eng.Tick(pass)
		cancel()
		if err != nil {
			m.ticks.WithLabelValues("error").Inc()
			log.Warn("alert tick", "err", err)
			continue
		}
		m.ticks.WithLabelValues("ok").Inc()
	}
}
