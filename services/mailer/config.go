package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/boardpack/boardpack/services/internal/platform/envconfig"
	"github.com/boardpack/boardpack/services/internal/platform/resources"

	"github.com/boardpack/boardpack/services/mailer/internal/mailer"
)

// Config is the mailer's configuration, read from BOARDPACK_* variables.
type Config struct {
	Names resources.Names
	// Sender is the verified envelope sender (SES Source).
	Sender   string
	HTTPAddr string
	// PublicURL is where recipients reach the one-click unsubscribe
	// endpoint (https in production).
	PublicURL string
	// UnsubscribeKey signs unsubscribe tokens (HMAC-SHA256).
	UnsubscribeKey string
	// UnsubscribeTTL is how long an unsubscribe link stays valid.
	UnsubscribeTTL time.Duration
	// ViewKeys sign the view-in-browser links ("kid:secret,..."; the
	// first signs, all verify).
	ViewKeys mailer.ViewKeys
	// ViewTTL is how long a view link and its stored page last.
	ViewTTL time.Duration
	// VisibilityTimeout of the mailer's queues: claims expire within it and
	// handlers finish inside it.
	VisibilityTimeout time.Duration
	Workers           int
	// MaxSendRate caps emails per second; 0 means GetSendQuota's rate.
	MaxSendRate float64
	// QuotaRefresh is how often GetSendQuota is read again.
	QuotaRefresh   time.Duration
	TenantCacheTTL time.Duration
	// SlackAllowedHosts are Slack webhook hosts accepted besides
	// hooks.slack.com (digests; the alerter reads the same setting).
	SlackAllowedHosts []string
	// Local is true in the local run (make run, compose, tests): only then
	// is the built-in development unsubscribe key accepted.
	Local bool
}

// devUnsubscribeKey is the default unsubscribe key. It is public (it is in
// this file), so anyone could forge unsubscribe links signed with it:
// Validate refuses it unless BOARDPACK_LOCAL=true.
const devUnsubscribeKey = "local-dev-unsubscribe-key-change-me"

// devViewKeys are the default view-link keys: public like
// devUnsubscribeKey, accepted only in the local run.
const devViewKeys = "dev:local-dev-view-key-change-me-0123456789"

// renamed maps each setting to the deprecated name it replaced, still
// read (with a warning) when the new name is unset.
var renamed = map[string]string{
	"BOARDPACK_MAILER_PUBLIC_URL":         "BOARDPACK_PUBLIC_URL",
	"BOARDPACK_MAILER_UNSUBSCRIBE_KEY":    "BOARDPACK_UNSUBSCRIBE_KEY",
	"BOARDPACK_MAILER_UNSUBSCRIBE_TTL":    "BOARDPACK_UNSUBSCRIBE_TTL",
	"BOARDPACK_MAILER_VISIBILITY_TIMEOUT": "BOARDPACK_VISIBILITY_TIMEOUT",
	"BOARDPACK_MAILER_WORKERS":            "BOARDPACK_WORKERS",
	"BOARDPACK_MAILER_MAX_SEND_RATE":      "BOARDPACK_MAX_SEND_RATE",
	"BOARDPACK_MAILER_SES_QUOTA_REFRESH":  "BOARDPACK_SES_QUOTA_REFRESH",
}

// loadConfig reads the configuration, prints it, and returns every
// problem at once.
func loadConfig(log *slog.Logger) (Config, error) {
	r := envconfig.Reader{Aliases: renamed}
	c := Config{
		Names:             resources.NamesFromEnv(&r),
		Sender:            r.String("BOARDPACK_SENDER", "reports@boardpack.example.com"),
		HTTPAddr:          r.String("BOARDPACK_HTTP_ADDR", "127.0.0.1:8083"),
		PublicURL:         strings.TrimRight(r.String("BOARDPACK_MAILER_PUBLIC_URL", "http://127.0.0.1:8083"), "/"),
		UnsubscribeKey:    r.Secret("BOARDPACK_MAILER_UNSUBSCRIBE_KEY", devUnsubscribeKey),
		UnsubscribeTTL:    r.Duration("BOARDPACK_MAILER_UNSUBSCRIBE_TTL", 90*24*time.Hour),
		ViewTTL:           r.Duration("BOARDPACK_MAILER_VIEW_TTL", 90*24*time.Hour),
		VisibilityTimeout: r.Duration("BOARDPACK_MAILER_VISIBILITY_TIMEOUT", 60*time.Second),
		Workers:           r.Int("BOARDPACK_MAILER_WORKERS", 2),
		QuotaRefresh:      r.Duration("BOARDPACK_MAILER_SES_QUOTA_REFRESH", 10*time.Minute),
		TenantCacheTTL:    r.Duration("BOARDPACK_TENANT_CACHE_TTL", 30*time.Second),
		SlackAllowedHosts: r.List("BOARDPACK_SLACK_ALLOWED_HOSTS", ""),
		Local:             r.Bool("BOARDPACK_LOCAL", false),
	}
	for i, h := range c.SlackAllowedHosts {
		c.SlackAllowedHosts[i] = strings.ToLower(strings.TrimSpace(h))
	}
	c.MaxSendRate = float64(r.Int("BOARDPACK_MAILER_MAX_SEND_RATE", 0))
	viewKeys := r.Secret("BOARDPACK_MAILER_VIEW_KEYS", devViewKeys)
	r.Log(log, "mailer")
	if err := r.Err(); err != nil {
		return c, err
	}
	keys, err := mailer.ParseViewKeys(viewKeys)
	if err != nil {
		err = fmt.Errorf("BOARDPACK_MAILER_VIEW_KEYS: %w", err)
	}
	c.ViewKeys = keys
	return c, errors.Join(err, c.Validate())
}

// Validate returns every problem at once.
func (c Config) Validate() error {
	var errs []error
	if a, err := mail.ParseAddress(c.Sender); err != nil || strings.ContainsAny(c.Sender, "\r\n") || a.Name != "" {
		errs = append(errs, errors.New("BOARDPACK_SENDER: must be a bare email address of a verified SES identity"))
	}
	if len(c.UnsubscribeKey) < 16 {
		errs = append(errs, errors.New("BOARDPACK_MAILER_UNSUBSCRIBE_KEY: at least 16 characters"))
	}
	if c.UnsubscribeKey == devUnsubscribeKey && !c.Local {
		errs = append(errs, errors.New("BOARDPACK_MAILER_UNSUBSCRIBE_KEY: must be set: the built-in development key is public and accepted only in the local run (BOARDPACK_LOCAL=true)"))
	}
	for _, k := range c.ViewKeys {
		if strings.Contains(devViewKeys, k.Secret) && !c.Local {
			errs = append(errs, errors.New("BOARDPACK_MAILER_VIEW_KEYS: must be set: the built-in development key is public and accepted only in the local run (BOARDPACK_LOCAL=true)"))
		}
	}
	if c.ViewTTL < time.Hour {
		errs = append(errs, errors.New("BOARDPACK_MAILER_VIEW_TTL: at least 1h"))
	}
	if c.VisibilityTimeout < 10*time.Second {
		errs = append(errs, errors.New("BOARDPACK_MAILER_VISIBILITY_TIMEOUT: at least 10s"))
	}
	if c.Workers < 1 {
		errs = append(errs, errors.New("BOARDPACK_MAILER_WORKERS: at least 1"))
	}
	if c.MaxSendRate < 0 {
		errs = append(errs, errors.New("BOARDPACK_MAILER_MAX_SEND_RATE: must not be negative"))
	}
	if !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		errs = append(errs, errors.New("BOARDPACK_MAILER_PUBLIC_URL: must start with http:// or https://"))
	}
	return errors.Join(errs...)
}
