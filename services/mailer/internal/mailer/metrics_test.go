package mailer

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/httpserver"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
)

// scrapeEmails reads boardpack_mailer_emails_total from a /metrics page,
// keyed by "tenant/outcome".
func scrapeEmails(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "boardpack_mailer_emails_total{")
		if !ok {
			continue
		}
		labels, value, _ := strings.Cut(line, "} ")
		var tenant, outcome string
		for _, l := range strings.Split(labels, ",") {
			k, v, _ := strings.Cut(l, "=")
			v = strings.Trim(v, `"`)
			switch k {
			case "tenant":
				tenant = v
			case "outcome":
				outcome = v
			}
		}
		f, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", sc.Text(), err)
		}
		out[tenant+"/"+outcome] = f
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEmailOutcomesPerTenant drives sends, a rejection, SES bounce and
// complaint events (each delivered twice) and the suppressed sends they
// cause through moto, and reads the mailer's /metrics: each tenant's
// counters move by exactly its own emails.
func TestEmailOutcomesPerTenant(t *testing.T) {
	w := newWorld(t)
	other := testTenant("king-" + mototest.UniqueID())
	if err := (tenants.Store{DB: w.db, Table: w.env.Names.Table}).Apply(context.Background(), tenants.File{Tenants: []tenants.Tenant{w.tenant, other}}); err != nil {
		t.Fatal(err)
	}
	m := w.mailer(t, testSender)
	srv := httpserver.New("127.0.0.1:0", slog.New(slog.DiscardHandler))
	RegisterMetrics(srv, m)
	ts := httptest.NewServer(srv.Mux)
	defer ts.Close()
	a, b := w.tenant.ID, other.ID
	delta := func(before map[string]float64) map[string]float64 {
		after := scrapeEmails(t, ts.URL+"/metrics")
		d := map[string]float64{}
		for k, v := range after {
			if v != before[k] {
				d[k] = v - before[k]
			}
		}
		return d
	}
	expect := func(step string, got, want map[string]float64) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: counters moved by %v, want %v", step, got, want)
		}
	}

	// Sends: a's CFO report to two recipients, b's CEO report to one; the
	// redelivery of a's sends nothing more.
	before := scrapeEmails(t, ts.URL+"/metrics")
	cfo := due(a, messages.RoleCFO)
	for _, d := range []messages.ReportDue{cfo, due(b, messages.RoleCEO), cfo} {
		if err := m.deliver(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	expect("sends", delta(before), map[string]float64{a + "/sent": 2, b + "/sent": 1})

	// Rejections: b's CFO report from an unverified envelope sender.
	before = scrapeEmails(t, ts.URL+"/metrics")
	if err := w.mailer(t, "nobody@unverified.example.net").deliver(context.Background(), due(b, messages.RoleCFO)); err != nil {
		t.Fatal(err)
	}
	expect("rejections", delta(before), map[string]float64{b + "/rejected": 2})

	// SES events for a's CFO email, each delivered twice; a soft bounce
	// and a delivery count nothing.
	rec, _, err := w.store.Get(context.Background(), a, cfo.ReportID, "cfo@queen.example.com")
	if err != nil {
		t.Fatal(err)
	}
	event := func(kind, body string) string {
		return fmt.Sprintf(`{"eventType":%q,"mail":{"timestamp":"2026-11-02T10:00:00.000Z","source":%q,"messageId":%q,"destination":["cfo@queen.example.com","books@queen.example.com"],"tags":{"tenant":[%q],"role":["cfo"],"report_id":[%q]}},%s}`,
			kind, testSender, rec.MessageID, a, cfo.ReportID, body)
	}
	bounce := event("Bounce", `"bounce":{"bounceType":"Permanent","bounceSubType":"General","timestamp":"2026-11-02T10:00:03.000Z","feedbackId":"fb1","bouncedRecipients":[{"emailAddress":"books@queen.example.com"}]}`)
	soft := event("Bounce", `"bounce":{"bounceType":"Transient","bounceSubType":"MailboxFull","timestamp":"2026-11-02T10:00:04.000Z","feedbackId":"fb3","bouncedRecipients":[{"emailAddress":"cfo@queen.example.com"}]}`)
	complaint := event("Complaint", `"complaint":{"timestamp":"2026-11-02T11:00:00.000Z","feedbackId":"fb2","complaintFeedbackType":"abuse","complainedRecipients":[{"emailAddress":"cfo@queen.example.com"}]}`)
	delivered := event("Delivery", `"delivery":{"timestamp":"2026-11-02T10:00:02.000Z","recipients":["cfo@queen.example.com"]}`)
	h := NewSESEvents(w.store, slog.New(slog.DiscardHandler), "0123456789abcdef0123")
	before = scrapeEmails(t, ts.URL+"/metrics")
	for i, body := range []string{bounce, bounce, soft, delivered, complaint, complaint} {
		if err := h.Handle(message.NewMessage(fmt.Sprint("ses-", i), []byte(body))); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	expect("ses events", delta(before), map[string]float64{a + "/bounced": 1, a + "/complained": 1})

	// Next period both of a's CFO recipients are suppressed.
	before = scrapeEmails(t, ts.URL+"/metrics")
	if err := m.deliver(context.Background(), nextPeriod(cfo, -1)); err != nil {
		t.Fatal(err)
	}
	expect("suppressed", delta(before), map[string]float64{a + "/suppressed": 2})
}
