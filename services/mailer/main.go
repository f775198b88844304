// Command mailer consumes `report due` events, builds each role's report
// (a tenant's, or a portfolio's over its members) from the read model, and sends one email per recipient through SES
// SendRawEmail; it consumes SES events (delivery, bounce, complaint) to
// track each send and suppress bad recipients, and serves the one-click
// unsubscribe endpoint. After a report's emails are sent it posts the
// report's Slack digest for owners (tenants or portfolios) that set
// slack.digests: true, once per report (digest.go).
//
// Settings (BOARDPACK_*, printed at start, the key masked):
//
//	BOARDPACK_HTTP_ADDR                  127.0.0.1:8083  /unsubscribe, /reports/{id}, /healthz, /readyz, /metrics
//	BOARDPACK_SENDER                     reports@boardpack.example.com  envelope sender (verified identity)
//	BOARDPACK_MAILER_PUBLIC_URL          http://127.0.0.1:8083  base of the unsubscribe links
//	BOARDPACK_MAILER_UNSUBSCRIBE_KEY     (development key)  HMAC key of unsubscribe links; required unless BOARDPACK_LOCAL=true
//	BOARDPACK_MAILER_UNSUBSCRIBE_TTL     2160h           how long a link stays valid
//	BOARDPACK_MAILER_VIEW_KEYS           (development key)  "kid1:secret1,kid2:secret2": HMAC keys of the View in browser links (/reports/{id}); the first signs, all verify; required unless BOARDPACK_LOCAL=true
//	BOARDPACK_MAILER_VIEW_TTL            2160h           how long a view link and its stored page last
//	BOARDPACK_MAILER_VISIBILITY_TIMEOUT  60s             of both queues; handlers finish within 3/4 of it
//	BOARDPACK_MAILER_WORKERS             2               report-due messages handled at once
//	BOARDPACK_MAILER_MAX_SEND_RATE       0               emails per second; 0 = SES GetSendQuota's rate
//	BOARDPACK_MAILER_SES_QUOTA_REFRESH   10m             how often the quota is read again
//	BOARDPACK_TENANT_CACHE_TTL           30s             tenant changes seen without restart
//	BOARDPACK_SLACK_ALLOWED_HOSTS        (none)          Slack webhook hosts besides hooks.slack.com, for digests (local: 127.0.0.1,localhost)
//	BOARDPACK_LOCAL                      false           a local run (make run, compose, tests)
//	BOARDPACK_PREFIX, BOARDPACK_TABLE, BOARDPACK_SES_CONFIGURATION_SET  resource names
//
// Deprecated names, still read with a warning: BOARDPACK_PUBLIC_URL,
// BOARDPACK_UNSUBSCRIBE_KEY, BOARDPACK_UNSUBSCRIBE_TTL,
// BOARDPACK_VISIBILITY_TIMEOUT, BOARDPACK_WORKERS, BOARDPACK_MAX_SEND_RATE,
// BOARDPACK_SES_QUOTA_REFRESH.
//
// On SIGTERM the mailer stops receiving and lets the sends in flight
// finish (each within the handler timeout) before it exits.
//
// This package wires; the work is package internal/mailer.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/awsconf"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/httpserver"
	"github.com/boardpack/boardpack/services/internal/platform/lifecycle"
	"github.com/boardpack/boardpack/services/internal/platform/readiness"
	"github.com/boardpack/boardpack/services/internal/platform/resources"

	"github.com/boardpack/boardpack/services/mailer/internal/mailer"
)

func main() { lifecycle.Main("mailer", run) }

// run starts the mailer and blocks until ctx ends.
func run(ctx context.Context, log *slog.Logger) error {
	cfg, err := loadConfig(log)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	awsCfg, err := awsconf.Load(ctx)
	if err != nil {
		return err
	}
	db := newDynamoClient(dynamodb.NewFromConfig(awsCfg))
	// SES throttling is retried by the sender (token bucket, jittered
	// backoff), not by the SDK, so that retries stay within the rate.
	sesc := newSESClient(ses.NewFromConfig(awsCfg, func(o *ses.Options) { o.RetryMaxAttempts = 1 }))
	store := delivery.Store{DB: db, Table: cfg.Names.Table}
	tenantStore := tenants.Store{DB: db, Table: cfg.Names.Table}
	srv := httpserver.New(cfg.HTTPAddr, log)
	m := mailer.New(mailer.Options{
		Tenants:          &tenants.Cache{Store: tenantStore, TTL: cfg.TenantCacheTTL},
		Portfolios:       &tenants.PortfolioCache{Store: tenantStore, TTL: cfg.TenantCacheTTL},
		Source:           readmodel.Store{DB: db, Table: cfg.Names.Table},
		Store:            store,
		Views:            delivery.Views{DB: db, Table: cfg.Names.Table},
		SES:              sesc,
		ConfigurationSet: cfg.Names.ConfigurationSet,
		MaxSendRate:      cfg.MaxSendRate,
		QuotaRefresh:     cfg.QuotaRefresh,
		Settings: mailer.Settings{
			Sender: cfg.Sender, PublicURL: cfg.PublicURL,
			UnsubscribeKey: cfg.UnsubscribeKey, UnsubscribeTTL: cfg.UnsubscribeTTL,
			ViewKeys: cfg.ViewKeys, ViewTTL: cfg.ViewTTL,
		},
		Log:      log,
		ClaimTTL: cfg.VisibilityTimeout,
		// Handlers finish well inside the visibility timeout, so a message
		// is never redelivered while its handler still runs.
		Timeout: cfg.VisibilityTimeout * 3 / 4,
		// Slack digests for owners with slack.digests: true.
		Digest: newDigest(awsCfg, db, cfg, log, srv.Registry),
	})
	events := mailer.NewSESEvents(store, log, cfg.UnsubscribeKey)

	wlog := bus.Logger(log)
	handlerTimeout := cfg.VisibilityTimeout * 3 / 4
	router, err := bus.NewRouter(wlog, handlerTimeout)
	if err != nil {
		return err
	}
	dueSub, err := bus.NewSubscriber(awsCfg, bus.SubscriberConfig{Queue: cfg.Names.Queue(resources.QueueMailerReportDue), Workers: cfg.Workers, BatchSize: 1}, wlog)
	if err != nil {
		return err
	}
	// The batch subscriber: one bad SES event never costs its neighbours a
	// receive (security finding 7).
	evSub := mailer.SESEventsSubscriber(awsCfg, cfg.Names.Queue(resources.QueueMailerSESEvents), wlog)
	router.AddConsumerHandler("send_report", cfg.Names.Queue(resources.QueueMailerReportDue), dueSub, m.HandleReportDue)
	router.AddConsumerHandler("ses_events", cfg.Names.Queue(resources.QueueMailerSESEvents), evSub, events.Handle)

	sqsc := newSQSClient(sqs.NewFromConfig(awsCfg))
	srv.AddReadyCheck("table", readiness.Table(db, cfg.Names.Table))
	srv.AddReadyCheck("report_due_queue", readiness.Queue(sqsc, cfg.Names.Queue(resources.QueueMailerReportDue)))
	srv.AddReadyCheck("ses_events_queue", readiness.Queue(sqsc, cfg.Names.Queue(resources.QueueMailerSESEvents)))
	srv.Mux.HandleFunc("POST /unsubscribe", mailer.UnsubscribeHandler([]byte(cfg.UnsubscribeKey), store, time.Now, log))
	srv.Mux.HandleFunc("GET /unsubscribe", mailer.UnsubscribeConfirm([]byte(cfg.UnsubscribeKey), time.Now))
	srv.Mux.HandleFunc("GET /reports/{id}", mailer.ViewHandler(cfg.ViewKeys, delivery.Views{DB: db, Table: cfg.Names.Table}, time.Now, log))
	mailer.RegisterMetrics(srv, m)

	// On shutdown the router drains: it stops receiving and lets the
	// sends in flight finish (each bounded by the handler timeout) rather
	// than cutting them between SES accepting an email and its record.
	runner := lifecycle.New(log)
	runner.Add(srv.Component(10 * time.Second))
	runner.Add(bus.RouterComponent("router", router, handlerTimeout+5*time.Second))
	// Start-up (the SDK's schemas, the clients) leaves MiB of garbage whose
	// pages the runtime would hand back only slowly: collect and return
	// them, beside the start rather than before it (P6's idle RSS).
	go debug.FreeOSMemory()
	return runner.Run(ctx)
}
