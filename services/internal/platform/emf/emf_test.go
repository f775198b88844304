package emf

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type emfLine struct {
	AWS struct {
		Timestamp         int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string              `json:"Namespace"`
			Dimensions [][]string          `json:"Dimensions"`
			Metrics    []map[string]string `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	} `json:"_aws"`
	fields map[string]any
}

func parse(t *testing.T, out *bytes.Buffer) []emfLine {
	t.Helper()
	var lines []emfLine
	for _, raw := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if raw == "" {
			continue
		}
		var l emfLine
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Fatalf("not JSON: %q: %v", raw, err)
		}
		if err := json.Unmarshal([]byte(raw), &l.fields); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	out.Reset()
	return lines
}

func find(lines []emfLine, metric, label, value string) (emfLine, bool) {
	for _, l := range lines {
		if _, ok := l.fields[metric]; !ok {
			continue
		}
		if label == "" || l.fields[label] == value {
			return l, true
		}
	}
	return emfLine{}, false
}

func TestCountersAreIncreasesGaugesAreValues(t *testing.T) {
	reg := prometheus.NewRegistry()
	sent := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "boardpack_mailer_sent_total"}, []string{"outcome", "tenant"})
	last := prometheus.NewGauge(prometheus.GaugeOpts{Name: "boardpack_scheduler_last_pass_timestamp_seconds"})
	other := prometheus.NewCounter(prometheus.CounterOpts{Name: "go_other_total"})
	reg.MustRegister(sent, last, other)
	var out bytes.Buffer
	e := &Exporter{Gatherer: reg, Service: "mailer", Out: &out, Now: func() time.Time { return time.UnixMilli(1_700_000_000_123) }}

	sent.WithLabelValues("sent", "jada").Add(3)
	sent.WithLabelValues("sent", "qos").Add(1)
	last.Set(42)
	other.Inc()
	if err := e.Export(); err != nil {
		t.Fatal(err)
	}
	lines := parse(t, &out)
	if len(lines) != 3 {
		t.Fatalf("want 3 lines (two tenants, one gauge; go_ metrics skipped), got %d", len(lines))
	}
	jada, ok := find(lines, "boardpack_mailer_sent_total", "tenant", "jada")
	if !ok || jada.fields["boardpack_mailer_sent_total"] != 3.0 {
		t.Fatalf("jada sent = %v, want 3", jada.fields["boardpack_mailer_sent_total"])
	}
	m := jada.AWS.CloudWatchMetrics[0]
	if m.Namespace != Namespace || jada.AWS.Timestamp != 1_700_000_000_123 || jada.fields["Service"] != "mailer" {
		t.Fatalf("envelope = %+v service %v", jada.AWS, jada.fields["Service"])
	}
	if len(m.Dimensions) != 2 || strings.Join(m.Dimensions[0], ",") != "Service,outcome,tenant" || strings.Join(m.Dimensions[1], ",") != "Service,outcome" {
		t.Fatalf("dimensions = %v, want [Service outcome tenant] and the rollup without the tenant", m.Dimensions)
	}
	if m.Metrics[0]["Unit"] != "Count" {
		t.Fatalf("counter unit = %v", m.Metrics[0])
	}
	g, ok := find(lines, "boardpack_scheduler_last_pass_timestamp_seconds", "", "")
	if !ok || g.fields["boardpack_scheduler_last_pass_timestamp_seconds"] != 42.0 || len(g.AWS.CloudWatchMetrics[0].Dimensions) != 1 {
		t.Fatalf("gauge line = %+v", g)
	}

	// Second export: only jada moved (by 2); qos wrote nothing, the gauge its value.
	sent.WithLabelValues("sent", "jada").Add(2)
	if err := e.Export(); err != nil {
		t.Fatal(err)
	}
	lines = parse(t, &out)
	if len(lines) != 2 {
		t.Fatalf("want 2 lines (jada's increase, the gauge), got %d: %+v", len(lines), lines)
	}
	jada, ok = find(lines, "boardpack_mailer_sent_total", "tenant", "jada")
	if !ok || jada.fields["boardpack_mailer_sent_total"] != 2.0 {
		t.Fatalf("jada increase = %v, want 2", jada.fields["boardpack_mailer_sent_total"])
	}
	if _, ok := find(lines, "boardpack_mailer_sent_total", "tenant", "qos"); ok {
		t.Fatal("qos did not move and must write nothing")
	}
}

func TestHistogramCountAndSum(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "boardpack_stripe_webhook_duration_seconds"})
	reg.MustRegister(h)
	var out bytes.Buffer
	e := &Exporter{Gatherer: reg, Service: "stripe-collector", Out: &out}
	h.Observe(0.5)
	h.Observe(1.5)
	if err := e.Export(); err != nil {
		t.Fatal(err)
	}
	h.Observe(2)
	if err := e.Export(); err != nil {
		t.Fatal(err)
	}
	lines := parse(t, &out)
	if len(lines) != 2 {
		t.Fatalf("lines = %d", len(lines))
	}
	if lines[0].fields["boardpack_stripe_webhook_duration_seconds_count"] != 2.0 || lines[0].fields["boardpack_stripe_webhook_duration_seconds_sum"] != 2.0 {
		t.Fatalf("first = %v", lines[0].fields)
	}
	if lines[1].fields["boardpack_stripe_webhook_duration_seconds_count"] != 1.0 || lines[1].fields["boardpack_stripe_webhook_duration_seconds_sum"] != 2.0 {
		t.Fatalf("second = %v", lines[1].fields)
	}
}

func TestRunExportsOnceMoreAtShutdown(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "boardpack_x_total"})
	reg.MustRegister(c)
	var out bytes.Buffer
	e := &Exporter{Gatherer: reg, Service: "x", Out: &out}
	ctx, cancel := context.WithCancel(context.Background())
	c.Add(7)
	cancel()
	if err := e.Run(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	lines := parse(t, &out)
	if len(lines) != 1 || lines[0].fields["boardpack_x_total"] != 7.0 {
		t.Fatalf("lines = %+v", lines)
	}
}

func TestNamespaceOverride(t *testing.T) {
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "boardpack_g"})
	reg.MustRegister(g)
	var out bytes.Buffer
	e := &Exporter{Gatherer: reg, Service: "x", Out: &out, Namespace: "Boardpack/staging"}
	if err := e.Export(); err != nil {
		t.Fatal(err)
	}
	lines := parse(t, &out)
	if len(lines) != 1 || lines[0].AWS.CloudWatchMetrics[0].Namespace != "Boardpack/staging" {
		t.Fatalf("lines = %+v", lines)
	}
}

// flakyWriter fails its first writes, then records one line and calls done.
type flakyWriter struct {
	fails int
	got   bytes.Buffer
	done  func()
}

func (w *flakyWriter) Write(p []byte) (int, error) {
	if w.fails > 0 {
		w.fails--
		return 0, errors.New("stdout closed")
	}
	if w.got.Len() == 0 {
		w.got.Write(p)
		w.done()
	}
	return len(p), nil
}

// With OnError, a failed export is reported and the exporter carries on.
func TestRunCarriesOnAfterAnErrorWithOnError(t *testing.T) {
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "boardpack_g"})
	reg.MustRegister(g)
	ctx, cancel := context.WithCancel(context.Background())
	w := &flakyWriter{fails: 2, done: cancel}
	var errs []error
	e := &Exporter{Gatherer: reg, Service: "x", Out: w, OnError: func(err error) { errs = append(errs, err) }}
	if err := e.Run(ctx, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if len(errs) != 2 || w.got.Len() == 0 {
		t.Fatalf("errors %v, line %q: want two reported failures, then a line", errs, w.got.String())
	}
	// Without OnError the first failure ends Run.
	e = &Exporter{Gatherer: reg, Service: "x", Out: &flakyWriter{fails: 1, done: func() {}}}
	if err := e.Run(context.Background(), time.Millisecond); err == nil {
		t.Fatal("Run without OnError swallowed the failure")
	}
}
