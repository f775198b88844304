// Package logging builds the JSON slog logger every service uses. It only
// constructs the logger; how a service starts and stops is package
// lifecycle.
package logging

import (
	"log/slog"
	"os"
	"strings"
)

// New returns a JSON logger on stdout tagged with the service name. The level
// comes from BOARDPACK_LOG_LEVEL (debug, info, warn, error; default info).
func New(service string) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.TrimSpace(os.Getenv("BOARDPACK_LOG_LEVEL")))); err != nil {
		level = slog.LevelInfo
	}
	h := slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level})
	return slog.New(h).With(slog.String("service", service))
}

// TenantKey is the one log attribute that names a tenant, in every
// service: log.With(logging.TenantKey, id). A test in services/e2e
// (deploytest) fails on any other spelling ("tenant_id", "tenantID").
const TenantKey = "tenant"
