package tenants

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/boardpack/boardpack/messages"
)

// Thresholds are the tenant's overrides of the "needs attention" rules
// (the `thresholds:` block of the tenants file). Each value is a number
// with its unit ("5%", "7d", "3"); a field left out takes the default in
// DefaultThresholds. Units are checked: a percentage where days are
// expected is refused, so a typo never silently changes what alerts.
//
//	thresholds:
//	  revenue_target_pct: 100%      # revenue below this share of target
//	  revenue_periods: 3            # ... for this many months in a row escalates
//	  refunds_disputes_pct: 5%      # refunds + disputes over gross
//	  unreconciled_pct: 1%          # payout gap over net revenue
//	  failed_payouts: 0             # more failed payouts than this
//	  lambda_error_pct: 0.1%        # per function (99.9 % of invocations succeed)
//	  cost_growth_pct: 20%          # period over period
//	  cac_aov_pct: 100%             # CAC over average order value
//	  finding_severity: high        # this severity and above
//	  stale_stream_days: 3d         # Stripe and AWS: no data for this long
//	  stale_import_days: 35d        # imported CSVs: no data for this long
//	  pipeline_coverage_pct: 100%   # open pipeline under this share of next month's target
//
// The runway minimum is finance.min_runway_months (one source for one
// rule); without it the rule uses DefaultMinRunwayMonths.
type Thresholds struct {
	RevenueTargetPct    string `yaml:"revenue_target_pct,omitempty" json:"revenue_target_pct,omitempty"`
	RevenuePeriods      string `yaml:"revenue_periods,omitempty" json:"revenue_periods,omitempty"`
	RefundsDisputesPct  string `yaml:"refunds_disputes_pct,omitempty" json:"refunds_disputes_pct,omitempty"`
	UnreconciledPct     string `yaml:"unreconciled_pct,omitempty" json:"unreconciled_pct,omitempty"`
	FailedPayouts       string `yaml:"failed_payouts,omitempty" json:"failed_payouts,omitempty"`
	LambdaErrorPct      string `yaml:"lambda_error_pct,omitempty" json:"lambda_error_pct,omitempty"`
	CostGrowthPct       string `yaml:"cost_growth_pct,omitempty" json:"cost_growth_pct,omitempty"`
	CACAOVPct           string `yaml:"cac_aov_pct,omitempty" json:"cac_aov_pct,omitempty"`
	FindingSeverity     string `yaml:"finding_severity,omitempty" json:"finding_severity,omitempty"`
	StaleStreamDays     string `yaml:"stale_stream_days,omitempty" json:"stale_stream_days,omitempty"`
	StaleImportDays     string `yaml:"stale_import_days,omitempty" json:"stale_import_days,omitempty"`
	PipelineCoveragePct string `yaml:"pipeline_coverage_pct,omitempty" json:"pipeline_coverage_pct,omitempty"`
}

// DefaultMinRunwayMonths is the runway rule when finance.min_runway_months
// is not set.
const DefaultMinRunwayMonths = 6

// Limits are thresholds as numbers: percentages as fractions of 100
// (5 means 5 %), days and counts as whole numbers.
type Limits struct {
	RevenueTargetPct    float64
	RevenuePeriods      int
	RefundsDisputesPct  float64
	UnreconciledPct     float64
	FailedPayouts       int
	LambdaErrorPct      float64
	CostGrowthPct       float64
	CACAOVPct           float64
	FindingSeverity     string
	StaleStreamDays     int
	StaleImportDays     int
	PipelineCoveragePct float64
	MinRunwayMonths     int
}

// DefaultLimits are the rules' defaults.
func DefaultLimits() Limits {
	return Limits{
		RevenueTargetPct: 100, RevenuePeriods: 3, RefundsDisputesPct: 5, UnreconciledPct: 1,
		FailedPayouts: 0, LambdaErrorPct: 0.1, CostGrowthPct: 20, CACAOVPct: 100,
		FindingSeverity: messages.SeverityHigh, StaleStreamDays: 3, StaleImportDays: 35,
		PipelineCoveragePct: 100, MinRunwayMonths: DefaultMinRunwayMonths,
	}
}

// Limits returns the tenant's thresholds over the defaults. Values are
// validated at apply; one that does not parse here keeps its default.
func (t Tenant) Limits() Limits {
	l, _ := t.Thresholds.limits()
	if t.Finance.MinRunwayMonths > 0 {
		l.MinRunwayMonths = t.Finance.MinRunwayMonths
	}
	return l
}

type unit int

const (
	unitPercent unit = iota
	unitDays
	unitCount
)

func (u unit) String() string {
	return [...]string{"a percentage (\"5%\")", "a number of days (\"7d\")", "a whole number (\"3\")"}[u]
}

// limits parses every set field over the defaults and returns every
// problem, each naming its field.
func (th Thresholds) limits() (Limits, []error) {
	l := DefaultLimits()
	var errs []error
	num := func(field, v string, u unit, dst any) {
		if strings.TrimSpace(v) == "" {
			return
		}
		n, err := parseWithUnit(v, u)
		if err != nil {
			errs = append(errs, fmt.Errorf("thresholds.%s: %w", field, err))
			return
		}
		switch p := dst.(type) {
		case *float64:
			*p = n
		case *int:
			*p = int(n)
		}
	}
	num("revenue_target_pct", th.RevenueTargetPct, unitPercent, &l.RevenueTargetPct)
	num("revenue_periods", th.RevenuePeriods, unitCount, &l.RevenuePeriods)
	num("refunds_disputes_pct", th.RefundsDisputesPct, unitPercent, &l.RefundsDisputesPct)
	num("unreconciled_pct", th.UnreconciledPct, unitPercent, &l.UnreconciledPct)
	num("failed_payouts", th.FailedPayouts, unitCount, &l.FailedPayouts)
	num("lambda_error_pct", th.LambdaErrorPct, unitPercent, &l.LambdaErrorPct)
	num("cost_growth_pct", th.CostGrowthPct, unitPercent, &l.CostGrowthPct)
	num("cac_aov_pct", th.CACAOVPct, unitPercent, &l.CACAOVPct)
	num("stale_stream_days", th.StaleStreamDays, unitDays, &l.StaleStreamDays)
	num("stale_import_days", th.StaleImportDays, unitDays, &l.StaleImportDays)
	num("pipeline_coverage_pct", th.PipelineCoveragePct, unitPercent, &l.PipelineCoveragePct)
	if s := strings.TrimSpace(th.FindingSeverity); s != "" {
		switch s {
		case messages.SeverityCritical, messages.SeverityHigh, messages.SeverityMedium, messages.SeverityLow:
			l.FindingSeverity = s
		default:
			errs = append(errs, fmt.Errorf("thresholds.finding_severity: %q is not one of critical, high, medium, low", s))
		}
	}
	if l.RevenuePeriods < 1 && th.RevenuePeriods != "" {
		errs = append(errs, fmt.Errorf("thresholds.revenue_periods: must be at least 1"))
	}
	return l, errs
}

// parseWithUnit reads "5%", "5 %", "7d", "7 days" or a bare number in the
// field's unit, refusing another unit, a non-number, a negative or an
// absurd value.
func parseWithUnit(v string, u unit) (float64, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	var suffix string
	for _, sfx := range []string{"%", "days", "day", "d", "months", "month", "h", "hours"} {
		if strings.HasSuffix(s, sfx) {
			suffix, s = sfx, strings.TrimSpace(strings.TrimSuffix(s, sfx))
			break
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return 0, fmt.Errorf("%q is not a number; want %s", v, u)
	}
	switch {
	case suffix == "":
	case suffix == "%" && u == unitPercent:
	case (suffix == "d" || suffix == "day" || suffix == "days") && u == unitDays:
	default:
		return 0, fmt.Errorf("%q has the wrong unit; want %s", v, u)
	}
	if n < 0 {
		return 0, fmt.Errorf("%q must not be negative", v)
	}
	if u != unitPercent && n != math.Trunc(n) {
		return 0, fmt.Errorf("%q must be a whole number; want %s", v, u)
	}
	if u == unitPercent && n > 10000 || u != unitPercent && n > 3650 {
		return 0, fmt.Errorf("%q is out of range", v)
	}
	return n, nil
}

// DefaultBurnMonths is finance.burn_months when unset.
const DefaultBurnMonths = 3

// BurnMonths is how many complete months the monthly burn averages.
func (t Tenant) BurnMonths() int {
	if t.Finance.BurnMonths > 0 {
		return t.Finance.BurnMonths
	}
	return DefaultBurnMonths
}

// reportProblems validates what the reports read beyond the core fields:
// thresholds, finance.burn_months and email.operator. It is the one hook
// problems() calls.
func (t Tenant) reportProblems() []error {
	_, errs := t.Thresholds.limits()
	if b := t.Finance.BurnMonths; b < 0 || b > 24 {
		errs = append(errs, fmt.Errorf("finance.burn_months: %d must be between 1 and 24 (default %d)", b, DefaultBurnMonths))
	}
	if o := t.Email.Operator; o != "" && !validAddress(o) {
		errs = append(errs, fmt.Errorf("email.operator: %q is not an email address", o))
	}
	return errs
}
