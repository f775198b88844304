package mailer

import (
	"context"
	"reflect"
	"testing"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/alerting/notify"
	"github.com/boardpack/boardpack/services/internal/domain/attention"
	"github.com/boardpack/boardpack/services/internal/domain/report"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

type recordPoster struct {
	owner string
	slack tenants.Slack
	got   []notify.Digest
}

func (p *recordPoster) PostDigest(_ context.Context, owner string, slack tenants.Slack, d notify.Digest) error {
	p.owner, p.slack = owner, slack
	p.got = append(p.got, d)
	return nil
}

// TestDigestCarriesTheHeadline: the digest says the report's subject,
// preheader, each item that needs attention with its figure (a
// portfolio's naming the business) and the view link.
func TestDigestCarriesTheHeadline(t *testing.T) {
	items := []attention.Item{
		{Business: "Queen", Title: "Revenue below target in Nov", Figure: "$123.45, 1.2 % of target", Period: "Nov 2026"},
		{Business: "JADA", Title: "Payout failed", Figure: "$50.00"},
	}
	r := report.Rendered{Subject: "Queen · CFO · Nov", Preheader: "Revenue below target in Nov: $123.45, 1.2 % of target",
		Attention: items}.WithViewLink("")
	r.ViewLink = "https://bp.example.com/reports/rep_1?s=x"
	for _, tc := range []struct {
		name      string
		portfolio string
		labels    []string
	}{
		{"tenant", "", []string{"Revenue below target in Nov", "Payout failed"}},
		{"portfolio", "holding", []string{"Queen: Revenue below target in Nov", "JADA: Payout failed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			due := messages.ReportDue{ReportID: "rep_1", Role: messages.RoleCFO, PortfolioID: tc.portfolio}
			p := &recordPoster{}
			slack := tenants.Slack{Webhook: "ssm:/boardpack/slack/x", Digests: true}
			if err := SlackDigest(p)(context.Background(), "owner-1", slack, due, r); err != nil {
				t.Fatal(err)
			}
			want := notify.Digest{ReportID: "rep_1", Role: messages.RoleCFO, Subject: r.Subject, Preheader: r.Preheader, Link: r.ViewLink}
			for i, it := range items {
				want.Figures = append(want.Figures, notify.Figure{Label: tc.labels[i], Value: it.Figure, Period: it.Period})
			}
			if len(p.got) != 1 || !reflect.DeepEqual(p.got[0], want) || p.owner != "owner-1" || p.slack != slack {
				t.Fatalf("posted %+v to %s %+v, want %+v", p.got, p.owner, p.slack, want)
			}
		})
	}
}
