// Package emf ships a service's Prometheus metrics to CloudWatch as
// embedded-metric-format (EMF) log lines.
//
// On ECS every container's stdout already goes to CloudWatch Logs (the
// awslogs driver), and CloudWatch turns log lines in EMF into metrics with
// no agent, no sidecar and no extra IAM permission. That is why Boardpack
// uses EMF rather than an OpenTelemetry collector sidecar: one less
// container per task, nothing to configure, and the same /metrics counters
// the local run shows become the CloudWatch metrics the alarms and the
// dashboard read (namespace Boardpack).
//
// Every interval the exporter gathers the registry and writes one JSON line
// per metric family and label set:
//   - counters as the increase since the previous line (Unit Count), so a
//     Sum over any period is the number of events in it;
//   - gauges as their value;
//   - histograms as the increase of their count and sum (<name>_count,
//     <name>_sum).
//
// Dimensions are Service plus the metric's labels, and a metric with a
// tenant label also has a rollup without it, so an alarm can read the total
// over tenants (per outcome, say) without knowing the tenants. Only
// families whose name starts with the prefix (boardpack_ by default) are
// exported; Go runtime and process metrics stay on /metrics.
package emf

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Namespace is the CloudWatch namespace of every Boardpack metric unless
// BOARDPACK_METRICS_NAMESPACE says otherwise.
const Namespace = "Boardpack"

// Exporter writes EMF lines for the metrics of one service.
type Exporter struct {
	Gatherer  prometheus.Gatherer
	Service   string    // the Service dimension, e.g. "mailer"
	Out       io.Writer // stdout on ECS
	Prefix    string    // families exported; "boardpack_" when empty
	Namespace string    // Namespace when empty
	// Properties go on every line as fields that are not dimensions
	// (the build's version and revision: build_info, which is not a
	// boardpack_ family, reaches CloudWatch Logs this way).
	Properties map[string]string
	Now        func() time.Time
	// OnError, when set, hears an export's failure and Run carries on
	// (a metrics hiccup must not stop the service); nil: Run returns it.
	OnError func(error)

	mu   sync.Mutex
	last map[string]float64 // counter value at the previous export, by series key
}

// Run exports every interval until ctx ends, then once more so the last
// increments before a shutdown are not lost.
func (e *Exporter) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return e.Export()
		case <-t.C:
			if err := e.Export(); err != nil {
				if e.OnError == nil {
					return err
				}
				e.OnError(err)
			}
		}
	}
}

// Export writes one EMF line per series that has something to report: a
// counter that did not move since the previous export writes nothing.
func (e *Exporter) Export() error {
	families, err := e.Gatherer.Gather()
	if err != nil {
		return fmt.Errorf("gather metrics: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.last == nil {
		e.last = map[string]float64{}
	}
	prefix := e.Prefix
	if prefix == "" {
		prefix = "boardpack_"
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	ts := now().UnixMilli()
	for _, f := range families {
		if !strings.HasPrefix(f.GetName(), prefix) {
			continue
		}
		for _, m := range f.GetMetric() {
			values := e.values(f.GetName(), f.GetType(), m)
			if len(values) == 0 {
				continue
			}
			line, err := e.line(ts, m.GetLabel(), values)
			if err != nil {
				return err
			}
			if _, err := e.Out.Write(line); err != nil {
				return fmt.Errorf("write emf line: %w", err)
			}
		}
	}
	return nil
}

type value struct {
	name, unit string
	v          float64
}

// values turns one series into the EMF values to write, remembering counter
// totals so the next export writes only the increase.
func (e *Exporter) values(name string, typ dto.MetricType, m *dto.Metric) []value {
	key := seriesKey(name, m.GetLabel())
	delta := func(suffix string, total float64) (float64, bool) {
		k := key + suffix
		prev, seen := e.last[k]
		e.last[k] = total
		d := total - prev
		if total < prev { // the process restarted its counter
			d = total
		}
		return d, !seen || d != 0
	}
	switch typ {
	case dto.MetricType_COUNTER:
		if d, ok := delta("", m.GetCounter().GetValue()); ok {
			return []value{{name, "Count", d}}
		}
	case dto.MetricType_GAUGE:
		return []value{{name, "None", m.GetGauge().GetValue()}}
	case dto.MetricType_HISTOGRAM:
		h := m.GetHistogram()
		dc, ok := delta("#count", float64(h.GetSampleCount()))
		ds, _ := delta("#sum", h.GetSampleSum())
		if ok {
			return []value{{name + "_count", "Count", dc}, {name + "_sum", "None", ds}}
		}
	}
	return nil
}

func (e *Exporter) line(ts int64, labels []*dto.LabelPair, values []value) ([]byte, error) {
	doc := map[string]any{"Service": e.Service}
	for k, v := range e.Properties {
		doc[k] = v
	}
	dims, rollup := []string{"Service"}, []string{"Service"}
	for _, l := range labels {
		doc[l.GetName()] = l.GetValue()
		dims = append(dims, l.GetName())
		if l.GetName() != "tenant" {
			rollup = append(rollup, l.GetName())
		}
	}
	dimSets := [][]string{dims}
	if len(rollup) < len(dims) {
		dimSets = append(dimSets, rollup)
	}
	metrics := make([]map[string]string, 0, len(values))
	for _, v := range values {
		doc[v.name] = v.v
		metrics = append(metrics, map[string]string{"Name": v.name, "Unit": v.unit})
	}
	ns := e.Namespace
	if ns == "" {
		ns = Namespace
	}
	doc["_aws"] = map[string]any{
		"Timestamp": ts,
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  ns,
			"Dimensions": dimSets,
			"Metrics":    metrics,
		}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode emf line: %w", err)
	}
	return append(b, '\n'), nil
}

func seriesKey(name string, labels []*dto.LabelPair) string {
	parts := make([]string, 0, len(labels))
	for _, l := range labels {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	slices.Sort(parts)
	return name + "{" + strings.Join(parts, ",") + "}"
}
