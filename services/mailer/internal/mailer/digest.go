package mailer

import (
	"context"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/alerting/notify"
	"github.com/boardpack/boardpack/services/internal/domain/report"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// digestPoster posts report digests (notify.Notifier).
type digestPoster interface {
	PostDigest(ctx context.Context, owner string, slack tenants.Slack, d notify.Digest) error
}

// SlackDigest is the DigestFunc that posts through p: the report's
// subject, its preheader, what needs attention (each item's figure, with
// the business in a portfolio's) and the view-in-browser link. p claims
// the digest once per report (notify.Notifier.PostDigest), so a
// redelivered report due does not post it again.
func SlackDigest(p digestPoster) DigestFunc {
	return func(ctx context.Context, owner string, slack tenants.Slack, due messages.ReportDue, r report.Rendered) error {
		return p.PostDigest(ctx, owner, slack, DigestOf(due, r))
	}
}

// DigestOf is the Slack digest of a rendered report.
func DigestOf(due messages.ReportDue, r report.Rendered) notify.Digest {
	d := notify.Digest{ReportID: due.ReportID, Role: due.Role, Subject: r.Subject, Preheader: r.Preheader, Link: r.ViewLink}
	for _, it := range r.Attention {
		label := it.Title
		if due.PortfolioID != "" && it.Business != "" {
			label = it.Business + ": " + it.Title
		}
		d.Figures = append(d.Figures, notify.Figure{Label: label, Value: it.Figure, Period: it.Period})
	}
	return d
}
