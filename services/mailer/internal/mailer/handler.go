// Package mailer is the mailer service's work: it turns each report due
// into one email per recipient (claim, render, MIME, SES SendRawEmail at
// the account's rate, record), consumes SES delivery, bounce and complaint
// events to track sends and suppress recipients, and signs and serves the
// one-click unsubscribe links and the View in browser pages (view.go;
// attachments.go attaches the PDF and keeps emails within SES's size).
package mailer

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/domain/report"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/logging"
)

type tenantGetter interface {
	Get(ctx context.Context, id string) (tenants.Tenant, error)
}

// portfolioGetter reads portfolios (tenants.PortfolioCache).
type portfolioGetter interface {
	GetPortfolio(ctx context.Context, id string) (tenants.Portfolio, error)
}

// identity is who a report is sent as and to: a tenant's or a portfolio's
// email settings and recipients, and its id, which scopes its sends,
// suppressions, unsubscribes and unsubscribe tokens (a portfolio's id is
// its partition, like a tenant's). One send path serves both.
type identity struct {
	ID         string
	Name       string
	Timezone   string
	Email      tenants.Email
	Recipients map[string][]string
	// Slack is the tenant's or portfolio's slack: (digests when
	// Slack.Digests).
	Slack     *tenants.Slack
	portfolio bool
}

func tenantIdentity(t tenants.Tenant) identity {
	return identity{ID: t.ID, Name: t.Name, Timezone: t.Timezone, Email: t.Email, Recipients: t.Recipients, Slack: t.Slack}
}

func portfolioIdentity(p tenants.Portfolio) identity {
	return identity{ID: p.ID, Name: p.Name, Timezone: p.Timezone, Email: p.Email, Recipients: p.Recipients, Slack: p.Slack, portfolio: true}
}

// label names the identity in errors: "tenant <id>" or "portfolio <id>".
func (id identity) label() string {
	if id.portfolio {
		return "portfolio " + id.ID
	}
	return "tenant " + id.ID
}

// sendStore is what the mailer records.
type sendStore interface {
	Claim(ctx context.Context, snd delivery.Send, ttl time.Duration) (delivery.Outcome, delivery.Record, error)
	MarkSent(ctx context.Context, snd delivery.Send, messageID string) error
	MarkFailed(ctx context.Context, snd delivery.Send, status, reason string) error
	Release(ctx context.Context, snd delivery.Send) error
	Blocked(ctx context.Context, tenantID, role, address string) (string, string, error)
}

// Settings are what the emails need from the configuration.
type Settings struct {
	// Sender is the verified envelope sender (SES Source).
	Sender string
	// PublicURL is where recipients reach the one-click unsubscribe
	// endpoint.
	PublicURL string
	// UnsubscribeKey signs unsubscribe tokens (HMAC-SHA256).
	UnsubscribeKey string
	// UnsubscribeTTL is how long an unsubscribe link stays valid.
	UnsubscribeTTL time.Duration
	// ViewKeys sign the view-in-browser links (view.go); none: no link.
	ViewKeys ViewKeys
	// ViewTTL is how long a view link (and its stored page) lasts.
	ViewTTL time.Duration
}

// Options build a Mailer.
type Options struct {
	Tenants tenantGetter
	// Portfolios reads the portfolios of portfolio report dues (nil: they
	// are refused as unknown).
	Portfolios portfolioGetter
	Source     report.Source
	Store      sendStore
	// Views stores each report's browser view (nil: no view links).
	Views viewStore
	// SES sends; throttling is retried by the Mailer within the account's
	// rate (MaxSendRate, or GetSendQuota's, read every QuotaRefresh).
	SES              sesAPI
	ConfigurationSet string
	MaxSendRate      float64
	QuotaRefresh     time.Duration
	Settings         Settings
	Log              *slog.Logger
	// ClaimTTL is how long a send's claim holds (the queue's visibility
	// timeout).
	ClaimTTL time.Duration
	// Timeout bounds one message's handling, also during a shutdown.
	Timeout time.Duration
	// Digest, when set, posts the report's Slack digest after its emails
	// are sent, for owners that set slack.digests (it must claim once per
	// report, like notify.Notifier.PostDigest; main wires SlackDigest).
	// Nil: no digests.
	Digest DigestFunc
}

// DigestFunc posts one report's Slack digest; owner is the tenant or
// portfolio id, slack its settings.
type DigestFunc func(ctx context.Context, owner string, slack tenants.Slack, due messages.ReportDue, r report.Rendered) error

// New returns a Mailer.
func New(o Options) *Mailer {
	return &Mailer{
		tenants:    o.Tenants,
		portfolios: o.Portfolios,
		source:     o.Source,
		store:      o.Store,
		views:      o.Views,
		sender:     newSender(o.SES, o.Settings.Sender, o.ConfigurationSet, o.MaxSendRate, o.QuotaRefresh),
		cfg:        o.Settings,
		log:        o.Log,
		now:        time.Now,
		claimTTL:   o.ClaimTTL,
		timeout:    o.Timeout,
		hash:       newAddrHasher(o.Settings.UnsubscribeKey),
		digest:     o.Digest,
	}
}

// Mailer turns a ReportDue into one email per recipient.
type Mailer struct {
	tenants    tenantGetter
	portfolios portfolioGetter
	source     report.Source
	store      sendStore
	views      viewStore
	counters   counters
	sender     *sender
	cfg        Settings
	log        *slog.Logger
	now        func() time.Time
	claimTTL   time.Duration
	// timeout bounds one message's handling, detached from the
	// subscriber's cancellation (0: no bound of its own, tests).
	timeout time.Duration
	// afterSend runs between SES accepting and the record (tests use it to
	// simulate a crash in that window).
	afterSend func(delivery.Send) error
	// hash stands for addresses in logs and in the errors the router logs.
	hash   addrHasher
	digest DigestFunc
}

// HandleReportDue is the watermill handler of the mailer-report-due queue.
func (m *Mailer) HandleReportDue(msg *message.Message) error {
	due, err := bus.Decode[messages.ReportDue](msg)
	if err != nil {
		return err
	}
	// The subscriber cancels message contexts when it closes at shutdown;
	// a send in flight then finishes instead (the router's Close waits for
	// it), bounded by the handler timeout, so a shutdown never leaves an
	// email accepted by SES but unrecorded more often than a crash would.
	ctx := context.WithoutCancel(msg.Context())
	if m.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, m.timeout)
		defer cancel()
	}
	return m.hash.Err(m.deliver(ctx, due))
}

// deliver sends the report to each recipient once. A failure for one
// recipient does not stop the others; the message is retried (through the
// queue) only for transient failures, and recipients already done are
// skipped by their claims.
func (m *Mailer) deliver(ctx context.Context, due messages.ReportDue) error {
	if due.PortfolioID != "" {
		return m.deliverPortfolio(ctx, due)
	}
	// logging.For: the message and correlation ids, and the trace id.
	log := logging.For(ctx, m.log).With(logging.TenantKey, due.TenantID, "report_id", due.ReportID, "role", due.Role)
	t, err := m.tenants.Get(ctx, due.TenantID)
	if errors.Is(err, tenants.ErrDeleted) {
		// `reportctl tenants delete`: stopped on purpose, not a failure
		// to dead-letter.
		log.Info("tenant deleted; nothing sent")
		return nil
	}
	if errors.Is(err, tenants.ErrNotFound) {
		return bus.Permanent(fmt.Errorf("report %s: %w", due.ReportID, err))
	}
	if err != nil {
		return fmt.Errorf("tenant %s: %w", due.TenantID, err)
	}
	return m.deliverAs(ctx, log, tenantIdentity(t), due, func() (report.Rendered, error) {
		return report.Build(ctx, m.source, t, due, m.now())
	}, func() error { return m.sendDataHealth(ctx, log, t, due) })
}

// deliverPortfolio sends a portfolio's report: the portfolio and its
// members as they are now (a member removed from the file is not read),
// built by report.BuildPortfolio and sent through the tenant path as the
// portfolio's identity.
func (m *Mailer) deliverPortfolio(ctx context.Context, due messages.ReportDue) error {
	log := logging.For(ctx, m.log).With("portfolio_id", due.PortfolioID, "report_id", due.ReportID, "role", due.Role)
	if m.portfolios == nil {
		return bus.Permanent(fmt.Errorf("report %s: portfolio %s: this mailer reads no portfolios", due.ReportID, due.PortfolioID))
	}
	p, err := m.portfolios.GetPortfolio(ctx, due.PortfolioID)
	if errors.Is(err, tenants.ErrPortfolioDeleted) {
		log.Info("portfolio deleted; nothing sent")
		return nil
	}
	if errors.Is(err, tenants.ErrPortfolioNotFound) {
		return bus.Permanent(fmt.Errorf("report %s: unknown portfolio %s, nothing sent: %w", due.ReportID, due.PortfolioID, err))
	}
	if err != nil {
		return fmt.Errorf("portfolio %s: %w", due.PortfolioID, err)
	}
	members, missing, err := tenants.Members(ctx, p, m.tenants.Get)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		log.Warn("portfolio members not found; left out of the report", "missing", missing)
	}
	return m.deliverAs(ctx, log, portfolioIdentity(p), due, func() (report.Rendered, error) {
		return report.BuildPortfolio(ctx, m.source, p, members, due, m.now())
	}, nil)
}

// deliverAs builds the report (only when someone is to receive it) and
// sends it to each of id's recipients for the role, then runs after (the
// tenant's data-health notice). A failure for one recipient does not stop
// the others; the transient ones are returned, joined.
func (m *Mailer) deliverAs(ctx context.Context, log *slog.Logger, id identity, due messages.ReportDue, build func() (report.Rendered, error), after func() error) error {
	recipients := id.Recipients[due.Role]
	if due.TestRecipient != "" {
		recipients = []string{due.TestRecipient}
	}
	if len(recipients) == 0 {
		log.Warn("no recipients for role; nothing sent")
		return nil
	}
	rendered, err := build()
	if errors.Is(err, report.ErrInvalid) {
		return bus.Permanent(err)
	}
	if err != nil {
		return fmt.Errorf("build report %s: %w", due.ReportID, err)
	}
	rendered = m.prepare(ctx, log, id.ID, id.Email, due, rendered, func(r report.Rendered) ([]byte, error) {
		return m.compose(id, due, r, recipients[0], false)
	})
	if due.TestRecipient != "" {
		return m.sendTest(ctx, log, id, due, rendered)
	}
	var transient []error
	for _, rcpt := range recipients {
		if err := m.sendOne(ctx, log, id, due, rendered, rcpt); err != nil {
			transient = append(transient, err)
		}
	}
	if after != nil {
		if err := after(); err != nil {
			transient = append(transient, err)
		}
	}
	if len(transient) == 0 && m.digest != nil && id.Slack != nil && id.Slack.Digests {
		if err := m.digest(ctx, id.ID, *id.Slack, due, rendered); err != nil {
			transient = append(transient, fmt.Errorf("slack digest: %w", err))
		}
	}
	return errors.Join(transient...)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// sendDataHealth sends the operator (email.operator) the data-health
// notice with a report whose sources are missing or stale: the commands
// that executives' emails leave out. It is claimed like any send, under
// the report id with a "-health" suffix, so a redelivered report due
// does not send it twice.
func (m *Mailer) sendDataHealth(ctx context.Context, log *slog.Logger, t tenants.Tenant, due messages.ReportDue) error {
	if t.Email.Operator == "" {
		return nil
	}
	h, err := report.AnalyseDataHealth(ctx, m.source, t, minTime(m.now(), due.PeriodEnd))
	if err != nil {
		return fmt.Errorf("data health %s: %w", t.ID, err)
	}
	if h.Healthy() {
		return nil
	}
	r, err := report.RenderDataHealth(h)
	if err != nil {
		log.Error("data health notice not rendered", "err", err)
		return nil
	}
	notice := due
	notice.ReportID = due.ReportID + "-health"
	return m.sendOne(ctx, log.With("notice", "data_health"), tenantIdentity(t), notice, r, t.Email.Operator)
}

func (m *Mailer) sendOne(ctx context.Context, log *slog.Logger, t identity, due messages.ReportDue, r report.Rendered, rcpt string) error {
	// rcpt may be "Name <Address>" (kept for the To header); every record,
	// the SES destination and the unsubscribe link use the bare address,
	// which is what SES events carry.
	addr := delivery.Address(rcpt)
	snd := delivery.Send{TenantID: t.ID, ReportID: due.ReportID, Recipient: addr, Role: due.Role,
		PeriodStart: due.PeriodStart, PeriodEnd: due.PeriodEnd, Subject: r.Subject}
	log = log.With("recipient_hash", m.hash.Of(addr))
	outcome, rec, err := m.store.Claim(ctx, snd, m.claimTTL)
	if err != nil {
		return err
	}
	switch outcome {
	case delivery.Done:
		log.Debug("already sent", "status", rec.Status)
		return nil
	case delivery.Busy:
		return fmt.Errorf("%w: %s for one recipient", delivery.ErrBusy, due.ReportID)
	}
	if rec.Attempts > 1 {
		log.Warn("resending after an expired claim: possible duplicate", "attempt", rec.Attempts)
	}
	if status, reason, err := m.store.Blocked(ctx, t.ID, due.Role, addr); err != nil {
		_ = m.store.Release(ctx, snd)
		return err
	} else if status != "" {
		log.Info("not sent", "status", status)
		countEmail(t.ID, status)
		return m.store.MarkFailed(ctx, snd, status, reason)
	}
	raw, err := m.compose(t, due, r, rcpt, false)
	if err != nil {
		log.Error("invalid email; not sent", "err", m.hash.Err(err))
		countEmail(t.ID, OutcomeRejected)
		return m.store.MarkFailed(ctx, snd, delivery.StatusRejected, err.Error())
	}
	id, err := m.sender.send(ctx, rawEmail{Destinations: []string{addr}, Data: raw, Tags: map[string]string{
		"tenant": t.ID, "role": due.Role, "report_id": due.ReportID,
	}})
	switch {
	case errors.Is(err, ErrFromNotAllowed):
		err = fmt.Errorf("%s: email.from %s: this deployment may not send as it (check the verified identity and the mailer's ses:SendRawEmail policy): %w", t.label(), t.Email.From, err)
		log.Error("rejected by ses", "err", m.hash.Err(err))
		countEmail(t.ID, OutcomeRejected)
		return m.store.MarkFailed(ctx, snd, delivery.StatusRejected, err.Error())
	case errors.Is(err, ErrRejected):
		log.Error("rejected by ses", "err", m.hash.Err(err))
		countEmail(t.ID, OutcomeRejected)
		return m.store.MarkFailed(ctx, snd, delivery.StatusRejected, err.Error())
	case errors.Is(err, ErrPaused):
		// Nothing was sent: give the claim back; the redelivery after the
		// visibility timeout tries again, and the report is not dropped.
		log.Warn("ses sending paused; retried later", "err", m.hash.Err(err))
		countEmail(t.ID, OutcomeFailed)
		_ = m.store.Release(ctx, snd)
		return err
	case errors.Is(err, ErrThrottled):
		// SES refused it: nothing was sent, so the next delivery may
		// send at once.
		_ = m.store.Release(ctx, snd)
		return err
	case err != nil:
		// Unknown whether SES accepted (timeout): keep the claim, which
		// expires within the visibility timeout; the redelivery resends.
		countEmail(t.ID, OutcomeFailed)
		return err
	}
	countEmail(t.ID, OutcomeSent)
	m.sendAudit(ctx, log, t, due, r, rcpt)
	if m.afterSend != nil {
		if err := m.afterSend(snd); err != nil {
			return err
		}
	}
	log.Info("sent", "ses_message_id", id)
	return m.store.MarkSent(ctx, snd, id)
}

// sendAudit sends the BCC audit copy of the email to rcpt: the same report
// and To header, without rcpt's unsubscribe link (one click by an auditor
// would unsubscribe the recipient), to the audit addresses that are not
// suppressed. Best effort: a failure is logged and not retried, because a
// retry would send the recipient's email again.
func (m *Mailer) sendAudit(ctx context.Context, log *slog.Logger, t identity, due messages.ReportDue, r report.Rendered, rcpt string) {
	var dest []string
	for _, a := range t.Email.BCCAudit {
		addr := delivery.Address(a)
		status, _, err := m.store.Blocked(ctx, t.ID, due.Role, addr)
		switch {
		case err != nil:
			log.Warn("audit copy not sent: suppression check failed", "audit_hash", m.hash.Of(addr), "err", m.hash.Err(err))
			continue
		case status != "":
			log.Info("audit copy not sent", "audit_hash", m.hash.Of(addr), "status", status)
			continue
		}
		dest = append(dest, addr)
	}
	if len(dest) == 0 {
		return
	}
	raw, err := m.compose(t, due, r, rcpt, true)
	if err == nil {
		_, err = m.sender.send(ctx, rawEmail{Destinations: dest, Data: raw, Tags: map[string]string{
			"tenant": t.ID, "role": due.Role, "report_id": due.ReportID,
		}})
	}
	if err != nil {
		log.Warn("audit copy not sent", "audit_copies", len(dest), "err", m.hash.Err(err))
	}
}

// sendTest sends a test copy (`reportctl report send --to`): to
// due.TestRecipient only, no BCC audit copy, the subject marked with
// messages.TestSubjectPrefix. It claims and records nothing, so the
// period's real send is not blocked by it; its SES tags name a report id
// of its own ("test_" + the report's), so SES events about it never touch
// the real send's record. A redelivered message may send it twice; a
// suppressed address gets nothing.
func (m *Mailer) sendTest(ctx context.Context, log *slog.Logger, t identity, due messages.ReportDue, r report.Rendered) error {
	rcpt := delivery.Address(due.TestRecipient)
	log = log.With("recipient_hash", m.hash.Of(rcpt), "test_copy", true)
	if status, _, err := m.store.Blocked(ctx, t.ID, due.Role, rcpt); err != nil {
		return err
	} else if status != "" {
		log.Info("test copy not sent", "status", status)
		return nil
	}
	r.Subject = messages.TestSubjectPrefix + r.Subject
	raw, err := m.compose(t, due, r, rcpt, false)
	if err != nil {
		log.Error("invalid test copy; not sent", "err", m.hash.Err(err))
		return nil
	}
	id, err := m.sender.send(ctx, rawEmail{Destinations: []string{rcpt}, Data: raw, Tags: map[string]string{
		"tenant": t.ID, "role": due.Role, "report_id": "test_" + due.ReportID,
	}})
	if errors.Is(err, ErrRejected) {
		log.Error("test copy rejected by ses", "err", m.hash.Err(err))
		return nil
	}
	if err != nil {
		return err
	}
	log.Info("test copy sent", "ses_message_id", id)
	return nil
}

// compose builds the raw email for one recipient, or its audit copy (no
// unsubscribe link: the token would be the recipient's).
func (m *Mailer) compose(t identity, due messages.ReportDue, r report.Rendered, rcpt string, audit bool) ([]byte, error) {
	// A report that did not go through prepare has no view link.
	r = r.WithViewLink("")
	e := envelope{
		From: t.Email.From, ReplyTo: t.Email.ReplyTo, To: rcpt, Subject: r.Subject, ReportID: due.ReportID,
		Date: m.now(), Audit: audit,
	}
	if !audit {
		token := signUnsubscribe([]byte(m.cfg.UnsubscribeKey), unsubClaims{
			Tenant: t.ID, Role: due.Role, Address: delivery.Address(rcpt), Expires: m.now().Add(m.cfg.UnsubscribeTTL).Unix(),
		})
		e.Unsub = m.cfg.PublicURL + "/unsubscribe?token=" + url.QueryEscape(token)
		e.UnsubMail = t.Email.ReplyTo
		if e.UnsubMail == "" {
			e.UnsubMail = m.cfg.Sender
		}
	}
	// The visible link in the body: the report renders a placeholder, each
	// recipient gets their own signed link (GET shows a confirm button;
	// only the POST unsubscribes). An audit copy gets the sender's
	// unsubscribe page without a token, never the recipient's link.
	link := e.Unsub
	if audit {
		link = m.cfg.PublicURL + "/unsubscribe"
	}
	r.HTML = strings.ReplaceAll(r.HTML, report.UnsubscribePlaceholder, html.EscapeString(link))
	r.Text = strings.ReplaceAll(r.Text, report.UnsubscribePlaceholder, link)
	return buildMIME(e, r, m.cfg.Sender)
}
