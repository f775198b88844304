package report

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// TestOneValuePerFigure renders every role for the rich fixture and fails
// when the same labelled figure shows two values anywhere in the five
// emails (the CFO once showed a $12,000 target in its table and $15,000
// in its rules).
func TestOneValuePerFigure(t *testing.T) {
	texts := map[string]string{}
	for _, role := range messages.Roles {
		texts[role] = buildFixture(t, role).Text
	}
	const amt = `(−?\$[\d,]+\.\d\d)`
	figures := map[string][]struct{ role, re string }{
		"October's revenue target": {
			{"ceo", `Revenue \(gross\) \(Oct 2026\):[^\n]*; target ` + amt},
			{"cfo", `Oct 2026 — Target: ` + amt},
			{"cfo", `Revenue on target \(Oct 2026\): \$[\d,.]+ vs ` + amt},
			{"*", `threshold target ` + amt + ` from`},
		},
		"October's gross revenue": {
			{"ceo", `Revenue \(gross\) \(Oct 2026\): ` + amt},
			{"cfo", `Oct 2026 — Target: \$[\d,.]+; Actual: ` + amt},
			{"accounting", `Gross charges — Oct 2026: ` + amt},
			{"*", `Revenue below target[^:\n]*: ` + amt},
		},
		"share of target": {
			{"ceo", `; ([\d.]+ %) of target`},
			{"*", `Revenue below target[^:\n]*: \$[\d,.]+, ([\d.]+ %) of target`},
		},
		"October's net revenue": {
			{"ceo", `Net revenue \(Oct 2026\): ` + amt},
			{"cfo", `Net revenue \(Stripe\) — Oct 2026: ` + amt},
			{"accounting", `Net revenue — Oct 2026: ` + amt},
			{"accounting", `Net revenue — Amount: ` + amt},
			{"accounting", `net revenue ` + amt + ` covers`},
		},
		"October's costs": {
			{"cfo", `Total costs — Oct 2026: ` + amt},
			{"cfo", `Costs to cover — Value: ` + amt},
			{"accounting", `covers costs ` + amt},
		},
		"October's AWS cost": {
			{"ceo", `AWS cost \(Oct 2026\): ` + amt},
			{"cfo", `AWS cost — Oct 2026: ` + amt},
			{"cto", `Total — Cost: ` + amt},
		},
		"October's unreconciled payouts": {
			{"accounting", `Unreconciled difference — Amount: ` + amt},
			{"accounting", `Payouts unreconciled \(Stripe balance vs payouts\) — Oct 2026: ` + amt},
			{"*", `Payouts do not reconcile: ` + amt + ` unreconciled`},
		},
		"runway": {
			{"ceo", `Runway \(at [^)]*\): ([^;\n]+)`},
			{"cfo", `Runway \(cash as of [^)]*\): ([^;\n]+)`},
			{"cfo", `Runway at least \d+ months \(finance.min_runway_months\): ([^\n]+)`},
		},
		"charges needed to break even": {
			{"cfo", `Charges needed to break even — Value: ([\d,]+)`},
			{"accounting", `vs ([\d,]+) needed to break even`},
		},
		"new customers in October": {
			{"cmo", `New customers \(Oct 2026\): ([\d,]+)`},
			{"cmo", `from ([\d,]+) in Oct 2026`},
		},
	}
	for name, places := range figures {
		seen := map[string][]string{}
		for _, p := range places {
			roles := []string{p.role}
			if p.role == "*" {
				roles = messages.Roles
			}
			found := false
			for _, role := range roles {
				for _, m := range regexp.MustCompile(p.re).FindAllStringSubmatch(texts[role], -1) {
					seen[m[1]] = append(seen[m[1]], role)
					found = true
				}
			}
			if !found {
				t.Errorf("%s: %q not found in %s", name, p.re, p.role)
			}
		}
		if len(seen) > 1 {
			t.Errorf("%s shows %d values: %v", name, len(seen), seen)
		}
	}
}

// TestBreakEvenFromActuals: the issue's CFO said "140 charges = 132 % of
// break-even" from the configured $120 price and $9,000 fixed costs. From
// the actuals ($5,098.00 of costs, $71.56 net revenue per charge) 72
// charges break even; the model is used only without actuals, labelled.
func TestBreakEvenFromActuals(t *testing.T) {
	cfo := buildFixture(t, messages.RoleCFO).Text
	for _, w := range []string{
		"Charges needed to break even — Value: 72 charges",
		"Charges in Oct 2026 — Value: 140 (194.4 % of break-even)",
		"From actuals, Oct 2026: costs $5,098.00; net revenue per charge $71.56 ($10,018.92 ÷ 140 charges).",
	} {
		if !strings.Contains(cfo, w) {
			t.Errorf("cfo lacks %q", w)
		}
	}
	if strings.Contains(cfo, "132.1 %") {
		t.Error("cfo still uses the configured unit economics")
	}
	tn := testTenant()
	at := time.Date(2026, 11, 2, 12, 0, 0, 0, tn.Location())
	onlyPipeline := &memSource{}
	for _, f := range fixtureSource().facts {
		if f.Metric == metricPipelineValue {
			onlyPipeline.facts = append(onlyPipeline.facts, f)
		}
	}
	r, err := Build(context.Background(), onlyPipeline, tn, mtdDue(tn, messages.RoleCFO, at), at)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "Charges needed to break even — Value: 106 units a month (model)") ||
		!strings.Contains(r.Text, "From model (the tenants file): fixed costs $9,000.00 a month; $120.00 price − $35.00 variable cost = $85.00 a unit.") {
		t.Errorf("no actuals: the model is not used or not labelled:\n%s", r.Text)
	}
}

// TestCMOMilestoneFromCurrentValue: 32 new customers in October give a
// 60-day milestone of 35 (+10 %) from 32, not 33 from September's 30.
func TestCMOMilestoneFromCurrentValue(t *testing.T) {
	cmo := buildFixture(t, messages.RoleCMO).Text
	if !strings.Contains(cmo, "[60d] Reach 35 new customers a period (+10 %) (by 30 Dec 2026) — from 32 in Oct 2026") {
		t.Errorf("cmo milestone:\n%s", cmo)
	}
}
