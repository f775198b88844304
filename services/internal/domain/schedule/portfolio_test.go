package schedule

import (
	"testing"
	"time"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// TestForPortfolio: a portfolio's schedules fire in its own time zone and
// their report dues carry PortfolioID == TenantID.
func TestForPortfolio(t *testing.T) {
	p := tenants.Portfolio{ID: "holding", Timezone: "America/Los_Angeles", Members: []string{"a"},
		Schedules: []tenants.Schedule{{Role: "ceo", Cron: "0 7 * * 1", Period: "previous_week"}}}
	scheds, err := ForPortfolio(p)
	if err != nil || len(scheds) != 1 {
		t.Fatalf("ForPortfolio = %v, %v", scheds, err)
	}
	next, err := scheds[0].Next(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	// Monday 2026-12-07 07:00 in Los Angeles is 15:00 UTC.
	if want := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC); !next.Equal(want) {
		t.Fatalf("next = %s, want %s (the portfolio's zone)", next, want)
	}
	f, err := scheds[0].FiringAt(next)
	if err != nil {
		t.Fatal(err)
	}
	due := f.ReportDue()
	if due.PortfolioID != "holding" || due.TenantID != "holding" {
		t.Fatalf("report due ids: portfolio %q tenant %q", due.PortfolioID, due.TenantID)
	}
	if err := due.Validate(); err != nil {
		t.Fatal(err)
	}
	tenantScheds, _ := ForTenant(tenants.Tenant{ID: "a", Timezone: "UTC", Schedules: p.Schedules})
	tf, _ := tenantScheds[0].FiringAt(next)
	if tf.ReportDue().PortfolioID != "" {
		t.Fatal("a tenant's report due carries a PortfolioID")
	}
	if _, err := ForPortfolio(tenants.Portfolio{ID: "holding", Timezone: "Mars/Base"}); err == nil || err.Error() != `portfolio holding: timezone: "Mars/Base" is not an IANA time zone` {
		t.Fatalf("bad zone: %v", err)
	}
	rows := PortfolioRows([]tenants.Portfolio{p}, next.Add(-time.Minute), 1)
	if len(rows) != 1 || !rows[0].Portfolio || len(rows[0].Next) != 1 || !rows[0].Next[0].At.Equal(next) {
		t.Fatalf("PortfolioRows = %+v", rows)
	}
}
