package report

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// roleOf is role's view of October 2026 (tn's months) for p's facts, as
// of the month's end.
func roleOf(t *testing.T, tn tenants.Tenant, p *pinFacts, role string) View {
	t.Helper()
	due := monthDue(tn, role, 2026, time.October)
	a := analysts[role]
	d, err := load(context.Background(), p.source(), tn, due, due.PeriodEnd, a.metrics, a.findings)
	if err != nil {
		t.Fatal(err)
	}
	return a.analyse(d)
}

// octEnd is the end of October 2026 in UTC, the AsOf of roleOf with
// pinsTenant.
var octEnd = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// marks is each row's first cell with the marks of its cells
// ("exact: |||bad|").
func marks(rows []Row) string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Cells[0]+": "+strings.Join(r.Marks, "|"))
	}
	return strings.Join(out, "\n")
}

// TestCTOLambdaAndEdgeAtTheirThresholds: a function at exactly the error
// limit (0.1 %) or with errors but no invocations is not flagged; a
// distribution whose worst day is exactly 1.00 % 5xx is, one at 0.99 %
// is not; a zone without dangling targets is not marked.
func TestCTOLambdaAndEdgeAtTheirThresholds(t *testing.T) {
	tn := pinsTenant()
	at, day := time.Date(2026, 10, 15, 12, 0, 0, 0, time.UTC), "2026-10-15"
	p := newPinFacts(tn.ID)
	for _, f := range []struct {
		fn        string
		inv, errs int64
	}{{"exact", 1000, 1}, {"idle", 0, 3}} {
		dd := dims("function", f.fn, "day", day)
		p.add(at, messages.SourceAWS, messages.MetricAWSLambdaFunction, messages.KindGauge, at.Unix(), "", state("us-west-2/"+f.fn, 0, dims("function", f.fn)))
		p.add(at, messages.SourceAWS, messages.MetricAWSLambdaInvocations, messages.KindState, f.inv, "", state(f.fn+"@"+day, 1, dd))
		p.add(at, messages.SourceAWS, messages.MetricAWSLambdaErrors, messages.KindState, f.errs, "", state(f.fn+"@"+day, 1, dd))
	}
	for _, e := range []struct {
		id  string
		bp5 int64
	}{{"E100", 100}, {"E99", 99}} {
		p.add(at, messages.SourceAWS, messages.MetricAWSCloudFrontDistribution, messages.KindGauge, 1, "", state(e.id, 0, dims("distribution", e.id, "waf", "true")))
		p.add(at, messages.SourceAWS, messages.MetricAWSCloudFront5xxRate, messages.KindGauge, e.bp5, "", state(e.id+"@"+day, 1, dims("distribution", e.id, "day", day)))
	}
	p.add(at, messages.SourceAWS, messages.MetricAWSRoute53Records, messages.KindGauge, 4, "", state("Z1", 0, dims("zone", "example.com")))
	v := roleOf(t, tn, p, messages.RoleCTO).(*CTOView)
	if g, w := marks(v.Lambda.Rows), "exact: \nidle: "; g != w {
		t.Errorf("Lambda marks:\n%s\nwant:\n%s", g, w)
	}
	if g, w := marks(v.CloudFront.Rows), "E100: |||bad|\nE99: "; g != w {
		t.Errorf("CloudFront marks:\n%s\nwant:\n%s", g, w)
	}
	if g, w := marks(v.Route53.Rows), "example.com: "; g != w {
		t.Errorf("Route53 marks:\n%s\nwant:\n%s", g, w)
	}
	for _, a := range v.Actions {
		if strings.HasPrefix(a.Title, "Bring ") {
			t.Errorf("action %q at or under the limit", a.Title)
		}
	}
}

// TestCTODeployCadence: a last deploy exactly 30 days before the report
// is no warning; 31 days is.
func TestCTODeployCadence(t *testing.T) {
	tn := pinsTenant()
	for _, c := range []struct {
		days   int
		status string
	}{{30, neutral}, {31, warn}} {
		p := newPinFacts(tn.ID)
		last := octEnd.AddDate(0, 0, -c.days)
		p.add(last, messages.SourceAWS, messages.MetricAWSLambdaFunction, messages.KindGauge, last.Unix(), "", state("us-west-2/api", 0, dims("function", "api")))
		p.add(last, messages.SourceAWS, messages.MetricAWSLambdaDeploys, messages.KindAdditive, 1, "", dims("function", "api"))
		v := roleOf(t, tn, p, messages.RoleCTO).(*CTOView)
		if v.Deploys.Status != c.status || !strings.Contains(v.Deploys.Note, "("+strconv.Itoa(c.days)+" days ago)") {
			t.Errorf("last deploy %d days ago: status %q, note %q; want %q", c.days, v.Deploys.Status, v.Deploys.Note, c.status)
		}
	}
}

// TestCTOSecurityNoteNamesOpenSeverities: the note counts only the
// severities that have an open finding.
func TestCTOSecurityNoteNamesOpenSeverities(t *testing.T) {
	tn := pinsTenant()
	p := newPinFacts(tn.ID)
	p.src.findings = append(p.src.findings, messages.Finding{
		Header:    messages.Header{EventID: "f1", TenantID: tn.ID, OccurredAt: time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC), Source: messages.SourceAWS},
		FindingID: "f1", Status: messages.FindingOpen, Severity: messages.SeverityMedium, Title: "Medium", Resource: "r1",
	})
	v := roleOf(t, tn, p, messages.RoleCTO).(*CTOView)
	if w := "Open: 1 " + messages.SeverityMedium + "."; v.Security.Note != w {
		t.Errorf("security note %q, want %q", v.Security.Note, w)
	}
}

// TestCTOSavingsAtTheirThresholds: a service is a savings candidate when
// it grew by more than 20 % and by at least 10.00 since a billed previous
// month, or (otherwise) when it holds more than half of a bill of more
// than one service. Candidates come in cost order; services of equal
// cost keep their name order.
func TestCTOSavingsAtTheirThresholds(t *testing.T) {
	tn := pinsTenant()
	sep, oct := time.Date(2026, 9, 20, 12, 0, 0, 0, time.UTC), time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name     string
		sep, oct map[string]int64
		savings  string // the candidates' service and why
		cost     string // the cost table's services, in order
	}{
		{"growth", map[string]int64{"A": 5000, "B": 1000, "C": 500, "E": 5000}, map[string]int64{"A": 6000, "B": 2000, "C": 700, "D": 1500, "E": 7000},
			// A +20 % exactly; B +100 % and +10.00 exactly; C +40 % but
			// +2.00; D new; E +40 % and +20.00.
			"E | grew +40.0 % vs Sep 2026\nB | grew +100.0 % vs Sep 2026", "E, A, B, D, C, Total"},
		{"exactly half each", nil, map[string]int64{"X": 500, "Y": 500}, "", "X, Y, Total"},
		{"more than half", nil, map[string]int64{"X": 900, "Y": 100}, "X | more than half of the bill (90.0 %)", "X, Y, Total"},
		{"the only service", nil, map[string]int64{"Z": 900}, "", "Z, Total"},
		{"a credit evens the bill", nil, map[string]int64{"P": 100, "Q": -100}, "", "P, Q, Total"},
	} {
		p := newPinFacts(tn.ID)
		mtd := func(at time.Time, by map[string]int64) {
			for svc, v := range by {
				month := at.Format("2006-01")
				p.add(at, messages.SourceAWS, messages.MetricAWSCostMonthToDate, messages.KindGauge, v, "USD", state(svc+"@"+month, at.Unix(), dims("service", svc, "month", month)))
			}
		}
		mtd(sep, c.sep)
		mtd(oct, c.oct)
		v := roleOf(t, tn, p, messages.RoleCTO).(*CTOView)
		var savings, cost []string
		for _, r := range v.Savings.Rows {
			savings = append(savings, r.Cells[0]+" | "+r.Cells[1])
		}
		for _, r := range v.Cost.Rows {
			cost = append(cost, r.Cells[0])
		}
		if g := strings.Join(savings, "\n"); g != c.savings {
			t.Errorf("%s: savings\n%s\nwant\n%s", c.name, g, c.savings)
		}
		if g := strings.Join(cost, ", "); g != c.cost {
			t.Errorf("%s: cost rows %s, want %s", c.name, g, c.cost)
		}
	}
}

// TestCTOCostChartNeedsACostInThePeriod: AWS cost known only from an
// earlier month gives the table's total and no chart.
func TestCTOCostChartNeedsACostInThePeriod(t *testing.T) {
	tn := pinsTenant()
	p := newPinFacts(tn.ID)
	at := time.Date(2026, 9, 20, 12, 0, 0, 0, time.UTC)
	p.add(at, messages.SourceAWS, messages.MetricAWSCostMonthToDate, messages.KindGauge, 5000, "USD", state("A@2026-09", 1, dims("service", "A", "month", "2026-09")))
	v := roleOf(t, tn, p, messages.RoleCTO).(*CTOView)
	if v.Cost.Missing != nil || len(v.Cost.Rows) != 1 || v.Cost.Rows[0].Cells[0] != "Total" {
		t.Fatalf("cost table: missing %v, rows %v", v.Cost.Missing, v.Cost.Rows)
	}
	if v.CostChart != nil {
		t.Errorf("a cost chart without a cost in the period")
	}
}
