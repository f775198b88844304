// Package attention is the "needs attention" catalogue: the rules that
// decide what an executive must act on first, their defaults (overridable
// per tenant with the tenants file's `thresholds:` block, see
// tenants.Thresholds), which roles each rule speaks to, and the ranking
// that keeps an email to its five most pressing items.
//
// The package knows nothing of one tenant's data: report evaluates the
// rules over a tenant's read model and returns Items; a portfolio report
// collects the Items of its members (each names its business) and ranks
// them across businesses with the same Rank.
package attention

import (
	"slices"
	"sort"

	"github.com/boardpack/boardpack/messages"
)

// Rule identifies one rule of the catalogue.
type Rule string

// The catalogue's rules.
const (
	RevenueBelowTarget  Rule = "revenue_below_target"
	RunwayBelowMinimum  Rule = "runway_below_minimum"
	UnreconciledPayouts Rule = "unreconciled_payouts"
	RefundsDisputes     Rule = "refunds_disputes"
	FailedPayouts       Rule = "failed_payouts"
	LambdaErrorRate     Rule = "lambda_error_rate"
	CostGrowth          Rule = "cost_growth"
	CACAboveAOV         Rule = "cac_above_aov"
	SecurityFindings    Rule = "security_findings"
	StaleSource         Rule = "stale_source"
	PipelineCoverage    Rule = "pipeline_coverage"
)

// Spec describes a rule: what it watches, why that matters, and the roles
// whose email it appears in.
type Spec struct {
	Rule  Rule
	Title string
	// Threshold names the tenants-file field that overrides the default.
	Threshold string
	Why       string
	Roles     []string
}

// Catalogue is every rule, in the order that breaks ties between items
// of the same severity and excess.
var Catalogue = []Spec{
	{RunwayBelowMinimum, "Runway below the minimum", "finance.min_runway_months",
		"Below the minimum there is no time left to raise money or cut costs calmly.",
		[]string{messages.RoleCEO, messages.RoleCFO}},
	{RevenueBelowTarget, "Revenue below target", "thresholds.revenue_target_pct, thresholds.revenue_periods",
		"The plan, the burn and the hiring all assume the target; a run of misses means the plan is wrong.",
		[]string{messages.RoleCEO, messages.RoleCFO, messages.RoleCMO}},
	{SecurityFindings, "Security findings open", "thresholds.finding_severity",
		"Critical and high findings are how accounts are breached and customer data leaks.",
		[]string{messages.RoleCEO, messages.RoleCTO}},
	{UnreconciledPayouts, "Payouts do not reconcile", "thresholds.unreconciled_pct",
		"Money that Stripe and the bank do not agree on cannot be booked, and may be missing.",
		[]string{messages.RoleCEO, messages.RoleCFO, messages.RoleAccounting}},
	{FailedPayouts, "Payouts failed", "thresholds.failed_payouts",
		"A failed payout leaves the money in Stripe: the bank balance is lower than the books say.",
		[]string{messages.RoleCFO, messages.RoleAccounting}},
	{RefundsDisputes, "Refunds and disputes high", "thresholds.refunds_disputes_pct",
		"Refunds and disputes are lost revenue, and card networks penalise a high dispute rate.",
		[]string{messages.RoleCEO, messages.RoleCFO, messages.RoleAccounting}},
	{LambdaErrorRate, "Lambda errors high", "thresholds.lambda_error_pct",
		"Failing invocations are failed requests, jobs or payments that customers notice.",
		[]string{messages.RoleCEO, messages.RoleCTO}},
	{CACAboveAOV, "Customers cost more than they buy", "thresholds.cac_aov_pct",
		"When acquiring a customer costs more than their first order, growth burns cash.",
		[]string{messages.RoleCEO, messages.RoleCFO, messages.RoleCMO}},
	{PipelineCoverage, "Pipeline does not cover the target", "thresholds.pipeline_coverage_pct",
		"Without enough open deals, next month's target is missed before it starts.",
		[]string{messages.RoleCEO, messages.RoleCMO}},
	{CostGrowth, "Costs growing fast", "thresholds.cost_growth_pct",
		"Costs that grow faster than revenue shorten the runway every month.",
		[]string{messages.RoleCFO, messages.RoleCTO, messages.RoleAccounting}},
	{StaleSource, "A data source went quiet", "thresholds.stale_stream_days, thresholds.stale_import_days",
		"Figures from a source that stopped delivering are out of date without saying so.",
		messages.Roles},
}

// SpecOf returns the rule's catalogue entry.
func SpecOf(r Rule) Spec {
	for _, s := range Catalogue {
		if s.Rule == r {
			return s
		}
	}
	return Spec{Rule: r, Title: string(r)}
}

// ForRole reports whether rule r speaks to role.
func ForRole(r Rule, role string) bool { return slices.Contains(SpecOf(r).Roles, role) }

// Item is one thing that needs attention.
type Item struct {
	Rule Rule
	// TenantID and Business name the business (a portfolio ranks items
	// of several).
	TenantID, Business string
	// Severity is critical, high or medium.
	Severity string
	Title    string
	// Figure is the value that crossed, Threshold what it crossed, Period
	// when.
	Figure, Threshold, Period string
	Why, Action, By           string
	// Excess is how far past its threshold the figure is (0.3 = 30 %
	// past): it orders items of the same severity.
	Excess float64
}

var severityRank = map[string]int{
	messages.SeverityCritical: 0, messages.SeverityHigh: 1, messages.SeverityMedium: 2,
	messages.SeverityLow: 3, messages.SeverityInfo: 4,
}

// DaysToAct is how soon an item of each severity should be acted on.
func DaysToAct(severity string) int {
	switch severity {
	case messages.SeverityCritical:
		return 3
	case messages.SeverityHigh:
		return 7
	default:
		return 14
	}
}

// Max is how many items an email shows.
const Max = 5

// Rank orders items by severity, then by how far past the threshold, then
// by the catalogue's order and the business, and keeps the first n.
func Rank(items []Item, n int) []Item {
	out := slices.Clone(items)
	order := map[Rule]int{}
	for i, s := range Catalogue {
		order[s.Rule] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if severityRank[a.Severity] != severityRank[b.Severity] {
			return severityRank[a.Severity] < severityRank[b.Severity]
		}
		if a.Excess != b.Excess {
			return a.Excess > b.Excess
		}
		if order[a.Rule] != order[b.Rule] {
			return order[a.Rule] < order[b.Rule]
		}
		return a.Business < b.Business
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}
