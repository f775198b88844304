package main

import (
	"errors"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/envconfig"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// config is everything the alerter reads from the environment.
type config struct {
	Names resources.Names
	// HTTPAddr serves /healthz, /readyz, /metrics and the one-click
	// unsubscribe POST /alerts/unsubscribe.
	HTTPAddr string
	// Sender is the verified envelope sender (SES Source).
	Sender string
	// PublicURL is where recipients reach /alerts/unsubscribe.
	PublicURL string
	// ReportViewURL is the base of the report view linked from alerts
	// ({base}/{tenant}); empty: no link.
	ReportViewURL  string
	UnsubscribeKey string
	UnsubscribeTTL time.Duration
	// SlackAllowedHosts are webhook hosts accepted besides hooks.slack.com.
	SlackAllowedHosts []string
	Workers           int
	// ReceiveLinger is how long a receive loop waits after a partial
	// batch before receiving again (bus.SubscriberConfig.Linger).
	ReceiveLinger time.Duration
	// VisibilityTimeout of the queue: handlers and send claims stay inside it.
	VisibilityTimeout time.Duration
	HandlerTimeout    time.Duration
	// Tick is how often aggregate rules are re-evaluated and episodes
	// closed, repeated or released from quiet hours.
	Tick time.Duration
	// Debounce spaces fact-driven evaluations of one aggregate rule.
	Debounce       time.Duration
	TenantCacheTTL time.Duration
	// Local is true in the local run: only then is the built-in
	// development unsubscribe key accepted.
	Local bool
}

// devUnsubscribeKey is public (it is in this file): refused unless
// BOARDPACK_LOCAL=true, as the mailer's.
const devUnsubscribeKey = "local-dev-unsubscribe-key-change-me"

func loadConfig(log *slog.Logger) (config, error) {
	var r envconfig.Reader
	c := config{
		Names:             resources.NamesFromEnv(&r),
		HTTPAddr:          r.String("BOARDPACK_HTTP_ADDR", "127.0.0.1:8085"),
		Sender:            r.String("BOARDPACK_SENDER", "reports@boardpack.example.com"),
		PublicURL:         strings.TrimRight(r.String("BOARDPACK_ALERTER_PUBLIC_URL", "http://127.0.0.1:8085"), "/"),
		ReportViewURL:     strings.TrimRight(r.String("BOARDPACK_ALERTER_REPORT_VIEW_URL", ""), "/"),
		UnsubscribeKey:    r.Secret("BOARDPACK_ALERTER_UNSUBSCRIBE_KEY", devUnsubscribeKey),
		UnsubscribeTTL:    r.Duration("BOARDPACK_ALERTER_UNSUBSCRIBE_TTL", 90*24*time.Hour),
		SlackAllowedHosts: r.List("BOARDPACK_SLACK_ALLOWED_HOSTS", ""),
		Workers:           r.Int("BOARDPACK_ALERTER_WORKERS", bus.DefaultReceiveWorkers),
		ReceiveLinger:     r.Duration("BOARDPACK_ALERTER_RECEIVE_LINGER", bus.DefaultReceiveLinger),
		VisibilityTimeout: r.Duration("BOARDPACK_ALERTER_VISIBILITY_TIMEOUT", 60*time.Second),
		Tick:              r.Duration("BOARDPACK_ALERTER_TICK", 30*time.Second),
		Debounce:          r.Duration("BOARDPACK_ALERTER_DEBOUNCE", 5*time.Second),
		TenantCacheTTL:    r.Duration("BOARDPACK_TENANT_CACHE_TTL", 30*time.Second),
		Local:             r.Bool("BOARDPACK_LOCAL", false),
	}
	// A third of the visibility timeout by default: retries and the
	// deliveries after the state write fit well inside it.
	c.HandlerTimeout = r.Duration("BOARDPACK_ALERTER_HANDLER_TIMEOUT", c.VisibilityTimeout/3)
	for i, h := range c.SlackAllowedHosts {
		c.SlackAllowedHosts[i] = strings.ToLower(strings.TrimSpace(h))
	}
	if err := errors.Join(r.Err(), c.validate()); err != nil {
		return c, err
	}
	r.Log(log, "alerter")
	return c, nil
}

// validate returns every problem at once.
func (c config) validate() error {
	var errs []error
	if c.Names.Table == "" {
		errs = append(errs, errors.New("BOARDPACK_TABLE: must not be empty"))
	}
	if a, err := mail.ParseAddress(c.Sender); err != nil || strings.ContainsAny(c.Sender, "\r\n") || a.Name != "" {
		errs = append(errs, errors.New("BOARDPACK_SENDER: must be a bare email address of a verified SES identity"))
	}
	if !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		errs = append(errs, errors.New("BOARDPACK_ALERTER_PUBLIC_URL: must start with http:// or https://"))
	}
	if len(c.UnsubscribeKey) < 16 {
		errs = append(errs, errors.New("BOARDPACK_ALERTER_UNSUBSCRIBE_KEY: at least 16 characters"))
	}
	if c.UnsubscribeKey == devUnsubscribeKey && !c.Local {
		errs = append(errs, errors.New("BOARDPACK_ALERTER_UNSUBSCRIBE_KEY: must be set: the built-in development key is public and accepted only in the local run (BOARDPACK_LOCAL=true)"))
	}
	if c.Workers < 1 || c.Workers > 64 {
		errs = append(errs, errors.New("BOARDPACK_ALERTER_WORKERS: between 1 and 64"))
	}
	if c.ReceiveLinger < 0 || c.ReceiveLinger > time.Second {
		errs = append(errs, errors.New("BOARDPACK_ALERTER_RECEIVE_LINGER: between 0 and 1s"))
	}
	if c.VisibilityTimeout < 10*time.Second {
		errs = append(errs, errors.New("BOARDPACK_ALERTER_VISIBILITY_TIMEOUT: at least 10s"))
	}
	if c.HandlerTimeout < time.Second || c.HandlerTimeout >= c.VisibilityTimeout {
		errs = append(errs, errors.New("BOARDPACK_ALERTER_HANDLER_TIMEOUT: at least 1s and less than BOARDPACK_ALERTER_VISIBILITY_TIMEOUT"))
	}
	if c.Debounce < 0 || c.Debounce > c.Tick {
		errs = append(errs, errors.New("BOARDPACK_ALERTER_DEBOUNCE: between 0 and BOARDPACK_ALERTER_TICK"))
	}
	if c.Tick < time.Second {
		errs = append(errs, errors.New("BOARDPACK_ALERTER_TICK: at least 1s"))
	}
	return errors.Join(errs...)
}
