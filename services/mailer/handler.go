package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/domain/report"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
)

type tenantGetter interface {
	Get(ctx context.Context, id string) (tenants.Tenant, error)
}

// sendStore is what the mailer records.
type sendStore interface {
	Claim(ctx context.Context, snd delivery.Send, ttl time.Duration) (delivery.Outcome, delivery.Record, error)
	MarkSent(ctx context.Context, snd delivery.Send, messageID string) error
	MarkFailed(ctx context.Context, snd delivery.Send, status, reason string) error
	Release(ctx context.Context, snd delivery.Send) error
	Blocked(ctx context.Context, tenantID, role, address string) (string, string, error)
}

// mailer turns a ReportDue into one email per recipient.
type mailer struct {
	tenants  tenantGetter
	source   report.Source
	store    sendStore
	sender   *sender
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	claimTTL time.Duration
	// afterSend runs between SES accepting and the record (tests use it to
	// simulate a crash in that window).
	afterSend func(delivery.Send) error
}

// handleReportDue is the watermill handler of the mailer-report-due queue.
func (m *mailer) handleReportDue(msg *message.Message) error {
	due, err := bus.Decode[messages.ReportDue](msg)
	if err != nil {
		return err
	}
	return m.deliver(msg.Context(), due)
}

// deliver sends the report to each recipient once. A failure for one
// recipient does not stop the others; the message is retried (through the
// queue) only for transient failures, and recipients already done are
// skipped by their claims.
func (m *mailer) deliver(ctx context.Context, due messages.ReportDue) error {
	log := m.log.With("tenant_id", due.TenantID, "report_id", due.ReportID, "role", due.Role)
	t, err := m.tenants.Get(ctx, due.TenantID)
	if errors.Is(err, tenants.ErrNotFound) {
		return bus.Permanent(fmt.Errorf("report %s: %w", due.ReportID, err))
	}
	if err != nil {
		return fmt.Errorf("tenant %s: %w", due.TenantID, err)
	}
	recipients := t.RecipientsFor(due.Role)
	if len(recipients) == 0 {
		log.Warn("no recipients for role; nothing sent")
		return nil
	}
	rendered, err := report.Build(ctx, m.source, t, due, m.now())
	if errors.Is(err, report.ErrInvalid) {
		return bus.Permanent(err)
	}
	if err != nil {
		return fmt.Errorf("build report %s: %w", due.ReportID, err)
	}
	var transient []error
	for _, rcpt := range recipients {
		if err := m.sendOne(ctx, log, t, due, rendered, rcpt); err != nil {
			transient = append(transient, err)
		}
	}
	if err := m.sendDataHealth(ctx, log, t, due); err != nil {
		transient = append(transient, err)
	}
	return errors.Join(transient...)
}

// sendDataHealth sends the operator (email.operator) the data-health
// notice with a report whose sources are missing or stale: the commands
// that executives' emails leave out. It is claimed like any send, under
// the report id with a "-health" suffix, so a redelivered report due
// does not send it twice.
func (m *mailer) sendDataHealth(ctx context.Context, log *slog.Logger, t tenants.Tenant, due messages.ReportDue) error {
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
	return m.sendOne(ctx, log.With("notice", "data_health"), t, notice, r, t.Email.Operator)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (m *mailer) sendOne(ctx context.Context, log *slog.Logger, t tenants.Tenant, due messages.ReportDue, r report.Rendered, rcpt string) error {
	snd := delivery.Send{TenantID: t.ID, ReportID: due.ReportID, Recipient: rcpt, Role: due.Role,
		PeriodStart: due.PeriodStart, PeriodEnd: due.PeriodEnd, Subject: r.Subject}
	log = log.With("recipient_hash", hashAddr(rcpt))
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
	if status, reason, err := m.store.Blocked(ctx, t.ID, due.Role, rcpt); err != nil {
		_ = m.store.Release(ctx, snd)
		return err
	} else if status != "" {
		log.Info("not sent", "status", status)
		return m.store.MarkFailed(ctx, snd, status, reason)
	}
	raw, err := m.compose(t, due, r, rcpt)
	if err != nil {
		log.Error("invalid email; not sent", "err", err)
		return m.store.MarkFailed(ctx, snd, delivery.StatusRejected, err.Error())
	}
	dest := append([]string{rcpt}, t.Email.BCCAudit...)
	id, err := m.sender.send(ctx, rawEmail{Destinations: dest, Data: raw, Tags: map[string]string{
		"tenant": t.ID, "role": due.Role, "report_id": due.ReportID,
	}})
	switch {
	case errors.Is(err, ErrRejected):
		log.Error("rejected by ses", "err", err)
		return m.store.MarkFailed(ctx, snd, delivery.StatusRejected, err.Error())
	case errors.Is(err, ErrThrottled):
		// SES refused it: nothing was sent, so the next delivery may
		// send at once.
		_ = m.store.Release(ctx, snd)
		return err
	case err != nil:
		// Unknown whether SES accepted (timeout): keep the claim, which
		// expires within the visibility timeout; the redelivery resends.
		return err
	}
	if m.afterSend != nil {
		if err := m.afterSend(snd); err != nil {
			return err
		}
	}
	log.Info("sent", "ses_message_id", id)
	return m.store.MarkSent(ctx, snd, id)
}

// compose builds the raw email for one recipient.
func (m *mailer) compose(t tenants.Tenant, due messages.ReportDue, r report.Rendered, rcpt string) ([]byte, error) {
	token := signUnsubscribe([]byte(m.cfg.UnsubscribeKey), unsubClaims{
		Tenant: t.ID, Role: due.Role, Address: strings.ToLower(rcpt), Expires: m.now().Add(m.cfg.UnsubscribeTTL).Unix(),
	})
	mailto := t.Email.ReplyTo
	if mailto == "" {
		mailto = m.cfg.Sender
	}
	unsub := m.cfg.PublicURL + "/unsubscribe?token=" + url.QueryEscape(token)
	// The visible link in the body: the report renders a placeholder,
	// each recipient gets their own signed link (GET shows a confirm
	// button; only the POST unsubscribes).
	r.HTML = strings.ReplaceAll(r.HTML, report.UnsubscribePlaceholder, html.EscapeString(unsub))
	r.Text = strings.ReplaceAll(r.Text, report.UnsubscribePlaceholder, unsub)
	return buildMIME(envelope{
		From: t.Email.From, ReplyTo: t.Email.ReplyTo, To: rcpt, Subject: r.Subject, ReportID: due.ReportID,
		Unsub: unsub, UnsubMail: mailto, Date: m.now(),
	}, r, m.cfg.Sender)
}

func sortedTagKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
