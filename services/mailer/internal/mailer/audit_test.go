package mailer

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
)

// sentTo returns moto's sent emails of one report that went to
// address.
func sentTo(t *testing.T, reportID, address string) []mototest.SESMessage {
	var out []mototest.SESMessage
	for _, m := range mototest.SentRawEmails(t) {
		if strings.Contains(unfold(m.RawData), "X-Boardpack-Report: "+reportID) && contains(m.Destinations, address) {
			out = append(out, m)
		}
	}
	return out
}

// The BCC audit copy is not the recipient's email: it carries no
// unsubscribe link of the recipient's (one click by the auditor would
// unsubscribe the recipient), and the recipient's email is not sent to the
// audit address.
func TestAuditCopyCarriesNoRecipientUnsubscribe(t *testing.T) {
	w := newWorld(t)
	m := w.mailer(t, testSender)
	rec := &recordingSES{sesAPI: m.sender.api}
	m.sender = newSender(rec, testSender, w.env.Names.ConfigurationSet, 0, time.Minute)
	d := due(w.tenant.ID, messages.RoleCEO)
	if err := m.deliver(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	// What the mailer asked SES to deliver, by envelope destination
	// (moto's record adds the To header's addresses).
	var toCEO, toAudit []*ses.SendRawEmailInput
	for _, in := range rec.calls {
		if contains(in.Destinations, "ceo@queen.example.com") {
			toCEO = append(toCEO, in)
		}
		if contains(in.Destinations, "audit@queen.example.com") {
			toAudit = append(toAudit, in)
		}
	}
	if len(toCEO) != 1 || !strings.Contains(unfold(string(toCEO[0].RawMessage.Data)), "unsubscribe?token=") {
		t.Fatalf("recipient got %d emails; want one with its unsubscribe link", len(toCEO))
	}
	if len(toAudit) != 1 {
		t.Fatalf("%d emails to the audit address, want 1", len(toAudit))
	}
	if toAudit[0] == toCEO[0] {
		t.Fatalf("the recipient's email (with its unsubscribe token) also went to the audit address: %v", toCEO[0].Destinations)
	}
	raw := unfold(string(toAudit[0].RawMessage.Data))
	if strings.Contains(raw, "unsubscribe?token=") || strings.Contains(raw, "List-Unsubscribe") {
		t.Errorf("the audit copy carries an unsubscribe link: %q", header(raw, "List-Unsubscribe"))
	}
	if !strings.Contains(header(raw, "To"), "ceo@queen.example.com") || header(raw, "X-Boardpack-Audit-Copy") == "" {
		t.Errorf("audit copy To %q, X-Boardpack-Audit-Copy %q; want the recipient named and the copy marked", header(raw, "To"), header(raw, "X-Boardpack-Audit-Copy"))
	}
	if header(raw, "Message-Id") == header(string(toCEO[0].RawMessage.Data), "Message-Id") {
		t.Errorf("audit copy and email share a Message-Id")
	}
	if n := len(sentTo(t, d.ReportID, "audit@queen.example.com")); n != 1 {
		t.Errorf("SES (moto) has %d emails to the audit address, want 1", n)
	}
}

// recordingSES records every SendRawEmail input and passes it on.
type recordingSES struct {
	sesAPI
	mu    sync.Mutex
	calls []*ses.SendRawEmailInput
}

func (r *recordingSES) SendRawEmail(ctx context.Context, in *ses.SendRawEmailInput, o ...func(*ses.Options)) (*ses.SendRawEmailOutput, error) {
	r.mu.Lock()
	r.calls = append(r.calls, in)
	r.mu.Unlock()
	return r.sesAPI.SendRawEmail(ctx, in, o...)
}

// An audit address that bounced or complained is suppressed like any
// other: the recipients still get the report, the audit address nothing.
func TestSuppressedAuditAddressGetsNoCopy(t *testing.T) {
	w := newWorld(t)
	m := w.mailer(t, testSender)
	if err := w.store.Suppress(context.Background(), w.tenant.ID, "Audit@Queen.example.com", "bounced: user unknown"); err != nil {
		t.Fatal(err)
	}
	d := due(w.tenant.ID, messages.RoleCEO)
	if err := m.deliver(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if n := len(sentTo(t, d.ReportID, "audit@queen.example.com")); n != 0 {
		t.Errorf("%d emails to a suppressed audit address, want 0", n)
	}
	if n := len(emailsFor(t, d.ReportID)); n != 1 {
		t.Errorf("%d emails to the recipient, want 1", n)
	}
	rec, _, _ := w.store.Get(context.Background(), w.tenant.ID, d.ReportID, "ceo@queen.example.com")
	if rec.Status != delivery.StatusSent {
		t.Errorf("recipient status %q, want sent", rec.Status)
	}
}
