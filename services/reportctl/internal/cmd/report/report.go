package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/domain/report"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

func init() {
	register(command{
		name:    "report send",
		usage:   "--tenant ID --role ROLE [--period YYYY-MM]",
		summary: "publish a report-due now (the mailer sends it)",
		run:     reportSend,
	})
	register(command{
		name:    "report preview",
		usage:   "--tenant ID --role ROLE [--period YYYY-MM] [--format html|text] [--out FILE]",
		summary: "render a report without sending it",
		run:     reportPreview,
	})
	register(command{
		name:    "report status",
		usage:   "--tenant ID [--limit N]",
		summary: "list recent sends with their status",
		run:     reportStatus,
	})
}

// reportArgs are the flags send and preview share.
type reportArgs struct {
	tenant, role, period string
}

func (a *reportArgs) bind(fs *flag.FlagSet) {
	fs.StringVar(&a.tenant, "tenant", "", "tenant id")
	fs.StringVar(&a.role, "role", "", "role: "+strings.Join(messages.Roles, ", "))
	fs.StringVar(&a.period, "period", "", "calendar month YYYY-MM in the tenant's time zone (default: month to date)")
}

func (a reportArgs) check() error {
	var errs []error
	if a.tenant == "" {
		errs = append(errs, errors.New("--tenant is required"))
	} else if !messages.ValidTenantID(a.tenant) {
		errs = append(errs, fmt.Errorf("--tenant %q is not a tenant id", a.tenant))
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
		return fmt.Errorf("%w: %w", errUsage, errors.Join(errs...))
	}
	return nil
}

// reportDue builds the ReportDue for the arguments: with a period, that
// calendar month in the tenant's zone (a deterministic report id, so
// sending it again sends nothing new); without, month to date up to now
// (each invocation is a new report).
func reportDue(t tenants.Tenant, role, period string, now time.Time) (messages.ReportDue, error) {
	loc := t.Location()
	var start, end time.Time
	kind := messages.PeriodMonth
	if period != "" {
		m, err := time.ParseInLocation("2006-01", period, loc)
		if err != nil {
			return messages.ReportDue{}, fmt.Errorf("%w: --period %q is not YYYY-MM", errUsage, period)
		}
		start, end = m, m.AddDate(0, 1, 0)
		if !start.Before(now) {
			return messages.ReportDue{}, fmt.Errorf("%w: --period %s has not started yet", errUsage, period)
		}
	} else {
		n := now.In(loc)
		start, end, kind = time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, loc), now, messages.PeriodMonthToDate
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return messages.ReportDue{
		Header:   messages.Header{EventID: "reportctl-" + hex.EncodeToString(b), TenantID: t.ID, OccurredAt: now.UTC(), Source: messages.SourceReportctl},
		ReportID: messages.ReportIDFor(t.ID, role, start, end), Role: role,
		PeriodStart: start.UTC(), PeriodEnd: end.UTC(), PeriodKind: kind, DueAt: now.UTC(),
	}, nil
}

func loadTenant(ctx context.Context, app *App, id string) (tenants.Tenant, error) {
	store, err := app.Tenants(ctx)
	if err != nil {
		return tenants.Tenant{}, err
	}
	t, err := store.Get(ctx, id)
	if errors.Is(err, tenants.ErrNotFound) {
		return tenants.Tenant{}, fmt.Errorf("tenant %q not found (apply it with `reportctl tenants apply -f FILE`)", id)
	}
	return t, err
}

func reportSend(ctx context.Context, app *App, args []string) error {
	var a reportArgs
	fs := newFlags("report send")
	a.bind(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := a.check(); err != nil {
		return err
	}
	t, err := loadTenant(ctx, app, a.tenant)
	if err != nil {
		return err
	}
	due, err := reportDue(t, a.role, a.period, time.Now())
	if err != nil {
		return err
	}
	if len(t.RecipientsFor(a.role)) == 0 {
		fmt.Fprintf(app.Stderr, "warning: tenant %s has no recipients for %s; the mailer will send nothing\n", t.ID, a.role)
	}
	pub, err := app.Publisher(ctx)
	if err != nil {
		return err
	}
	if err := pub.Publish(ctx, messages.TopicReportDue, due); err != nil {
		return err
	}
	fmt.Fprintf(app.Stdout, "published report %s (%s, %s, %s to %s) for %d recipient(s)\n", due.ReportID, t.ID, a.role,
		due.PeriodStart.In(t.Location()).Format(time.DateOnly), due.PeriodEnd.In(t.Location()).Format("2006-01-02 15:04"), len(t.RecipientsFor(a.role)))
	return nil
}

func reportPreview(ctx context.Context, app *App, args []string) error {
	var a reportArgs
	var format, out string
	fs := newFlags("report preview")
	a.bind(fs)
	fs.StringVar(&format, "format", "html", "html or text")
	fs.StringVar(&out, "out", "", "write to FILE instead of stdout")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := a.check(); err != nil {
		return err
	}
	if format != "html" && format != "text" {
		return fmt.Errorf("%w: --format %q is not html or text", errUsage, format)
	}
	t, err := loadTenant(ctx, app, a.tenant)
	if err != nil {
		return err
	}
	now := time.Now()
	due, err := reportDue(t, a.role, a.period, now)
	if err != nil {
		return err
	}
	src, err := app.ReadModel(ctx)
	if err != nil {
		return err
	}
	r, err := report.Build(ctx, src, t, due, now)
	if err != nil {
		return err
	}
	// A browser cannot resolve cid: images: the preview inlines them.
	body := r.HTMLWithDataURIs()
	if format == "text" {
		body = "Subject: " + r.Subject + "\n\n" + r.Text
	}
	if out == "" {
		_, err = io.WriteString(app.Stdout, body)
		return err
	}
	if err := os.WriteFile(out, []byte(body), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	fmt.Fprintf(app.Stderr, "wrote %s (%s, %d bytes)\n", out, format, len(body))
	return nil
}

func reportStatus(ctx context.Context, app *App, args []string) error {
	var tenant string
	var limit int
	fs := newFlags("report status")
	fs.StringVar(&tenant, "tenant", "", "tenant id")
	fs.IntVar(&limit, "limit", 50, "at most N sends")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !messages.ValidTenantID(tenant) {
		return fmt.Errorf("%w: --tenant %q is not a tenant id", errUsage, tenant)
	}
	if limit < 1 {
		return fmt.Errorf("%w: --limit must be at least 1", errUsage)
	}
	if _, err := loadTenant(ctx, app, tenant); err != nil {
		return err
	}
	cfg, err := app.AWS(ctx)
	if err != nil {
		return err
	}
	store := delivery.Store{DB: dynamodb.NewFromConfig(cfg), Table: app.Names.Table}
	recs, err := store.Recent(ctx, tenant, limit)
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		fmt.Fprintf(app.Stdout, "no sends recorded for %s\n", tenant)
		return nil
	}
	w := tabwriter.NewWriter(app.Stdout, 0, 4, 2, ' ', 0)
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
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
