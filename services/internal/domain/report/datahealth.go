package report

import (
	"bytes"
	"context"
	"fmt"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	htmltemplate "html/template"
	"strings"
	"time"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// The data-health notice is the operator's email (email.operator in the
// tenants file): which sources are missing or stale and the commands
// that fix them. Executives' emails name what is missing in plain words
// only; the commands live here.

// HealthIssue is one problem with a tenant's data.
type HealthIssue struct {
	Source string
	// Status is "missing" or "stale".
	Status string
	// Last is the date of the latest data ("never" when missing).
	Last string
	Fix  string
}

// DataHealth is the notice's content.
type DataHealth struct {
	Subject    string
	TenantName string
	TenantID   string
	AsOf       string
	Issues     []HealthIssue
	Config     []HealthIssue
}

// Healthy reports whether there is nothing to tell the operator.
func (h DataHealth) Healthy() bool { return len(h.Issues) == 0 && len(h.Config) == 0 }

// AnalyseDataHealth reads the tenant's sources as of now.
func AnalyseDataHealth(ctx context.Context, src Source, t tenants.Tenant, now time.Time) (DataHealth, error) {
	snap, err := readmodel.Read(ctx, src, t.ID, now, coverageMetrics(), false)
	if err != nil {
		return DataHealth{}, err
	}
	d := &Data{Tenant: t, Loc: t.Location(), AsOf: now, Now: now, snap: snap}
	h := DataHealth{TenantName: t.Name, TenantID: t.ID, AsOf: now.In(d.Loc).Format("2 Jan 2006 15:04 MST")}
	stale := map[string]staleSource{}
	for _, s := range d.staleSources(t.Limits()) {
		stale[s.src.name] = s
	}
	for _, s := range allSources {
		if st, ok := stale[s.name]; ok {
			h.Issues = append(h.Issues, HealthIssue{Source: s.name, Status: fmt.Sprintf("stale (nothing for %d days; limit %d)", st.days, st.limit),
				Last: dateIn(st.last, d.Loc), Fix: "check the connection, then " + s.howTo(t.ID)})
		} else if !s.known(d) {
			h.Issues = append(h.Issues, HealthIssue{Source: s.name, Status: "missing", Last: "never", Fix: s.howTo(t.ID)})
		}
	}
	fin := t.Finance
	if fin.MonthlyRevenueTarget == "" && !d.Known(metricRevenueTarget) {
		h.Config = append(h.Config, HealthIssue{Source: "revenue target", Status: "not set", Fix: "set finance.monthly_revenue_target or import targets.csv, then `reportctl tenants apply -f tenants.yaml`"})
	}
	if fin.UnitPrice == "" || fin.VariableCostPerUnit == "" || fin.FixedCostsMonthly == "" {
		h.Config = append(h.Config, HealthIssue{Source: "unit economics (used for break-even only without actuals)", Status: "incomplete",
			Fix: "set finance.unit_price, finance.variable_cost_per_unit and finance.fixed_costs_monthly"})
	}
	if t.Email.Operator == "" {
		h.Config = append(h.Config, HealthIssue{Source: "operator address", Status: "not set", Fix: "set email.operator so this notice reaches someone"})
	}
	var parts []string
	count := func(status string) int {
		n := 0
		for _, i := range h.Issues {
			if strings.HasPrefix(i.Status, status) {
				n++
			}
		}
		return n
	}
	if n := count("missing"); n > 0 {
		parts = append(parts, fmt.Sprintf("%d missing", n))
	}
	if n := count("stale"); n > 0 {
		parts = append(parts, fmt.Sprintf("%d stale", n))
	}
	if len(h.Config) > 0 {
		parts = append(parts, fmt.Sprintf("%d settings to fix", len(h.Config)))
	}
	if len(parts) == 0 {
		parts = []string{"all sources current"}
	}
	h.Subject = fmt.Sprintf("Data health · %s: %s", t.Name, strings.Join(parts, ", "))
	return h, nil
}

var healthHTML = htmltemplate.Must(htmltemplate.New("health").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark"><title>{{.Subject}}</title></head>
<body style="margin:0;padding:16px;font-family:Helvetica,Arial,sans-serif;font-size:14px;line-height:20px">
<h1 style="font-size:20px">Data health: {{.TenantName}} ({{.TenantID}})</h1>
<p>As of {{.AsOf}}. The executives' reports say only that this data is missing; these are the steps to fix it.</p>
{{if .Issues}}<h2 style="font-size:16px">Sources</h2><ul>{{range .Issues}}<li><strong>{{.Source}}</strong>: {{.Status}}, last data {{.Last}}.<br><code>{{.Fix}}</code></li>{{end}}</ul>{{end}}
{{if .Config}}<h2 style="font-size:16px">Settings</h2><ul>{{range .Config}}<li><strong>{{.Source}}</strong>: {{.Status}}.<br><code>{{.Fix}}</code></li>{{end}}</ul>{{end}}
{{if not .Issues}}{{if not .Config}}<p>Every source is connected and current.</p>{{end}}{{end}}
</body></html>`))

// RenderDataHealth writes the operator's notice (HTML and text).
func RenderDataHealth(h DataHealth) (Rendered, error) {
	if strings.ContainsAny(h.Subject, "\r\n") {
		return Rendered{}, fmt.Errorf("%w: subject contains a line break", ErrInvalid)
	}
	var b bytes.Buffer
	if err := healthHTML.Execute(&b, h); err != nil {
		return Rendered{}, fmt.Errorf("render data health: %w", err)
	}
	var t strings.Builder
	fmt.Fprintf(&t, "Data health: %s (%s)\nAs of %s.\n\n", h.TenantName, h.TenantID, h.AsOf)
	for _, i := range h.Issues {
		fmt.Fprintf(&t, "- %s: %s, last data %s.\n  Fix: %s\n", i.Source, i.Status, i.Last, i.Fix)
	}
	for _, i := range h.Config {
		fmt.Fprintf(&t, "- %s: %s.\n  Fix: %s\n", i.Source, i.Status, i.Fix)
	}
	if h.Healthy() {
		t.WriteString("Every source is connected and current.\n")
	}
	return Rendered{Subject: h.Subject, HTML: b.String(), Text: t.String()}, nil
}
