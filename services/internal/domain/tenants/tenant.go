// Package tenants is the tenants file (YAML, applied with `reportctl
// tenants apply -f`), its validation, and its storage in the table.
//
// Every service reads tenants from the table (item pk=TENANT#<id>,
// sk=CONFIG, listed through the sparse index gsi1 with gsi1pk=TENANTS; the
// shapes are package table's), and portfolios (a reporting unit over
// member tenants, portfolio.go) beside them (sk=PORTFOLIO, gsi1pk=
// PORTFOLIOS), so
// a change applied with reportctl reaches running services without a
// restart (see Cache).
package tenants

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/bojanz/currency"
	"go.yaml.in/yaml/v3"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/cron"
)

// File is the tenants file.
type File struct {
	Tenants []Tenant `yaml:"tenants" json:"tenants"`
	// Portfolios group tenants into board packs (portfolio.go).
	Portfolios []Portfolio `yaml:"portfolios,omitempty" json:"portfolios,omitempty"`
}

// Tenant is one business.
type Tenant struct {
	ID         string              `yaml:"id" json:"id"`
	Name       string              `yaml:"name" json:"name"`
	Timezone   string              `yaml:"timezone" json:"timezone"`
	Currency   string              `yaml:"currency" json:"currency"`
	Stripe     Stripe              `yaml:"stripe" json:"stripe"`
	Email      Email               `yaml:"email" json:"email"`
	Recipients map[string][]string `yaml:"recipients" json:"recipients"`
	AWS        *AWS                `yaml:"aws,omitempty" json:"aws,omitempty"`
	Schedules  []Schedule          `yaml:"schedules" json:"schedules"`
	Finance    Finance             `yaml:"finance" json:"finance"`
	Thresholds Thresholds          `yaml:"thresholds,omitempty" json:"thresholds,omitempty"`
	// AlertSettings (alerts:, slack:) are in alerts.go.
	AlertSettings `yaml:",inline"`
}

// apiVersionRE is a Stripe API version: a date, and since 2024-09-30 a
// release name ("2025-03-31.basil").
var apiVersionRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$`)

// Stripe is the tenant's Stripe account.
type Stripe struct {
	// WebhookSecrets verify webhook signatures; any one of them may match
	// (rotation). Each is a literal (local runs) or a reference:
	// env:NAME, ssm:/param/name, secretsmanager:secret-id.
	WebhookSecrets []string `yaml:"webhook_secrets" json:"webhook_secrets"`
	// APIKey (a reference like the secrets) reads history for backfill.
	APIKey string `yaml:"api_key,omitempty" json:"api_key,omitempty"`
	// Livemode says which Stripe mode the tenant's events must be in.
	Livemode bool `yaml:"livemode" json:"livemode"`
	// AllowOtherMode accepts events of the other mode as well.
	AllowOtherMode bool `yaml:"allow_other_mode,omitempty" json:"allow_other_mode,omitempty"`
	// IgnoreAPIVersionMismatch also accepts events of an API version the
	// translator does not know (older than 2020-03-02, or not a version).
	IgnoreAPIVersionMismatch bool `yaml:"ignore_api_version_mismatch,omitempty" json:"ignore_api_version_mismatch,omitempty"`
	// APIVersions, when set, are the only API versions accepted (e.g.
	// ["2024-06-20", "2025-03-31.basil"]); events of others are refused.
	// Off by default: any version the translator knows is accepted.
	APIVersions []string `yaml:"api_versions,omitempty" json:"api_versions,omitempty"`
}

// Email says how the tenant's reports are sent.
type Email struct {
	// From is "Display Name <address>" on a verified SES identity.
	From     string   `yaml:"from" json:"from"`
	ReplyTo  string   `yaml:"reply_to,omitempty" json:"reply_to,omitempty"`
	BCCAudit []string `yaml:"bcc_audit,omitempty" json:"bcc_audit,omitempty"`
	// Operator receives the data-health notice (missing or stale sources
	// and the commands that fix them), which executives never see.
	Operator string `yaml:"operator,omitempty" json:"operator,omitempty"`
	// Attachments lists what every report carries: "pdf" (every report)
	// and "csv" (the accounting report's ledger lines). Absent means both;
	// an empty list (attachments: []) turns attachments off.
	Attachments *[]string `yaml:"attachments,omitempty" json:"attachments,omitempty"`
}

// AWS is where the tenant's AWS resources live.
type AWS struct {
	// RoleARN and ExternalID are assumed to read the tenant's account; empty
	// means the ambient credentials.
	RoleARN    string   `yaml:"role_arn,omitempty" json:"role_arn,omitempty"`
	ExternalID string   `yaml:"external_id,omitempty" json:"external_id,omitempty"`
	Regions    []string `yaml:"regions,omitempty" json:"regions,omitempty"`
}

// Schedule fires a role's report on a cron expression in the tenant's time
// zone, covering Period.
type Schedule struct {
	Role   string `yaml:"role" json:"role"`
	Cron   string `yaml:"cron" json:"cron"`
	Period string `yaml:"period" json:"period"`
}

// Finance holds the inputs the finance analyses need. Amounts are decimal
// strings in the tenant's currency ("12500.00").
type Finance struct {
	MonthlyRevenueTarget string `yaml:"monthly_revenue_target,omitempty" json:"monthly_revenue_target,omitempty"`
	FixedCostsMonthly    string `yaml:"fixed_costs_monthly,omitempty" json:"fixed_costs_monthly,omitempty"`
	UnitPrice            string `yaml:"unit_price,omitempty" json:"unit_price,omitempty"`
	VariableCostPerUnit  string `yaml:"variable_cost_per_unit,omitempty" json:"variable_cost_per_unit,omitempty"`
	// MinRunwayMonths is a financial rule: runway below it fails.
	MinRunwayMonths int `yaml:"min_runway_months,omitempty" json:"min_runway_months,omitempty"`
	// BurnMonths is how many complete months the monthly burn averages
	// (default 3).
	BurnMonths int `yaml:"burn_months,omitempty" json:"burn_months,omitempty"`
}

// Parse reads and validates a tenants file. Unknown fields are errors, so a
// typo never silently drops a setting.
func Parse(r io.Reader) (File, error) {
	f, err := decodeFile(r)
	if err != nil {
		return File{}, err
	}
	if err := f.Validate(); err != nil {
		return File{}, err
	}
	return f, nil
}

// decodeFile reads a tenants file without validating it.
func decodeFile(r io.Reader) (File, error) {
	data, err := io.ReadAll(io.LimitReader(r, 4<<20))
	if err != nil {
		return File{}, fmt.Errorf("read tenants file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f File
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return File{}, errors.New("tenants file is empty")
		}
		return File{}, fmt.Errorf("parse tenants file: %w", err)
	}
	return f, nil
}

// Validate returns every problem at once, each naming the tenant and field,
// under the deployment's policy (PolicyFromEnv).
func (f File) Validate() error { return f.ValidateWith(PolicyFromEnv()) }

// ValidateWith is Validate under policy p.
func (f File) ValidateWith(p Policy) error {
	if len(f.Tenants) == 0 {
		return errors.New("tenants file has no tenants")
	}
	var errs []error
	seen := map[string]bool{}
	externalIDs := map[string]string{} // external id → tenant
	for i, t := range f.Tenants {
		label := t.ID
		if label == "" {
			label = fmt.Sprintf("#%d", i+1)
		}
		if seen[t.ID] && t.ID != "" {
			errs = append(errs, fmt.Errorf("tenant %s: id: duplicate", label))
		}
		seen[t.ID] = true
		if t.AWS != nil && t.AWS.RoleARN != "" && t.AWS.ExternalID != "" {
			// One tenant's external id must not open another's role: the
			// id is what tells the tenant's trust policy who is asking.
			if other, dup := externalIDs[t.AWS.ExternalID]; dup {
				errs = append(errs, fmt.Errorf("tenant %s: aws.external_id: the same as tenant %s's; each tenant needs its own", label, other))
			} else {
				externalIDs[t.AWS.ExternalID] = label
			}
		}
		for _, e := range t.problems(p) {
			errs = append(errs, fmt.Errorf("tenant %s: %w", label, e))
		}
	}
	errs = append(errs, f.portfolioProblems(p)...)
	return errors.Join(errs...)
}

// Validate checks one tenant under the deployment's policy (PolicyFromEnv).
func (t Tenant) Validate() error {
	var errs []error
	for _, e := range t.problems(PolicyFromEnv()) {
		errs = append(errs, fmt.Errorf("tenant %s: %w", t.ID, e))
	}
	return errors.Join(errs...)
}

func (t Tenant) problems(p Policy) []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if !messages.ValidTenantID(t.ID) {
		bad("id", "%q must be 1-64 characters of a-z, 0-9 and -", t.ID)
	}
	if strings.TrimSpace(t.Name) == "" {
		bad("name", "required")
	}
	if hasCRLF(t.Name) {
		bad("name", "must not contain line breaks")
	}
	if !validTimezone(t.Timezone) {
		bad("timezone", "%q is not an IANA time zone (e.g. America/Los_Angeles)", t.Timezone)
	}
	if t.Currency == "" || !currency.IsValid(t.Currency) || t.Currency != strings.ToUpper(t.Currency) {
		bad("currency", "%q is not an ISO 4217 code (e.g. USD)", t.Currency)
	}
	if len(t.Stripe.WebhookSecrets) == 0 {
		bad("stripe.webhook_secrets", "at least one secret or reference is required")
	}
	secret := func(field, s string) {
		if err := ValidateSecretRef(s); err != nil {
			bad(field, "%v", err)
		} else if !IsReference(s) && !p.AllowLiteralSecrets {
			bad(field, "a literal secret is refused here: use an env:, ssm: or secretsmanager: reference (%s=true allows literals, for local runs)", EnvAllowLiteralSecrets)
		}
	}
	for i, v := range t.Stripe.APIVersions {
		if !apiVersionRE.MatchString(v) {
			bad(fmt.Sprintf("stripe.api_versions[%d]", i), "%q is not a Stripe API version (e.g. 2024-06-20 or 2025-03-31.basil)", v)
		}
	}
	for i, s := range t.Stripe.WebhookSecrets {
		secret(fmt.Sprintf("stripe.webhook_secrets[%d]", i), s)
	}
	if t.Stripe.APIKey != "" {
		secret("stripe.api_key", t.Stripe.APIKey)
	}
	errs = append(errs, t.Email.problems()...)
	errs = append(errs, recipientProblems(t.Recipients)...)
	if t.AWS != nil {
		for _, e := range t.AWS.problems(t.ID, p) {
			bad(e.field, "%s", e.problem)
		}
	}
	errs = append(errs, scheduleProblems(t.Schedules)...)
	for field, v := range map[string]string{
		"finance.monthly_revenue_target": t.Finance.MonthlyRevenueTarget,
		"finance.fixed_costs_monthly":    t.Finance.FixedCostsMonthly,
		"finance.unit_price":             t.Finance.UnitPrice,
		"finance.variable_cost_per_unit": t.Finance.VariableCostPerUnit,
	} {
		if v == "" {
			continue
		}
		if _, err := ParseAmount(v, t.Currency); err != nil {
			bad(field, "%v", err)
		}
	}
	if t.Finance.MinRunwayMonths < 0 {
		bad("finance.min_runway_months", "must not be negative")
	}
	errs = append(errs, t.reportProblems()...)
	errs = append(errs, t.alertProblems(p)...)
	return errs
}

// problems checks the email settings shared by tenants and portfolios:
// From, Reply-To, BCC audit and the attachments list (email.operator is
// checked with the report settings, reportProblems).
func (e Email) problems() []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if a, err := mail.ParseAddress(e.From); err != nil || hasCRLF(e.From) {
		bad("email.from", "%q is not a \"Name <address>\" email address", e.From)
	} else if a.Name == "" {
		bad("email.from", "%q needs a display name: \"Name <address>\"", e.From)
	}
	if e.ReplyTo != "" && !validAddress(e.ReplyTo) {
		bad("email.reply_to", "%q is not an email address", e.ReplyTo)
	}
	for i, a := range e.BCCAudit {
		if !validAddress(a) {
			bad(fmt.Sprintf("email.bcc_audit[%d]", i), "%q is not an email address", a)
		}
	}
	if e.Attachments != nil {
		seen := map[string]bool{}
		for i, a := range *e.Attachments {
			f := fmt.Sprintf("email.attachments[%d]", i)
			switch {
			case a != AttachmentPDF && a != AttachmentCSV:
				bad(f, "%q is not one of %s, %s (attachments: [] turns them off)", a, AttachmentPDF, AttachmentCSV)
			case seen[a]:
				bad(f, "%q is listed twice", a)
			}
			seen[a] = true
		}
	}
	return errs
}

// Attachment kinds of email.attachments.
const (
	// AttachmentPDF is the PDF of every report.
	AttachmentPDF = "pdf"
	// AttachmentCSV is the accounting report's ledger lines.
	AttachmentCSV = "csv"
)

// Attaches reports whether the email settings ask for attachment kind
// (AttachmentPDF, AttachmentCSV): absent attachments mean every kind.
func (e Email) Attaches(kind string) bool {
	if e.Attachments == nil {
		return true
	}
	for _, a := range *e.Attachments {
		if a == kind {
			return true
		}
	}
	return false
}

// recipientProblems checks recipients.<role> lists (tenants and
// portfolios).
func recipientProblems(recipients map[string][]string) []error {
	var errs []error
	for role, list := range recipients {
		if !messages.ValidRole(role) {
			errs = append(errs, fmt.Errorf("recipients.%s: unknown role (one of %s)", role, strings.Join(messages.Roles, ", ")))
			continue
		}
		for i, a := range list {
			if !validAddress(a) {
				errs = append(errs, fmt.Errorf("recipients.%s[%d]: %q is not an email address", role, i, a))
			}
		}
	}
	return errs
}

// scheduleProblems checks schedules (tenants and portfolios): the role,
// the cron expression (package cron's rules) and the period.
func scheduleProblems(schedules []Schedule) []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	for i, s := range schedules {
		f := fmt.Sprintf("schedules[%d]", i)
		if !messages.ValidRole(s.Role) {
			bad(f+".role", "%q is not one of %s", s.Role, strings.Join(messages.Roles, ", "))
		}
		if err := cron.Check(s.Cron, time.Now()); err != nil {
			bad(f+".cron", "%q %v", s.Cron, err)
		}
		switch s.Period {
		case messages.PeriodPreviousWeek, messages.PeriodPreviousMonth, messages.PeriodMonthToDate, messages.PeriodInterval:
		default:
			bad(f+".period", "%q is not one of previous_week, previous_month, month_to_date, interval", s.Period)
		}
	}
	return errs
}

// validTimezone: an IANA zone, not empty and not "Local".
func validTimezone(name string) bool {
	_, err := time.LoadLocation(name)
	return err == nil && name != "" && !timezoneProblem(name)
}

// Location is the tenant's time zone (validated at apply).
func (t Tenant) Location() *time.Location {
	loc, err := time.LoadLocation(t.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// RecipientsFor returns the role's recipients.
func (t Tenant) RecipientsFor(role string) []string { return t.Recipients[role] }

func validAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && !hasCRLF(s) && a.Address != ""
}

func hasCRLF(s string) bool { return strings.ContainsAny(s, "\r\n") }

// timezoneProblem refuses "Local", which time.LoadLocation accepts but
// which means whatever zone the server runs in.
func timezoneProblem(name string) bool { return name == "Local" }
