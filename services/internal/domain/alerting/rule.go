package alerting

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bojanz/currency"

	"github.com/boardpack/boardpack/messages"
)

// Conditions.
const (
	Above     = "above"
	Below     = "below"
	ChangePct = "change_pct"
)

// Channels.
const (
	ChannelEmail = "email"
	ChannelSlack = "slack"
)

// Units of alert metrics, and so of their thresholds.
const (
	// UnitMoney: minor units of the tenant's currency; thresholds are
	// decimal amounts ("250.00").
	UnitMoney = "money"
	// UnitPercent: basis points (10000 = 100 %); thresholds are
	// percentages ("5", "2.5%").
	UnitPercent = "percent"
	// UnitCount: a number.
	UnitCount = "count"
	// UnitHours: hours (source.stale).
	UnitHours = "hours"
)

// Alert metrics: what a rule can watch.
const (
	MetricDisputeOpened   = "dispute.opened"
	MetricPayoutFailed    = "payout.failed"
	MetricRefundsTodayPct = "refunds.today_pct_of_gross"
	MetricMRRChurnDay     = "mrr.churn_day"
	MetricMRR             = "mrr"
	MetricLambdaErrorRate = "aws.lambda.error_rate"
	MetricCostForecast    = "aws.cost.forecast"
	MetricCriticalFinding = "finding.critical"
	MetricSourceStale     = "source.stale"
)

// Metric describes one alert metric.
type Metric struct {
	Name string
	Unit string
	// PerEntity metrics have one episode per subject (the dispute, payout
	// or finding); the others one per rule.
	PerEntity bool
	// Point metrics are events, true at their instant only.
	Point bool
	// Facts are the metric events (messages.Metric*, or
	// messages.EventNameFinding) that can change the value.
	Facts []string
	// Doc says what the value is.
	Doc string
}

// Metrics is the catalogue.
var Metrics = map[string]Metric{
	MetricDisputeOpened: {Name: MetricDisputeOpened, Unit: UnitMoney, PerEntity: true,
		Facts: []string{messages.MetricDisputesAtStake}, Doc: "the amount at stake in a dispute while it is open (inquiries excluded)"},
	MetricPayoutFailed: {Name: MetricPayoutFailed, Unit: UnitMoney, PerEntity: true, Point: true,
		Facts: []string{messages.MetricPayoutsFailed}, Doc: "the amount of a payout that failed"},
	MetricRefundsTodayPct: {Name: MetricRefundsTodayPct, Unit: UnitPercent,
		Facts: []string{messages.MetricRevenueRefunded, messages.MetricRevenueGross}, Doc: "refunds today as a percentage of gross revenue today (tenant's day)"},
	MetricMRRChurnDay: {Name: MetricMRRChurnDay, Unit: UnitMoney,
		Facts: []string{messages.MetricMRR}, Doc: "MRR lost to churn over the window (default 24h)"},
	MetricMRR: {Name: MetricMRR, Unit: UnitMoney,
		Facts: []string{messages.MetricMRR}, Doc: "total MRR (use change_pct for movements)"},
	MetricLambdaErrorRate: {Name: MetricLambdaErrorRate, Unit: UnitPercent,
		Facts: []string{messages.MetricAWSLambdaErrors, messages.MetricAWSLambdaInvocations}, Doc: "Lambda errors as a percentage of invocations over the window"},
	MetricCostForecast: {Name: MetricCostForecast, Unit: UnitMoney,
		Facts: []string{messages.MetricAWSCostForecast}, Doc: "Cost Explorer's forecast of the month's AWS cost (threshold: the budget)"},
	MetricCriticalFinding: {Name: MetricCriticalFinding, Unit: UnitCount, PerEntity: true,
		Facts: []string{messages.EventNameFinding}, Doc: "1 while a critical finding is open"},
	MetricSourceStale: {Name: MetricSourceStale, Unit: UnitHours,
		Doc: "hours since the last fact from the rule's source (stripe, aws, import)"},
}

// MetricNames lists the catalogue, sorted.
func MetricNames() []string {
	names := make([]string, 0, len(Metrics))
	for n := range Metrics {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Rule is one alert rule as written in the tenants file (`alerts.rules`).
// Durations are Go durations with a "d" (day) suffix allowed: "90m",
// "24h", "7d".
type Rule struct {
	Name       string   `yaml:"name" json:"name"`
	Metric     string   `yaml:"metric" json:"metric"`
	Condition  string   `yaml:"condition" json:"condition"`
	Threshold  string   `yaml:"threshold" json:"threshold"`
	Window     string   `yaml:"window,omitempty" json:"window,omitempty"`
	Repeat     string   `yaml:"repeat,omitempty" json:"repeat,omitempty"`
	Severity   string   `yaml:"severity,omitempty" json:"severity,omitempty"`
	Recipients []string `yaml:"recipients,omitempty" json:"recipients,omitempty"`
	Channels   []string `yaml:"channels,omitempty" json:"channels,omitempty"`
	// QuietHours is "HH:MM-HH:MM" in the tenant's time zone (may wrap
	// midnight); empty uses the tenant's alerts.quiet_hours.
	QuietHours string `yaml:"quiet_hours,omitempty" json:"quiet_hours,omitempty"`
	// Source is the source source.stale watches (stripe, aws, import).
	Source string `yaml:"source,omitempty" json:"source,omitempty"`
}

// Compiled is a validated rule ready to evaluate.
type Compiled struct {
	Rule
	Def Metric
	// Threshold in the metric's unit (minor units, basis points, count,
	// hours); for change_pct, basis points of change.
	Threshold int64
	Window    time.Duration
	Repeat    time.Duration
	Quiet     *QuietHours
	Critical  bool
}

// FieldError names the rule and the field at fault.
type FieldError struct {
	Rule, Field, Problem string
}

func (e FieldError) Error() string {
	return fmt.Sprintf("alerts.rules[%s].%s: %s", e.Rule, e.Field, e.Problem)
}

// ParseDuration reads a Go duration, also accepting whole days ("7d").
func ParseDuration(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration (e.g. 90m, 24h, 7d)", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (e.g. 90m, 24h, 7d)", s)
	}
	return v, nil
}

// Compile validates r for a tenant whose currency is cur and whose
// default quiet hours are quiet, returning every problem at once.
func Compile(r Rule, cur, quiet string) (Compiled, error) {
	c := Compiled{Rule: r}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Rule: r.Name, Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	if !validName(r.Name) {
		bad("name", "%q must be 1-64 characters of a-z, 0-9, - and _", r.Name)
	}
	def, ok := Metrics[r.Metric]
	if !ok {
		bad("metric", "unknown metric %q (one of %s)", r.Metric, strings.Join(MetricNames(), ", "))
	}
	c.Def = def
	switch r.Condition {
	case Above, Below:
	case ChangePct:
		if ok && (def.PerEntity || def.Point) {
			bad("condition", "change_pct needs an aggregate metric, not %s", r.Metric)
		}
	default:
		bad("condition", "%q is not one of above, below, change_pct", r.Condition)
	}
	if r.Window != "" {
		w, err := ParseDuration(r.Window)
		switch {
		case err != nil:
			bad("window", "%v", err)
		case w <= 0:
			bad("window", "%q must be positive", r.Window)
		}
		c.Window = w
	}
	if c.Window == 0 {
		c.Window = time.Hour
		if r.Condition == ChangePct || r.Metric == MetricMRRChurnDay {
			c.Window = 24 * time.Hour
		}
	}
	if r.Repeat != "" {
		d, err := ParseDuration(r.Repeat)
		switch {
		case err != nil:
			bad("repeat", "%v", err)
		case d < time.Minute:
			bad("repeat", "%q must be at least 1m (or omitted for no repeats)", r.Repeat)
		}
		c.Repeat = d
	}
	if ok || r.Condition == ChangePct {
		unit := def.Unit
		if r.Condition == ChangePct {
			unit = UnitPercent
		}
		v, err := parseThreshold(r.Threshold, unit, cur)
		if err != nil {
			bad("threshold", "%v", err)
		}
		c.Threshold = v
	}
	switch r.Severity {
	case "":
		c.Severity = messages.SeverityHigh
	case messages.SeverityCritical, messages.SeverityHigh, messages.SeverityMedium, messages.SeverityLow, messages.SeverityInfo:
	default:
		bad("severity", "%q is not one of critical, high, medium, low, info", r.Severity)
	}
	c.Critical = c.Severity == messages.SeverityCritical
	for i, rc := range r.Recipients {
		if messages.ValidRole(rc) {
			continue
		}
		if a, err := mail.ParseAddress(rc); err == nil && a.Address == rc && !strings.ContainsAny(rc, "\r\n") {
			continue
		}
		bad(fmt.Sprintf("recipients[%d]", i), "%q is neither a role (%s) nor an email address", rc, strings.Join(messages.Roles, ", "))
	}
	if len(r.Channels) == 0 {
		c.Channels = []string{ChannelEmail, ChannelSlack}
	}
	for i, ch := range r.Channels {
		if ch != ChannelEmail && ch != ChannelSlack {
			bad(fmt.Sprintf("channels[%d]", i), "%q is not one of email, slack", ch)
		}
	}
	qh := r.QuietHours
	if qh == "" {
		qh = quiet
	}
	if qh != "" {
		q, err := ParseQuietHours(qh)
		if err != nil {
			field := "quiet_hours"
			if r.QuietHours == "" {
				field = "quiet_hours (alerts.quiet_hours)"
			}
			bad(field, "%v", err)
		} else {
			c.Quiet = &q
		}
	}
	if r.Metric == MetricSourceStale {
		switch r.Source {
		case messages.SourceStripe, messages.SourceAWS, messages.SourceImport:
		default:
			bad("source", "%q is not one of stripe, aws, import", r.Source)
		}
	} else if r.Source != "" {
		bad("source", "only for metric source.stale")
	}
	return c, errors.Join(errs...)
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// plainDecimal is a non-negative decimal written out: digits, optionally
// a point and more digits.
var plainDecimal = regexp.MustCompile(`^\d+(\.\d+)?$`)

// IsPlainDecimal reports whether s is a non-negative decimal written out
// (digits, optionally a point and more digits): what a person means as an
// amount. The decimal library also reads "1e3", "+5", "NaN" and
// "Infinity"; every money parser checks this first (parseThreshold here,
// tenants.ParseAmount).
func IsPlainDecimal(s string) bool { return plainDecimal.MatchString(s) }

// parseThreshold reads a threshold in unit, never through a float.
func parseThreshold(s, unit, cur string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("required")
	}
	switch unit {
	case UnitMoney:
		if !currency.IsValid(cur) {
			return 0, fmt.Errorf("tenant currency %q is not valid", cur)
		}
		// Plain decimals only: the decimal library also reads "1e3",
		// "+5", "NaN" and "Infinity", none of which a person means as an
		// amount.
		if d, ok := strings.CutPrefix(s, "-"); ok && IsPlainDecimal(d) {
			return 0, fmt.Errorf("%q must be a non-negative amount", s)
		}
		if !IsPlainDecimal(s) {
			return 0, fmt.Errorf("%q is not a decimal amount in %s (digits, optionally a point and decimals: 1000, 1000.50)", s, cur)
		}
		amt, err := currency.NewAmount(s, cur)
		if err != nil {
			return 0, fmt.Errorf("%q is not a decimal amount in %s", s, cur)
		}
		if r := amt.Round(); !r.Equal(amt) {
			return 0, fmt.Errorf("%q has too many decimals for %s", s, cur)
		}
		v, err := amt.Int64()
		if err != nil || v < 0 {
			return 0, fmt.Errorf("%q must be a non-negative amount", s)
		}
		return v, nil
	case UnitPercent:
		return parseFixed(strings.TrimSuffix(s, "%"), 2)
	default:
		return parseFixed(s, 0)
	}
}

// parseFixed reads a non-negative decimal with at most scale decimals as
// an integer scaled by 10^scale.
func parseFixed(s string, scale int) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > scale || whole == "" {
		if scale == 0 {
			return 0, fmt.Errorf("%q must be a whole number", s)
		}
		return 0, fmt.Errorf("%q must be a number with at most %d decimals", s, scale)
	}
	frac += strings.Repeat("0", scale-len(frac))
	v, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%q must be a non-negative number", s)
	}
	return v, nil
}

// Holds reports whether value satisfies the condition. For change_pct the
// caller passes the change in basis points (negative for a fall): a
// movement of at least the threshold either way holds.
func (c Compiled) Holds(value int64) bool {
	switch c.Condition {
	case Above:
		return value > c.Threshold
	case Below:
		return value < c.Threshold
	case ChangePct:
		return value >= c.Threshold || -value >= c.Threshold
	}
	return false
}

// Defaults is the rule set a tenant gets when it names none. Thresholds
// are conservative starting points; a tenant overrides one by giving a
// rule of the same name.
func Defaults() []Rule {
	return []Rule{
		{Name: "payout-failed", Metric: MetricPayoutFailed, Condition: Above, Threshold: "0", Window: "24h",
			Severity: messages.SeverityCritical, Recipients: []string{messages.RoleCFO, messages.RoleAccounting}},
		{Name: "dispute-opened", Metric: MetricDisputeOpened, Condition: Above, Threshold: "0", Window: "1h",
			Severity: messages.SeverityHigh, Recipients: []string{messages.RoleCFO, messages.RoleAccounting}},
		{Name: "refunds-today", Metric: MetricRefundsTodayPct, Condition: Above, Threshold: "10", Window: "1h",
			Severity: messages.SeverityHigh, Recipients: []string{messages.RoleCFO}},
		{Name: "mrr-churn-day", Metric: MetricMRRChurnDay, Condition: Above, Threshold: "500", Window: "24h",
			Severity: messages.SeverityHigh, Recipients: []string{messages.RoleCEO, messages.RoleCFO}},
		{Name: "lambda-error-rate", Metric: MetricLambdaErrorRate, Condition: Above, Threshold: "5", Window: "1h", Repeat: "6h",
			Severity: messages.SeverityHigh, Recipients: []string{messages.RoleCTO}},
		{Name: "aws-cost-forecast", Metric: MetricCostForecast, Condition: Above, Threshold: "1000", Window: "24h",
			Severity: messages.SeverityMedium, Recipients: []string{messages.RoleCTO, messages.RoleCFO}},
		{Name: "critical-finding", Metric: MetricCriticalFinding, Condition: Above, Threshold: "0", Window: "1h",
			Severity: messages.SeverityCritical, Recipients: []string{messages.RoleCTO}},
		{Name: "stripe-stale", Metric: MetricSourceStale, Condition: Above, Threshold: "48", Window: "1h", Source: messages.SourceStripe,
			Severity: messages.SeverityMedium, Recipients: []string{messages.RoleCTO}},
		{Name: "aws-stale", Metric: MetricSourceStale, Condition: Above, Threshold: "6", Window: "1h", Source: messages.SourceAWS,
			Severity: messages.SeverityMedium, Recipients: []string{messages.RoleCTO}},
	}
}

// Effective is the tenant's rule set: the defaults (unless useDefaults is
// false) with the tenant's rules replacing those of the same name and the
// others appended, in order.
func Effective(rules []Rule, useDefaults bool) []Rule {
	var out []Rule
	given := map[string]bool{}
	for _, r := range rules {
		given[r.Name] = true
	}
	if useDefaults {
		for _, d := range Defaults() {
			if !given[d.Name] {
				out = append(out, d)
			}
		}
	}
	return append(out, rules...)
}
