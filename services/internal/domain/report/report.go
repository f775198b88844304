// Package report turns a tenant's read model into the email of one role:
// one analyst per role (ceo.go, cto.go, cfo.go, accounting.go, cmo.go) —
// pure functions from the facts and the tenant's configuration to a typed
// view model — and one renderer (render.go) that writes the HTML part
// (html/template, CSS inlined by go-premailer, fluid up to 640 px, light
// and dark colour schemes), the plain-text part with the same figures,
// and the charts as PNG images referenced by Content-ID.
//
// Every role's email opens with "Needs attention": the rules of the
// catalogue in package attention that speak to the role, evaluated here
// (attention.go) with the tenant's thresholds, at most five items ranked.
// The subject and preheader carry the headline (subject.go).
//
// Rules every analyst follows:
//
//   - Every figure names its period; the email states its "as of" time.
//   - One value per figure: targets (targets.go), burn and runway
//     (burn.go), break-even (breakeven.go) and unit economics (unit.go)
//     are computed by one function each, which every section calls.
//   - A figure whose source never delivered anything is unknown, not zero,
//     and says which data is missing in plain words. The commands that fix
//     it go to the operator's data-health notice (datahealth.go), never to
//     an executive. A source that delivered facts, none in the period,
//     gives a real zero. A report with no data at all is a short note.
//   - Money is summed per currency, never converted: amounts in another
//     currency than the tenant's are named beside the figure.
//   - Signs and colours (format.go): no "−$0.00", a negative burn is a
//     profit, only the offending cell is coloured, arrows are coloured by
//     whether the move is good for that metric.
//   - Data is never trusted as markup: the templates escape everything and
//     no template.HTML is ever built from data.
//
// Attachments and the browser view are drawn from the rendered report, so
// they show the email's very strings: pdf.go (the PDF of any report, from
// its HTML and charts), ledger.go (the accounting report's ledger CSV),
// browser.go (the View in browser page and link), attach.go (what
// email.attachments allow).
//
// reportctl preview and the mailer both call Build; for a portfolio (a
// holding company's businesses) they call BuildPortfolio, whose analyses
// (portfolio.go, portfolio_roles.go) take every figure of a business from
// that business's own analysis, rank the members' attention items across
// the portfolio, total per currency and, with the portfolio's fx block,
// consolidate in its reporting currency with every converted figure
// labelled (fx.go: exact rational arithmetic, half-even rounding).
package report

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/attention"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// Source is what a report reads: readmodel.Store in production. A report
// reads through readmodel.Read, the read model's one read path.
type Source = readmodel.Source

// Image is an inline image, referenced from the HTML as cid:ContentID.
type Image struct {
	ContentID string
	PNG       []byte
}

// Rendered is a report ready to be put into an email.
type Rendered struct {
	Subject string
	HTML    string
	Text    string
	Images  []Image
	// Attachments go with the email as files (the PDF of the report, the
	// accounting report's ledger CSV).
	Attachments []Attachment
	// Preheader and Attention are the report's headline: the inbox
	// preview line and what needs attention first, ranked (a summary of
	// the report, the Slack digest, says them).
	Preheader string
	Attention []attention.Item
	// ViewLink is the signed View in browser link WithViewLink put in
	// ("": none).
	ViewLink string
}

// Attachment is a file attached to a report's email.
type Attachment struct {
	Filename    string
	ContentType string
	Data        []byte
}

// ErrInvalid marks a report that can never be built (bad role, period or
// tenant): retrying does not help.
var ErrInvalid = errors.New("invalid report request")

// Build reads what the role's analysis needs from src and renders the
// report for due's period. now is the build time: figures are as of
// min(now, period end).
// The accounting report carries its ledger CSV (attach.go) when the
// tenant's email.attachments allow; the PDF is WithPDF's, added by the
// mailer, which counts a PDF that fails and sends without it.
func Build(ctx context.Context, src Source, t tenants.Tenant, due messages.ReportDue, now time.Time) (Rendered, error) {
	v, d, err := analyse(ctx, src, t, due, now)
	if err != nil {
		return Rendered{}, err
	}
	r, err := Render(v)
	if err != nil {
		return Rendered{}, err
	}
	return r, attachLedger(&r, d)
}

// Analyse runs the role's analyst and returns its view model.
func Analyse(ctx context.Context, src Source, t tenants.Tenant, due messages.ReportDue, now time.Time) (View, error) {
	v, _, err := analyse(ctx, src, t, due, now)
	return v, err
}

func analyse(ctx context.Context, src Source, t tenants.Tenant, due messages.ReportDue, now time.Time) (View, *Data, error) {
	if err := check(t, due); err != nil {
		return nil, nil, err
	}
	a, ok := analysts[due.Role]
	if !ok {
		return nil, nil, fmt.Errorf("%w: unknown role %q", ErrInvalid, due.Role)
	}
	d, err := load(ctx, src, t, due, now, withAttention(a.metrics), true)
	if err != nil {
		return nil, nil, err
	}
	v := a.analyse(d)
	finish(d, v)
	return v, d, nil
}

func check(t tenants.Tenant, due messages.ReportDue) error {
	var errs []error
	if t.ID == "" || t.ID != due.TenantID {
		errs = append(errs, fmt.Errorf("tenant %q does not match report tenant %q", t.ID, due.TenantID))
	}
	if !messages.ValidRole(due.Role) {
		errs = append(errs, fmt.Errorf("unknown role %q", due.Role))
	}
	if due.PeriodStart.IsZero() || !due.PeriodEnd.After(due.PeriodStart) {
		errs = append(errs, fmt.Errorf("invalid period [%s, %s)", due.PeriodStart, due.PeriodEnd))
	}
	if strings.ContainsAny(t.Name, "\r\n") {
		errs = append(errs, errors.New("tenant name contains a line break"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
	}
	return nil
}

// analyst is one role's analysis: what it reads and how it reads it.
type analyst struct {
	metrics  []string
	findings bool
	analyse  func(*Data) View
}

var analysts = map[string]analyst{}

// View is a role's view model; each role has its own type.
type View interface {
	header() *Header
	template() string
}
