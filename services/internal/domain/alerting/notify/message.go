// Package notify delivers alert notifications: a short email through SES
// (the tenant's From, Reply-To and audit BCC, one-click unsubscribe per
// rule, suppression respected) and a Slack incoming-webhook message (Block
// Kit with a plain-text fallback). Each (notification, recipient) is
// claimed before sending and recorded after, as a delivery send, so a
// redelivered notification is sent once.
package notify

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/bojanz/currency"

	"github.com/boardpack/boardpack/services/internal/domain/alerting"
)

// Alert is everything a message about one notification says.
type Alert struct {
	TenantID, TenantName string
	Currency             string
	Loc                  *time.Location
	Rule                 alerting.Compiled
	Note                 alerting.Notification
	// Link is the report view (empty: no link).
	Link string
	// Test marks a message sent by `reportctl alerts test`.
	Test bool
}

var formatter = currency.NewFormatter(currency.NewLocale("en"))

// Format shows a value in the rule's unit.
func (a Alert) Format(v int64) string {
	unit := a.Rule.Def.Unit
	if a.Rule.Condition == alerting.ChangePct {
		unit = alerting.UnitPercent
	}
	switch unit {
	case alerting.UnitMoney:
		code := a.Note.Currency
		if code == "" {
			code = a.Currency
		}
		amt, err := currency.NewAmountFromInt64(v, code)
		if err != nil {
			return fmt.Sprintf("%d %s (minor units)", v, code)
		}
		return formatter.Format(amt)
	case alerting.UnitPercent:
		sign := ""
		if v < 0 {
			sign, v = "-", -v
		}
		return fmt.Sprintf("%s%d.%02d %%", sign, v/100, v%100)
	case alerting.UnitHours:
		return fmt.Sprintf("%d h", v)
	}
	return fmt.Sprint(v)
}

func (a Alert) metricLabel() string {
	return strings.ReplaceAll(a.Rule.Name, "-", " ")
}

func (a Alert) condition() string {
	switch a.Rule.Condition {
	case alerting.Above:
		return "above"
	case alerting.Below:
		return "below"
	}
	return fmt.Sprintf("moved by at least (over %s)", a.Rule.Window)
}

// Subject is the email subject and the Slack header.
func (a Alert) Subject() string {
	var b strings.Builder
	if a.Test {
		b.WriteString("[TEST] ")
	}
	switch a.Note.Kind {
	case alerting.KindResolved:
		b.WriteString("Resolved: ")
	case alerting.KindRepeat:
		b.WriteString("Still firing: ")
	}
	fmt.Fprintf(&b, "%s — %s %s", a.TenantName, a.metricLabel(), a.Format(a.Note.Value))
	return oneLine(b.String())
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func (a Alert) when(t time.Time) string {
	loc := a.Loc
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
}

// lines are the figure, the threshold and the time, in that order, then
// notes.
func (a Alert) lines() []string {
	l := []string{
		fmt.Sprintf("Figure: %s", a.Format(a.Note.Value)),
		fmt.Sprintf("Threshold: %s %s", a.condition(), a.Format(a.Rule.Threshold)),
	}
	if a.Note.Kind == alerting.KindResolved {
		l = append(l, fmt.Sprintf("Opened: %s; resolved: %s", a.when(a.Note.OpenedAt), a.when(a.Note.At)))
	} else {
		l = append(l, fmt.Sprintf("Since: %s", a.when(a.Note.OpenedAt)))
	}
	if a.Note.Subject != "" {
		l = append(l, fmt.Sprintf("About: %s", a.Note.Subject))
	}
	l = append(l, fmt.Sprintf("Rule: %s (%s)", a.Rule.Name, a.Rule.Severity))
	if a.Note.Held {
		l = append(l, "Held during quiet hours.")
	}
	if a.Test {
		l = append(l, "This is a test alert sent by an operator; nothing has happened.")
	}
	return l
}

// Text is the plain-text body (also Slack's fallback).
func (a Alert) Text() string {
	var b strings.Builder
	b.WriteString(a.Subject() + "\n\n")
	for _, l := range a.lines() {
		b.WriteString(l + "\n")
	}
	if a.Link != "" {
		b.WriteString("\nReport: " + a.Link + "\n")
	}
	return b.String()
}

// HTML is the email's HTML body: every value escaped.
func (a Alert) HTML() string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html><body style="font-family:sans-serif;font-size:14px;color:#222">`)
	fmt.Fprintf(&b, `<p style="font-size:16px;font-weight:bold">%s</p><ul>`, html.EscapeString(a.Subject()))
	for _, l := range a.lines() {
		fmt.Fprintf(&b, "<li>%s</li>", html.EscapeString(l))
	}
	b.WriteString("</ul>")
	if a.Link != "" {
		fmt.Fprintf(&b, `<p><a href="%s">View the report</a></p>`, html.EscapeString(a.Link))
	}
	b.WriteString("</body></html>")
	return b.String()
}

// slackEscape escapes the three characters Slack's mrkdwn reserves.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Slack is the Block Kit message with its plain-text fallback.
func (a Alert) Slack() SlackMessage {
	var fields []map[string]any
	for _, l := range a.lines() {
		fields = append(fields, map[string]any{"type": "mrkdwn", "text": slackEscape(l)})
	}
	blocks := []map[string]any{
		{"type": "header", "text": map[string]any{"type": "plain_text", "text": truncate(a.Subject(), 150)}},
		{"type": "section", "fields": fields[:min(len(fields), 10)]},
	}
	if a.Link != "" {
		blocks = append(blocks, map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn",
			"text": "<" + slackEscape(a.Link) + "|View the report>"}})
	}
	return SlackMessage{Text: a.Text(), Blocks: blocks}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
