package main

import (
	"errors"
	"log/slog"
	"time"

	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/envconfig"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// config is everything the stripe-collector reads from the environment.
type config struct {
	Names resources.Names
	// HTTPAddr serves the webhook, /healthz, /readyz and /metrics.
	HTTPAddr string
	// TenantCacheTTL: an applied tenant change (a new webhook secret) is
	// seen within this time, without a restart.
	TenantCacheTTL time.Duration
	// SecretCacheTTL: how long an ssm: or secretsmanager: secret is kept
	// before it is read again (rotation without a restart).
	SecretCacheTTL time.Duration
	// PublishTimeout bounds publishing one webhook's metric events, retries
	// included; past it the webhook is answered 503 and Stripe retries.
	PublishTimeout time.Duration
	// ShutdownTimeout lets in-flight webhooks finish on SIGTERM.
	ShutdownTimeout time.Duration
	// Group sizes the group commit of metric events into SNS
	// PublishBatch requests (bus.GroupConfig: window, requests in flight,
	// the longest a webhook waits to be sent before it is answered 503).
	Group bus.GroupConfig
}

// renamed maps each setting to the deprecated name it replaced, still
// read (with a warning) when the new name is unset.
var renamed = map[string]string{
	"BOARDPACK_STRIPE_COLLECTOR_SECRET_CACHE_TTL": "BOARDPACK_SECRET_CACHE_TTL",
	"BOARDPACK_STRIPE_COLLECTOR_PUBLISH_TIMEOUT":  "BOARDPACK_PUBLISH_TIMEOUT",
}

// loadConfig reads the configuration, prints it, and returns every
// problem at once.
func loadConfig(log *slog.Logger) (config, error) {
	r := envconfig.Reader{Aliases: renamed}
	c := config{
		Names:           resources.NamesFromEnv(&r),
		HTTPAddr:        r.String("BOARDPACK_HTTP_ADDR", "127.0.0.1:8080"),
		TenantCacheTTL:  r.Duration("BOARDPACK_TENANT_CACHE_TTL", 10*time.Second),
		SecretCacheTTL:  r.Duration("BOARDPACK_STRIPE_COLLECTOR_SECRET_CACHE_TTL", time.Minute),
		PublishTimeout:  r.Duration("BOARDPACK_STRIPE_COLLECTOR_PUBLISH_TIMEOUT", 10*time.Second),
		ShutdownTimeout: r.Duration("BOARDPACK_SHUTDOWN_TIMEOUT", 15*time.Second),
		Group: bus.GroupConfig{
			Window:      r.Duration("BOARDPACK_STRIPE_COLLECTOR_GROUP_WINDOW", bus.DefaultGroupWindow),
			MaxInFlight: r.Int("BOARDPACK_STRIPE_COLLECTOR_GROUP_IN_FLIGHT", bus.DefaultGroupMaxInFlight),
			MaxWait:     r.Duration("BOARDPACK_STRIPE_COLLECTOR_QUEUE_WAIT", bus.DefaultGroupMaxWait),
		},
	}
	r.Log(log, "stripe-collector")
	if err := r.Err(); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// Validate returns every problem at once.
func (c config) Validate() error {
	var errs []error
	if c.Names.Table == "" {
		errs = append(errs, errors.New("BOARDPACK_TABLE: must not be empty"))
	}
	if c.HTTPAddr == "" {
		errs = append(errs, errors.New("BOARDPACK_HTTP_ADDR: must not be empty"))
	}
	if c.PublishTimeout < time.Second || c.PublishTimeout > 25*time.Second {
		// Stripe waits at most ~30 s for an answer.
		errs = append(errs, errors.New("BOARDPACK_STRIPE_COLLECTOR_PUBLISH_TIMEOUT: must be between 1s and 25s"))
	}
	if c.Group.Window < 0 || c.Group.Window > 100*time.Millisecond {
		errs = append(errs, errors.New("BOARDPACK_STRIPE_COLLECTOR_GROUP_WINDOW: must be between 0 and 100ms"))
	}
	if c.Group.MaxInFlight < 0 || c.Group.MaxInFlight > 64 {
		errs = append(errs, errors.New("BOARDPACK_STRIPE_COLLECTOR_GROUP_IN_FLIGHT: must be between 1 and 64"))
	}
	if c.Group.MaxWait < 0 || c.Group.MaxWait > c.PublishTimeout {
		errs = append(errs, errors.New("BOARDPACK_STRIPE_COLLECTOR_QUEUE_WAIT: must be between 0 and the publish timeout"))
	}
	return errors.Join(errs...)
}
