package deploytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/constant"
	"go/types"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/tools/go/packages"

	"github.com/boardpack/boardpack/services/internal/platform/emf"
)

// namespace resolves an alarm's Namespace: a literal, or a Ref to a
// parameter (its default).
func (tpl template) namespace(v any) string {
	if id := refTo(v); id != "" {
		if p, ok := tpl.Parameters[id]; ok {
			return fmt.Sprint(p["Default"])
		}
		return "ref:" + id
	}
	return fmt.Sprint(v)
}

// metricDecl is a Prometheus metric the code declares.
type metricDecl struct {
	name   string // the full name
	kind   string // counter, gauge, histogram
	labels []string
	dir    string // services/<dir>, or "internal" for the shared module
	pos    string
}

const promPkg = "github.com/prometheus/client_golang/prometheus"

// metricDecls finds every prometheus.{Counter,Gauge,Histogram}Opts
// literal in the repository's code, its full name (Namespace, Subsystem,
// Name, which must be constants) and, when it is passed to a New...Vec, its
// labels. unresolved lists the literals whose name is not a constant.
func metricDecls(t *testing.T) (decls []metricDecl, unresolved []string) {
	kinds := map[string]string{"CounterOpts": "counter", "GaugeOpts": "gauge", "HistogramOpts": "histogram"}
	for path, p := range loadCode(t) {
		dir, ok := strings.CutPrefix(path, modulePrefix+"services/")
		if !ok {
			continue
		}
		dir, _, _ = strings.Cut(dir, "/")
		constStr := func(e ast.Expr) (string, bool) {
			tv, ok := p.TypesInfo.Types[e]
			if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
				return "", false
			}
			return constant.StringVal(tv.Value), true
		}
		labelsOf := map[*ast.CompositeLit][]string{}
		var lits []*ast.CompositeLit
		for _, f := range p.Syntax {
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr)
					if !ok || len(n.Args) != 2 || !strings.HasSuffix(sel.Sel.Name, "Vec") {
						return true
					}
					if fn, ok := p.TypesInfo.Uses[sel.Sel].(*types.Func); !ok || fn.Pkg() == nil || fn.Pkg().Path() != promPkg {
						return true
					}
					opts, ok := n.Args[0].(*ast.CompositeLit)
					ls, ok2 := n.Args[1].(*ast.CompositeLit)
					if !ok || !ok2 {
						return true
					}
					var labels []string
					for _, el := range ls.Elts {
						if s, ok := constStr(el); ok {
							labels = append(labels, s)
						}
					}
					labelsOf[opts] = labels
				case *ast.CompositeLit:
					lits = append(lits, n)
				}
				return true
			})
		}
		for _, lit := range lits {
			named, ok := types.Unalias(p.TypesInfo.TypeOf(lit)).(*types.Named)
			if !ok || named.Obj().Pkg() == nil || named.Obj().Pkg().Path() != promPkg || kinds[named.Obj().Name()] == "" {
				continue
			}
			fields := map[string]string{}
			resolved := true
			for _, el := range lit.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				key := kv.Key.(*ast.Ident).Name
				if key != "Namespace" && key != "Subsystem" && key != "Name" {
					continue
				}
				v, ok := constStr(kv.Value)
				if !ok {
					resolved = false
				}
				fields[key] = v
			}
			pos := p.Fset.Position(lit.Pos()).String()
			if !resolved || fields["Name"] == "" {
				unresolved = append(unresolved, pos)
				continue
			}
			decls = append(decls, metricDecl{
				name: prometheus.BuildFQName(fields["Namespace"], fields["Subsystem"], fields["Name"]),
				kind: kinds[named.Obj().Name()], labels: labelsOf[lit], dir: dir, pos: pos,
			})
		}
	}
	return decls, unresolved
}

// serviceNames maps a service's directory to the name it runs under
// (lifecycle.Main's first argument, the EMF Service dimension).
func serviceNames(t *testing.T) map[string]string {
	out := map[string]string{}
	for _, dir := range servicesWithMain(t) {
		p := loadCode(t)[modulePrefix+"services/"+dir]
		for _, f := range p.Syntax {
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) != 2 {
					return true
				}
				sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "Main" {
					return true
				}
				fn, ok := p.TypesInfo.Uses[sel.Sel].(*types.Func)
				if !ok || fn.Pkg() == nil || fn.Pkg().Path() != modulePrefix+"services/internal/platform/lifecycle" {
					return true
				}
				if tv := p.TypesInfo.Types[call.Args[0]]; tv.Value != nil {
					out[dir] = constant.StringVal(tv.Value)
				}
				return true
			})
		}
	}
	return out
}

// emitted runs the real EMF exporter over a registry holding every metric
// a service declares (each labelled series once, labels "x") and returns
// what CloudWatch would make of its lines: "metric|dim,dim" keys.
func emitted(t *testing.T, service string, decls []metricDecl) map[string]bool {
	reg := prometheus.NewRegistry()
	seen := map[string]bool{}
	for _, d := range decls {
		if seen[d.name] || !strings.HasPrefix(d.name, "boardpack_") {
			continue
		}
		seen[d.name] = true
		values := make([]string, len(d.labels))
		for i := range values {
			values[i] = "x"
		}
		var c prometheus.Collector
		switch d.kind {
		case "counter":
			v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: d.name, Help: "h"}, d.labels)
			v.WithLabelValues(values...).Inc()
			c = v
		case "gauge":
			v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: d.name, Help: "h"}, d.labels)
			v.WithLabelValues(values...).Set(1)
			c = v
		case "histogram":
			v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: d.name, Help: "h"}, d.labels)
			v.WithLabelValues(values...).Observe(1)
			c = v
		}
		if err := reg.Register(c); err != nil {
			t.Fatalf("%s (%s): %v", d.name, d.pos, err)
		}
	}
	var out bytes.Buffer
	if err := (&emf.Exporter{Gatherer: reg, Service: service, Out: &out}).Export(); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var l struct {
			AWS struct {
				CloudWatchMetrics []struct {
					Namespace  string
					Dimensions [][]string
					Metrics    []struct{ Name string }
				}
			} `json:"_aws"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("emf line %q: %v", line, err)
		}
		for _, cw := range l.AWS.CloudWatchMetrics {
			for _, m := range cw.Metrics {
				for _, dims := range cw.Dimensions {
					ds := slices.Clone(dims)
					sort.Strings(ds)
					keys[cw.Namespace+"|"+m.Name+"|"+strings.Join(ds, ",")] = true
				}
			}
		}
	}
	return keys
}

// metricsNamespaceRef is how the template names the services' namespace.
const metricsNamespaceRef = "${MetricsNamespace}"

// metricRef is one metric the template reads from the services' namespace.
type metricRef struct {
	where, namespace, metric string
	dims                     map[string]string // name -> value
	search                   []string          // for a SEARCH: its schema's dimension names
}

// templateMetricRefs collects the alarms' metrics (single and metric
// math) and the dashboard's, as the template names them.
func templateMetricRefs(t *testing.T, tpl template) []metricRef {
	var refs []metricRef
	addMetric := func(where string, ns any, name any, dims any) {
		r := metricRef{where: where, namespace: fmt.Sprint(ns), metric: fmt.Sprint(name), dims: map[string]string{}}
		if id := refTo(ns); id != "" {
			r.namespace = "${" + id + "}"
		}
		for _, d := range asList(dims) {
			dm := d.(map[string]any)
			r.dims[fmt.Sprint(dm["Name"])] = fmt.Sprint(dm["Value"])
		}
		refs = append(refs, r)
	}
	for _, id := range tpl.ofType("AWS::CloudWatch::Alarm") {
		p := tpl.Resources[id].Properties
		if p["MetricName"] != nil {
			addMetric(id, p["Namespace"], p["MetricName"], p["Dimensions"])
		}
		for _, m := range asList(p["Metrics"]) {
			if ms, ok := m.(map[string]any)["MetricStat"].(map[string]any); ok {
				met := ms["Metric"].(map[string]any)
				addMetric(id, met["Namespace"], met["MetricName"], met["Dimensions"])
			}
		}
	}
	// The dashboard body is a Sub: ${MetricsNamespace} stays as it is
	// (as a Ref in an alarm reads), the rest become placeholders.
	for _, id := range tpl.ofType("AWS::CloudWatch::Dashboard") {
		body := sub(tpl.Resources[id].Properties["DashboardBody"])
		body = regexp.MustCompile(`\$\{([A-Za-z0-9]+)(\.[A-Za-z]+)?\}`).ReplaceAllStringFunc(body, func(m string) string {
			if m == metricsNamespaceRef {
				return m
			}
			return "placeholder"
		})
		var dash struct {
			Widgets []struct {
				Type       string
				Properties struct {
					Title   string
					Metrics [][]any
				}
			}
		}
		if err := json.Unmarshal([]byte(body), &dash); err != nil {
			t.Fatalf("dashboard %s body is not JSON: %v", id, err)
		}
		searchRE := regexp.MustCompile(`SEARCH\('\{((?:\$\{[^}]*\}|[^}])*)\}(.*?)'`)
		for _, w := range dash.Widgets {
			where := id + " " + w.Properties.Title
			for _, m := range w.Properties.Metrics {
				if len(m) >= 2 {
					if ns, ok := m[0].(string); ok {
						r := metricRef{where: where, namespace: ns, metric: fmt.Sprint(m[1]), dims: map[string]string{}}
						for i := 2; i+1 < len(m); i += 2 {
							k, kok := m[i].(string)
							v, vok := m[i+1].(string)
							if kok && vok {
								r.dims[k] = v
							}
						}
						refs = append(refs, r)
						continue
					}
				}
				for _, e := range m {
					em, ok := e.(map[string]any)
					expr, _ := em["expression"].(string)
					if !ok || expr == "" {
						continue
					}
					for _, sm := range searchRE.FindAllStringSubmatch(expr, -1) {
						schema := strings.Split(sm[1], ",")
						r := metricRef{where: where, namespace: schema[0], search: schema[1:], dims: map[string]string{}}
						for _, kv := range regexp.MustCompile(`(\w+)="([^"]*)"`).FindAllStringSubmatch(sm[2], -1) {
							if kv[1] == "MetricName" {
								r.metric = kv[2]
							} else {
								r.dims[kv[1]] = kv[2]
							}
						}
						refs = append(refs, r)
					}
				}
			}
		}
	}
	return refs
}

// stringConsts is every string constant in the packages under
// services/<dir>, and in the shared module.
func stringConsts(pkgs map[string]*packages.Package, dir string) map[string]bool {
	out := map[string]bool{}
	for path, p := range pkgs {
		if !strings.HasPrefix(path, modulePrefix+"services/"+dir+"/") && path != modulePrefix+"services/"+dir &&
			!strings.HasPrefix(path, modulePrefix+"services/internal/") {
			continue
		}
		for _, tv := range p.TypesInfo.Types {
			if tv.Value != nil && tv.Value.Kind() == constant.String {
				out[constant.StringVal(tv.Value)] = true
			}
		}
	}
	return out
}

// TestAlarmsReadWhatEMFEmits: every alarm and dashboard metric in the
// services' namespace is one the EMF exporter writes for the service its
// Service dimension names: the metric is declared in that service (or the
// shared module), its dimension names are one of the dimension sets EMF
// writes for it (Service plus the labels, or the rollup without tenant),
// and each dimension value is a string the service's code holds (outcome
// "failed"). Each service's task writes EMF into that namespace.
func TestAlarmsReadWhatEMFEmits(t *testing.T) {
	tpl := loadTemplate(t)
	ns := constString(t, modulePrefix+"services/internal/platform/emf", "Namespace")
	if got := tpl.namespace(map[string]any{"Ref": "MetricsNamespace"}); got != ns {
		t.Errorf("parameter MetricsNamespace defaults to %q, want emf.Namespace %q", got, ns)
	}
	decls, unresolved := metricDecls(t)
	names := serviceNames(t)
	dirOf := map[string]string{}
	for dir, name := range names {
		dirOf[name] = dir
	}
	emits := map[string]map[string]bool{}
	for dir, name := range names {
		var mine []metricDecl
		for _, d := range decls {
			if d.dir == dir || d.dir == "internal" {
				mine = append(mine, d)
			}
		}
		emits[name] = emitted(t, name, mine)
	}
	pkgs := loadCode(t)
	checked := 0
	for _, r := range templateMetricRefs(t, tpl) {
		if strings.HasPrefix(r.namespace, "AWS/") {
			continue
		}
		checked++
		what := fmt.Sprintf("%s: %s %s %v", r.where, r.namespace, r.metric, r.dims)
		if r.namespace != metricsNamespaceRef {
			t.Errorf("%s: namespace %q, want the services' (!Ref MetricsNamespace, ${MetricsNamespace} in the dashboard)", what, r.namespace)
			continue
		}
		svc := r.dims["Service"]
		dir, ok := dirOf[svc]
		if !ok {
			t.Errorf("%s: Service %q is none of the services %v", what, svc, names)
			continue
		}
		var dimNames []string
		if r.search != nil {
			dimNames = slices.Clone(r.search)
		} else {
			for k := range r.dims {
				dimNames = append(dimNames, k)
			}
		}
		sort.Strings(dimNames)
		if !emits[svc][ns+"|"+r.metric+"|"+strings.Join(dimNames, ",")] {
			var have []string
			for k := range emits[svc] {
				if strings.Contains(k, "|"+r.metric+"|") {
					have = append(have, k)
				}
			}
			t.Errorf("%s: %s's EMF lines have no %s with dimensions %v (it writes %v; names not constant at %v)",
				what, svc, r.metric, dimNames, have, unresolved)
			continue
		}
		consts := stringConsts(pkgs, dir)
		for k, v := range r.dims {
			if k != "Service" && !consts[v] {
				t.Errorf("%s: dimension %s=%q: no such value in %s's code", what, k, v, svc)
			}
		}
	}
	if checked == 0 {
		t.Fatal("the template reads no metric from the services' namespace")
	}

	for dir := range names {
		id := taskOf[dir]
		c := asList(tpl.Resources[id].Properties["ContainerDefinitions"])[0].(map[string]any)
		env := map[string]any{}
		for _, e := range asList(c["Environment"]) {
			e := e.(map[string]any)
			env[e["Name"].(string)] = e["Value"]
		}
		if env["BOARDPACK_METRICS_EMF"] != "true" {
			t.Errorf("%s: BOARDPACK_METRICS_EMF = %v, want true (its metrics would never reach CloudWatch)", id, env["BOARDPACK_METRICS_EMF"])
		}
		if got := tpl.namespace(env["BOARDPACK_METRICS_NAMESPACE"]); refTo(env["BOARDPACK_METRICS_NAMESPACE"]) != "MetricsNamespace" || got != ns {
			t.Errorf("%s: BOARDPACK_METRICS_NAMESPACE = %v, want !Ref MetricsNamespace", id, env["BOARDPACK_METRICS_NAMESPACE"])
		}
	}
}
