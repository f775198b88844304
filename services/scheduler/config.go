package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/boardpack/boardpack/services/internal/platform/envconfig"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// config is everything the scheduler reads from the environment.
type config struct {
	Names resources.Names
	// HTTPAddr serves /healthz, /readyz and /metrics.
	HTTPAddr string
	// Tick is the longest time between two passes. A pass also runs right
	// after each firing, so reports go out on time whatever the tick; the
	// tick bounds how soon a tenants apply takes effect.
	Tick time.Duration
	// Catchup is how far back missed firings are sent after downtime;
	// older ones are counted and logged, not sent.
	Catchup time.Duration
	// Lease is how long a replica's claim on an unpublished report due
	// keeps the others from publishing it.
	Lease time.Duration
	// Owner names this replica in the records it writes.
	Owner string
}

// loadConfig reads the configuration, prints it, and returns every
// problem at once.
func loadConfig(log *slog.Logger) (config, error) {
	var r envconfig.Reader
	host, _ := os.Hostname()
	c := config{
		Names:    resources.NamesFromEnv(&r),
		HTTPAddr: r.String("BOARDPACK_HTTP_ADDR", "127.0.0.1:8082"),
		Tick:     r.Duration("BOARDPACK_SCHEDULER_TICK", 15*time.Second),
		Catchup:  r.Duration("BOARDPACK_SCHEDULER_CATCHUP", 7*24*time.Hour),
		Lease:    r.Duration("BOARDPACK_SCHEDULER_LEASE", time.Minute),
		Owner:    r.String("BOARDPACK_SCHEDULER_REPLICA", fmt.Sprintf("%s-%d", host, os.Getpid())),
	}
	r.Log(log, "scheduler")
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
	if c.Tick < time.Second || c.Tick > 10*time.Minute {
		errs = append(errs, errors.New("BOARDPACK_SCHEDULER_TICK: must be between 1s and 10m"))
	}
	if c.Catchup < 2*c.Tick {
		// Every pass sends the firings since the previous one; a window
		// shorter than that would drop reports that are merely on time.
		errs = append(errs, fmt.Errorf("BOARDPACK_SCHEDULER_CATCHUP: must be at least twice BOARDPACK_SCHEDULER_TICK (%s)", 2*c.Tick))
	}
	if c.Lease < 5*time.Second {
		errs = append(errs, errors.New("BOARDPACK_SCHEDULER_LEASE: must be at least 5s (longer than a publish takes)"))
	}
	if c.Owner == "" {
		errs = append(errs, errors.New("BOARDPACK_SCHEDULER_REPLICA: must not be empty"))
	}
	return errors.Join(errs...)
}
