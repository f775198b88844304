package tenants

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/bojanz/currency"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/alerting"
)

// Portfolio is a reporting unit over member tenants: the holding company's
// board pack. It reads only its members, has its own recipients, schedules,
// From and unsubscribe, and its report due is exactly once per (portfolio,
// role, period), like a tenant's. Portfolio ids share the tenants' id space:
// no portfolio id may equal a tenant id.
type Portfolio struct {
	ID       string `yaml:"id" json:"id"`
	Name     string `yaml:"name" json:"name"`
	Timezone string `yaml:"timezone" json:"timezone"`
	// Members are tenant ids. A tenant may belong to several portfolios.
	Members    []string            `yaml:"members" json:"members"`
	Email      Email               `yaml:"email" json:"email"`
	Recipients map[string][]string `yaml:"recipients" json:"recipients"`
	Schedules  []Schedule          `yaml:"schedules" json:"schedules"`
	// FX, when set, gives monthly rates for a consolidated total in its
	// reporting currency; every converted figure says it is converted.
	FX *FX `yaml:"fx,omitempty" json:"fx,omitempty"`
	// AlertSettings are the portfolio's own alert rules and Slack
	// (alerts.go, AlertTenant): evaluated over each member's facts,
	// delivered to the portfolio's recipients. No default rule set unless
	// alerts.defaults is true.
	AlertSettings `yaml:",inline"`
}

// FX is a portfolio's conversion into one reporting currency.
type FX struct {
	// Currency is the reporting currency (ISO 4217).
	Currency string `yaml:"currency" json:"currency"`
	// Rates maps a month ("2026-11") to the rates of that month: units of
	// the reporting currency per one unit of the other currency, as a
	// decimal string ("1.0842"). Decimal strings, never floats: converted
	// amounts are computed in integer arithmetic.
	Rates map[string]map[string]string `yaml:"rates" json:"rates"`
}

// portfolioProblems checks every portfolio of the file against the file's
// tenants, each problem naming the portfolio and the field.
func (f File) portfolioProblems(pol Policy) []error {
	var errs []error
	tenantIDs := map[string]bool{}
	currencyOf := map[string]string{}
	for _, t := range f.Tenants {
		tenantIDs[t.ID] = true
		currencyOf[t.ID] = t.Currency
	}
	seen := map[string]bool{}
	for i, p := range f.Portfolios {
		label := p.ID
		if label == "" {
			label = fmt.Sprintf("#%d", i+1)
		}
		if p.ID != "" && seen[p.ID] {
			errs = append(errs, fmt.Errorf("portfolio %s: id: duplicate", label))
		}
		seen[p.ID] = true
		if p.ID != "" && tenantIDs[p.ID] {
			errs = append(errs, fmt.Errorf("portfolio %s: id: the same as tenant %s's (portfolios and tenants share one id space)", label, p.ID))
		}
		var curs []ruleCurrency
		for _, m := range p.Members {
			c := currencyOf[m]
			if validCurrency(c) && !slices.ContainsFunc(curs, func(rc ruleCurrency) bool { return rc.Code == c }) {
				curs = append(curs, ruleCurrency{Code: c, Member: m})
			}
		}
		if len(curs) == 0 {
			curs = []ruleCurrency{{Code: "USD"}}
		}
		probs := append(p.problems(tenantIDs), p.AlertSettings.problems(pol, "portfolio", curs, p.Recipients)...)
		for _, e := range probs {
			errs = append(errs, fmt.Errorf("portfolio %s: %w", label, e))
		}
	}
	return errs
}

// problems checks one portfolio; tenantIDs are the tenants it may have as
// members.
func (p Portfolio) problems(tenantIDs map[string]bool) []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if !messages.ValidTenantID(p.ID) {
		bad("id", "%q must be 1-64 characters of a-z, 0-9 and -", p.ID)
	}
	if strings.TrimSpace(p.Name) == "" {
		bad("name", "required")
	}
	if hasCRLF(p.Name) {
		bad("name", "must not contain line breaks")
	}
	if !validTimezone(p.Timezone) {
		bad("timezone", "%q is not an IANA time zone (e.g. America/Los_Angeles)", p.Timezone)
	}
	if len(p.Members) == 0 {
		bad("members", "at least one tenant id is required")
	}
	member := map[string]bool{}
	for i, m := range p.Members {
		f := fmt.Sprintf("members[%d]", i)
		switch {
		case member[m]:
			bad(f, "%q is listed twice", m)
		case !tenantIDs[m]:
			bad(f, "%q is not a tenant of this file", m)
		}
		member[m] = true
	}
	errs = append(errs, p.Email.problems()...)
	if o := p.Email.Operator; o != "" && !validAddress(o) {
		bad("email.operator", "%q is not an email address", o)
	}
	errs = append(errs, recipientProblems(p.Recipients)...)
	errs = append(errs, scheduleProblems(p.Schedules)...)
	if p.FX != nil {
		errs = append(errs, p.FX.problems()...)
	}
	return errs
}

// monthKeyRE is a month of fx.rates: YYYY-MM.
var monthKeyRE = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)

// rateRE is a positive decimal rate: digits, optionally a point and more
// digits ("1.0842", "150").
var rateRE = regexp.MustCompile(`^\d{1,12}(\.\d{1,12})?$`)

func (fx FX) problems() []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if !validCurrency(fx.Currency) {
		bad("fx.currency", "%q is not an ISO 4217 code (e.g. USD)", fx.Currency)
	}
	for _, month := range slices.Sorted(maps.Keys(fx.Rates)) {
		f := "fx.rates." + month
		if !monthKeyRE.MatchString(month) {
			bad(f, "%q is not a month (YYYY-MM)", month)
		}
		rates := fx.Rates[month]
		for _, code := range slices.Sorted(maps.Keys(rates)) {
			rf := f + "." + code
			switch {
			case !validCurrency(code):
				bad(rf, "%q is not an ISO 4217 code", code)
			case code == fx.Currency:
				bad(rf, "a rate for the reporting currency %s itself (it is 1)", code)
			}
			if r := rates[code]; !rateRE.MatchString(r) || strings.Trim(r, "0.") == "" {
				bad(rf, "%q is not a positive decimal rate (e.g. \"1.0842\")", r)
			}
		}
	}
	return errs
}

func validCurrency(code string) bool {
	return code != "" && currency.IsValid(code) && code == strings.ToUpper(code)
}

// Location is the portfolio's time zone (validated at apply).
func (p Portfolio) Location() *time.Location {
	loc, err := time.LoadLocation(p.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// RecipientsFor returns the role's recipients.
func (p Portfolio) RecipientsFor(role string) []string { return p.Recipients[role] }

// HasMember reports whether tenant id is one of the portfolio's members.
func (p Portfolio) HasMember(id string) bool { return slices.Contains(p.Members, id) }

// AlertTenant is the portfolio seen as the owner of alerts about member m:
// the portfolio's id (episodes and sends are kept under it, so they never
// meet the member's own), email identity, recipients, Slack, rules and
// time zone, with m's currency (money thresholds are read in it) and a
// name that says which business the alert is about.
func (p Portfolio) AlertTenant(m Tenant) Tenant {
	return Tenant{ID: p.ID, Name: m.Name + " (" + p.Name + ")", Timezone: p.Timezone, Currency: m.Currency,
		Email: p.Email, Recipients: p.Recipients, AlertSettings: p.AlertSettings}
}

// AlertRules is the portfolio's rule set for a member whose currency is
// cur: only its own rules, plus the defaults if alerts.defaults is true.
func (p Portfolio) AlertRules(cur string) []alerting.Compiled {
	return p.AlertSettings.compile(cur, false)
}
