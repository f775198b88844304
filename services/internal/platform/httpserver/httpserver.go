// Package httpserver serves a service's HTTP endpoints with the timeouts
// and operational routes every Boardpack service has: GET /healthz
// (liveness), GET /readyz (dependencies reachable) and GET /metrics
// (Prometheus), where build_info names the service and its build (package
// buildinfo).
//
// With BOARDPACK_METRICS_EMF=true the server also writes its registry's
// boardpack_* metrics to stdout as CloudWatch embedded-metric-format lines
// every BOARDPACK_METRICS_EMF_INTERVAL (package emf), for as long as it
// runs and once more when it stops: on ECS that is how the metrics reach
// CloudWatch, with no change to a service's main.
package httpserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/boardpack/boardpack/services/internal/platform/awsconf"
	"github.com/boardpack/boardpack/services/internal/platform/buildinfo"
	"github.com/boardpack/boardpack/services/internal/platform/emf"
	"github.com/boardpack/boardpack/services/internal/platform/lifecycle"
)

// ReadyCheck reports whether a dependency is reachable.
type ReadyCheck func(ctx context.Context) error

// Server is an http.Server with Boardpack's operational routes.
type Server struct {
	Mux      *http.ServeMux
	Registry *prometheus.Registry
	srv      *http.Server
	log      *slog.Logger
	checks   map[string]ReadyCheck
	l        net.Listener

	emf    emf.Config
	emfErr error     // a bad BOARDPACK_METRICS_* setting, reported by Start
	emfOut io.Writer // os.Stdout (the awslogs driver ships it)
}

// New returns a server for addr with /healthz, /readyz and /metrics.
func New(addr string, log *slog.Logger) *Server {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), awsconf.Requests,
		buildinfo.Collector(buildinfo.Get()))
	s := &Server{Mux: http.NewServeMux(), Registry: reg, log: log, checks: map[string]ReadyCheck{}, emfOut: os.Stdout}
	s.emf, s.emfErr = emf.ConfigFromEnv()
	s.Mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	s.Mux.HandleFunc("GET /readyz", s.ready)
	s.Mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	if os.Getenv("BOARDPACK_PPROF") == "true" {
		// Profiling for benchmarks and incidents; off by default because
		// it exposes internals on the service's port.
		s.Mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		s.Mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		s.Mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
		s.Mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	}
	s.srv = &http.Server{
		Addr:              addr,
		Handler:           s.Mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	return s
}

// AddReadyCheck adds a dependency check to /readyz.
func (s *Server) AddReadyCheck(name string, c ReadyCheck) { s.checks[name] = c }

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	failed := false
	for name, check := range s.checks {
		if err := check(ctx); err != nil {
			failed = true
			s.log.Warn("not ready", "check", name, "err", err)
			defer fmt.Fprintf(w, "%s: %v\n", name, err)
		}
	}
	if failed {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

// Listen binds the address now, so a port conflict is reported at start.
func (s *Server) Listen() (net.Listener, error) {
	l, err := net.Listen("tcp", s.srv.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", s.srv.Addr, err)
	}
	s.l = l
	return l, nil
}

// Component runs the server under a lifecycle.Runner: Start binds the
// address (unless Listen already did), Run serves, and the stop is
// http.Server.Shutdown, which lets in-flight requests finish within
// timeout before the connections are closed.
func (s *Server) Component(timeout time.Duration) lifecycle.Component {
	return lifecycle.Component{
		Name: "http",
		Start: func(context.Context) error {
			if s.emfErr != nil {
				return fmt.Errorf("metrics settings: %w", s.emfErr)
			}
			if s.l != nil {
				return nil
			}
			_, err := s.Listen()
			return err
		},
		Run: func(ctx context.Context) error {
			stop := context.AfterFunc(ctx, func() { s.srv.Close() })
			defer stop()
			stopEMF := s.exportEMF(ctx)
			defer stopEMF()
			s.log.Info("http listening", "addr", s.l.Addr().String())
			if err := s.srv.Serve(s.l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("http server: %w", err)
			}
			return nil
		},
		Drain: func(ctx context.Context) error {
			if err := s.srv.Shutdown(ctx); err != nil {
				return fmt.Errorf("http shutdown: %w", err)
			}
			return nil
		},
		Timeout: timeout,
	}
}

// exportEMF starts the EMF exporter when it is enabled and returns the
// function that stops it after a last export. The server component is
// started first and stopped last, so the exporter sees every other
// component's final counts.
func (s *Server) exportEMF(ctx context.Context) (stop func()) {
	if !s.emf.Enabled {
		return func() {}
	}
	bi := buildinfo.Get()
	e := &emf.Exporter{
		Gatherer: s.Registry, Service: buildinfo.Service(), Out: s.emfOut, Namespace: s.emf.Namespace,
		Properties: map[string]string{"version": bi.Version, "revision": bi.Revision},
		OnError:    func(err error) { s.log.Error("emf metrics not written", "err", err) },
	}
	s.log.Info("emf metrics", "namespace", s.emf.Namespace, "interval", s.emf.Interval.String(), "emf_service", e.Service, "version", bi.Version)
	ectx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := e.Run(ectx, s.emf.Interval); err != nil {
			s.log.Error("emf metrics not written", "err", err)
		}
	}()
	return func() { cancel(); <-done }
}
