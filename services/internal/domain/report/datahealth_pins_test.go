package report

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// everySource is one fact of each source, each at its own age before now.
func everySource(tn tenants.Tenant, now time.Time, age func(source) time.Duration) *pinFacts {
	p := newPinFacts(tn.ID)
	for _, s := range allSources {
		p.add(now.Add(-age(s)), messages.SourceImport, s.metrics[0], messages.KindState, 1, "USD", state(s.name, 1))
	}
	return p
}

func healthyTenant() tenants.Tenant {
	tn := testTenant()
	tn.Email.Operator = "ops@queen.example.com"
	return tn
}

// TestDataHealthAllCurrent: every source at its limit (3 days for
// streams, 35 for imports) is current, and complete settings leave
// nothing to tell.
func TestDataHealthAllCurrent(t *testing.T) {
	tn := healthyTenant()
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	p := everySource(tn, now, func(s source) time.Duration {
		if s.stream {
			return 3 * 24 * time.Hour
		}
		return 35 * 24 * time.Hour
	})
	h, err := AnalyseDataHealth(context.Background(), p.source(), tn, now)
	if err != nil {
		t.Fatal(err)
	}
	if !h.Healthy() || h.Subject != "Data health · "+tn.Name+": all sources current" {
		t.Errorf("health %+v, want healthy", h)
	}
	if h.AsOf != "2 Nov 2026 01:00 PST" {
		t.Errorf("as of %q", h.AsOf)
	}
	r, err := RenderDataHealth(h)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(r.Text, "Every source is connected and current.\n") || !strings.Contains(r.HTML, "<p>Every source is connected and current.</p>") {
		t.Errorf("healthy notice:\n%s", r.Text)
	}
}

// TestDataHealthCounts: a stream source a day past its limit is stale,
// the sources never seen are missing, and each incomplete setting is one
// to fix.
func TestDataHealthCounts(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	tn := testTenant()
	tn.Finance = tenants.Finance{UnitPrice: "120", VariableCostPerUnit: "35"}
	p := newPinFacts(tn.ID)
	p.add(now.Add(-4*24*time.Hour), messages.SourceStripe, messages.MetricRevenueGross, messages.KindAdditive, 100, "USD", nil)
	p.add(now.Add(-36*24*time.Hour), messages.SourceImport, metricExpenses, messages.KindState, 100, "USD", state("expense/a", 1))
	p.add(now.Add(-24*time.Hour), messages.SourceImport, metricCashBalance, messages.KindGauge, 100, "USD", state("cash/bank", 1))
	h, err := AnalyseDataHealth(context.Background(), p.source(), tn, now)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, i := range append(h.Issues, h.Config...) {
		got = append(got, i.Source+": "+i.Status+" ("+i.Last+")")
	}
	want := []string{
		"Stripe data: stale (nothing for 4 days; limit 3) (29 Oct 2026)",
		"Stripe balance: missing (never)",
		"checkout data: missing (never)",
		"AWS cost data: missing (never)",
		"AWS data: missing (never)",
		"expense data: stale (nothing for 36 days; limit 35) (27 Sep 2026)",
		"revenue targets: missing (never)",
		"marketing channel data: missing (never)",
		"pipeline data: missing (never)",
		"revenue target: not set ()",
		"unit economics (used for break-even only without actuals): incomplete ()",
		"operator address: not set ()",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("issues:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if w := "Data health · " + tn.Name + ": 7 missing, 2 stale, 3 settings to fix"; h.Subject != w {
		t.Errorf("subject %q, want %q", h.Subject, w)
	}
	if !strings.HasPrefix(h.Issues[0].Fix, "check the connection, then add a Stripe webhook") {
		t.Errorf("stale fix %q", h.Issues[0].Fix)
	}
}

// TestDataHealthSettings: each of the three unit-economics inputs alone
// missing makes them incomplete; an imported target stands for the
// configured one.
func TestDataHealthSettings(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	full := healthyTenant().Finance
	for _, c := range []struct {
		name string
		mod  func(*tenants.Finance)
	}{
		{"unit price", func(f *tenants.Finance) { f.UnitPrice = "" }},
		{"variable cost", func(f *tenants.Finance) { f.VariableCostPerUnit = "" }},
		{"fixed costs", func(f *tenants.Finance) { f.FixedCostsMonthly = "" }},
	} {
		tn := healthyTenant()
		tn.Finance = full
		c.mod(&tn.Finance)
		p := everySource(tn, now, func(source) time.Duration { return time.Hour })
		h, err := AnalyseDataHealth(context.Background(), p.source(), tn, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Issues) != 0 || len(h.Config) != 1 || h.Config[0].Status != "incomplete" || !strings.HasSuffix(h.Subject, ": 1 settings to fix") {
			t.Errorf("%s missing: %+v", c.name, h)
		}
	}
	tn := healthyTenant()
	tn.Finance.MonthlyRevenueTarget = ""
	p := everySource(tn, now, func(source) time.Duration { return time.Hour })
	if h, err := AnalyseDataHealth(context.Background(), p.source(), tn, now); err != nil || !h.Healthy() {
		t.Errorf("imported targets, no configured one: %+v, %v", h, err)
	}
	if _, err := RenderDataHealth(DataHealth{Subject: "a\nb"}); err == nil {
		t.Error("a subject with a line break was rendered")
	}
}
