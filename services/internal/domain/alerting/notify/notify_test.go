package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/boardpack/boardpack/services/internal/domain/alerting"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

func fastSlack() *Slack {
	s := NewSlack()
	s.MinInterval = 0
	return s
}

func TestSlackWaitsOutRetryAfter(t *testing.T) {
	var calls atomic.Int32
	var got SlackMessage
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_ = json.NewDecoder(r.Body).Decode(&got)
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	s := fastSlack()
	var slept []time.Duration
	s.Sleep = func(_ context.Context, d time.Duration) error {
		if d > 0 {
			slept = append(slept, d.Round(time.Second))
		}
		return nil
	}
	// The wait is the next post's pace, so it is observed by pace's sleep.
	if err := s.Post(context.Background(), srv.URL, SlackMessage{Text: "hi", Blocks: []map[string]any{{"type": "divider"}}}); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 || got.Text != "hi" || len(got.Blocks) != 1 {
		t.Fatalf("calls %d, got %+v", calls.Load(), got)
	}
	if len(slept) != 1 || slept[0] != 2*time.Second {
		t.Fatalf("slept %v, want one 2s wait", slept)
	}
}

func TestSlackGivesUpOnLongRetryAfterAndDeadHooks(t *testing.T) {
	for _, c := range []struct {
		status int
		header string
		want   error
	}{
		{http.StatusTooManyRequests, "3600", ErrSlackUnavailable},
		{http.StatusNotFound, "", ErrDeadWebhook},
		{http.StatusGone, "", ErrDeadWebhook},
		{http.StatusBadRequest, "", ErrSlackRejected},
		{http.StatusInternalServerError, "", ErrSlackUnavailable},
	} {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			if c.header != "" {
				w.Header().Set("Retry-After", c.header)
			}
			w.WriteHeader(c.status)
			io.WriteString(w, "no_service")
		}))
		s := fastSlack()
		s.Sleep = func(context.Context, time.Duration) error { return nil }
		err := s.Post(context.Background(), srv.URL+"/services/SECRET", SlackMessage{Text: "x"})
		srv.Close()
		if !errors.Is(err, c.want) {
			t.Errorf("%d: %v, want %v", c.status, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%d: error leaks the URL: %v", c.status, err)
		}
		if c.want == ErrDeadWebhook && calls.Load() != 1 {
			t.Errorf("%d: %d calls, want 1 (never retried)", c.status, calls.Load())
		}
	}
}

// memSends is delivery.Store's behaviour in memory.
type memSends struct {
	mu      sync.Mutex
	status  map[string]string
	blocked map[string]string
}

func (m *memSends) k(s delivery.Send) string {
	return s.TenantID + "|" + s.ReportID + "|" + s.Recipient
}
func (m *memSends) Claim(_ context.Context, s delivery.Send, _ time.Duration) (delivery.Outcome, delivery.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.status == nil {
		m.status = map[string]string{}
	}
	switch st := m.status[m.k(s)]; {
	case delivery.Final(st):
		return delivery.Done, delivery.Record{Status: st}, nil
	case st == delivery.StatusSending:
		return delivery.Busy, delivery.Record{}, nil
	}
	m.status[m.k(s)] = delivery.StatusSending
	return delivery.Claimed, delivery.Record{}, nil
}
func (m *memSends) set(s delivery.Send, st string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.status[m.k(s)] = st
	return nil
}
func (m *memSends) MarkSent(_ context.Context, s delivery.Send, _ string) error {
	return m.set(s, delivery.StatusSent)
}
func (m *memSends) MarkFailed(_ context.Context, s delivery.Send, st, _ string) error {
	return m.set(s, st)
}
func (m *memSends) Release(_ context.Context, s delivery.Send) error { return m.set(s, "") }
func (m *memSends) Blocked(_ context.Context, tenantID, role, address string) (string, string, error) {
	if r, ok := m.blocked[role+"|"+address]; ok {
		return delivery.StatusUnsubscribed, r, nil
	}
	return "", "", nil
}

type memDead struct {
	mu   sync.Mutex
	dead map[string]bool
}

func (m *memDead) MarkDeadWebhook(_ context.Context, tenantID, hash, _ string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dead == nil {
		m.dead = map[string]bool{}
	}
	first := !m.dead[tenantID+hash]
	m.dead[tenantID+hash] = true
	return first, nil
}
func (m *memDead) DeadWebhook(_ context.Context, tenantID, hash string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.dead[tenantID+hash], nil
}

type literal struct{}

func (literal) Resolve(_ context.Context, ref string) (string, error) { return ref, nil }

type fakeSES struct {
	mu   sync.Mutex
	sent []*ses.SendRawEmailInput
}

func (f *fakeSES) SendRawEmail(_ context.Context, in *ses.SendRawEmailInput, _ ...func(*ses.Options)) (*ses.SendRawEmailOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, in)
	id := "m1"
	return &ses.SendRawEmailOutput{MessageId: &id}, nil
}

func testTenant(hook string) tenants.Tenant {
	return tenants.Tenant{ID: "jada", Name: "JADA <&>", Timezone: "America/New_York", Currency: "USD",
		Email:         tenants.Email{From: "JADA Alerts <alerts@jada.example.com>", ReplyTo: "ops@jada.example.com", BCCAudit: []string{"audit@jada.example.com"}},
		Recipients:    map[string][]string{"cfo": {"CFO@jada.example.com"}},
		AlertSettings: tenants.AlertSettings{Slack: &tenants.Slack{Webhook: hook}}}
}

func TestNotifierDeadWebhookReportedOnceAndEmailStillGoes(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusGone)
	}))
	defer srv.Close()
	rule, err := alerting.Compile(alerting.Rule{Name: "dispute-opened", Metric: alerting.MetricDisputeOpened, Condition: alerting.Above,
		Threshold: "1.00", Recipients: []string{"cfo", "cfo@jada.example.com"}}, "USD", "")
	if err != nil {
		t.Fatal(err)
	}
	sesAPI := &fakeSES{}
	var dead int
	n := &Notifier{Sends: &memSends{}, Dead: &memDead{}, SES: sesAPI, Slack: fastSlack(), Secrets: literal{},
		Sender: "reports@boardpack.example.com", AllowedHosts: []string{"127.0.0.1"}, PublicURL: "https://bp.example.com",
		UnsubscribeKey: []byte("k"), UnsubscribeTTL: time.Hour, ClaimTTL: time.Minute,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), OnDeadWebhook: func(string) { dead++ }}
	tn := testTenant(srv.URL + "/hook")
	for i := 0; i < 3; i++ {
		note := alerting.Notification{ID: "dispute-opened#dp_" + string(rune('a'+i)) + "#1#firing", Kind: alerting.KindFiring, Rule: rule.Name, Value: 5000, Currency: "USD", At: time.Now(), OpenedAt: time.Now()}
		if err := n.Deliver(context.Background(), tn, rule, note, false); err != nil {
			t.Fatal(err)
		}
		// Delivered again: nothing more.
		if err := n.Deliver(context.Background(), tn, rule, note, false); err != nil {
			t.Fatal(err)
		}
	}
	if calls.Load() != 1 || dead != 1 {
		t.Fatalf("%d posts to the dead webhook, reported %d times; want 1 and 1", calls.Load(), dead)
	}
	if len(sesAPI.sent) != 6 {
		t.Fatalf("%d emails, want 6 (one recipient after dedup and one audit copy, once per notification)", len(sesAPI.sent))
	}
	audit := string(sesAPI.sent[1].RawMessage.Data)
	if !strings.Contains(audit, "X-Boardpack-Audit-Copy: true") || strings.Contains(audit, "List-Unsubscribe") ||
		sesAPI.sent[1].Destinations[0] != "audit@jada.example.com" {
		t.Errorf("audit copy %v:\n%s", sesAPI.sent[1].Destinations, audit)
	}
	raw := string(sesAPI.sent[0].RawMessage.Data)
	for _, want := range []string{"From: \"JADA Alerts\" <alerts@jada.example.com>", "Reply-To: <ops@jada.example.com>", "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
		"$50.00", "$1.00", "JADA &lt;&amp;&gt;"} {
		if !strings.Contains(raw, want) {
			t.Errorf("email lacks %q:\n%s", want, raw)
		}
	}
	if strings.Contains(raw, "audit@") || len(sesAPI.sent[0].Destinations) != 1 {
		t.Errorf("the recipient's email goes to the recipient only: %v", sesAPI.sent[0].Destinations)
	}
}

func TestNotifierRespectsUnsubscribeAndSendsSlackBlocks(t *testing.T) {
	var got SlackMessage
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewDecoder(r.Body).Decode(&got)
	}))
	defer srv.Close()
	rule, _ := alerting.Compile(alerting.Rule{Name: "payout-failed", Metric: alerting.MetricPayoutFailed, Condition: alerting.Above,
		Threshold: "0", Recipients: []string{"cfo"}, Severity: "critical"}, "USD", "")
	sesAPI := &fakeSES{}
	sends := &memSends{blocked: map[string]string{UnsubscribeRole("payout-failed") + "|cfo@jada.example.com": "one-click"}}
	n := &Notifier{Sends: sends, Dead: &memDead{}, SES: sesAPI, Slack: fastSlack(), Secrets: literal{},
		Sender: "reports@boardpack.example.com", AllowedHosts: []string{"127.0.0.1"}, ClaimTTL: time.Minute,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	note := alerting.Notification{ID: "payout-failed#po_1#1#firing", Kind: alerting.KindFiring, Rule: rule.Name, Value: 123456, At: time.Now(), OpenedAt: time.Now()}
	if err := n.Deliver(context.Background(), testTenant(srv.URL), rule, note, false); err != nil {
		t.Fatal(err)
	}
	for _, m := range sesAPI.sent {
		if m.Destinations[0] == "cfo@jada.example.com" {
			t.Errorf("emailed an unsubscribed address")
		}
	}
	if !strings.Contains(got.Text, "$1,234.56") || len(got.Blocks) < 2 || got.Blocks[0]["type"] != "header" {
		t.Errorf("slack message %+v", got)
	}
	// A Slack URL outside the allowed hosts is refused at send time too.
	n.AllowedHosts = nil
	note.ID += "2"
	got = SlackMessage{}
	if err := n.Deliver(context.Background(), testTenant(srv.URL), rule, note, false); err != nil {
		t.Fatal(err)
	}
	if got.Text != "" {
		t.Errorf("posted to a host not allowed")
	}
}

func TestUnsubscribeToken(t *testing.T) {
	key := []byte("secret")
	now := time.Now()
	tok := SignUnsubscribe(key, UnsubClaims{Tenant: "jada", Rule: "r", Address: "a@b.c", Expires: now.Add(time.Hour).Unix()})
	if c, err := VerifyUnsubscribe(key, tok, now); err != nil || c.Rule != "r" {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := VerifyUnsubscribe([]byte("other"), tok, now); err == nil {
		t.Fatal("forged token accepted")
	}
	if _, err := VerifyUnsubscribe(key, tok, now.Add(2*time.Hour)); err == nil {
		t.Fatal("expired token accepted")
	}
}

func TestDigestOncePerReport(t *testing.T) {
	var got []SlackMessage
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m SlackMessage
		_ = json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	}))
	defer srv.Close()
	n := &Notifier{Sends: &memSends{}, Dead: &memDead{}, Slack: fastSlack(), Secrets: literal{}, AllowedHosts: []string{"127.0.0.1"},
		ClaimTTL: time.Minute, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	tn := testTenant(srv.URL)
	d := Digest{ReportID: "rep_1", Role: "cfo", Subject: "JADA CFO report, Nov 2026", Preheader: "Runway below minimum: 9.5 months",
		Figures: []Figure{{Label: "Revenue", Value: "$1,234.56", Period: "Nov 2026"}, {Label: "Runway", Value: "9.5 months"}},
		Link:    "https://bp.example.com/reports/rep_1"}
	for i := 0; i < 3; i++ {
		if err := n.PostDigest(context.Background(), tn.ID, *tn.Slack, d); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 0 {
		t.Fatalf("posted %d digests without slack.digests", len(got))
	}
	tn.Slack.Digests = true
	for i := 0; i < 3; i++ {
		if err := n.PostDigest(context.Background(), tn.ID, *tn.Slack, d); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 1 || !strings.Contains(got[0].Text, "Revenue: $1,234.56 (Nov 2026)") || !strings.Contains(got[0].Text, "View in browser: "+d.Link) ||
		!strings.Contains(got[0].Text, d.Preheader) {
		t.Fatalf("digests %+v, want one with the figures and the link", got)
	}
}
