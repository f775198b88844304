package report

import (
	"context"
	"fmt"
	"html"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// BuildPortfolio renders a portfolio's report for one role: members are
// the portfolio's tenants (in the portfolio's order), and src is read for
// those tenants only.
//
// TODO(issue 17): the five portfolio analyses replace this placeholder.
func BuildPortfolio(ctx context.Context, src Source, p tenants.Portfolio, members []tenants.Tenant, due messages.ReportDue, now time.Time) (Rendered, error) {
	if !messages.ValidRole(due.Role) {
		return Rendered{}, fmt.Errorf("%w: unknown role %q", ErrInvalid, due.Role)
	}
	names := ""
	for i, m := range members {
		if i > 0 {
			names += ", "
		}
		names += m.Name
	}
	subject := fmt.Sprintf("%s: %s portfolio report", p.Name, due.Role)
	return Rendered{Subject: subject, HTML: "<p>" + html.EscapeString(subject+": "+names) + "</p>", Text: subject + ": " + names + "\n"}, nil
}
