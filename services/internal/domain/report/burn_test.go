package report

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// rentOnly is a business without Stripe: $10,000 rent on the 1st of each
// month from firstMonth to November 2026, and $100,000 in the bank.
func rentOnly(tn tenants.Tenant, firstMonth time.Month) *memSource {
	s := &memSource{}
	loc := tn.Location()
	n := 0
	for mo := firstMonth; mo <= time.November; mo++ {
		day := time.Date(2026, mo, 1, 9, 0, 0, 0, loc)
		n++
		s.facts = append(s.facts, messages.MetricEvent{Header: messages.Header{EventID: fmt.Sprintf("e%d", n), TenantID: tn.ID, OccurredAt: day, Source: messages.SourceImport},
			Metric: metricExpenses, Kind: messages.KindState, Version: 1, Entity: fmt.Sprintf("expense/%s/landlord/rent/#1", day.Format(time.DateOnly)), Value: 1000000, Currency: "USD",
			Dimensions: map[string]string{"category": "rent", "vendor": "landlord"}})
	}
	s.facts = append(s.facts, messages.MetricEvent{Header: messages.Header{EventID: "cash", TenantID: tn.ID, OccurredAt: time.Date(2026, 11, 1, 10, 0, 0, 0, loc), Source: messages.SourceImport},
		Metric: metricCashBalance, Kind: messages.KindGauge, Entity: "cash/bank", Version: 1, Value: 10000000, Currency: "USD", Dimensions: map[string]string{"account": "Bank"}})
	return s
}

func mtdDue(tn tenants.Tenant, role string, at time.Time) messages.ReportDue {
	loc := tn.Location()
	l := at.In(loc)
	start := time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, loc)
	return messages.ReportDue{Header: messages.Header{EventID: "due-mtd", TenantID: tn.ID, OccurredAt: at, Source: messages.SourceScheduler},
		ReportID: messages.ReportIDFor(tn.ID, role, start, at), Role: role, PeriodStart: start.UTC(), PeriodEnd: at.UTC(), PeriodKind: messages.PeriodMonthToDate, DueAt: at}
}

// TestRunwayNotExtrapolatedFromDays is the example: a month-to-
// date report on 2 Nov, $10,000 rent paid on the 1st, $100,000 in cash.
// Scaling the two days' spending to a month gave $211,478 a month and
// 0.47 months; the trailing average gives 10 months.
func TestRunwayNotExtrapolatedFromDays(t *testing.T) {
	tn := testTenant()
	at := time.Date(2026, 11, 2, 12, 0, 0, 0, tn.Location())
	for _, c := range []struct {
		first time.Month
		want  []string
	}{
		{time.August, []string{
			"Runway (cash as of 1 Nov 2026): 10.0 months; cash $100,000.00 / $10,000.00 a month (gross burn (revenue unknown), average of 3 months Aug–Oct 2026)",
			"Gross burn (costs; revenue unknown) — 1–2 Nov: $10,000.00",
			"- Trailing: gross burn (revenue unknown), average of 3 months Aug–Oct 2026 — A month: $10,000.00",
			"- This month so far (1–2 Nov, actuals, not extrapolated) — A month: $10,000.00",
		}},
		// No complete month yet: the month so far, as it stands.
		{time.November, []string{
			"Runway (cash as of 1 Nov 2026): 10.0 months; cash $100,000.00 / $10,000.00 a month (gross burn (revenue unknown), 1–2 Nov so far (no complete month yet))",
		}},
	} {
		r, err := Build(context.Background(), rentOnly(tn, c.first), tn, mtdDue(tn, messages.RoleCFO, at), at)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if !strings.Contains(r.Text, w) {
				t.Errorf("rent from %s: CFO text lacks %q:\n%s", c.first, w, r.Text)
			}
		}
		if strings.Contains(r.Text, "0.47") || strings.Contains(r.Text, "211,") {
			t.Errorf("rent from %s: an extrapolated burn is shown", c.first)
		}
		ceo, err := Build(context.Background(), rentOnly(tn, c.first), tn, mtdDue(tn, messages.RoleCEO, at), at)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(ceo.Text, "Runway (at 2 Nov 2026): 10.0 months") || !strings.Contains(ceo.Text, "Gross burn (1–2 Nov): $10,000.00") {
			t.Errorf("rent from %s: CEO text:\n%s", c.first, ceo.Text)
		}
	}
}

// TestBurnMonthsSetting: finance.burn_months chooses how many months are
// averaged.
func TestBurnMonthsSetting(t *testing.T) {
	tn := testTenant()
	tn.Finance.BurnMonths = 1
	at := time.Date(2026, 11, 2, 12, 0, 0, 0, tn.Location())
	r, err := Build(context.Background(), rentOnly(tn, time.August), tn, mtdDue(tn, messages.RoleCFO, at), at)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "(gross burn (revenue unknown), Oct 2026)") {
		t.Errorf("burn_months 1:\n%s", r.Text)
	}
}
