package httpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/boardpack/boardpack/services/internal/platform/buildinfo"
	"github.com/boardpack/boardpack/services/internal/platform/lifecycle"
)

// With BOARDPACK_METRICS_EMF=true the server writes its boardpack_*
// metrics as EMF lines, under the configured namespace and the service's
// name, and once more when it stops.
func TestEMFLinesWhenEnabled(t *testing.T) {
	t.Setenv("BOARDPACK_METRICS_EMF", "true")
	t.Setenv("BOARDPACK_METRICS_EMF_INTERVAL", "1h") // only the last export at the stop
	t.Setenv("BOARDPACK_METRICS_NAMESPACE", "Boardpack/test")
	buildinfo.SetService("scheduler")
	t.Cleanup(func() { buildinfo.SetService("") })
	s := New("127.0.0.1:0", quiet)
	var out bytes.Buffer
	s.emfOut = &out
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "boardpack_scheduler_reports_fired_total"})
	s.Registry.MustRegister(c)
	c.Add(3)

	r := lifecycle.New(quiet)
	r.Add(s.Component(5 * time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, raw := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var l struct {
			Service string  `json:"Service"`
			Version string  `json:"version"`
			Fired   float64 `json:"boardpack_scheduler_reports_fired_total"`
			AWS     struct {
				CloudWatchMetrics []struct {
					Namespace  string
					Dimensions [][]string
				}
			} `json:"_aws"`
		}
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Fatalf("not an EMF line: %q: %v", raw, err)
		}
		if strings.Contains(raw, "build_info") || strings.Contains(raw, "go_goroutines") {
			t.Errorf("non-boardpack metric exported: %s", raw)
		}
		if l.Fired == 0 {
			continue
		}
		found = true
		if l.Service != "scheduler" || l.Fired != 3 || len(l.AWS.CloudWatchMetrics) != 1 || l.AWS.CloudWatchMetrics[0].Namespace != "Boardpack/test" {
			t.Errorf("line %s: want Service scheduler, 3 fired, namespace Boardpack/test", raw)
		}
		// build_info's version reaches CloudWatch Logs on every line, as
		// a field and never a dimension.
		if v := buildinfo.Get().Version; v == "" || l.Version != v {
			t.Errorf("line %s: version %q, want build_info's %q", raw, l.Version, v)
		}
		for _, d := range l.AWS.CloudWatchMetrics[0].Dimensions {
			if slices.Contains(d, "version") {
				t.Errorf("line %s: version is a dimension", raw)
			}
		}
	}
	if !found {
		t.Fatalf("no EMF line for the counter in %q", out.String())
	}
}

// Off by default: nothing but logs on stdout.
func TestNoEMFByDefault(t *testing.T) {
	s := New("127.0.0.1:0", quiet)
	var out bytes.Buffer
	s.emfOut = &out
	r := lifecycle.New(quiet)
	r.Add(s.Component(5 * time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Errorf("EMF lines without BOARDPACK_METRICS_EMF: %q", out.String())
	}
}

// A bad setting fails the start, naming it.
func TestBadEMFSettingFailsTheStart(t *testing.T) {
	t.Setenv("BOARDPACK_METRICS_EMF", "on")
	s := New("127.0.0.1:0", quiet)
	r := lifecycle.New(quiet)
	r.Add(s.Component(time.Second))
	err := r.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "BOARDPACK_METRICS_EMF") {
		t.Fatalf("Run = %v, want the bad setting named", err)
	}
}
