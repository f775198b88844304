// Package report is `reportctl report`: publish a report-due now (the
// mailer sends it), render a report without sending it, and list recent
// sends with their delivery status.
package report

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/spf13/cobra"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/domain/report"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/reportctl/internal/app"
)

// reportArgs are the flags send and preview share.
type reportArgs struct {
	tenant, portfolio, role, period string
}

func (a *reportArgs) bind(c *cobra.Command) {
	fs := c.Flags()
	fs.StringVar(&a.tenant, "tenant", "", "tenant id")
	fs.StringVar(&a.portfolio, "portfolio", "", "portfolio id (instead of --tenant): the report across its members")
	fs.StringVar(&a.role, "role", "", "role: "+strings.Join(messages.Roles, ", "))
	fs.StringVar(&a.period, "period", "", "calendar month YYYY-MM in the tenant's (or portfolio's) time zone (default: month to date)")
	_ = c.RegisterFlagCompletionFunc("role", cobra.FixedCompletions(messages.Roles, cobra.ShellCompDirectiveNoFileComp))
}

func (a reportArgs) check() error {
	var errs []error
	switch {
	case a.tenant != "" && a.portfolio != "":
		errs = append(errs, errors.New("--tenant and --portfolio are mutually exclusive: a report is a tenant's or a portfolio's"))
	case a.tenant == "" && a.portfolio == "":
		errs = append(errs, errors.New("--tenant or --portfolio is required"))
	case a.tenant != "" && !messages.ValidTenantID(a.tenant):
		errs = append(errs, fmt.Errorf("--tenant %q is not a tenant id", a.tenant))
	case a.portfolio != "" && !messages.ValidTenantID(a.portfolio):
		errs = append(errs, fmt.Errorf("--portfolio %q is not a portfolio id", a.portfolio))
	}
	if !messages.ValidRole(a.role) {
		errs = append(errs, fmt.Errorf("--role %q is not one of %s", a.role, strings.Join(messages.Roles, ", ")))
	}
	if a.period != "" {
		if _, err := time.Parse("2006-01", a.period); err != nil {
			errs = append(errs, fmt.Errorf("--period %q is not YYYY-MM", a.period))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", app.ErrUsage, errors.Join(errs...))
	}
	return nil
}

// reportDue builds the ReportDue for the arguments: with a period, that
// calendar month in the tenant's zone (a deterministic report id, so
// sending it again sends nothing new); without, month to date up to now
// (each invocation is a new report).
func reportDue(t tenants.Tenant, role, period string, now time.Time) (messages.ReportDue, error) {
	return dueFor(t.ID, t.Location(), role, period, now)
}

// portfolioDue is reportDue for a portfolio, in its time zone; the due
// carries PortfolioID (== TenantID: the ids share one space).
func portfolioDue(p tenants.Portfolio, role, period string, now time.Time) (messages.ReportDue, error) {
	d, err := dueFor(p.ID, p.Location(), role, period, now)
	d.PortfolioID = p.ID
	return d, err
}

func dueFor(id string, loc *time.Location, role, period string, now time.Time) (messages.ReportDue, error) {
	var start, end time.Time
	kind := messages.PeriodMonth
	if period != "" {
		m, err := time.ParseInLocation("2006-01", period, loc)
		if err != nil {
			return messages.ReportDue{}, fmt.Errorf("%w: --period %q is not YYYY-MM", app.ErrUsage, period)
		}
		start, end = m, m.AddDate(0, 1, 0)
		if !start.Before(now) {
			return messages.ReportDue{}, fmt.Errorf("%w: --period %s has not started yet", app.ErrUsage, period)
		}
	} else {
		n := now.In(loc)
		start, end, kind = time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, loc), now, messages.PeriodMonthToDate
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return messages.ReportDue{
		Header:   messages.Header{EventID: "reportctl-" + hex.EncodeToString(b), TenantID: id, OccurredAt: now.UTC(), Source: messages.SourceReportctl},
		ReportID: messages.ReportIDFor(id, role, start, end), Role: role,
		PeriodStart: start.UTC(), PeriodEnd: end.UTC(), PeriodKind: kind, DueAt: now.UTC(),
	}, nil
}

// target is what a report is of: a tenant, or a portfolio and its members.
type target struct {
	kind       string // "tenant" or "portfolio"
	id         string
	loc        *time.Location
	recipients map[string][]string
	due        messages.ReportDue
	build      func(ctx context.Context, src report.Source, now time.Time) (report.Rendered, error)
}

// load reads the tenant or portfolio of the arguments and its report due.
func (r reportArgs) load(ctx context.Context, a *app.App, now time.Time) (target, error) {
	if r.portfolio != "" {
		p, members, err := a.LoadPortfolio(ctx, r.portfolio)
		if err != nil {
			return target{}, err
		}
		due, err := portfolioDue(p, r.role, r.period, now)
		if err != nil {
			return target{}, err
		}
		return target{kind: "portfolio", id: p.ID, loc: p.Location(), recipients: p.Recipients, due: due,
			build: func(ctx context.Context, src report.Source, now time.Time) (report.Rendered, error) {
				return report.BuildPortfolio(ctx, src, p, members, due, now)
			}}, nil
	}
	t, err := a.LoadTenant(ctx, r.tenant)
	if err != nil {
		return target{}, err
	}
	due, err := reportDue(t, r.role, r.period, now)
	if err != nil {
		return target{}, err
	}
	return target{kind: "tenant", id: t.ID, loc: t.Location(), recipients: t.Recipients, due: due,
		build: func(ctx context.Context, src report.Source, now time.Time) (report.Rendered, error) {
			return report.Build(ctx, src, t, due, now)
		}}, nil
}

// Command is `reportctl report` and its verbs.
func Command(a *app.App) *cobra.Command {
	return app.Group("report", "send, preview and follow reports",
		sendCommand(a), previewCommand(a), statusCommand(a))
}

func sendCommand(a *app.App) *cobra.Command {
	var r reportArgs
	var to string
	c := &cobra.Command{
		Use:   "send --tenant ID|--portfolio ID --role ROLE [--period YYYY-MM] [--to ADDRESS]",
		Short: "publish a report-due now (the mailer sends it)",
		Long: `Publish a report-due now; the mailer renders and sends it to the role's
recipients (a tenant's, or with --portfolio a portfolio's report across its
members, to the portfolio's recipients). With --period the report id is that of the scheduled report of
the month, so sending it again (or the schedule firing) sends nothing new.

--to ADDRESS sends a test copy to that one address instead: its subject
starts with "[TEST] ", it has no BCC, and it is not recorded as the period's
send, so the real report still goes out. Each --to is sent again.`,
		Args: app.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return send(cmd.Context(), a, r, to)
		},
	}
	r.bind(c)
	c.Flags().StringVar(&to, "to", "", "send a test copy to this one address only (subject marked [TEST], not recorded as the period's send)")
	return c
}

// Send publishes a report due for the tenant's role and period (YYYY-MM,
// or "" for month to date), to the role's recipients, or as a test copy to
// one address when to is set.
func Send(ctx context.Context, a *app.App, tenant, role, period, to string) error {
	return send(ctx, a, reportArgs{tenant: tenant, role: role, period: period}, to)
}

// SendPortfolio is Send for a portfolio's report.
func SendPortfolio(ctx context.Context, a *app.App, portfolio, role, period, to string) error {
	return send(ctx, a, reportArgs{portfolio: portfolio, role: role, period: period}, to)
}

func send(ctx context.Context, a *app.App, r reportArgs, to string) error {
	if err := r.check(); err != nil {
		return err
	}
	if to != "" {
		if err := messages.ValidTestRecipient(to); err != nil {
			return app.Usagef("--to: %v", err)
		}
	}
	tg, err := r.load(ctx, a, time.Now())
	if err != nil {
		return err
	}
	due := tg.due
	recipients := len(tg.recipients[r.role])
	if to != "" {
		due.TestRecipient, recipients = to, 1
	} else if recipients == 0 {
		fmt.Fprintf(a.Stderr, "warning: %s %s has no recipients for %s; the mailer will send nothing\n", tg.kind, tg.id, r.role)
	}
	pub, err := a.Publisher(ctx)
	if err != nil {
		return err
	}
	if err := pub.Publish(ctx, messages.TopicReportDue, due); err != nil {
		return err
	}
	what := "report"
	if to != "" {
		what = "test copy of report"
	}
	of := tg.id
	if tg.kind == "portfolio" {
		of = "portfolio " + tg.id
	}
	fmt.Fprintf(a.Stdout, "published %s %s (%s, %s, %s to %s) for %d recipient(s)\n", what, due.ReportID, of, r.role,
		due.PeriodStart.In(tg.loc).Format(time.DateOnly), due.PeriodEnd.In(tg.loc).Format("2006-01-02 15:04"), recipients)
	return nil
}

func previewCommand(a *app.App) *cobra.Command {
	var r reportArgs
	var format, out, paper string
	c := &cobra.Command{
		Use:   "preview --tenant ID|--portfolio ID --role ROLE [--period YYYY-MM] [--format html|text] [--out FILE]",
		Short: "render a report without sending it",
		Args:  app.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := r.check(); err != nil {
				return err
			}
			if format != "html" && format != "text" && format != "pdf" {
				return app.Usagef("--format %q is not html, text or pdf", format)
			}
			if report.Paper(paper) != report.PaperA4 && report.Paper(paper) != report.PaperLetter {
				return app.Usagef("--paper %q is not A4 or Letter", paper)
			}
			ctx := cmd.Context()
			now := time.Now()
			tg, err := r.load(ctx, a, now)
			if err != nil {
				return err
			}
			src, err := a.ReadModel(ctx)
			if err != nil {
				return err
			}
			rep, err := tg.build(ctx, src, now)
			if err != nil {
				return err
			}
			// A preview has no stored browser view to link to.
			rep = rep.WithViewLink("")
			// A browser cannot resolve cid: images: the preview inlines them.
			body := rep.HTMLWithDataURIs()
			switch format {
			case "text":
				body = "Subject: " + rep.Subject + "\n\n" + rep.Text
			case "pdf":
				pdf, err := report.RenderPDF(rep, report.PDFOptions{Paper: report.Paper(paper), Created: now})
				if err != nil {
					return err
				}
				body = string(pdf)
			}
			if out == "" {
				_, err = io.WriteString(a.Stdout, body)
				return err
			}
			if err := os.WriteFile(out, []byte(body), 0o644); err != nil {
				return fmt.Errorf("write %s: %w", out, err)
			}
			fmt.Fprintf(a.Stderr, "wrote %s (%s, %d bytes)\n", out, format, len(body))
			return nil
		},
	}
	r.bind(c)
	c.Flags().StringVar(&format, "format", "html", "html, text or pdf (the email's PDF attachment)")
	c.Flags().StringVar(&paper, "paper", "A4", "the PDF's paper: A4 or Letter")
	c.Flags().StringVar(&out, "out", "", "write to FILE instead of stdout")
	_ = c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"html", "text", "pdf"}, cobra.ShellCompDirectiveNoFileComp))
	return c
}

// StatusRow is one send in `report status -o json` (the output is a JSON
// array of StatusRow, newest first; the field names are stable).
type StatusRow struct {
	UpdatedAt   time.Time `json:"updated_at"`
	ReportID    string    `json:"report_id"`
	Role        string    `json:"role"`
	PeriodStart time.Time `json:"period_start"`
	PeriodEnd   time.Time `json:"period_end"`
	Recipient   string    `json:"recipient"`
	Subject     string    `json:"subject,omitempty"`
	// Status is the delivery status (sending, sent, delivered, bounced, ...).
	Status    string `json:"status"`
	MessageID string `json:"ses_message_id,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Attempts  int    `json:"attempts"`
	// PossibleDuplicate: SES may have accepted it more than once.
	PossibleDuplicate bool `json:"possible_duplicate"`
}

func statusCommand(a *app.App) *cobra.Command {
	var tenant string
	var limit int
	var out app.Output
	c := &cobra.Command{
		Use:   "status --tenant ID [--limit N]",
		Long:  "List the recent sends of a tenant, or of a portfolio (--tenant takes a portfolio id too).",
		Short: "list recent sends with their status",
		Args:  app.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !messages.ValidTenantID(tenant) {
				return app.Usagef("--tenant %q is not a tenant id", tenant)
			}
			if limit < 1 {
				return app.Usagef("--limit must be at least 1")
			}
			ctx := cmd.Context()
			if _, err := a.LoadTenant(ctx, tenant); err != nil {
				// A portfolio's sends live under its id too.
				if _, _, perr := a.LoadPortfolio(ctx, tenant); !errors.Is(err, tenants.ErrNotFound) || perr != nil {
					return err
				}
			}
			cfg, err := a.AWS(ctx)
			if err != nil {
				return err
			}
			store := delivery.Store{DB: dynamodb.NewFromConfig(cfg), Table: a.Names.Table}
			recs, err := store.Recent(ctx, tenant, limit)
			if err != nil {
				return err
			}
			if out.JSON() {
				sends := make([]StatusRow, 0, len(recs))
				for _, r := range recs {
					sends = append(sends, StatusRow{
						UpdatedAt: r.UpdatedAt.UTC(), ReportID: r.ReportID, Role: r.Role,
						PeriodStart: r.PeriodStart.UTC(), PeriodEnd: r.PeriodEnd.UTC(), Recipient: r.Recipient,
						Subject: r.Subject, Status: r.Status, MessageID: r.MessageID, Reason: r.Reason,
						Attempts: r.Attempts, PossibleDuplicate: r.PossibleDuplicate(),
					})
				}
				return app.WriteJSON(a.Stdout, sends)
			}
			if len(recs) == 0 {
				fmt.Fprintf(a.Stdout, "no sends recorded for %s\n", tenant)
				return nil
			}
			w := tabwriter.NewWriter(a.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "UPDATED\tREPORT\tROLE\tPERIOD\tRECIPIENT\tSTATUS\tSES MESSAGE ID\tNOTE")
			for _, r := range recs {
				note := r.Reason
				if r.PossibleDuplicate() {
					note = strings.TrimSpace(fmt.Sprintf("possible duplicate (%d attempts) %s", r.Attempts, note))
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.UpdatedAt.Format(time.RFC3339), r.ReportID, r.Role,
					r.PeriodStart.Format(time.DateOnly)+".."+r.PeriodEnd.Format(time.DateOnly), r.Recipient, r.Status, dash(r.MessageID), dash(note))
			}
			return w.Flush()
		},
	}
	c.Flags().StringVar(&tenant, "tenant", "", "tenant id")
	c.Flags().IntVar(&limit, "limit", 50, "at most N sends")
	app.AddOutputFlag(c, &out)
	return c
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
