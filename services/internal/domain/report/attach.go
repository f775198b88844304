package report

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// What a report's email may carry (tenants.Email.Attachments).
const (
	AttachPDF = "pdf"
	AttachCSV = "csv"
)

// Content types of the attachments.
const (
	ContentTypePDF = "application/pdf"
	ContentTypeCSV = "text/csv; charset=utf-8"
)

// Wants reports whether e's settings allow attachments of kind: all when
// email.attachments is absent, none when it is [].
func Wants(e tenants.Email, kind string) bool {
	return e.Attachments == nil || slices.Contains(*e.Attachments, kind)
}

// AttachmentName is the file name of a report's attachment:
// "queen-ceo-2026-10.pdf" (tenant or portfolio id, role, the period's
// first day in UTC, and the period's last day when it is not a calendar
// month's).
func AttachmentName(due messages.ReportDue, ext string) string {
	start, end := due.PeriodStart.UTC(), due.PeriodEnd.UTC()
	period := start.Format("2006-01-02") + "_" + end.Add(-time.Nanosecond).Format("2006-01-02")
	if start.Day() == 1 && end.Equal(start.AddDate(0, 1, 0)) {
		period = start.Format("2006-01")
	}
	name := strings.Join([]string{due.TenantID, due.Role, period}, "-") + "." + ext
	// Ids are [a-z0-9-] and roles are known: nothing in the name needs
	// quoting, but keep it to that alphabet whatever an id holds.
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, name)
}

// WithPDF returns r with its PDF attached (A4), drawn from r's own HTML and
// images. On an error r comes back unchanged, to be sent without it.
func WithPDF(r Rendered, due messages.ReportDue, created time.Time) (Rendered, error) {
	pdf, err := RenderPDF(r, PDFOptions{Paper: PaperA4, Created: created})
	if err != nil {
		return r, fmt.Errorf("report %s: %w", due.ReportID, err)
	}
	r.Attachments = append(slices.Clip(r.Attachments), Attachment{Filename: AttachmentName(due, "pdf"), ContentType: ContentTypePDF, Data: pdf})
	return r, nil
}

// attachLedger attaches the accounting report's ledger CSV when the
// tenant's settings allow it.
func attachLedger(r *Rendered, d *Data) error {
	if d.Due.Role != messages.RoleAccounting || !Wants(d.Tenant.Email, AttachCSV) {
		return nil
	}
	data, err := LedgerCSV(d.LedgerLines())
	if err != nil {
		return fmt.Errorf("ledger csv of %s: %w", d.Due.ReportID, err)
	}
	r.Attachments = append(r.Attachments, Attachment{Filename: AttachmentName(d.Due, "csv"), ContentType: ContentTypeCSV, Data: data})
	return nil
}
