package report

import (
	"regexp"
	"testing"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// TestPortfolioCFOHeadlineNamesTheShortestRunway: the CFO board pack's
// subject names the member with the shortest runway, or says every
// business is profitable when none burns. The fixture's Alpha and Charlie
// are profitable and Bravo burns (a large payroll); Echo is Bravo's twin
// under another name, so its runway is exactly Bravo's, and Foxtrot burns
// twice as much (a shorter runway). A tie goes to the member listed first.
func TestPortfolioCFOHeadlineNamesTheShortestRunway(t *testing.T) {
	src, p, all, _ := portfolioFixture()
	alpha, bravo, charlie := all[0], all[1], all[2]
	twin := func(of tenants.Tenant, id, name string, factor int64) tenants.Tenant {
		tw := of
		tw.ID, tw.Name = id, name
		var extra []messages.MetricEvent
		for _, f := range src.facts {
			if f.TenantID != of.ID {
				continue
			}
			f.TenantID = id
			f.EventID = id + "_" + f.EventID
			if f.Metric == metricExpenses && f.Dimensions["category"] == "payroll" && f.Dimensions["vendor"] == "staff" {
				f.Value *= factor
			}
			extra = append(extra, f)
		}
		src.facts = append(src.facts, extra...)
		return tw
	}
	echo := twin(bravo, "echo", "Echo Reisen GmbH", 1)
	foxtrot := twin(bravo, "foxtrot", "Foxtrot Reisen GmbH", 2)
	runway := regexp.MustCompile(`shortest runway (\d+\.\d months) \(([^)]+)\)`)
	subject := func(members ...tenants.Tenant) string {
		q := p
		q.Members = nil
		for _, m := range members {
			q.Members = append(q.Members, m.ID)
		}
		return buildPortfolio(t, src, q, members, messages.RoleCFO).Subject
	}

	if s := subject(alpha, charlie); !regexp.MustCompile(`: every business profitable · `).MatchString(s) {
		t.Errorf("profitable members: subject %q; want every business profitable", s)
	}
	m := runway.FindStringSubmatch(subject(alpha, bravo))
	if m == nil || m[2] != bravo.Name {
		t.Fatalf("one burning member: subject %q; want Bravo's runway", subject(alpha, bravo))
	}
	bravoRunway := m[1]
	for _, order := range [][]tenants.Tenant{{bravo, foxtrot}, {foxtrot, bravo}} {
		s := subject(order...)
		m := runway.FindStringSubmatch(s)
		if m == nil || m[2] != foxtrot.Name || m[1] == bravoRunway {
			t.Errorf("%s first: subject %q; want Foxtrot's runway, shorter than Bravo's %s", order[0].ID, s, bravoRunway)
		}
	}
	for _, order := range [][]tenants.Tenant{{bravo, echo}, {echo, bravo}} {
		s := subject(order...)
		if m := runway.FindStringSubmatch(s); m == nil || m[1] != bravoRunway || m[2] != order[0].Name {
			t.Errorf("%s first: subject %q; want %s's runway %s (a tie goes to the first)", order[0].ID, s, order[0].Name, bravoRunway)
		}
	}
}

// TestPortfolioCTOHeadlineCountsCriticalAndHigh: the CTO board pack's
// subject counts the members' open critical and high findings, and no
// other severity. Each fixture tenant has one critical, two high and one
// low open finding; Alpha gets a medium one more: 3 + 3 = 6.
func TestPortfolioCTOHeadlineCountsCriticalAndHigh(t *testing.T) {
	src, p, all, _ := portfolioFixture()
	for _, f := range src.findings {
		if f.TenantID == all[0].ID && f.Severity == messages.SeverityLow {
			f.FindingID, f.Severity = f.FindingID+"-medium", messages.SeverityMedium
			src.findings = append(src.findings, f)
			break
		}
	}
	p, members := withMembers(p, all, 2)
	s := buildPortfolio(t, src, p, members, messages.RoleCTO).Subject
	if !regexp.MustCompile(`: 6 critical or high findings, `).MatchString(s) {
		t.Errorf("subject %q; want 6 critical or high findings", s)
	}
}

// TestBurnTextAtZero: no burn is a burn of $0.00, not a profit; a cent
// less is a profit of a cent, never a negative burn.
func TestBurnTextAtZero(t *testing.T) {
	for n, want := range map[int64]string{0: "burn $0.00", -1: "profit $0.01", 1: "burn $0.01"} {
		if got := burnText(n, "USD"); got != want {
			t.Errorf("burnText(%d) = %q; want %q", n, got, want)
		}
	}
}
