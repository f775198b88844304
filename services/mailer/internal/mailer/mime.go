package mailer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/boardpack/boardpack/services/internal/domain/report"
)

// ErrBadHeader marks a subject, name or address that cannot go into a
// header: the send fails before any MIME is built, and is never retried.
var ErrBadHeader = errors.New("invalid email header")

// envelope is everything about one email except its body.
type envelope struct {
	From      string // "Display Name <address>"
	ReplyTo   string
	To        string
	Subject   string
	ReportID  string
	Unsub     string // one-click https URL
	UnsubMail string // mailto address
	Date      time.Time
	// Audit marks the BCC audit copy of the email to To: its own
	// Message-ID and an X-Boardpack-Audit-Copy header (and, by the
	// caller, no unsubscribe link).
	Audit bool
}

// validate refuses CR/LF anywhere in a header value and addresses that do
// not parse.
func (e envelope) validate() error {
	var errs []error
	for name, v := range map[string]string{"subject": e.Subject, "from": e.From, "reply-to": e.ReplyTo, "to": e.To, "unsubscribe url": e.Unsub} {
		if strings.ContainsAny(v, "\r\n") {
			errs = append(errs, fmt.Errorf("%w: %s contains a line break", ErrBadHeader, name))
		}
	}
	if a, err := mail.ParseAddress(e.From); err != nil || a.Name == "" {
		errs = append(errs, fmt.Errorf("%w: from %q is not \"Name <address>\"", ErrBadHeader, e.From))
	}
	if _, err := mail.ParseAddress(e.To); err != nil {
		errs = append(errs, fmt.Errorf("%w: to %q is not an address", ErrBadHeader, e.To))
	}
	if e.ReplyTo != "" {
		if _, err := mail.ParseAddress(e.ReplyTo); err != nil {
			errs = append(errs, fmt.Errorf("%w: reply-to %q is not an address", ErrBadHeader, e.ReplyTo))
		}
	}
	if strings.TrimSpace(e.Subject) == "" {
		errs = append(errs, fmt.Errorf("%w: empty subject", ErrBadHeader))
	}
	return errors.Join(errs...)
}

// messageID is the same for every attempt of one (report, recipient), so a
// duplicate after a crash threads with the first email.
func messageID(reportID, recipient, sender string) string {
	sum := sha256.Sum256([]byte(reportID + "|" + strings.ToLower(recipient)))
	domain := sender[strings.LastIndex(sender, "@")+1:]
	return reportID + "." + hex.EncodeToString(sum[:8]) + "@" + domain
}

// buildMIME writes the raw email: multipart/related (HTML + inline PNGs by
// Content-ID) inside multipart/alternative with the text part. Bcc is not
// a header: audit addresses are envelope destinations only, of a separate
// audit copy (envelope.Audit).
func buildMIME(e envelope, r report.Rendered, sender string) ([]byte, error) {
	if err := e.validate(); err != nil {
		return nil, err
	}
	m := gomail.NewMsg()
	if err := m.From(e.From); err != nil {
		return nil, fmt.Errorf("%w: from: %w", ErrBadHeader, err)
	}
	if err := m.To(e.To); err != nil {
		return nil, fmt.Errorf("%w: to: %w", ErrBadHeader, err)
	}
	if e.ReplyTo != "" {
		if err := m.ReplyTo(e.ReplyTo); err != nil {
			return nil, fmt.Errorf("%w: reply-to: %w", ErrBadHeader, err)
		}
	}
	m.Subject(e.Subject)
	idFor := e.To
	if e.Audit {
		idFor = "audit|" + e.To
	}
	m.SetMessageIDWithValue(messageID(e.ReportID, idFor, sender))
	m.SetDateWithValue(e.Date)
	m.SetGenHeader("X-Boardpack-Report", e.ReportID)
	if e.Audit {
		m.SetGenHeader("X-Boardpack-Audit-Copy", "true")
	}
	var lu []string
	if e.Unsub != "" {
		lu = append(lu, "<"+e.Unsub+">")
	}
	if e.UnsubMail != "" {
		to, err := mailtoAddress(e.UnsubMail)
		if err != nil {
			return nil, fmt.Errorf("%w: unsubscribe mailto: %w", ErrBadHeader, err)
		}
		lu = append(lu, "<mailto:"+to+"?subject="+url.PathEscape("unsubscribe "+e.ReportID)+">")
	}
	if len(lu) > 0 {
		m.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribe, strings.Join(lu, ", "))
	}
	if e.Unsub != "" {
		m.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	m.SetBodyString(gomail.TypeTextPlain, r.Text)
	m.AddAlternativeString(gomail.TypeTextHTML, r.HTML)
	for _, img := range r.Images {
		if err := m.EmbedReader(img.ContentID+".png", bytes.NewReader(img.PNG),
			gomail.WithFileContentID(img.ContentID), gomail.WithFileContentType(gomail.ContentType("image/png"))); err != nil {
			return nil, fmt.Errorf("embed %s: %w", img.ContentID, err)
		}
	}
	// Attachments make the message multipart/mixed around the
	// related/alternative body.
	for _, a := range r.Attachments {
		ct, _, _ := strings.Cut(a.ContentType, ";")
		if err := m.AttachReader(a.Filename, bytes.NewReader(a.Data), gomail.WithFileContentType(gomail.ContentType(strings.TrimSpace(ct)))); err != nil {
			return nil, fmt.Errorf("attach %s: %w", a.Filename, err)
		}
	}
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("write mime: %w", err)
	}
	return buf.Bytes(), nil
}

// mailtoAddress is the addr-spec of a mailto URI (RFC 6068) for address,
// which may carry a display name: the bare address, its local part quoted
// where it must be, and every character outside unreserved and some-delims
// percent-encoded (and the comma, which RFC 2369 reserves as the separator),
// so that nothing in it can end the <...> of List-Unsubscribe or start
// another entry.
func mailtoAddress(address string) (string, error) {
	a, err := mail.ParseAddress(address)
	if err != nil {
		return "", err
	}
	spec := strings.TrimSuffix(strings.TrimPrefix((&mail.Address{Address: a.Address}).String(), "<"), ">")
	var b strings.Builder
	for _, c := range []byte(spec) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', strings.IndexByte("-._~!$'()*+;:@", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String(), nil
}
