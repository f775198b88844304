package tenants

import (
	"fmt"
	"slices"
	"strings"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/alerting"
)

// AlertSettings are the tenant's alert rules and Slack delivery, inlined
// into Tenant (`alerts:` and `slack:` in the tenants file). They live in
// their own file so that the rest of the tenant grows without conflicts.
type AlertSettings struct {
	Alerts *Alerts `yaml:"alerts,omitempty" json:"alerts,omitempty"`
	Slack  *Slack  `yaml:"slack,omitempty" json:"slack,omitempty"`
}

// Alerts configures the rules the alerter evaluates for the tenant.
type Alerts struct {
	// Defaults turns the default rule set on or off (on when omitted);
	// a rule named like a default replaces it.
	Defaults *bool `yaml:"defaults,omitempty" json:"defaults,omitempty"`
	// QuietHours ("22:00-07:00", tenant time zone) applies to every rule
	// that names none; critical rules go through them.
	QuietHours string          `yaml:"quiet_hours,omitempty" json:"quiet_hours,omitempty"`
	Rules      []alerting.Rule `yaml:"rules,omitempty" json:"rules,omitempty"`
}

// Slack is the tenant's Slack incoming webhook.
type Slack struct {
	// Webhook is the incoming-webhook URL as a secret reference (env:,
	// ssm:, secretsmanager:) or, for local runs, a literal.
	Webhook string `yaml:"webhook" json:"webhook"`
	// Digests also posts a short summary of each report to Slack.
	Digests bool `yaml:"digests,omitempty" json:"digests,omitempty"`
}

// AlertRules is the tenant's effective rule set, compiled (validated at
// apply, so errors here are not expected; a rule that fails is skipped).
// Tenants get the default set unless alerts.defaults is false.
func (t Tenant) AlertRules() []alerting.Compiled {
	return t.AlertSettings.compile(t.Currency, true)
}

// compile is the effective rule set for money in currency cur;
// defaultsOn says whether the default set applies when alerts.defaults
// is not given.
func (s AlertSettings) compile(cur string, defaultsOn bool) []alerting.Compiled {
	var rules []alerting.Rule
	useDefaults, quiet := defaultsOn, ""
	if s.Alerts != nil {
		rules, quiet = s.Alerts.Rules, s.Alerts.QuietHours
		if s.Alerts.Defaults != nil {
			useDefaults = *s.Alerts.Defaults
		}
	}
	var out []alerting.Compiled
	for _, r := range alerting.Effective(rules, useDefaults) {
		if c, err := alerting.Compile(r, cur, quiet); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// alertProblems validates alerts: and slack:, each error naming the field
// (and the rule).
func (t Tenant) alertProblems(p Policy) []error {
	return t.AlertSettings.problems(p, "tenant", []ruleCurrency{{Code: t.Currency}}, t.Recipients)
}

// ruleCurrency is a currency an owner's money thresholds must be valid
// in, and the member whose currency it is (a portfolio's; "" for a
// tenant's own).
type ruleCurrency struct {
	Code, Member string
}

// problems validates alerts: and slack: of a tenant or portfolio (owner
// names which, for messages); money thresholds are checked in each of
// currencies (a portfolio's rules run in each member's currency), and a
// rule valid in some but not all of them is refused naming the currency
// and the member it fails for.
func (t AlertSettings) problems(p Policy, owner string, currencies []ruleCurrency, recipients map[string][]string) []error {
	var errs []error
	if t.Alerts != nil {
		if t.Alerts.QuietHours != "" {
			if _, err := alerting.ParseQuietHours(t.Alerts.QuietHours); err != nil {
				errs = append(errs, fmt.Errorf("alerts.quiet_hours: %v", err))
			}
		}
		seen := map[string]bool{}
		for i, r := range t.Alerts.Rules {
			if seen[r.Name] {
				errs = append(errs, fmt.Errorf("alerts.rules[%d].name: duplicate rule %q", i, r.Name))
			}
			seen[r.Name] = true
			if err := compileIn(r, currencies); err != nil {
				errs = append(errs, err)
			}
		}
	}
	usesSlack := false
	for _, r := range t.rulesForRecipients() {
		usesSlack = usesSlack || slices.Contains(r.Channels, alerting.ChannelSlack)
		for i, rc := range r.Recipients {
			if messages.ValidRole(rc) && len(recipients[rc]) == 0 {
				errs = append(errs, fmt.Errorf("alerts.rules[%s].recipients[%d]: role %q has no addresses in recipients.%s", r.Name, i, rc, rc))
			}
		}
	}
	if t.Slack == nil {
		if usesSlack {
			errs = append(errs, fmt.Errorf("slack.webhook: a rule names channel slack but the %s has no slack.webhook", owner))
		}
		return errs
	}
	switch w := t.Slack.Webhook; {
	case strings.TrimSpace(w) == "":
		errs = append(errs, fmt.Errorf("slack.webhook: required when slack: is given (the incoming-webhook URL as an env:, ssm: or secretsmanager: reference)"))
	case !isHTTPURL(w) && ValidateSecretRef(w) != nil:
		// "SSM:/..." or "secretmanager:...": a mistyped reference, never
		// taken for a URL.
		errs = append(errs, fmt.Errorf("slack.webhook: %v", ValidateSecretRef(w)))
	case IsReference(w):
		if err := ValidateSecretRef(w); err != nil {
			errs = append(errs, fmt.Errorf("slack.webhook: %v", err))
		}
	case !p.AllowLiteralSecrets:
		errs = append(errs, fmt.Errorf("slack.webhook: a literal webhook URL is refused here: use an env:, ssm: or secretsmanager: reference (%s=true allows literals, for local runs)", EnvAllowLiteralSecrets))
	default:
		// A literal is the URL itself (https://... has a scheme, which
		// ValidateSecretRef would take for a mistyped reference).
		if err := alerting.CheckSlackURL(w, alerting.SlackAllowedHostsFromEnv()); err != nil {
			errs = append(errs, fmt.Errorf("slack.webhook: %v", err))
		}
	}
	return errs
}

// compileIn compiles r in each currency: nil when it compiles in all; the
// error itself when it fails in all (it is not about the currency); else
// the first failure, naming its currency and member.
func compileIn(r alerting.Rule, currencies []ruleCurrency) error {
	var first error
	var at ruleCurrency
	failed := 0
	for _, c := range currencies {
		if _, err := alerting.Compile(r, c.Code, ""); err != nil {
			if first == nil {
				first, at = err, c
			}
			failed++
		}
	}
	if first == nil || failed == len(currencies) || at.Member == "" {
		return first
	}
	return fmt.Errorf("%w (in %s, the currency of member %s)", first, at.Code, at.Member)
}

func isHTTPURL(s string) bool {
	l := strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")
}

// rulesForRecipients is the tenant's own rules (defaults name roles that
// may have no recipients: those simply reach nobody by email).
func (t AlertSettings) rulesForRecipients() []alerting.Rule {
	if t.Alerts == nil {
		return nil
	}
	return t.Alerts.Rules
}
