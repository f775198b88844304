// Command mailer consumes `report due` events, builds each role's report
// from the read model, and sends one email per recipient through SES
// SendRawEmail; it consumes SES events (delivery, bounce, complaint) to
// track each send and suppress bad recipients, and serves the one-click
// unsubscribe endpoint.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"golang.org/x/sync/errgroup"

	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/awsconf"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/envconfig"
	"github.com/boardpack/boardpack/services/internal/platform/httpserver"
	"github.com/boardpack/boardpack/services/internal/platform/logging"
	"github.com/boardpack/boardpack/services/internal/platform/readiness"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

func main() { logging.Main("mailer", run) }

// run starts the mailer and blocks until ctx ends.
func run(ctx context.Context, log *slog.Logger) error {
	var r envconfig.Reader
	cfg, err := LoadConfig(&r)
	r.Log(log, "mailer")
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	awsCfg, err := awsconf.Load(ctx)
	if err != nil {
		return err
	}
	db := dynamodb.NewFromConfig(awsCfg)
	// SES throttling is retried by the sender (token bucket, jittered
	// backoff), not by the SDK, so that retries stay within the rate.
	sesc := ses.NewFromConfig(awsCfg, func(o *ses.Options) { o.RetryMaxAttempts = 1 })
	store := delivery.Store{DB: db, Table: cfg.Names.Table}
	m := &mailer{
		tenants:  &tenants.Cache{Store: tenants.Store{DB: db, Table: cfg.Names.Table}, TTL: cfg.TenantCacheTTL},
		source:   readmodel.Store{DB: db, Table: cfg.Names.Table},
		store:    store,
		sender:   newSender(sesc, cfg.Sender, cfg.Names.ConfigurationSet, cfg.MaxSendRate, cfg.QuotaRefresh),
		cfg:      cfg,
		log:      log,
		now:      time.Now,
		claimTTL: cfg.VisibilityTimeout,
	}
	events := &sesEvents{store: store, log: log}

	wlog := bus.Logger(log)
	// Handlers finish well inside the visibility timeout, so a message is
	// never redelivered while its handler still runs.
	router, err := bus.NewRouter(wlog, cfg.VisibilityTimeout*3/4)
	if err != nil {
		return err
	}
	dueSub, err := bus.NewSubscriber(awsCfg, bus.SubscriberConfig{Queue: cfg.Names.Queue(resources.QueueMailerReportDue), Workers: cfg.Workers, BatchSize: 1}, wlog)
	if err != nil {
		return err
	}
	evSub, err := bus.NewSubscriber(awsCfg, bus.SubscriberConfig{Queue: cfg.Names.Queue(resources.QueueMailerSESEvents), Workers: 1}, wlog)
	if err != nil {
		return err
	}
	router.AddConsumerHandler("send_report", cfg.Names.Queue(resources.QueueMailerReportDue), dueSub, m.handleReportDue)
	router.AddConsumerHandler("ses_events", cfg.Names.Queue(resources.QueueMailerSESEvents), evSub, events.handle)

	srv := httpserver.New(cfg.HTTPAddr, log)
	sqsc := sqs.NewFromConfig(awsCfg)
	srv.AddReadyCheck("table", readiness.Table(db, cfg.Names.Table))
	srv.AddReadyCheck("report_due_queue", readiness.Queue(sqsc, cfg.Names.Queue(resources.QueueMailerReportDue)))
	srv.AddReadyCheck("ses_events_queue", readiness.Queue(sqsc, cfg.Names.Queue(resources.QueueMailerSESEvents)))
	srv.Mux.HandleFunc("POST /unsubscribe", unsubscribeHandler([]byte(cfg.UnsubscribeKey), store, time.Now, log))
	srv.Mux.HandleFunc("GET /unsubscribe", unsubscribeConfirm([]byte(cfg.UnsubscribeKey), time.Now))
	registerMetrics(srv, m)
	l, err := srv.Listen()
	if err != nil {
		return err
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Serve(gctx, l, 10*time.Second) })
	g.Go(func() error {
		if err := router.Run(gctx); err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("router: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		return router.Close()
	})
	return g.Wait()
}
