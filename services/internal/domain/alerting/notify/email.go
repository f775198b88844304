package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/smithy-go"
)

// SESAPI is what alert emails need of SES.
type SESAPI interface {
	SendRawEmail(context.Context, *ses.SendRawEmailInput, ...func(*ses.Options)) (*ses.SendRawEmailOutput, error)
}

// ErrBadHeader marks an address or subject that cannot go into a header.
var ErrBadHeader = errors.New("invalid email header")

// ErrEmailRejected marks a permanent SES refusal.
var ErrEmailRejected = errors.New("rejected by SES")

// Email is one alert email.
type Email struct {
	From, ReplyTo, To string
	BCC               []string
	Subject           string
	Text, HTML        string
	// MessageID is the same for every attempt of one (notification,
	// recipient).
	MessageID string
	Unsub     string // one-click URL
	Date      time.Time
	Headers   map[string]string
}

func hasCRLF(s string) bool { return strings.ContainsAny(s, "\r\n") }

// MIME builds the raw message (multipart/alternative, text then HTML).
// Bcc is never a header: the audit copies are envelope destinations.
func (e Email) MIME() ([]byte, error) {
	from, err := mail.ParseAddress(e.From)
	if err != nil || from.Name == "" || hasCRLF(e.From) {
		return nil, fmt.Errorf("%w: from %q is not \"Name <address>\"", ErrBadHeader, e.From)
	}
	to, err := mail.ParseAddress(e.To)
	if err != nil || hasCRLF(e.To) {
		return nil, fmt.Errorf("%w: to is not an address", ErrBadHeader)
	}
	var replyTo *mail.Address
	if e.ReplyTo != "" {
		if replyTo, err = mail.ParseAddress(e.ReplyTo); err != nil || hasCRLF(e.ReplyTo) {
			return nil, fmt.Errorf("%w: reply-to is not an address", ErrBadHeader)
		}
	}
	for _, v := range []string{e.Subject, e.Unsub, e.MessageID} {
		if hasCRLF(v) {
			return nil, fmt.Errorf("%w: line break in a header", ErrBadHeader)
		}
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := func(k, v string) { fmt.Fprintf(&buf, "%s: %s\r\n", k, v) }
	h("From", from.String())
	h("To", to.String())
	if replyTo != nil {
		h("Reply-To", replyTo.String())
	}
	h("Subject", mime.QEncoding.Encode("utf-8", e.Subject))
	h("Date", e.Date.Format(time.RFC1123Z))
	h("Message-ID", "<"+e.MessageID+">")
	h("MIME-Version", "1.0")
	if e.Unsub != "" {
		h("List-Unsubscribe", "<"+e.Unsub+">")
		h("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	for _, k := range slices.Sorted(maps.Keys(e.Headers)) {
		v := e.Headers[k]
		if hasCRLF(k) || hasCRLF(v) {
			return nil, fmt.Errorf("%w: line break in %s", ErrBadHeader, k)
		}
		h(k, v)
	}
	h("Content-Type", `multipart/alternative; boundary="`+w.Boundary()+`"`)
	buf.WriteString("\r\n")
	for _, p := range []struct{ ctype, body string }{{"text/plain", e.Text}, {"text/html", e.HTML}} {
		pw, err := w.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.ctype + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write([]byte(p.body)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SendEmail sends e with SES SendRawEmail from the envelope sender source
// and returns SES's message id.
func SendEmail(ctx context.Context, api SESAPI, source, configurationSet string, e Email, tags map[string]string) (string, error) {
	raw, err := e.MIME()
	if err != nil {
		return "", err
	}
	in := &ses.SendRawEmailInput{
		Source:       aws.String(source),
		Destinations: append([]string{e.To}, e.BCC...),
		RawMessage:   &sestypes.RawMessage{Data: raw},
	}
	if configurationSet != "" {
		in.ConfigurationSetName = aws.String(configurationSet)
	}
	for _, k := range []string{"tenant", "kind", "rule"} {
		if v, ok := tags[k]; ok {
			in.Tags = append(in.Tags, sestypes.MessageTag{Name: aws.String(k), Value: aws.String(tagValue(v))})
		}
	}
	out, err := api.SendRawEmail(ctx, in)
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			switch ae.ErrorCode() {
			case "MessageRejected", "MailFromDomainNotVerifiedException", "InvalidParameterValue", "ConfigurationSetDoesNotExist":
				return "", fmt.Errorf("%w: %w", ErrEmailRejected, err)
			}
		}
		return "", fmt.Errorf("send alert email: %w", err)
	}
	return aws.ToString(out.MessageId), nil
}

// tagValue keeps the characters SES allows in tag values.
func tagValue(v string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, v)
}

// MessageID is stable per (send id, recipient).
func MessageID(sendID, recipient, sender string) string {
	sum := sha256.Sum256([]byte(sendID + "|" + strings.ToLower(recipient)))
	return hex.EncodeToString(sum[:12]) + "@" + sender[strings.LastIndex(sender, "@")+1:]
}

// RandomID is a fresh id for test alerts (never deduplicated).
func RandomID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Unsubscribe tokens: base64url(JSON claims) "." base64url(HMAC-SHA256),
// the mailer's format, with the rule in place of the role.

// UnsubClaims name what a one-click link unsubscribes.
type UnsubClaims struct {
	Tenant  string `json:"t"`
	Rule    string `json:"u"`
	Address string `json:"a"`
	Expires int64  `json:"e"`
}

// ErrBadToken is a forged, malformed or expired token.
var ErrBadToken = errors.New("unsubscribe token is not valid")

func mac(key []byte, p string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(p))
	return h.Sum(nil)
}

// SignUnsubscribe signs c.
func SignUnsubscribe(key []byte, c UnsubClaims) string {
	payload, _ := json.Marshal(c)
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(mac(key, p))
}

// VerifyUnsubscribe checks a token at now.
func VerifyUnsubscribe(key []byte, token string, now time.Time) (UnsubClaims, error) {
	p, sig, ok := strings.Cut(token, ".")
	if !ok {
		return UnsubClaims{}, ErrBadToken
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(key, p)) {
		return UnsubClaims{}, ErrBadToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return UnsubClaims{}, ErrBadToken
	}
	var c UnsubClaims
	if err := json.Unmarshal(raw, &c); err != nil || c.Tenant == "" || c.Rule == "" || c.Address == "" || now.Unix() >= c.Expires {
		return UnsubClaims{}, ErrBadToken
	}
	return c, nil
}

// UnsubscribeRole is the delivery "role" under which a rule's
// unsubscribes are kept (UNSUB#alert-<rule>#<address>).
func UnsubscribeRole(rule string) string { return "alert-" + rule }
