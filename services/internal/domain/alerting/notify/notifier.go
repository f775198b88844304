package notify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/alerting"
	"github.com/boardpack/boardpack/services/internal/domain/alerting/episodes"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/logging"
)

// Sends is what the notifier needs of delivery records (delivery.Store).
type Sends interface {
	Claim(ctx context.Context, snd delivery.Send, ttl time.Duration) (delivery.Outcome, delivery.Record, error)
	MarkSent(ctx context.Context, snd delivery.Send, messageID string) error
	MarkFailed(ctx context.Context, snd delivery.Send, status, reason string) error
	Release(ctx context.Context, snd delivery.Send) error
	Blocked(ctx context.Context, tenantID, role, address string) (status, reason string, err error)
}

// DeadHooks remembers webhooks Slack said are gone (episodes.Store).
type DeadHooks interface {
	MarkDeadWebhook(ctx context.Context, tenantID, hash, reason string) (first bool, err error)
	DeadWebhook(ctx context.Context, tenantID, hash string) (bool, error)
}

// Secrets resolves secret references (tenants.SecretResolver).
type Secrets interface {
	Resolve(ctx context.Context, ref string) (string, error)
}

// SendRole is the delivery role of alert sends.
const SendRole = "alert"

// Notifier delivers notifications to a tenant's channels.
type Notifier struct {
	Sends   Sends
	Dead    DeadHooks
	SES     SESAPI
	Slack   *Slack
	Secrets Secrets
	// Sender is the envelope sender (a verified identity);
	// ConfigurationSet tracks delivery like reports.
	Sender, ConfigurationSet string
	// AllowedHosts are extra Slack webhook hosts
	// (BOARDPACK_SLACK_ALLOWED_HOSTS).
	AllowedHosts []string
	// PublicURL serves the one-click unsubscribe (POST
	// /alerts/unsubscribe).
	PublicURL string
	// ReportLink returns the link to the tenant's report view for an
	// alert (nil or "": no link).
	ReportLink     func(t tenants.Tenant, rule alerting.Compiled) string
	UnsubscribeKey []byte
	UnsubscribeTTL time.Duration
	// Addr names addresses in the errors it returns and logs by a keyed
	// hash (delivery.NewAddrHasher of UnsubscribeKey), never in plain.
	Addr delivery.AddrHasher
	// ClaimTTL bounds a claim (at most the queue's visibility timeout).
	ClaimTTL time.Duration
	Log      *slog.Logger
	Now      func() time.Time
	// OnDeadWebhook is called once per webhook found gone (metrics).
	OnDeadWebhook func(tenantID string)
	// OnSent is called per message sent, by channel (metrics, benchmarks).
	OnSent func(channel string, note alerting.Notification)
}

// ErrBusy means a live claim by another worker: try again later.
var ErrBusy = delivery.ErrBusy

func (n *Notifier) now() time.Time {
	if n.Now != nil {
		return n.Now()
	}
	return time.Now()
}

// Recipients resolves a rule's recipients (roles and addresses) to
// addresses, lower-cased and deduplicated, in order.
func Recipients(t tenants.Tenant, rule alerting.Compiled) []string {
	var out []string
	add := func(a string) {
		a = strings.ToLower(strings.TrimSpace(a))
		if a != "" && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	for _, r := range rule.Recipients {
		if messages.ValidRole(r) {
			for _, a := range t.Recipients[r] {
				add(a)
			}
			continue
		}
		add(r)
	}
	return out
}

// Deliver sends the notification on each of the rule's channels. It
// returns nil once every send is final (sent, or permanently failed and
// recorded); an error means some send must be tried again (ErrBusy, SES or
// Slack unavailable). Sends already final are skipped, so calling it
// again after an error repeats nothing.
func (n *Notifier) Deliver(ctx context.Context, t tenants.Tenant, rule alerting.Compiled, note alerting.Notification, test bool) error {
	a := Alert{TenantID: t.ID, TenantName: t.Name, Currency: t.Currency, Loc: t.Location(), Rule: rule, Note: note, Test: test}
	if n.ReportLink != nil {
		a.Link = n.ReportLink(t, rule)
	}
	var errs []error
	if slices.Contains(rule.Channels, alerting.ChannelEmail) {
		for _, addr := range Recipients(t, rule) {
			errs = append(errs, n.email(ctx, t, a, addr, false))
		}
		// The audit copy is its own email (no recipient's unsubscribe
		// link in it), once per notification, suppression respected.
		for _, addr := range t.Email.BCCAudit {
			errs = append(errs, n.email(ctx, t, a, strings.ToLower(addr), true))
		}
	}
	if slices.Contains(rule.Channels, alerting.ChannelSlack) && t.Slack != nil && t.Slack.Webhook != "" {
		errs = append(errs, n.slack(ctx, t, a))
	}
	return n.Addr.Err(errors.Join(errs...))
}

func (n *Notifier) claim(ctx context.Context, snd delivery.Send) (bool, error) {
	out, _, err := n.Sends.Claim(ctx, snd, n.ClaimTTL)
	switch {
	case err != nil:
		return false, err
	case out == delivery.Done:
		return false, nil
	case out == delivery.Busy:
		return false, fmt.Errorf("%w: %s", ErrBusy, snd.ReportID)
	}
	return true, nil
}

func (n *Notifier) email(ctx context.Context, t tenants.Tenant, a Alert, addr string, audit bool) error {
	snd := delivery.Send{TenantID: t.ID, ReportID: episodes.SendID(a.Note.ID), Recipient: addr, Role: SendRole, Subject: a.Subject()}
	ok, err := n.claim(ctx, snd)
	if !ok || err != nil {
		return err
	}
	if !a.Test || audit {
		status, reason, err := n.Sends.Blocked(ctx, t.ID, UnsubscribeRole(a.Rule.Name), addr)
		if err != nil {
			return errors.Join(err, n.Sends.Release(ctx, snd))
		}
		if status != "" {
			return n.Sends.MarkFailed(ctx, snd, status, reason)
		}
	}
	now := n.now()
	e := Email{From: t.Email.From, ReplyTo: t.Email.ReplyTo, To: addr, Subject: a.Subject(),
		Text: a.Text(), HTML: a.HTML(), MessageID: MessageID(snd.ReportID, addr, n.Sender), Date: now,
		Headers: map[string]string{"X-Boardpack-Alert": tagValue(a.Rule.Name)}}
	if audit {
		e.Headers["X-Boardpack-Audit-Copy"] = "true"
	}
	if len(n.UnsubscribeKey) > 0 && n.PublicURL != "" && !audit {
		tok := SignUnsubscribe(n.UnsubscribeKey, UnsubClaims{Tenant: t.ID, Rule: a.Rule.Name, Address: addr, Expires: now.Add(n.UnsubscribeTTL).Unix()})
		e.Unsub = n.PublicURL + "/alerts/unsubscribe?token=" + tok
	}
	id, err := SendEmail(ctx, n.SES, n.Sender, n.ConfigurationSet, e, map[string]string{"tenant": t.ID, "kind": "alert", "rule": a.Rule.Name})
	switch {
	case errors.Is(err, ErrBadHeader), errors.Is(err, ErrEmailRejected):
		n.Log.Warn("alert email refused", logging.TenantKey, t.ID, "rule", a.Rule.Name, "err", n.Addr.Err(err))
		return n.Sends.MarkFailed(ctx, snd, delivery.StatusRejected, err.Error())
	case err != nil:
		return errors.Join(err, n.Sends.Release(ctx, snd))
	}
	if n.OnSent != nil && !audit {
		n.OnSent(alerting.ChannelEmail, a.Note)
	}
	return n.Sends.MarkSent(ctx, snd, id)
}

func hookHash(u string) string {
	sum := sha256.Sum256([]byte(u))
	return hex.EncodeToString(sum[:8])
}

func (n *Notifier) slack(ctx context.Context, t tenants.Tenant, a Alert) error {
	snd := delivery.Send{TenantID: t.ID, ReportID: episodes.SendID(a.Note.ID), Recipient: "slack", Role: SendRole, Subject: a.Subject()}
	if err := n.postSlack(ctx, t.ID, *t.Slack, snd, a.Slack()); err != nil {
		return err
	}
	if n.OnSent != nil {
		n.OnSent(alerting.ChannelSlack, a.Note)
	}
	return nil
}

// postSlack claims snd, posts msg to the owner's (a tenant's or a
// portfolio's) webhook and records the outcome; a dead webhook is
// recorded once and reported once.
func (n *Notifier) postSlack(ctx context.Context, owner string, slack tenants.Slack, snd delivery.Send, msg SlackMessage) error {
	ok, err := n.claim(ctx, snd)
	if !ok || err != nil {
		return err
	}
	// A literal (allowed at apply only where literals are) is the URL
	// itself; a reference is resolved.
	hook, err := slack.Webhook, error(nil)
	if tenants.IsReference(hook) {
		hook, err = n.Secrets.Resolve(ctx, hook)
	}
	if err != nil {
		// A missing secret may be fixed by the operator: retry later.
		return errors.Join(fmt.Errorf("slack webhook of %s: %w", owner, err), n.Sends.Release(ctx, snd))
	}
	if err := alerting.CheckSlackURL(hook, n.AllowedHosts); err != nil {
		n.Log.Error("slack webhook refused", logging.TenantKey, owner, "err", err)
		return n.Sends.MarkFailed(ctx, snd, delivery.StatusRejected, "slack webhook: "+err.Error())
	}
	h := hookHash(hook)
	if dead, err := n.Dead.DeadWebhook(ctx, owner, h); err != nil {
		return errors.Join(err, n.Sends.Release(ctx, snd))
	} else if dead {
		return n.Sends.MarkFailed(ctx, snd, delivery.StatusRejected, "slack webhook is gone (reported earlier)")
	}
	err = n.Slack.Post(ctx, hook, msg)
	switch {
	case errors.Is(err, ErrDeadWebhook):
		first, derr := n.Dead.MarkDeadWebhook(ctx, owner, h, err.Error())
		if derr != nil {
			return errors.Join(derr, n.Sends.Release(ctx, snd))
		}
		if first {
			n.Log.Error("slack webhook is gone: fix slack.webhook in the tenants file and re-apply; alerts and reports keep going by email",
				logging.TenantKey, owner, "err", err)
			if n.OnDeadWebhook != nil {
				n.OnDeadWebhook(owner)
			}
		}
		return n.Sends.MarkFailed(ctx, snd, delivery.StatusRejected, err.Error())
	case errors.Is(err, ErrSlackRejected):
		n.Log.Error("slack refused a message", logging.TenantKey, owner, "send", snd.ReportID, "err", err)
		return n.Sends.MarkFailed(ctx, snd, delivery.StatusRejected, err.Error())
	case err != nil:
		return errors.Join(err, n.Sends.Release(ctx, snd))
	}
	return n.Sends.MarkSent(ctx, snd, "")
}

// Figure is one headline figure of a report digest.
type Figure struct {
	Label, Value, Period string
}

// DigestMessage is the Slack summary of one report: its subject, its
// headline line (the preheader), the headline figures and the
// view-in-browser link.
func DigestMessage(subject, preheader string, figures []Figure, link string) SlackMessage {
	var text strings.Builder
	text.WriteString(oneLine(subject) + "\n")
	if preheader != "" {
		text.WriteString(oneLine(preheader) + "\n")
	}
	var fields []map[string]any
	for _, f := range figures {
		line := fmt.Sprintf("%s: %s", f.Label, f.Value)
		if f.Period != "" {
			line += " (" + f.Period + ")"
		}
		text.WriteString(line + "\n")
		fields = append(fields, map[string]any{"type": "mrkdwn", "text": "*" + slackEscape(f.Label) + "*\n" + slackEscape(f.Value)})
	}
	blocks := []map[string]any{{"type": "header", "text": map[string]any{"type": "plain_text", "text": truncate(oneLine(subject), 150)}}}
	if preheader != "" {
		blocks = append(blocks, map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": slackEscape(oneLine(preheader))}})
	}
	for i := 0; i < len(fields); i += 10 { // Slack: at most 10 fields a section
		blocks = append(blocks, map[string]any{"type": "section", "fields": fields[i:min(i+10, len(fields))]})
	}
	if link != "" {
		text.WriteString("View in browser: " + link + "\n")
		blocks = append(blocks, map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn",
			"text": "<" + slackEscape(link) + "|View in browser>"}})
	}
	return SlackMessage{Text: text.String(), Blocks: blocks}
}

// Digest is one report's Slack summary.
type Digest struct {
	ReportID, Role, Subject string
	// Preheader is the report's headline line; Figures its items.
	Preheader string
	Figures   []Figure
	// Link is the view-in-browser link ("": none).
	Link string
}

// PostDigest posts a report's summary to its owner's (a tenant's or a
// portfolio's) Slack when slack.digests is set, once per report however
// often it is called: claimed as the send (owner, report, "slack", role)
// with a conditional write, like every report and alert send. The mailer
// calls it after a report's emails are sent.
func (n *Notifier) PostDigest(ctx context.Context, owner string, slack tenants.Slack, d Digest) error {
	if !slack.Digests || slack.Webhook == "" {
		return nil
	}
	snd := delivery.Send{TenantID: owner, ReportID: d.ReportID, Recipient: DigestRecipient, Role: d.Role, Subject: d.Subject}
	return n.postSlack(ctx, owner, slack, snd, DigestMessage(d.Subject, d.Preheader, d.Figures, d.Link))
}

// DigestRecipient is the recipient of a digest's send record.
const DigestRecipient = "slack"
