package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// TestPortfolioDuesOncePerPeriod: a portfolio's weekly schedule, in its own
// time zone (Los Angeles) while its member's is Berlin, fires one report
// due with PortfolioID across two replicas, a failed publish repaired by
// another replica, and later passes; its member's own schedule fires
// separately under the member's id.
func TestPortfolioDuesOncePerPeriod(t *testing.T) {
	start := time.Date(2024, 5, 6, 14, 59, 50, 0, time.UTC) // 07:59:50 PDT, Monday
	r := newRig(t, start)
	member := testTenant("member-berlin", "Europe/Berlin",
		tenants.Schedule{Role: "ceo", Cron: "0 17 * * 1", Period: "previous_week"}) // 15:00Z
	p := tenants.Portfolio{
		ID: "holding-la", Name: "Holding", Timezone: "America/Los_Angeles", Members: []string{member.ID},
		Email:      tenants.Email{From: "Holding <board@example.com>"},
		Recipients: map[string][]string{"ceo": {"owner@example.com"}},
		Schedules:  []tenants.Schedule{{Role: "ceo", Cron: "0 8 * * 1", Period: "previous_week"}}, // 15:00Z
	}
	if err := r.store.Apply(context.Background(), tenants.File{Tenants: []tenants.Tenant{member}, Portfolios: []tenants.Portfolio{p}}); err != nil {
		t.Fatal(err)
	}
	a, b := r.replica("a", failing{}), r.replica("b", nil)
	r.passAll(a, b) // first sight: both start now
	r.clock.Advance(20 * time.Second)
	r.passAll(a) // a writes both records and fails to publish them
	if got := r.drain(); len(got) != 0 {
		t.Fatalf("a failed publish delivered %d report dues", len(got))
	}
	r.clock.Advance(5 * time.Second)
	r.passAll(b, r.replica("c", nil))
	got := r.drain()
	if len(got) != 2 {
		t.Fatalf("report dues %+v, want the portfolio's and the member's, once each", got)
	}
	var pd, td int
	for _, d := range got {
		switch d.TenantID {
		case "holding-la":
			pd++
			if d.PortfolioID != "holding-la" || d.Role != "ceo" {
				t.Errorf("portfolio due %+v", d)
			}
			// The ISO week before, on the Los Angeles wall clock.
			if d.PeriodStart.Format(time.RFC3339) != "2024-04-29T07:00:00Z" || d.PeriodEnd.Format(time.RFC3339) != "2024-05-06T07:00:00Z" {
				t.Errorf("portfolio period [%s, %s), want the LA week before", d.PeriodStart, d.PeriodEnd)
			}
		case member.ID:
			td++
			if d.PortfolioID != "" {
				t.Errorf("the member's due carries portfolio %q", d.PortfolioID)
			}
		}
	}
	if pd != 1 || td != 1 {
		t.Fatalf("portfolio dues %d, member dues %d", pd, td)
	}
	for range 3 {
		r.clock.Advance(time.Minute)
		r.passAll(r.replica("a2", nil), b)
	}
	if more := r.drain(); len(more) != 0 {
		t.Fatalf("published again: %v", dueTimes(more))
	}

	// A deleted portfolio fires no more.
	if err := r.store.DeletePortfolio(context.Background(), p.ID, r.clock.Now()); err != nil {
		t.Fatal(err)
	}
	r.clock.Set(time.Date(2024, 5, 13, 15, 0, 10, 0, time.UTC))
	r.passAll(b)
	for _, d := range r.drain() {
		if d.PortfolioID != "" {
			t.Fatalf("a deleted portfolio fired: %+v", d)
		}
	}
}
