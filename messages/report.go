package messages

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// EventNameReportDue is the metadata event name of a ReportDue.
const EventNameReportDue = "report_due"

// Roles a report is written for. Each gets its own analysis.
const (
	RoleCEO        = "ceo"
	RoleCTO        = "cto"
	RoleCFO        = "cfo"
	RoleCMO        = "cmo"
	RoleAccounting = "accounting"
)

// Roles lists every role in display order.
var Roles = []string{RoleCEO, RoleCTO, RoleCFO, RoleCMO, RoleAccounting}

// ValidRole reports whether role is one of Roles.
func ValidRole(role string) bool {
	for _, r := range Roles {
		if r == role {
			return true
		}
	}
	return false
}

// Period kinds say which span a report covers.
const (
	PeriodPreviousWeek  = "previous_week"
	PeriodPreviousMonth = "previous_month"
	PeriodMonthToDate   = "month_to_date"
	PeriodInterval      = "interval"
	// PeriodMonth is a calendar month asked for explicitly (`--period YYYY-MM`).
	PeriodMonth = "month"
)

// ReportDue asks the mailer to build and send one role's report for one
// period. Published on TopicReportDue by the scheduler (on each firing of a
// tenant's schedule) and by `reportctl report send`. The mailer sends at most
// one email per (ReportID, recipient), however often this is delivered.
type ReportDue struct {
	Header
	// ReportID is deterministic for (tenant, role, period): see ReportIDFor.
	ReportID string `json:"report_id"`
	Role     string `json:"role"`
	// PeriodStart and PeriodEnd bound the period [start, end) in UTC; the
	// tenant's time zone decided where they fall.
	PeriodStart time.Time `json:"period_start"`
	PeriodEnd   time.Time `json:"period_end"`
	// PeriodKind is one of the Period* constants.
	PeriodKind string `json:"period_kind"`
	// DueAt is when the report was due (the schedule's firing time).
	DueAt time.Time `json:"due_at"`
	// TestRecipient, when set, asks for a test copy to this one address
	// instead of the role's recipients (`reportctl report send --to`): the
	// subject starts with TestSubjectPrefix, there is no BCC, and the send
	// is not recorded as the period's, so the real send still happens.
	// Optional; consumers that predate it send the report normally.
	TestRecipient string `json:"test_recipient,omitempty"`
	// PortfolioID, when set, makes this a portfolio's report: Header.TenantID
	// then holds the same id (portfolio and tenant ids share one id space),
	// so report ids and send records stay unique. Optional; absent means a
	// tenant's report.
	PortfolioID string `json:"portfolio_id,omitempty"`
}

// TestSubjectPrefix starts the subject of a test copy.
const TestSubjectPrefix = "[TEST] "

// ValidTestRecipient checks a test copy's address: one plain address
// (no display name, no CR/LF).
func ValidTestRecipient(addr string) error {
	if strings.ContainsAny(addr, "\r\n") {
		return errors.New("address contains CR or LF")
	}
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Address != addr {
		return fmt.Errorf("%q is not a plain email address", addr)
	}
	return nil
}

// Name is the stable event name used in metadata and logs.
func (ReportDue) Name() string { return EventNameReportDue }

// ReportIDFor derives the report id from what makes a report unique: the
// tenant, the role and the period.
func ReportIDFor(tenantID, role string, start, end time.Time) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%s|%s", tenantID, role,
		start.UTC().Format(time.RFC3339Nano), end.UTC().Format(time.RFC3339Nano))))
	return "rpt_" + hex.EncodeToString(sum[:12])
}

// Validate returns every problem with the event at once.
func (r ReportDue) Validate() error {
	errs := []error{r.Header.Validate()}
	if r.ReportID == "" {
		errs = append(errs, errors.New("missing report_id"))
	}
	if !ValidRole(r.Role) {
		errs = append(errs, fmt.Errorf("unknown role %q", r.Role))
	}
	if r.PeriodStart.IsZero() || r.PeriodEnd.IsZero() || !r.PeriodEnd.After(r.PeriodStart) {
		errs = append(errs, fmt.Errorf("invalid period [%s, %s)", r.PeriodStart, r.PeriodEnd))
	}
	if r.PortfolioID != "" && r.PortfolioID != r.TenantID {
		errs = append(errs, fmt.Errorf("portfolio_id %q must equal tenant_id %q", r.PortfolioID, r.TenantID))
	}
	if r.TestRecipient != "" {
		if err := ValidTestRecipient(r.TestRecipient); err != nil {
			errs = append(errs, fmt.Errorf("test_recipient: %w", err))
		}
	}
	return errors.Join(errs...)
}
