package main

import (
	"errors"
	"net/mail"
	"strings"
	"time"

	"github.com/boardpack/boardpack/services/internal/platform/envconfig"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
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
	// VisibilityTimeout of the mailer's queues: claims expire within it and
	// handlers finish inside it.
	VisibilityTimeout time.Duration
	Workers           int
	// MaxSendRate caps emails per second; 0 means GetSendQuota's rate.
	MaxSendRate float64
	// QuotaRefresh is how often GetSendQuota is read again.
	QuotaRefresh   time.Duration
	TenantCacheTTL time.Duration
}

// LoadConfig reads the configuration and reports every problem at once.
func LoadConfig(r *envconfig.Reader) (Config, error) {
	c := Config{
		Names:             resources.NamesFromEnv(r),
		Sender:            r.String("BOARDPACK_SENDER", "reports@boardpack.example.com"),
		HTTPAddr:          r.String("BOARDPACK_HTTP_ADDR", "127.0.0.1:8083"),
		PublicURL:         strings.TrimRight(r.String("BOARDPACK_PUBLIC_URL", "http://127.0.0.1:8083"), "/"),
		UnsubscribeKey:    r.Secret("BOARDPACK_UNSUBSCRIBE_KEY", "local-dev-unsubscribe-key-change-me"),
		UnsubscribeTTL:    r.Duration("BOARDPACK_UNSUBSCRIBE_TTL", 90*24*time.Hour),
		VisibilityTimeout: r.Duration("BOARDPACK_VISIBILITY_TIMEOUT", 60*time.Second),
		Workers:           r.Int("BOARDPACK_WORKERS", 2),
		QuotaRefresh:      r.Duration("BOARDPACK_SES_QUOTA_REFRESH", 10*time.Minute),
		TenantCacheTTL:    r.Duration("BOARDPACK_TENANT_CACHE_TTL", 30*time.Second),
	}
	rate := r.Int("BOARDPACK_MAX_SEND_RATE", 0)
	c.MaxSendRate = float64(rate)
	var errs []error
	if a, err := mail.ParseAddress(c.Sender); err != nil || strings.ContainsAny(c.Sender, "\r\n") || a.Name != "" {
		errs = append(errs, errors.New("BOARDPACK_SENDER: must be a bare email address of a verified SES identity"))
	}
	if len(c.UnsubscribeKey) < 16 {
		errs = append(errs, errors.New("BOARDPACK_UNSUBSCRIBE_KEY: at least 16 characters"))
	}
	if c.VisibilityTimeout < 10*time.Second {
		errs = append(errs, errors.New("BOARDPACK_VISIBILITY_TIMEOUT: at least 10s"))
	}
	if c.Workers < 1 {
		errs = append(errs, errors.New("BOARDPACK_WORKERS: at least 1"))
	}
	if rate < 0 {
		errs = append(errs, errors.New("BOARDPACK_MAX_SEND_RATE: must not be negative"))
	}
	if !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		errs = append(errs, errors.New("BOARDPACK_PUBLIC_URL: must start with http:// or https://"))
	}
	return c, errors.Join(append([]error{r.Err()}, errs...)...)
}
