package report

import (
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// TestCEOPinsBurnKPIAtZero: a burn of exactly 0 is neither a profit nor a
// burn to be ashamed of: "burn $0.00", neutral. A move from zero to a
// profit (or from a profit to zero) crosses sides, so it has no change;
// a fall from a burn to zero is a good change.
func TestCEOPinsBurnKPIAtZero(t *testing.T) {
	for _, c := range []struct {
		name                         string
		cur, prev                    int64
		label, value, previous       string
		status, change, changeStatus string
	}{
		{"zero after zero", 0, 0, "Net burn", "$0.00", "burn $0.00 (Sep 2026)", neutral, "no change", neutral},
		{"zero after a burn", 0, 500, "Net burn", "$0.00", "burn $5.00 (Sep 2026)", neutral, "▼ −100.0 %", good},
		{"zero after a profit", 0, -1, "Net burn", "$0.00", "profit $0.01 (Sep 2026)", neutral, "", ""},
		{"a profit after zero", -1, 0, "Net profit", "$0.01", "burn $0.00 (Sep 2026)", good, "", ""},
		{"a bigger profit", -200, -100, "Net profit", "$2.00", "profit $1.00 (Sep 2026)", good, "▲ +100.0 %", good},
	} {
		in := KPI{Label: "Net burn", Value: money(c.cur, "USD"), Status: trend(c.cur, c.prev, false)}
		in.setDelta(moneyDelta(c.cur, c.prev, false))
		k := burnKPI(in, Num{V: c.cur, Known: true}, Num{V: c.prev, Known: true}, "USD", "Sep 2026")
		if k.Label != c.label || k.Value != c.value || k.Previous != c.previous || k.Status != c.status || k.Change != c.change || k.ChangeStatus != c.changeStatus {
			t.Errorf("%s: got %q %q %q status %q change %q (%q); want %q %q %q status %q change %q (%q)", c.name,
				k.Label, k.Value, k.Previous, k.Status, k.Change, k.ChangeStatus,
				c.label, c.value, c.previous, c.status, c.change, c.changeStatus)
		}
	}
}

// TestCEOPinsAgendaDates: a critical shortfall is due in 7 days, a high
// one in 14, anything else in 30; without a shortfall the agenda is one
// P3 item due in 30 days.
func TestCEOPinsAgendaDates(t *testing.T) {
	d := &Data{AsOf: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Loc: time.UTC}
	got := func(as []Action) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Priority+" "+a.Title+" by "+a.By)
		}
		return out
	}
	for _, c := range []struct {
		name string
		fs   []Shortfall
		want []string
	}{
		{"shortfalls", []Shortfall{
			{Severity: messages.SeverityCritical, Title: "c", action: "fix c"},
			{Severity: messages.SeverityHigh, Title: "h", action: "fix h"},
			{Severity: messages.SeverityMedium, Title: "m", action: "fix m"},
		}, []string{"P1 fix c by 8 Nov 2026", "P2 fix h by 15 Nov 2026", "P3 fix m by 1 Dec 2026"}},
		{"none", nil, []string{"P3 Keep the course; review this report with the team by 1 Dec 2026"}},
	} {
		g := got(agenda(d, c.fs))
		if len(g) != len(c.want) {
			t.Errorf("%s: agenda %q, want %q", c.name, g, c.want)
			continue
		}
		for i := range g {
			if g[i] != c.want[i] {
				t.Errorf("%s: agenda %q, want %q", c.name, g, c.want)
				break
			}
		}
	}
}

// ceoOf is the CEO's October 2026 report of p for tn.
func ceoOf(t *testing.T, tn tenants.Tenant, p *pinFacts) *CEOView {
	t.Helper()
	return roleOf(t, tn, p, messages.RoleCEO).(*CEOView)
}

// ceoKPI is the CEO's KPI labelled label.
func ceoKPI(t *testing.T, v *CEOView, label string) KPI {
	t.Helper()
	for _, k := range v.KPIs {
		if k.Label == label {
			return k
		}
	}
	t.Fatalf("no KPI %q in %v", label, v.KPIs)
	return KPI{}
}

// ceoShortfall is the evidence of the shortfall titled title, and whether
// it fired.
func ceoShortfall(v *CEOView, title string) (string, bool) {
	for _, s := range v.Shortfalls {
		if s.Title == title {
			return s.Evidence, true
		}
	}
	return "", false
}

var octMid = time.Date(2026, 10, 15, 12, 0, 0, 0, time.UTC)

func pinCharge(p *pinFacts, minor int64) {
	p.add(octMid, messages.SourceStripe, messages.MetricRevenueGross, messages.KindAdditive, minor, "USD", nil)
}

func pinExpense(p *pinFacts, minor int64) {
	p.add(octMid, messages.SourceImport, metricExpenses, messages.KindState, minor, "USD", state("expense/2026-10-15/Acme/rent", 1, dims(messages.DimCategory, "rent", messages.DimVendor, "Acme")))
}

func pinDeal(p *pinFacts, open int64) {
	p.add(octMid, messages.SourceImport, metricPipelineValue, messages.KindState, open, "USD", state("deal/a", 1, dims("deal", "A", "stage", "proposal", "status", messages.DealOpen)))
}

// TestCEOPinsRevenueExactlyOnTarget: gross revenue equal to the target
// meets it.
func TestCEOPinsRevenueExactlyOnTarget(t *testing.T) {
	tn := pinsTenant()
	tn.Finance.MonthlyRevenueTarget = "1000.00"
	p := newPinFacts(tn.ID)
	pinCharge(p, 100000)
	k := ceoKPI(t, ceoOf(t, tn, p), "Revenue (gross)")
	if k.Status != good || k.Target != "$1,000.00" || k.Note != "100.0 % of target" {
		t.Errorf("revenue on target: status %q, target %q, note %q", k.Status, k.Target, k.Note)
	}
}

// TestCEOPinsBurnNoteAtZero: costs equal to the net revenue are a monthly
// burn of $0.00, not a profit.
func TestCEOPinsBurnNoteAtZero(t *testing.T) {
	tn := pinsTenant()
	p := newPinFacts(tn.ID)
	pinCharge(p, 1000)
	pinExpense(p, 1000)
	k := ceoKPI(t, ceoOf(t, tn, p), "Net burn")
	if w := "monthly burn $0.00 (net burn, Oct 2026)"; !strings.HasSuffix(k.Note, w) || strings.Contains(k.Note, "profit") {
		t.Errorf("burn note %q, want it to end %q", k.Note, w)
	}
}

// TestCEOPinsRunwayAtTheMinimum: cash of exactly MinRunwayMonths' burn is
// enough; a cent less is not.
func TestCEOPinsRunwayAtTheMinimum(t *testing.T) {
	tn := pinsTenant()
	tn.Finance.MinRunwayMonths = 12
	for _, c := range []struct {
		cash   int64
		status string
	}{{12000, good}, {11999, bad}} {
		p := newPinFacts(tn.ID)
		pinExpense(p, 1000)
		p.add(octMid, messages.SourceImport, metricCashBalance, messages.KindGauge, c.cash, "USD", state("cash/bank", octMid.Unix(), dims("account", "Bank")))
		k := ceoKPI(t, ceoOf(t, tn, p), "Runway")
		if k.Status != c.status || k.Value != "12.0 months" {
			t.Errorf("cash %d: runway %q status %q, want 12.0 months %q", c.cash, k.Value, k.Status, c.status)
		}
	}
}

// TestCEOPinsLambdaErrorRate: errors of exactly 1 % of the invocations
// are good, 2 % bad; errors without invocations are not a rate.
func TestCEOPinsLambdaErrorRate(t *testing.T) {
	tn := pinsTenant()
	for _, c := range []struct {
		inv, errs     int64
		value, status string
	}{{100, 1, "1.0 %", good}, {100, 2, "2.0 %", bad}, {0, 3, "n/a", good}} {
		p := newPinFacts(tn.ID)
		dd := dims("function", "api", "day", "2026-10-15")
		p.add(octMid, messages.SourceAWS, messages.MetricAWSLambdaInvocations, messages.KindState, c.inv, "", state("api@2026-10-15", 1, dd))
		p.add(octMid, messages.SourceAWS, messages.MetricAWSLambdaErrors, messages.KindState, c.errs, "", state("api@2026-10-15", 1, dd))
		k := ceoKPI(t, ceoOf(t, tn, p), "Error rate (Lambda)")
		if k.Value != c.value || k.Status != c.status {
			t.Errorf("%d errors in %d: %q %q, want %q %q", c.errs, c.inv, k.Value, k.Status, c.value, c.status)
		}
	}
}

// TestCEOPinsPipelineCoverage: an open pipeline equal to next month's
// target covers it; a cent less does not.
func TestCEOPinsPipelineCoverage(t *testing.T) {
	tn := pinsTenant()
	tn.Finance.MonthlyRevenueTarget = "1000.00"
	for _, c := range []struct {
		open   int64
		status string
	}{{100000, good}, {99999, bad}} {
		p := newPinFacts(tn.ID)
		pinDeal(p, c.open)
		k := ceoKPI(t, ceoOf(t, tn, p), "Pipeline (open deals)")
		if k.Status != c.status || k.Target != "$1,000.00 (November)" {
			t.Errorf("open %d: status %q target %q, want %q", c.open, k.Status, k.Target, c.status)
		}
	}
}

// TestCEOPinsEmptyPipeline: an open pipeline of exactly 0 is empty.
func TestCEOPinsEmptyPipeline(t *testing.T) {
	tn := pinsTenant()
	p := newPinFacts(tn.ID)
	pinDeal(p, 0)
	ev, ok := ceoShortfall(ceoOf(t, tn, p), "Empty pipeline")
	if w := "Open pipeline value is $0.00 as of 1 Nov 2026."; !ok || ev != w {
		t.Errorf("empty pipeline: fired %v, evidence %q, want %q", ok, ev, w)
	}
}

// TestCEOPinsCheckoutFunnel: the funnel is judged from 5 sessions on, and
// broken when fewer than a fifth complete: 1 of 5 is not broken, 0 of 5
// is.
func TestCEOPinsCheckoutFunnel(t *testing.T) {
	tn := pinsTenant()
	for _, c := range []struct {
		done, lost int
		evidence   string
	}{{1, 4, ""}, {0, 5, "0 of 5 checkout sessions completed in Oct 2026 (0.0 %)."}} {
		p := newPinFacts(tn.ID)
		for i := 0; i < c.done+c.lost; i++ {
			m := messages.MetricCheckoutCompleted
			if i >= c.done {
				m = messages.MetricCheckoutExpired
			}
			p.add(octMid, messages.SourceStripe, m, messages.KindAdditive, 1, "", func(e *messages.MetricEvent) { e.Unit = messages.UnitCount })
		}
		ev, ok := ceoShortfall(ceoOf(t, tn, p), "Broken checkout funnel")
		if ok != (c.evidence != "") || ev != c.evidence {
			t.Errorf("%d of %d: fired %v, evidence %q, want %q", c.done, c.done+c.lost, ok, ev, c.evidence)
		}
	}
}
