// Package logging builds the JSON slog logger every service uses.
package logging

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
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

// Main is a service's whole main: it builds the logger, runs run until
// SIGINT or SIGTERM (which cancel ctx for a graceful shutdown), and exits
// 1 with the error logged once if run fails.
func Main(service string, run func(ctx context.Context, log *slog.Logger) error) {
	log := New(service)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, log)
	stop()
	if err != nil {
		log.Error(service+" stopped", "err", err)
		os.Exit(1)
	}
}
