// Package lifecycle is how every long-running Boardpack service starts and
// stops. A service's main is one line, lifecycle.Main(name, run): Main
// builds the logger and calls run with a context that SIGINT or SIGTERM
// cancels. run reads the configuration, builds the clients and hands its
// components (the HTTP server, watermill routers, loops) to a Runner.
//
// The Runner starts the components in the order they were added and stops
// them in reverse: what was started first (the HTTP server with /healthz
// and /metrics, a batch writer the handlers use) is stopped last, after
// everything that depends on it. Stopping begins when ctx ends or when any
// component returns first; that component's error is the run's error.
//
// A component stops in one of two ways. Without Drain, its Run context is
// cancelled (a loop between passes, a ticker). With Drain, the runner asks
// it to finish in-flight work instead (http.Server.Shutdown, a watermill
// router's Close, which waits for running handlers) and leaves Run's
// context alive meanwhile, so an email being sent is not cut half-way.
// Either way each component has a bounded stop: once its Timeout elapses
// its context is cancelled, the runner reports it as not stopped in time,
// and moves on to the next, so a stuck component never holds the process.
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/boardpack/boardpack/services/internal/platform/buildinfo"
	"github.com/boardpack/boardpack/services/internal/platform/logging"
	"github.com/boardpack/boardpack/services/internal/platform/tracing"
)

// Main is a service's whole main: it builds the logger, sets up tracing
// from the OTEL_* variables (off unless they ask; see package tracing),
// runs run until SIGINT or SIGTERM (which cancel ctx for a graceful
// shutdown), flushes the spans, and exits 1 with the error logged once if
// run fails.
func Main(service string, run func(ctx context.Context, log *slog.Logger) error) {
	buildinfo.SetService(service)
	log := logging.New(service)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	shutdownTracing, err := tracing.Setup(ctx, service)
	if err != nil {
		stop()
		log.Error(service+" stopped", "err", fmt.Errorf("tracing: %w", err))
		os.Exit(1)
	}
	err = run(ctx, log)
	stop()
	flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if terr := shutdownTracing(flush); terr != nil {
		log.Warn("traces not flushed", "err", terr)
	}
	cancel()
	if err != nil {
		log.Error(service+" stopped", "err", err)
		os.Exit(1)
	}
}

// DefaultTimeout bounds a component's stop when it sets no Timeout.
const DefaultTimeout = 10 * time.Second

// ErrStopTimeout is reported for a component that did not stop within its
// Timeout.
var ErrStopTimeout = errors.New("did not stop in time")

// ErrStoppedEarly is reported for a component whose Run returned nil
// before it was asked to stop: a service whose loop quietly ended must not
// keep running as if healthy.
var ErrStoppedEarly = errors.New("stopped before shutdown")

// Component is one long-running part of a service.
type Component struct {
	// Name appears in logs and errors ("http", "router", "passes").
	Name string
	// Start, when set, runs synchronously before Run is launched (bind a
	// port, so a conflict fails the start before later components run).
	// If it fails, the components started before are stopped.
	Start func(ctx context.Context) error
	// Run does the work until the component is stopped, then returns nil.
	// Its context ends when the component must stop at once: at the stop
	// without Drain, or when Drain overran Timeout.
	Run func(ctx context.Context) error
	// Drain, when set, is how the component is stopped: it asks Run to
	// finish what is in flight and return. Its context ends at Timeout.
	Drain func(ctx context.Context) error
	// Timeout bounds the stop (the drain and Run's return); 0 means
	// DefaultTimeout.
	Timeout time.Duration
}

// Runner starts components in order and stops them in reverse.
type Runner struct {
	Log        *slog.Logger
	components []Component
}

// New returns a runner that logs to log.
func New(log *slog.Logger) *Runner { return &Runner{Log: log} }

// Add appends a component; components start in the order added.
func (r *Runner) Add(c Component) { r.components = append(r.components, c) }

type running struct {
	c      Component
	cancel context.CancelFunc
	done   chan error // receives Run's result once
	result error
	ended  bool
}

// Run starts every component, waits until ctx ends or a component returns,
// then stops the others in reverse order. It returns the first component's
// error joined with any stop failures; nil after a clean shutdown.
func (r *Runner) Run(ctx context.Context) error {
	log := r.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ended := make(chan int, len(r.components))
	var started []*running
	var startErr error
	for _, c := range r.components {
		if c.Start != nil {
			if err := c.Start(ctx); err != nil {
				startErr = fmt.Errorf("start %s: %w", c.Name, err)
				break
			}
		}
		// The component's own context: not cut by the signal, only by
		// the runner when it stops this component.
		cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		rc := &running{c: c, cancel: cancel, done: make(chan error, 1)}
		idx := len(started)
		started = append(started, rc)
		go func() {
			err := c.Run(cctx)
			rc.done <- err
			ended <- idx
		}()
		log.Debug("component started", "component", c.Name)
	}

	var first error
	if startErr != nil {
		first = startErr
	} else {
		select {
		case <-ctx.Done():
			log.Info("shutting down")
		case i := <-ended:
			rc := started[i]
			rc.result, rc.ended = <-rc.done, true
			if rc.result != nil {
				first = fmt.Errorf("%s: %w", rc.c.Name, rc.result)
			} else {
				first = fmt.Errorf("%s: %w", rc.c.Name, ErrStoppedEarly)
			}
			log.Error("component stopped, shutting down", "component", rc.c.Name, "err", rc.result)
		}
	}

	errs := []error{first}
	for i := len(started) - 1; i >= 0; i-- {
		if err := stop(log, started[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// stop stops one component within its timeout.
func stop(log *slog.Logger, rc *running) error {
	defer rc.cancel()
	if rc.ended {
		return nil
	}
	timeout := rc.c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	begin := time.Now()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	var drainErr error
	if rc.c.Drain != nil {
		dctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		drained := make(chan error, 1)
		go func() { drained <- rc.c.Drain(dctx) }()
		select {
		case drainErr = <-drained:
			if drainErr != nil {
				// The graceful way failed: stop it the hard way.
				rc.cancel()
			}
		case err := <-rc.done:
			// Run returned while draining; the drain ends with it.
			rc.result, rc.ended = err, true
			select {
			case drainErr = <-drained:
			case <-deadline.C:
			}
		case <-deadline.C:
			return timedOut(log, rc, timeout)
		}
	} else {
		rc.cancel()
	}
	if !rc.ended {
		select {
		case err := <-rc.done:
			rc.result, rc.ended = err, true
		case <-deadline.C:
			return timedOut(log, rc, timeout)
		}
	}
	log.Debug("component stopped", "component", rc.c.Name, "took", time.Since(begin).String())
	var errs []error
	if drainErr != nil {
		errs = append(errs, fmt.Errorf("drain %s: %w", rc.c.Name, drainErr))
	}
	if rc.result != nil && !errors.Is(rc.result, context.Canceled) {
		errs = append(errs, fmt.Errorf("%s: %w", rc.c.Name, rc.result))
	}
	return errors.Join(errs...)
}

func timedOut(log *slog.Logger, rc *running, timeout time.Duration) error {
	rc.cancel()
	log.Error("component did not stop in time", "component", rc.c.Name, "timeout", timeout.String())
	return fmt.Errorf("%s: %w (%s)", rc.c.Name, ErrStopTimeout, timeout)
}
