package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
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
	mk := func(id, name, cur, tz string) tenants.Tenant {
		t := testTenant()
		t.ID, t.Name, t.Currency, t.Timezone = id, name, cur, tz
		return t
	}
	alpha := mk("alpha", "Alpha Tours", "USD", "America/Los_Angeles")
	bravo := mk("bravo", "Bravo Reisen GmbH", "EUR", "Europe/Berlin")
	charlie := mk("charlie", "Charlie Dumpsters", "USD", "America/New_York")
	delta := mk("delta", "Delta Centaur Ltd", "GBP", "Europe/London")
	canary := mk("canary", canaryName, "USD", "America/Los_Angeles")
	src := &memSource{}
	for _, tc := range []struct {
		t     tenants.Tenant
		extra int64
	}{{alpha, 1234567}, {bravo, 7654321}, {charlie, 2345678}, {delta, 3456789}, {canary, canaryAmount}} {
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
	// Bravo burns cash: a large payroll from August on, so its runway is
	// a number of months, below its minimum.
	for _, m := range []time.Month{time.August, time.September, time.October} {
		day := time.Date(2026, m, 1, 12, 0, 0, 0, time.UTC)
		src.facts = append(src.facts, messages.MetricEvent{Header: messages.Header{EventID: "evt_payroll_" + m.String(), TenantID: bravo.ID, OccurredAt: day, Source: messages.SourceImport},
			Metric: metricExpenses, Kind: messages.KindState, Version: 1, Entity: "expense/" + day.Format(time.DateOnly) + "/big/payroll/#1", Value: 9000000, Currency: "EUR",
			Dimensions: map[string]string{"category": "payroll", "vendor": "staff"}})
	}
	sort.SliceStable(src.facts, func(i, j int) bool { return src.facts[i].OccurredAt.Before(src.facts[j].OccurredAt) })
	p := tenants.Portfolio{ID: "holding", Name: "Holding Co", Timezone: "UTC", Members: []string{alpha.ID, bravo.ID}}
	return src, p, []tenants.Tenant{alpha, bravo, charlie, delta}, canary
}

// withMembers is the portfolio over the first n tenants of the fixture.
func withMembers(p tenants.Portfolio, all []tenants.Tenant, n int) (tenants.Portfolio, []tenants.Tenant) {
	p.Members = nil
	for _, t := range all[:n] {
		p.Members = append(p.Members, t.ID)
	}
	return p, all[:n]
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

func buildPortfolio(t *testing.T, src Source, p tenants.Portfolio, members []tenants.Tenant, role string) Rendered {
	t.Helper()
	r, err := BuildPortfolio(context.Background(), src, p, members, portfolioDue(p, role), fixtureNow)
	if err != nil {
		t.Fatalf("%s: %v", role, err)
	}
	return r
}

func TestPortfolioPreviewWrite(t *testing.T) {
	dir := os.Getenv("PORTFOLIO_PREVIEW")
	if dir == "" {
		t.Skip("set PORTFOLIO_PREVIEW to a directory to write the fixture portfolio's emails")
	}
	src, p, all, _ := portfolioFixture()
	p, members := withMembers(p, all, 4)
	p.FX = &tenants.FX{Currency: "EUR", Rates: map[string]map[string]string{"2026-10": {"USD": "0.9215"}}}
	for _, role := range messages.Roles {
		r := buildPortfolio(t, src, p, members, role)
		if err := os.WriteFile(filepath.Join(dir, role+".txt"), []byte("Subject: "+r.Subject+"\n\n"+r.Text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, role+".html"), []byte(r.HTMLWithDataURIs()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// ownReport builds a member's own tenant report for October.
func ownReport(t *testing.T, src Source, tn tenants.Tenant, role string) Rendered {
	t.Helper()
	r, err := Build(context.Background(), src, tn, monthDue(tn, role, 2026, time.October), fixtureNow)
	if err != nil {
		t.Fatalf("%s own %s report: %v", tn.ID, role, err)
	}
	return r
}

func find(t *testing.T, what, text, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("%s: no match for %q in:\n%s", what, re, text)
	}
	return strings.TrimSpace(m[1])
}

// card is the text of a business's card in a portfolio email (from its
// title line to the next blank line).
func card(t *testing.T, text, business string) string {
	t.Helper()
	i := strings.Index(text, "\n"+business+" (")
	if i < 0 {
		t.Fatalf("no card for %s in:\n%s", business, text)
	}
	c := text[i+1:]
	if j := strings.Index(c, "\n\n"); j >= 0 {
		c = c[:j]
	}
	return c
}

// ownFigure is, per role, a figure from the member's own report and the
// same figure's line in the member's portfolio card.
var ownFigure = map[string]struct{ own, portfolio string }{
	messages.RoleCEO:        {`Net revenue \(Oct 2026\): (\S+)`, `\n  Net revenue: (\S+)`},
	messages.RoleCFO:        {`Runway \(cash as of [^)]*\): ([^;\n(]+)`, `\n  Runway: ([^(\n]+)`},
	messages.RoleCTO:        {`Total — Cost: (\S+);`, `\n  AWS cost: (\S+)`},
	messages.RoleCMO:        {`New customers \(Oct 2026\): ([\d,]+)`, `\n  New customers: ([\d,]+)`},
	messages.RoleAccounting: {`Net revenue — Oct 2026: (\S+);`, `\n  Net revenue: (\S+)`},
}

// TestPortfolioIsolation: three tenants in one source, a portfolio of
// two, a canary (a distinctive name and charge) in the third. Every
// role's portfolio email shows both members, each with a figure from its
// own report, and never the canary (not its name, not its charge, not
// its own report's figure).
func TestPortfolioIsolation(t *testing.T) {
	src, p, all, canary := portfolioFixture()
	p, members := withMembers(p, all, 2)
	canaryOwn := ownReport(t, src, canary, messages.RoleCEO)
	canaryNet := find(t, "canary", canaryOwn.Text, ownFigure[messages.RoleCEO].own)
	for _, role := range messages.Roles {
		r := buildPortfolio(t, src, p, members, role)
		for _, part := range []struct{ name, body string }{{"html", r.HTML}, {"text", r.Text}, {"subject", r.Subject}} {
			low := strings.ToLower(part.body)
			for _, bad := range []string{"canary", "9,876,543", "98,765", canaryNet} {
				if strings.Contains(low, strings.ToLower(bad)) {
					t.Errorf("%s %s shows the canary's %q", role, part.name, bad)
				}
			}
		}
		for _, m := range members {
			if !strings.Contains(r.HTML, htmlEscape(m.Name)) || !strings.Contains(r.Text, m.Name) {
				t.Errorf("%s: member %s missing", role, m.Name)
			}
			want := find(t, m.ID+" own "+role, ownReport(t, src, m, role).Text, ownFigure[role].own)
			c := card(t, r.Text, m.Name)
			if got := find(t, m.ID+" portfolio "+role, c, ownFigure[role].portfolio); got != want {
				t.Errorf("%s: %s shows %q in the portfolio, %q in its own report", role, m.Name, got, want)
			}
			if !strings.Contains(r.HTML, htmlEscape(want)) {
				t.Errorf("%s html lacks %s's %q", role, m.Name, want)
			}
		}
	}
	// A tenant outside the portfolio is refused, not read.
	_, err := BuildPortfolio(context.Background(), src, p, append(members, canary), portfolioDue(p, messages.RoleCEO), fixtureNow)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "canary") {
		t.Errorf("a non-member tenant: err %v, want ErrInvalid naming it", err)
	}
}

func htmlEscape(s string) string { return html.EscapeString(s) }

// TestPortfolioFiguresAgree: a member's net revenue, MRR, runway and
// monthly burn in the portfolio's CEO and CFO emails are the strings of
// its own reports (a USD member in Los Angeles and a burning EUR member
// in Berlin, for a portfolio in UTC).
func TestPortfolioFiguresAgree(t *testing.T) {
	src, p, all, _ := portfolioFixture()
	p, members := withMembers(p, all, 2)
	ceo := buildPortfolio(t, src, p, members, messages.RoleCEO).Text
	cfo := buildPortfolio(t, src, p, members, messages.RoleCFO).Text
	for _, m := range members {
		own := ownReport(t, src, m, messages.RoleCEO).Text
		ownCFO := ownReport(t, src, m, messages.RoleCFO).Text
		cc, fc := card(t, ceo, m.Name), card(t, cfo, m.Name)
		for _, f := range []struct{ name, own, ownRE, portfolio, portRE string }{
			{"net revenue", own, `Net revenue \(Oct 2026\): (\S+)`, cc, `\n  Net revenue: (\S+)`},
			{"gross revenue", own, `Revenue \(gross\) \(Oct 2026\): (\S+)`, cc, `\n  Revenue \(gross\) vs target: (\S+)`},
			{"MRR", own, `- MRR \(at [^)]*\): (\S+)`, cc, `\n  MRR: (\S+)`},
			{"CEO runway", own, `Runway \(at [^)]*\): ([^;\n(]+)`, cc, `\n  Runway: ([^(\n]+)`},
			{"CFO runway", ownCFO, `Runway \(cash as of [^)]*\): ([^;\n(]+)`, fc, `\n  Runway: ([^(\n]+)`},
			{"monthly burn", ownCFO, `MONTHLY BURN\n\([^)]*\)\n- [^\n]*— A month: (\S+)`, fc, `\n  Monthly (?:burn \(for runway\)|profit): (\S+)`},
		} {
			want, got := find(t, m.ID+" own "+f.name, f.own, f.ownRE), find(t, m.ID+" portfolio "+f.name, f.portfolio, f.portRE)
			if got != want {
				t.Errorf("%s %s: portfolio %q, own report %q", m.Name, f.name, got, want)
			}
		}
	}
	// The fixture's Bravo burns: its runway is months, not "not burning".
	if r := find(t, "bravo", card(t, cfo, "Bravo Reisen GmbH"), `\n  Runway: ([^(\n]+)`); !strings.HasSuffix(r, "months") {
		t.Errorf("Bravo's runway %q: the fixture should burn", r)
	}
}

// minorOf parses a formatted amount ("$1,234.56", "€12.00") into minor
// units.
func minorOf(t *testing.T, s string) int64 {
	t.Helper()
	neg := strings.HasPrefix(s, minusSign)
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	var n int64
	for _, r := range digits {
		n = n*10 + int64(r-'0')
	}
	if neg {
		n = -n
	}
	return n
}

// TestPortfolioTotalsPerCurrency: two USD members, one EUR and one GBP.
// The USD total is the sum of the two USD members' own figures; EUR and
// GBP each stand alone; nothing is summed across currencies.
func TestPortfolioTotalsPerCurrency(t *testing.T) {
	src, p, all, _ := portfolioFixture()
	p, members := withMembers(p, all, 4)
	v, err := AnalysePortfolio(context.Background(), src, p, members, portfolioDue(p, messages.RoleCEO), fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	text := buildPortfolio(t, src, p, members, messages.RoleCEO).Text
	gross := map[string]int64{}
	for _, m := range members {
		own := ownReport(t, src, m, messages.RoleCEO).Text
		gross[m.Currency] += minorOf(t, find(t, m.ID, own, `Revenue \(gross\) \(Oct 2026\): (\S+)`))
	}
	if len(v.Totals) != 3 {
		t.Fatalf("%d totals cards, want one per currency (EUR, GBP, USD): %+v", len(v.Totals), v.Totals)
	}
	for _, c := range v.Totals {
		cc := strings.TrimPrefix(c.Title, "Total in ")
		if c.Lines[0].Label != "Revenue (gross)" {
			t.Fatalf("first total line %q", c.Lines[0].Label)
		}
		if got, want := c.Lines[0].Value, money(gross[cc], cc); got != want {
			t.Errorf("%s revenue total %s, want %s (the members' own figures summed)", cc, got, want)
		}
	}
	for _, w := range []string{
		"Total in USD (2 businesses: Alpha Tours and Charlie Dumpsters · October 2026)",
		"Total in EUR (1 business: Bravo Reisen GmbH · October 2026)",
		"Total in GBP (1 business: Delta Centaur Ltd · October 2026)",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("text lacks %q", w)
		}
	}
	if v.FX != nil || strings.Contains(text, "Consolidated") || strings.Contains(text, "≈") {
		t.Error("without an fx block nothing is converted")
	}
}

// TestPortfolioFXConversion: integer conversion with a four-decimal rate,
// rounded half to even, and a currency without a rate left out and said.
func TestPortfolioFXConversion(t *testing.T) {
	for _, c := range []struct {
		minor    int64
		from, to string
		rate     string
		want     int64
	}{
		{1000, "USD", "EUR", "0.9215", 922},      // 921.5 → 922 (even)
		{1001, "USD", "EUR", "0.9215", 922},      // 922.4215
		{3000, "USD", "EUR", "0.9215", 2764},     // 2764.5 → 2764 (even)
		{10, "USD", "EUR", "0.25", 2},            // 2.5 → 2
		{30, "USD", "EUR", "0.25", 8},            // 7.5 → 8
		{-10, "USD", "EUR", "0.25", -2},          // −2.5 → −2
		{-30, "USD", "EUR", "0.25", -8},          // −7.5 → −8
		{10000, "USD", "JPY", "151.2345", 15123}, // $100 → ¥15,123.45 → ¥15,123
		{15125, "JPY", "USD", "0.0066", 9982},    // ¥15,125 → 9982.5 cents → 9982 (even)
		{123456789012, "EUR", "USD", "1.0825", 133641974105},
	} {
		got, err := convertMinor(c.minor, c.from, c.to, c.rate)
		if err != nil || got != c.want {
			t.Errorf("convert %d %s → %s at %s = %d, %v; want %d", c.minor, c.from, c.to, c.rate, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "abc", "-1", "0", "0.0000", "1e3", "1/3", "0x1p-2", ".5", "1,5"} {
		if _, err := convertMinor(100, "USD", "EUR", bad); err == nil {
			t.Errorf("rate %q accepted", bad)
		}
	}

	src, p, all, _ := portfolioFixture()
	p, members := withMembers(p, all, 4)
	p.FX = &tenants.FX{Currency: "EUR", Rates: map[string]map[string]string{"2026-10": {"USD": "0.9215"}, "2026-09": {"GBP": "1.1500"}}}
	v, err := AnalysePortfolio(context.Background(), src, p, members, portfolioDue(p, messages.RoleCEO), fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	tot := map[string]int64{}
	for _, c := range v.Totals {
		tot[strings.TrimPrefix(c.Title, "Total in ")] = minorOf(t, c.Lines[0].Value)
	}
	usd, err := convertMinor(tot["USD"], "USD", "EUR", "0.9215")
	if err != nil {
		t.Fatal(err)
	}
	if v.FX == nil {
		t.Fatal("no consolidated card with an fx block")
	}
	l := v.FX.Lines[0]
	if want := "≈ " + money(tot["EUR"]+usd, "EUR"); l.Value != want {
		t.Errorf("consolidated revenue %q, want %q (EUR + converted USD; GBP has no October rate)", l.Value, want)
	}
	for _, w := range []string{"≈ " + money(usd, "EUR") + " converted from " + money(tot["USD"], "USD") + " at 1 USD = 0.9215 EUR, 2026-10 rate", money(tot["EUR"], "EUR") + " in EUR"} {
		if !strings.Contains(l.Note, w) {
			t.Errorf("consolidated note %q lacks %q", l.Note, w)
		}
	}
	if strings.Contains(l.Note, "GBP") || strings.Contains(l.Note, "£") {
		t.Errorf("GBP converted without a rate: %q", l.Note)
	}
	text := buildPortfolio(t, src, p, members, messages.RoleCEO).Text
	if !strings.Contains(text, "Amounts in GBP are left out of the conversion: the fx block has no 2026-10 rate for GBP.") {
		t.Errorf("the missing rate is not said:\n%s", text)
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, "≈") && !strings.Contains(line, "converted") {
			t.Errorf("a converted figure does not say so: %q", line)
		}
	}
}

// TestPortfolioAttentionNamesBusiness: "Needs attention" ranks the
// members' items across the portfolio by severity, each naming its
// business; every agenda action (and every CTO action) names one.
func TestPortfolioAttentionNamesBusiness(t *testing.T) {
	src, p, all, _ := portfolioFixture()
	p, members := withMembers(p, all, 4)
	names := map[string]bool{}
	for _, m := range members {
		names[m.Name] = true
	}
	for _, role := range messages.Roles {
		v, err := AnalysePortfolio(context.Background(), src, p, members, portfolioDue(p, role), fixtureNow)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Render(v)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Attention) == 0 || len(v.Attention) > portfolioAttentionMax {
			t.Errorf("%s: %d items", role, len(v.Attention))
		}
		seen := map[string]bool{}
		for i, it := range v.Attention {
			if !names[it.Business] {
				t.Errorf("%s item %d %q names %q", role, i, it.Title, it.Business)
			}
			seen[it.Business] = true
			if i > 0 && severityOrder[it.Severity] < severityOrder[v.Attention[i-1].Severity] {
				t.Errorf("%s: item %d (%s) ranked after a %s one", role, i, it.Severity, v.Attention[i-1].Severity)
			}
			line := fmt.Sprintf("%d. [%s] %s: %s", i+1, strings.ToUpper(it.Severity), it.Business, it.Title)
			if !strings.Contains(r.Text, line) {
				t.Errorf("%s text lacks %q", role, line)
			}
		}
		if len(seen) < 2 {
			t.Errorf("%s: items of %d business(es) only: not ranked across the portfolio", role, len(seen))
		}
		if !strings.HasPrefix(v.Preheader, v.Attention[0].Business+": ") {
			t.Errorf("%s preheader %q does not name the business", role, v.Preheader)
		}
		acts := append(append([]Action{}, v.Agenda...), v.Actions...)
		if len(v.Agenda) == 0 || len(v.Agenda) > portfolioAgendaMax || len(v.Actions) > portfolioAgendaMax {
			t.Errorf("%s: agenda of %d, actions %d", role, len(v.Agenda), len(v.Actions))
		}
		for _, a := range acts {
			if !names[a.Business] {
				t.Errorf("%s action %q names %q", role, a.Title, a.Business)
			}
			if !strings.Contains(r.Text, "] "+a.Business+": "+a.Title) {
				t.Errorf("%s text lacks the action %q naming %s", role, a.Title, a.Business)
			}
		}
	}
	// The CFO's most pressing item is Bravo's runway, the only critical.
	v, _ := AnalysePortfolio(context.Background(), src, p, members, portfolioDue(p, messages.RoleCFO), fixtureNow)
	if it := v.Attention[0]; it.Business != "Bravo Reisen GmbH" || it.Rule != "runway_below_minimum" {
		t.Errorf("CFO first item %s %s, want Bravo's runway", it.Business, it.Rule)
	}
}

// TestPortfolioGolden keeps each role's portfolio email (four businesses,
// three currencies, an fx block) as a reviewable golden file.
func TestPortfolioGolden(t *testing.T) {
	src, p, all, _ := portfolioFixture()
	p, members := withMembers(p, all, 4)
	p.FX = &tenants.FX{Currency: "EUR", Rates: map[string]map[string]string{"2026-10": {"USD": "0.9215"}}}
	for _, role := range messages.Roles {
		r := buildPortfolio(t, src, p, members, role)
		golden(t, "portfolio_"+role+".html", r.HTML)
		golden(t, "portfolio_"+role+".txt", "Subject: "+r.Subject+"\n\n"+r.Text)
	}
}

// TestPortfolioUnknownIsNotZero: a member that never delivered data is
// unknown in its card and named beside the totals, never a zero; a
// portfolio whose members have no data at all is the short note.
func TestPortfolioUnknownIsNotZero(t *testing.T) {
	src, p, all, _ := portfolioFixture()
	empty := testTenant()
	empty.ID, empty.Name = "empty", "Empty Co"
	p.Members = []string{"alpha", "empty"}
	members := []tenants.Tenant{all[0], empty}
	for _, role := range messages.Roles {
		r := buildPortfolio(t, src, p, members, role)
		c := card(t, r.Text, "Empty Co")
		if !strings.Contains(c, ": unknown") {
			t.Errorf("%s: Empty Co's card shows no unknown figure:\n%s", role, c)
		}
		if strings.Contains(c, "$0.00") {
			t.Errorf("%s: Empty Co's card shows a zero amount:\n%s", role, c)
		}
	}
	text := buildPortfolio(t, src, p, members, messages.RoleCEO).Text
	if !strings.Contains(text, "  Revenue (gross): $22,845.67 (without Empty Co (unknown, not counted as zero))") {
		t.Errorf("the USD total does not name the unknown member:\n%s", text)
	}
	p.Members = []string{"empty"}
	r := buildPortfolio(t, &memSource{}, p, []tenants.Tenant{empty}, messages.RoleCFO)
	if !strings.Contains(r.Text, "NO DATA YET") {
		t.Errorf("no data at all is not the short note:\n%s", r.Text)
	}
}

// TestPortfolioPreviewJSONAndEscaping: the view marshals for reportctl's
// JSON preview, and a business's name is data, escaped in the HTML.
func TestPortfolioPreviewJSONAndEscaping(t *testing.T) {
	src, p, all, _ := portfolioFixture()
	p, members := withMembers(p, all, 2)
	members = slices.Clone(members)
	members[0].Name = "Alpha <script>alert(1)</script>"
	v, err := AnalysePortfolio(context.Background(), src, p, members, portfolioDue(p, messages.RoleCEO), fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"Title":"Bravo Reisen GmbH"`) {
		t.Errorf("JSON preview lacks the cards: %.300s", b)
	}
	for _, role := range messages.Roles {
		r := buildPortfolio(t, src, p, members, role)
		if strings.Contains(r.HTML, "<script>alert(1)") {
			t.Errorf("%s: a business name is not escaped", role)
		}
	}
}

// TestPortfolioMemberPeriods: a calendar period is the same dates in each
// member's zone (the member's own October), an interval the same
// instants, and month to date starts at the member's midnight and ends
// at the same instant.
func TestPortfolioMemberPeriods(t *testing.T) {
	la := testTenant() // America/Los_Angeles
	utc := time.UTC
	oct, nov := time.Date(2026, 10, 1, 0, 0, 0, 0, utc), time.Date(2026, 11, 1, 0, 0, 0, 0, utc)
	mid := time.Date(2026, 11, 12, 9, 30, 0, 0, utc)
	laOct, laNov := time.Date(2026, 10, 1, 0, 0, 0, 0, la.Location()), time.Date(2026, 11, 1, 0, 0, 0, 0, la.Location())
	for _, c := range []struct {
		kind               string
		start, end         time.Time
		wantStart, wantEnd time.Time
	}{
		{messages.PeriodPreviousMonth, oct, nov, laOct, laNov},
		{messages.PeriodMonth, oct, nov, laOct, laNov},
		{messages.PeriodInterval, oct, nov, oct, nov},
		{messages.PeriodMonthToDate, nov, mid, laNov, mid},
		{messages.PeriodMonth, oct.Add(time.Hour), nov, oct.Add(time.Hour), nov},
	} {
		due := messages.ReportDue{Header: messages.Header{TenantID: "holding"}, PortfolioID: "holding", Role: messages.RoleCEO, PeriodKind: c.kind, PeriodStart: c.start, PeriodEnd: c.end}
		md := memberDue(la, due, utc)
		if !md.PeriodStart.Equal(c.wantStart) || !md.PeriodEnd.Equal(c.wantEnd) || md.TenantID != la.ID || md.PortfolioID != "" {
			t.Errorf("%s [%s, %s): member due [%s, %s) tenant %q", c.kind, c.start, c.end, md.PeriodStart, md.PeriodEnd, md.TenantID)
		}
		if want := messages.ReportIDFor(la.ID, messages.RoleCEO, c.wantStart, c.wantEnd); md.ReportID != want {
			t.Errorf("%s: report id %s, want the member's own %s", c.kind, md.ReportID, want)
		}
	}
}

// TestPortfolioLedgerCSV: the accounting board pack carries one CSV of
// every member's ledger lines, each naming its business, with the members'
// distinctive charges and never the canary's; email.attachments: [] turns
// it off, and other roles carry none.
func TestPortfolioLedgerCSV(t *testing.T) {
	src, p, all, _ := portfolioFixture()
	p, members := withMembers(p, all, 2)
	r := buildPortfolio(t, src, p, members, messages.RoleAccounting)
	var csv string
	for _, a := range r.Attachments {
		if a.ContentType == ContentTypeCSV {
			csv = string(a.Data)
			if a.Filename != "holding-accounting-2026-10.csv" {
				t.Errorf("csv file name %q", a.Filename)
			}
		}
	}
	if csv == "" {
		t.Fatalf("the accounting board pack has no CSV: %+v", r.Attachments)
	}
	for _, want := range []string{"Alpha Tours", "Bravo Reisen GmbH", "12345.67,USD", "76543.21,EUR"} {
		if !strings.Contains(csv, want) {
			t.Errorf("the CSV lacks %q:\n%s", want, csv)
		}
	}
	for _, bad := range []string{canaryName, "9876543.21", "Charlie Dumpsters"} {
		if strings.Contains(csv, bad) {
			t.Errorf("the CSV shows %q, which is not a member's", bad)
		}
	}
	if !strings.Contains(r.HTML, ViewPlaceholder) {
		t.Error("the board pack has no View in browser link for the mailer to sign")
	}
	off := []string{}
	p.Email.Attachments = &off
	if r := buildPortfolio(t, src, p, members, messages.RoleAccounting); len(r.Attachments) != 0 {
		t.Errorf("attachments: [] still attached %d files", len(r.Attachments))
	}
	p.Email.Attachments = nil
	if r := buildPortfolio(t, src, p, members, messages.RoleCFO); len(r.Attachments) != 0 {
		t.Errorf("the CFO board pack carries %d attachments; only accounting has a CSV", len(r.Attachments))
	}
}
