package mailer

import (
	"context"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/domain/report"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// sesMaxRaw is SES's limit on a raw message (10 MB, after base64), less
// room for the per-recipient headers and links the sample email may lack.
const sesMaxRaw = 10_000_000 - 64<<10

// pdfFunc attaches a report's PDF (report.WithPDF; tests make it fail).
type pdfFunc func(report.Rendered, messages.ReportDue, time.Time) (report.Rendered, error)

type viewStore interface {
	Put(ctx context.Context, tenantID, reportID string, gz []byte, expires time.Time) error
}

// counters are the attachment and view outcomes /metrics shows.
type counters struct {
	pdfFailures, attachmentsDropped, viewFailures atomic.Int64
	// withPDF is report.WithPDF unless a test replaces it.
	withPDF pdfFunc
}

// prepare finishes a built report for sending, the same for a tenant's and
// a portfolio's (ownerID and email are the tenant's or the portfolio's):
// it attaches the PDF when email.attachments allow (a PDF that fails is
// logged and counted, and the email goes without it), stores the browser
// view and puts its signed link in (without a stored view the link is left
// out), and drops attachments, largest first, that would take the email
// over SES's size limit. sample is one recipient, for the size.
func (m *Mailer) prepare(ctx context.Context, log *slog.Logger, ownerID string, email tenants.Email, due messages.ReportDue, r report.Rendered, sample func(report.Rendered) ([]byte, error)) report.Rendered {
	if report.Wants(email, report.AttachPDF) {
		attach := m.counters.withPDF
		if attach == nil {
			attach = report.WithPDF
		}
		withPDF, err := attach(r, due, m.now())
		if err != nil {
			m.counters.pdfFailures.Add(1)
			log.Error("pdf not rendered; sending without it", "err", err)
		}
		r = withPDF
	}
	r = r.WithViewLink(m.storeView(ctx, log, ownerID, due, r))
	for len(r.Attachments) > 0 {
		raw, err := sample(r)
		if err != nil || len(raw) <= sesMaxRaw {
			break
		}
		largest := 0
		for i, a := range r.Attachments {
			if len(a.Data) > len(r.Attachments[largest].Data) {
				largest = i
			}
		}
		dropped := r.Attachments[largest]
		r.Attachments = slices.Delete(slices.Clone(r.Attachments), largest, largest+1)
		m.counters.attachmentsDropped.Add(1)
		log.Warn("attachment dropped: the email would exceed the SES size limit", "attachment", dropped.Filename, "bytes", len(dropped.Data), "email_bytes", len(raw))
	}
	return r
}

// storeView stores the report's browser view and returns its signed link
// ("" when views are off or the store failed: the email then has no link,
// rather than one that gives 404).
func (m *Mailer) storeView(ctx context.Context, log *slog.Logger, ownerID string, due messages.ReportDue, r report.Rendered) string {
	if m.views == nil || len(m.cfg.ViewKeys) == 0 {
		return ""
	}
	expires := m.now().Add(m.cfg.ViewTTL)
	gz := delivery.Compress(report.ViewPage(r, m.cfg.PublicURL))
	if len(gz) > delivery.ViewMaxBytes {
		log.Warn("browser view too large with its charts; stored without them", "bytes", len(gz))
		gz = delivery.Compress(report.ViewPage(r.WithoutImages("Chart left out of the browser view (too large); it is in the email and the PDF."), m.cfg.PublicURL))
	}
	if err := m.views.Put(ctx, ownerID, due.ReportID, gz, expires); err != nil {
		m.counters.viewFailures.Add(1)
		log.Error("browser view not stored; sending without the link", "err", err)
		return ""
	}
	return m.cfg.PublicURL + signView(m.cfg.ViewKeys, ownerID, due.ReportID, expires)
}
