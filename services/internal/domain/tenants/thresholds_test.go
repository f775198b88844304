package tenants

import (
	"strings"
	"testing"
)

const thresholdBase = `tenants: [{id: qdn, name: Q, timezone: UTC, currency: USD, stripe: {webhook_secrets: [x]}, email: {from: "Q <q@example.com>"%s}%s}]`

func TestThresholdsRefusedNamingTenantAndField(t *testing.T) {
	for name, c := range map[string]struct{ block, want string }{
		"not a number":       {`thresholds: {refunds_disputes_pct: lots}`, `tenant qdn: thresholds.refunds_disputes_pct: "lots" is not a number`},
		"wrong unit":         {`thresholds: {stale_stream_days: 5%}`, `tenant qdn: thresholds.stale_stream_days: "5%" has the wrong unit; want a number of days`},
		"days for a percent": {`thresholds: {lambda_error_pct: 2d}`, `tenant qdn: thresholds.lambda_error_pct: "2d" has the wrong unit; want a percentage`},
		"negative":           {`thresholds: {cost_growth_pct: -5%}`, `tenant qdn: thresholds.cost_growth_pct: "-5%" must not be negative`},
		"fractional count":   {`thresholds: {failed_payouts: 1.5}`, `tenant qdn: thresholds.failed_payouts: "1.5" must be a whole number`},
		"zero periods":       {`thresholds: {revenue_periods: 0}`, `tenant qdn: thresholds.revenue_periods: must be at least 1`},
		"bad severity":       {`thresholds: {finding_severity: scary}`, `tenant qdn: thresholds.finding_severity: "scary" is not one of`},
		"unknown field":      {`thresholds: {refund_pct: 5%}`, `field refund_pct not found`},
		"burn months":        {`finance: {burn_months: -1}`, `tenant qdn: finance.burn_months`},
	} {
		_, err := Parse(strings.NewReader(strings.Replace(strings.Replace(thresholdBase, "%s", "", 1), "%s", ", "+c.block, 1)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", name, err, c.want)
		}
	}
	_, err := Parse(strings.NewReader(strings.Replace(strings.Replace(thresholdBase, "%s", `, operator: "not an address"`, 1), "%s", "", 1)))
	if err == nil || !strings.Contains(err.Error(), "tenant qdn: email.operator") {
		t.Errorf("operator: error %v", err)
	}
}

func TestThresholdsOverrideDefaults(t *testing.T) {
	f, err := Parse(strings.NewReader(strings.Replace(strings.Replace(thresholdBase, "%s", `, operator: "ops@example.com"`, 1), "%s",
		`, finance: {min_runway_months: 9}, thresholds: {refunds_disputes_pct: "2.5 %", stale_stream_days: 7d, revenue_periods: 2, lambda_error_pct: 0.5}`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	l := f.Tenants[0].Limits()
	want := DefaultLimits()
	want.RefundsDisputesPct, want.StaleStreamDays, want.RevenuePeriods, want.LambdaErrorPct, want.MinRunwayMonths = 2.5, 7, 2, 0.5, 9
	if l != want {
		t.Errorf("limits %+v, want %+v", l, want)
	}
	if got := (Tenant{}).Limits(); got != DefaultLimits() {
		t.Errorf("no thresholds: %+v, want the defaults", got)
	}
}
