package report

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// The portfolio fixture: three tenants with a year of facts each in one
// source, a portfolio of the first two (USD and EUR), and a canary in
// the third whose name and distinctive charge must never show.
const (
	canaryName   = "Canary Holdings"
	canaryAmount = int64(987654321) // $9,876,543.21
)

func portfolioFixture() (*memSource, tenants.Portfolio, []tenants.Tenant, tenants.Tenant) {
	usd := testTenant()
	usd.ID, usd.Name = "alpha", "Alpha Tours"
	eur := testTenant()
	eur.ID, eur.Name, eur.Currency, eur.Timezone = "bravo", "Bravo Reisen GmbH", "EUR", "Europe/Berlin"
	canary := testTenant()
	canary.ID, canary.Name = "canary", canaryName
	src := &memSource{}
	for _, tc := range []struct {
		t     tenants.Tenant
		extra int64
	}{{usd, 1234567}, {eur, 7654321}, {canary, canaryAmount}} {
		s := historyData(tc.t.ID, fixtureEnd, 1)
		for _, f := range s.facts {
			if tc.t.Currency != "USD" {
				if f.Currency == "USD" {
					f.Currency = tc.t.Currency
				}
				if f.Entity == "USD" {
					f.Entity = tc.t.Currency
				}
			}
			src.facts = append(src.facts, f)
		}
		// A distinctive charge in the middle of October.
		at := time.Date(2026, 10, 15, 18, 0, 0, 0, time.UTC)
		src.facts = append(src.facts, messages.MetricEvent{Header: messages.Header{EventID: "evt_extra_" + tc.t.ID, TenantID: tc.t.ID, OccurredAt: at, Source: messages.SourceStripe},
			Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: tc.extra, Currency: tc.t.Currency, ObjectID: "ch_extra"})
		src.findings = append(src.findings, s.findings...)
	}
	p := tenants.Portfolio{ID: "holding", Name: "Holding Co", Timezone: "UTC", Members: []string{usd.ID, eur.ID}}
	return src, p, []tenants.Tenant{usd, eur}, canary
}

// portfolioDue is October 2026 in the portfolio's zone (UTC).
func portfolioDue(p tenants.Portfolio, role string) messages.ReportDue {
	start, end := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	return messages.ReportDue{
		Header:   messages.Header{EventID: "due-p", TenantID: p.ID, OccurredAt: end, Source: messages.SourceScheduler},
		ReportID: messages.ReportIDFor(p.ID, role, start, end), Role: role, PortfolioID: p.ID,
		PeriodStart: start, PeriodEnd: end, PeriodKind: messages.PeriodMonth, DueAt: end,
	}
}

func buildPortfolioFixture(t *testing.T, p tenants.Portfolio, role string) Rendered {
	t.Helper()
	src, _, members, _ := portfolioFixture()
	r, err := BuildPortfolio(context.Background(), src, p, members, portfolioDue(p, role), fixtureNow)
	if err != nil {
		t.Fatalf("%s: %v", role, err)
	}
	return r
}

func TestPortfolioPreviewWrite(t *testing.T) {
	_, p, _, _ := portfolioFixture()
	p.FX = &tenants.FX{Currency: "EUR", Rates: map[string]map[string]string{"2026-10": {"USD": "0.9215"}}}
	dir := os.Getenv("PORTFOLIO_PREVIEW")
	if dir == "" {
		t.Skip()
	}
	for _, role := range messages.Roles {
		r := buildPortfolioFixture(t, p, role)
		os.WriteFile(filepath.Join(dir, role+".txt"), []byte("Subject: "+r.Subject+"\n\n"+r.Text), 0o644)
		os.WriteFile(filepath.Join(dir, role+".html"), []byte(r.HTMLWithDataURIs()), 0o644)
	}
}

var _ = regexp.MustCompile
var _ = strings.Contains
