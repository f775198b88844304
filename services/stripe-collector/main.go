// Command stripe-collector receives Stripe webhooks, one URL per tenant
// (POST /webhooks/stripe/{tenant}), verifies them with that tenant's
// signing secrets, translates them into metric events (package stripemap)
// and publishes them on SNS metrics-v1, concurrent webhooks together in
// one PublishBatch (group commit). It answers 200 only once SNS accepted
// every one of its own metric events, 503 when it could not publish within
// the publish timeout or was not sent within the queue wait under overload
// (Stripe retries for three days; what was answered 503 for overload is
// never sent), and 4xx for anything invalid, in which case nothing is
// published:
//
//	404 unknown tenant
//	413 body over 1 MiB
//	400 missing or invalid signature (none of the tenant's secrets
//	    verifies; another tenant's secret never does), timestamp more than
//	    300 s in the past or the future, test-mode event for a live tenant
//	    or the reverse (unless stripe.allow_other_mode), API version older
//	    than 2020-03-02 (unless stripe.ignore_api_version_mismatch) or not
//	    in the tenant's stripe.api_versions (when set), or a body that is
//	    not a Stripe event
//
// Event types that yield no figure are answered 200 and counted
// (boardpack_stripe_webhooks_unhandled_total), never published.
//
// Configuration (environment, defaults for the local run):
//
//	BOARDPACK_HTTP_ADDR                          127.0.0.1:8080  webhook, /healthz, /readyz, /metrics
//	BOARDPACK_TENANT_CACHE_TTL                   10s             tenant changes seen without restart
//	BOARDPACK_STRIPE_COLLECTOR_SECRET_CACHE_TTL  1m              ssm:/secretsmanager: secrets re-read
//	BOARDPACK_STRIPE_COLLECTOR_PUBLISH_TIMEOUT   10s             publish bound before answering 503
//	BOARDPACK_STRIPE_COLLECTOR_GROUP_WINDOW      10ms            group commit: how long a batch waits for more webhooks
//	BOARDPACK_STRIPE_COLLECTOR_GROUP_IN_FLIGHT   2               group commit: PublishBatch requests in flight
//	BOARDPACK_STRIPE_COLLECTOR_QUEUE_WAIT        500ms           admission: longest wait to be sent before answering 503
//	BOARDPACK_SHUTDOWN_TIMEOUT                   15s             graceful shutdown
//	BOARDPACK_PREFIX, BOARDPACK_TABLE                            resource names (resources.NamesFromEnv)
//	BOARDPACK_LOG_LEVEL                          info
//
// Deprecated names, still read with a warning: BOARDPACK_SECRET_CACHE_TTL,
// BOARDPACK_PUBLISH_TIMEOUT.
//
// AWS is selected by the SDK's own variables (AWS_REGION, AWS_ENDPOINT_URL).
// Logs never contain secrets or request bodies.
//
// This package only wires; the webhook handler (verification, mapping,
// publishing, its metrics) is package internal/webhook.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/awsconf"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/httpserver"
	"github.com/boardpack/boardpack/services/internal/platform/lifecycle"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/internal/platform/tracing"

	"github.com/boardpack/boardpack/services/stripe-collector/internal/enrich"
	"github.com/boardpack/boardpack/services/stripe-collector/internal/webhook"
)

func main() { lifecycle.Main("stripe-collector", run) }

func run(ctx context.Context, log *slog.Logger) error {
	cfg, err := loadConfig(log)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	return serve(ctx, log, cfg, nil)
}

// serve runs the collector until ctx ends. ready, when set, receives the
// listening address once the server accepts connections (tests).
func serve(ctx context.Context, log *slog.Logger, cfg config, ready chan<- string) error {
	awsCfg, err := awsconf.Load(ctx)
	if err != nil {
		return err
	}
	account, err := resources.ResolveAccount(ctx, awsCfg)
	if err != nil {
		return err
	}
	pub, err := bus.NewPublisher(awsCfg, cfg.Names, account, bus.Logger(log))
	if err != nil {
		return err
	}
	defer pub.Close()
	// Webhooks publish through group commit (bus.GroupPublisher explains
	// the sizing); the enricher keeps its own publisher.
	group := bus.NewGroupPublisherFromConfig(awsCfg, cfg.Names, account, cfg.Group, bus.Logger(log))
	defer group.Close()

	store := tenants.Store{DB: dynamodb.NewFromConfig(awsCfg), Table: cfg.Names.Table}
	srv := httpserver.New(cfg.HTTPAddr, log)
	srv.AddReadyCheck("tenants_table", func(ctx context.Context) error {
		_, err := store.Get(ctx, "readyz-probe")
		if errors.Is(err, tenants.ErrNotFound) {
			return nil
		}
		return err
	})
	srv.Mux.Handle("POST /webhooks/stripe/{tenant}", tracing.HTTP("/webhooks/stripe/{tenant}", &webhook.Webhook{
		Tenants:        webhook.NewTenantLookup(store, cfg.TenantCacheTTL),
		Secrets:        tenants.NewSecretResolver(awsCfg, cfg.SecretCacheTTL),
		Publisher:      group,
		Log:            log,
		Metrics:        webhook.NewMetrics(srv.Registry),
		PublishTimeout: cfg.PublishTimeout,
	}))
	// Fees and net from balance transactions, off the webhook's path.
	go enrich.New(awsCfg, cfg.Names.Table, pub, log, srv.Registry).Run(ctx, enrich.Interval)
	listener, err := srv.Listen()
	if err != nil {
		return err
	}
	if ready != nil {
		ready <- listener.Addr().String()
	}
	runner := lifecycle.New(log)
	runner.Add(srv.Component(cfg.ShutdownTimeout))
	return runner.Run(ctx)
}
