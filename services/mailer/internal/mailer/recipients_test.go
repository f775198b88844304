package mailer

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

var unsubToken = regexp.MustCompile(`unsubscribe\?token=([^>\s]+)>`)

func nextPeriod(d messages.ReportDue, months int) messages.ReportDue {
	d.PeriodStart = d.PeriodStart.AddDate(0, months, 0)
	d.PeriodEnd = d.PeriodStart.AddDate(0, 1, 0)
	d.ReportID = messages.ReportIDFor(d.TenantID, d.Role, d.PeriodStart, d.PeriodEnd)
	return d
}

// Recipients written "Name <Address>" are keyed on the lower-cased bare
// address, which is what SES events and unsubscribe links carry: a bounce
// suppresses them, a one-click unsubscribe stops them, and their status is
// found by the bare address.
func TestDisplayNameRecipientsAreSuppressedAndUnsubscribed(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tn := w.tenant
	tn.Recipients = map[string][]string{
		"cfo": {"Chief Finance <CFO@Queen.example.com>"},
		"ceo": {`"Chief, Executive" <Ceo@queen.example.com>`},
	}
	if err := (tenants.Store{DB: w.db, Table: w.env.Names.Table}).Apply(ctx, tenants.File{Tenants: []tenants.Tenant{tn}}); err != nil {
		t.Fatal(err)
	}
	m := w.mailer(t, testSender)

	// CFO: sent to the bare address, recorded under it, then suppressed by
	// a hard bounce that names the bare address.
	d := due(tn.ID, messages.RoleCFO)
	if err := m.deliver(ctx, d); err != nil {
		t.Fatal(err)
	}
	sent := emailsFor(t, d.ReportID)
	if len(sent) != 1 || !contains(sent[0].Destinations, "cfo@queen.example.com") {
		var dests [][]string
		for _, m := range sent {
			dests = append(dests, m.Destinations)
		}
		t.Fatalf("sent %d emails, destinations %v; want one to cfo@queen.example.com", len(sent), dests)
	}
	if to := header(sent[0].RawData, "To"); !strings.Contains(to, "Chief Finance") {
		t.Errorf("To = %q, want the display name kept", to)
	}
	rec, found, err := w.store.Get(ctx, tn.ID, d.ReportID, "cfo@queen.example.com")
	if err != nil || !found || rec.Status != delivery.StatusSent {
		t.Fatalf("record by bare address: %+v, found %v, %v", rec, found, err)
	}
	bounce := fmt.Sprintf(`{"eventType":"Bounce","mail":{"timestamp":"2026-11-02T10:00:00.000Z","source":%q,"messageId":%q,"destination":["cfo@queen.example.com","audit@queen.example.com"],"tags":{"tenant":[%q],"role":["cfo"],"report_id":[%q]}},"bounce":{"bounceType":"Permanent","bounceSubType":"General","timestamp":"2026-11-02T10:00:03.000Z","feedbackId":"fb1","bouncedRecipients":[{"emailAddress":"cfo@queen.example.com","diagnosticCode":"smtp; 550 5.1.1 user unknown"}]}}`,
		testSender, rec.MessageID, tn.ID, d.ReportID)
	h := &SESEvents{store: w.store, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := h.Handle(message.NewMessage("bounce-1", []byte(bounce))); err != nil {
		t.Fatal(err)
	}
	if rec, _, _ := w.store.Get(ctx, tn.ID, d.ReportID, "cfo@queen.example.com"); rec.Status != delivery.StatusBounced {
		t.Errorf("status after the bounce = %q, want bounced", rec.Status)
	}
	next := nextPeriod(d, -1)
	if err := m.deliver(ctx, next); err != nil {
		t.Fatal(err)
	}
	if n := len(emailsFor(t, next.ReportID)); n != 0 {
		t.Errorf("%d emails to a bounced \"Name <address>\" recipient, want 0", n)
	}

	// CEO: the one-click link in the email unsubscribes the recipient.
	d = due(tn.ID, messages.RoleCEO)
	if err := m.deliver(ctx, d); err != nil {
		t.Fatal(err)
	}
	sent = emailsFor(t, d.ReportID)
	if len(sent) != 1 {
		t.Fatalf("sent %d ceo emails", len(sent))
	}
	match := unsubToken.FindStringSubmatch(unfold(sent[0].RawData))
	if match == nil {
		t.Fatalf("no unsubscribe link in\n%s", sent[0].RawData)
	}
	token, _ := url.QueryUnescape(match[1])
	srv := httptest.NewServer(UnsubscribeHandler([]byte(m.cfg.UnsubscribeKey), w.store, time.Now, h.log))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/unsubscribe?token="+url.QueryEscape(token), "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("unsubscribe: %s", resp.Status)
	}
	next = nextPeriod(d, -1)
	if err := m.deliver(ctx, next); err != nil {
		t.Fatal(err)
	}
	if n := len(emailsFor(t, next.ReportID)); n != 0 {
		t.Errorf("%d emails after the one-click unsubscribe, want 0", n)
	}
	if rec, _, _ := w.store.Get(ctx, tn.ID, next.ReportID, "ceo@queen.example.com"); rec.Status != delivery.StatusUnsubscribed {
		t.Errorf("ceo status = %q, want unsubscribed", rec.Status)
	}
}
