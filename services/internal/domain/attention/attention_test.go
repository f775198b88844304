package attention

import (
	"testing"

	"github.com/boardpack/boardpack/messages"
)

func TestRankAcrossBusinesses(t *testing.T) {
	items := []Item{
		{Rule: CostGrowth, Business: "JADA", Severity: messages.SeverityMedium, Excess: 0.5},
		{Rule: RevenueBelowTarget, Business: "QOS", Severity: messages.SeverityHigh, Excess: 0.3},
		{Rule: RunwayBelowMinimum, Business: "QDN", Severity: messages.SeverityCritical, Excess: 0.1},
		{Rule: LambdaErrorRate, Business: "QOS", Severity: messages.SeverityHigh, Excess: 2.4},
		{Rule: StaleSource, Business: "DC", Severity: messages.SeverityMedium, Excess: 0.5},
		{Rule: RefundsDisputes, Business: "DC", Severity: messages.SeverityHigh, Excess: 0.3},
	}
	got := Rank(items, Max)
	want := []string{"QDN runway_below_minimum", "QOS lambda_error_rate", "QOS revenue_below_target", "DC refunds_disputes", "JADA cost_growth"}
	if len(got) != len(want) {
		t.Fatalf("got %d items, want %d", len(got), len(want))
	}
	for i, it := range got {
		if s := it.Business + " " + string(it.Rule); s != want[i] {
			t.Errorf("#%d: %s, want %s", i+1, s, want[i])
		}
	}
}

func TestEveryRuleSpeaksToARole(t *testing.T) {
	for _, s := range Catalogue {
		if len(s.Roles) == 0 || s.Why == "" || s.Threshold == "" {
			t.Errorf("%s: roles %v, why %q, threshold %q", s.Rule, s.Roles, s.Why, s.Threshold)
		}
	}
	if !ForRole(LambdaErrorRate, messages.RoleCTO) || ForRole(LambdaErrorRate, messages.RoleCMO) {
		t.Error("lambda errors belong to the CTO, not the CMO")
	}
}
