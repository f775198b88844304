package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/boardpack/boardpack/services/internal/platform/envconfig"
	"github.com/boardpack/boardpack/services/internal/platform/resources"

	"github.com/boardpack/boardpack/services/aws-collector/internal/checks"
)

// Config is the collector's configuration, read from BOARDPACK_* variables.
type Config struct {
	Names    resources.Names
	HTTPAddr string
	// Interval between passes.
	Interval time.Duration
	// CostInterval spaces Cost Explorer reads: AWS bills each request
	// ($0.01), and its figures change a few times a day.
	CostInterval time.Duration
	LookbackDays int
	Concurrency  int
	Checks       checks.Checks
}

// renamed maps each setting to the deprecated name it replaced, still
// read (with a warning) when the new name is unset.
var renamed = map[string]string{
	"BOARDPACK_AWS_COLLECTOR_INTERVAL":                   "BOARDPACK_AWS_COLLECT_INTERVAL",
	"BOARDPACK_AWS_COLLECTOR_COST_INTERVAL":              "BOARDPACK_AWS_COST_INTERVAL",
	"BOARDPACK_AWS_COLLECTOR_LOOKBACK_DAYS":              "BOARDPACK_AWS_LOOKBACK_DAYS",
	"BOARDPACK_AWS_COLLECTOR_CONCURRENCY":                "BOARDPACK_AWS_CONCURRENCY",
	"BOARDPACK_AWS_COLLECTOR_ERROR_RATE_PERCENT":         "BOARDPACK_AWS_ERROR_RATE_PERCENT",
	"BOARDPACK_AWS_COLLECTOR_ERROR_RATE_MIN_INVOCATIONS": "BOARDPACK_AWS_ERROR_RATE_MIN_INVOCATIONS",
	"BOARDPACK_AWS_COLLECTOR_TTL_MIN":                    "BOARDPACK_AWS_TTL_MIN",
	"BOARDPACK_AWS_COLLECTOR_TTL_MAX":                    "BOARDPACK_AWS_TTL_MAX",
}

// loadConfig reads the configuration, prints it, and returns every
// problem at once.
func loadConfig(log *slog.Logger) (Config, error) {
	r := envconfig.Reader{Aliases: renamed}
	c := Config{
		Names:        resources.NamesFromEnv(&r),
		HTTPAddr:     r.String("BOARDPACK_HTTP_ADDR", "127.0.0.1:8084"),
		Interval:     r.Duration("BOARDPACK_AWS_COLLECTOR_INTERVAL", 15*time.Minute),
		CostInterval: r.Duration("BOARDPACK_AWS_COLLECTOR_COST_INTERVAL", 6*time.Hour),
		LookbackDays: r.Int("BOARDPACK_AWS_COLLECTOR_LOOKBACK_DAYS", 3),
		Concurrency:  r.Int("BOARDPACK_AWS_COLLECTOR_CONCURRENCY", 4),
	}
	rate := r.String("BOARDPACK_AWS_COLLECTOR_ERROR_RATE_PERCENT", "5")
	bp, err := parsePercentBP(rate)
	if err != nil {
		r.Fail("BOARDPACK_AWS_COLLECTOR_ERROR_RATE_PERCENT: %q is not a percentage between 0 and 100 (e.g. 5 or 2.5)", rate)
	}
	c.Checks = checks.Checks{
		ErrorRateBP:    bp,
		MinInvocations: int64(r.Int("BOARDPACK_AWS_COLLECTOR_ERROR_RATE_MIN_INVOCATIONS", 20)),
		TTLMin:         r.Duration("BOARDPACK_AWS_COLLECTOR_TTL_MIN", 5*time.Minute),
		TTLMax:         r.Duration("BOARDPACK_AWS_COLLECTOR_TTL_MAX", 24*time.Hour),
	}
	r.Log(log, serviceName)
	return c, errors.Join(r.Err(), c.Validate())
}

// Validate returns every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Interval < time.Minute {
		errs = append(errs, fmt.Errorf("BOARDPACK_AWS_COLLECTOR_INTERVAL: %s is below 1m (CloudWatch data has minute resolution)", c.Interval))
	}
	if c.LookbackDays < 1 || c.LookbackDays > 14 {
		errs = append(errs, fmt.Errorf("BOARDPACK_AWS_COLLECTOR_LOOKBACK_DAYS: %d must be between 1 and 14", c.LookbackDays))
	}
	if c.Concurrency < 1 || c.Concurrency > 64 {
		errs = append(errs, fmt.Errorf("BOARDPACK_AWS_COLLECTOR_CONCURRENCY: %d must be between 1 and 64", c.Concurrency))
	}
	if c.Checks.MinInvocations < 0 {
		errs = append(errs, fmt.Errorf("BOARDPACK_AWS_COLLECTOR_ERROR_RATE_MIN_INVOCATIONS: %d must not be negative", c.Checks.MinInvocations))
	}
	if c.Checks.TTLMin%time.Second != 0 || c.Checks.TTLMax%time.Second != 0 || c.Checks.TTLMin > c.Checks.TTLMax {
		errs = append(errs, fmt.Errorf("BOARDPACK_AWS_COLLECTOR_TTL_MIN/BOARDPACK_AWS_COLLECTOR_TTL_MAX: %s..%s must be whole seconds with min <= max", c.Checks.TTLMin, c.Checks.TTLMax))
	}
	return errors.Join(errs...)
}

// parsePercentBP reads "5" or "2.5" (percent) as basis points.
func parsePercentBP(s string) (int64, error) {
	f, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || f < 0 || f > 100 {
		return 0, strconv.ErrSyntax
	}
	return int64(f*100 + 0.5), nil
}
