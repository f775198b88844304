package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boardpack/boardpack/services/e2e/stack"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
)

// slackReceiver stands in for Slack's incoming webhook: it records each
// message and when it arrived.
type slackReceiver struct {
	srv *httptest.Server

	mu   sync.Mutex
	msgs []slackArrival
	cond *sync.Cond
}

type slackArrival struct {
	Text string
	At   time.Time
	OK   bool // has Block Kit blocks and a text fallback
}

func newSlackReceiver(t testing.TB) *slackReceiver {
	r := &slackReceiver{}
	r.cond = sync.NewCond(&r.mu)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var m struct {
			Text   string           `json:"text"`
			Blocks []map[string]any `json:"blocks"`
		}
		err := json.NewDecoder(req.Body).Decode(&m)
		r.mu.Lock()
		r.msgs = append(r.msgs, slackArrival{Text: m.Text, At: time.Now(), OK: err == nil && m.Text != "" && len(m.Blocks) > 0})
		r.cond.Broadcast()
		r.mu.Unlock()
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// matching returns the messages whose text contains s.
func (r *slackReceiver) matching(s string) []slackArrival {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []slackArrival
	for _, m := range r.msgs {
		if strings.Contains(m.Text, s) {
			out = append(out, m)
		}
	}
	return out
}

// wait returns the first message containing s, or false after timeout.
func (r *slackReceiver) wait(s string, timeout time.Duration) (slackArrival, bool) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if m := r.matching(s); len(m) > 0 {
			return m[0], true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return slackArrival{}, false
}

const alertSecret = "whsec_e2e_alerts"

// applyAlertTenant applies a tenant whose dispute rule has a low
// threshold and whose Slack webhook is the receiver.
func applyAlertTenant(t testing.TB, s *stack.Stack, tenant, hook string) {
	t.Helper()
	yaml := fmt.Sprintf(`tenants:
  - id: %[1]s
    name: Alerts E2E
    timezone: UTC
    currency: USD
    stripe:
      webhook_secrets: [%[2]s]
      livemode: false
    email:
      from: "Alerts E2E <reports@boardpack.example.com>"
      reply_to: ops@%[1]s.example.com
      bcc_audit: [audit@%[1]s.example.com]
    recipients:
      cfo: [cfo@%[1]s.example.com]
    alerts:
      defaults: false
      rules:
        - {name: dispute-opened, metric: dispute.opened, condition: above, threshold: "1.00", window: 1h, severity: high, recipients: [cfo], channels: [email, slack]}
    slack:
      webhook: %[3]s
`, tenant, alertSecret, hook)
	f := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := os.WriteFile(f, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	s.Reportctl("tenants", "apply", "-f", f)
}

// disputeEvent is the charge.dispute.created fixture re-stamped as a
// fresh dispute of amount cents.
func disputeEvent(t testing.TB, id string, amount int64, at time.Time) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(stack.RepoRoot(), "deploy/demo/stripe/charge_dispute_created.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ev["id"] = "evt_" + id
	ev["created"] = at.Unix()
	obj := ev["data"].(map[string]any)["object"].(map[string]any)
	obj["id"] = "dp_" + id
	obj["created"] = at.Unix()
	obj["amount"] = amount
	obj["currency"] = "usd"
	obj["status"] = "needs_response"
	return ev
}

func alertEnv() []string {
	return []string{"BOARDPACK_SLACK_ALLOWED_HOSTS=127.0.0.1", "BOARDPACK_ALERTER_TICK=5s", "BOARDPACK_ALERTER_DEBOUNCE=1s"}
}

// TestDisputeAlertsSlackAndEmailOnce is issue 20's "done when": a signed
// charge.dispute.created gives one Slack message and one email within
// 60 s; the same event posted three times more, in any order, adds
// nothing.
func TestDisputeAlertsSlackAndEmailOnce(t *testing.T) {
	slack := newSlackReceiver(t)
	s := stack.Start(t, alertEnv()...)
	tenant := "alerts-" + mototest.UniqueID()
	applyAlertTenant(t, s, tenant, slack.srv.URL+"/services/T000/B000/e2e")
	id := "e2e" + mototest.UniqueID()
	ev := disputeEvent(t, id, 4321, time.Now())
	posted := time.Now()
	if code := s.PostWebhook(tenant, alertSecret, ev); code != http.StatusOK {
		t.Fatalf("webhook answered %d, want 200", code)
	}
	msg, ok := slack.wait("dp_"+id, 60*time.Second)
	if !ok {
		t.Fatal("no Slack message within 60 s")
	}
	if !msg.OK || !strings.Contains(msg.Text, "$43.21") {
		t.Errorf("slack message %+v: want Block Kit, a text fallback and the figure $43.21", msg)
	}
	cfo := "cfo@" + tenant + ".example.com"
	isAlert := func(m mototest.SESMessage) bool {
		return slices.Contains(m.Destinations, cfo) && strings.Contains(m.RawData, "dp_"+id)
	}
	email, ok := stack.WaitForEmail(t, 60*time.Second-time.Since(posted), isAlert)
	if !ok {
		t.Fatal("no alert email within 60 s")
	}
	if header(email.RawData, "Reply-To") == "" || header(email.RawData, "List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("alert email lacks Reply-To or one-click unsubscribe:\n%s", headerBlock(email.RawData))
	}
	if _, ok := stack.WaitForEmail(t, 10*time.Second, func(m mototest.SESMessage) bool {
		return slices.Contains(m.Destinations, "audit@"+tenant+".example.com") && strings.Contains(m.RawData, "dp_"+id) &&
			header(m.RawData, "X-Boardpack-Audit-Copy") != ""
	}); !ok {
		t.Error("no audit copy of the alert")
	}
	t.Logf("webhook to Slack %s, to SES %s", msg.At.Sub(posted).Round(time.Millisecond), time.Since(posted).Round(time.Millisecond))

	// The same event three more times, concurrently (any order).
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code := s.PostWebhookCode(tenant, alertSecret, ev); code != http.StatusOK {
				t.Errorf("repeat webhook answered %d", code)
			}
		}()
	}
	wg.Wait()
	s.Reportctl("wait", "drained", "--timeout", "60s")
	time.Sleep(12 * time.Second) // two alerter ticks
	if n := len(slack.matching("dp_" + id)); n != 1 {
		t.Errorf("%d Slack messages for the dispute, want 1", n)
	}
	n := 0
	for _, m := range mototest.SentRawEmails(t) {
		if isAlert(m) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d alert emails for the dispute, want 1", n)
	}
}

// BenchmarkWebhookToSlack measures the time from posting a signed
// charge.dispute.created to its Slack message arriving, over 100 events
// posted one after another (each after the previous arrived, at least 1 s
// apart so Slack's per-webhook pacing never adds to it).
func BenchmarkWebhookToSlack(b *testing.B) {
	slack := newSlackReceiver(b)
	s := stack.Start(b, alertEnv()...)
	tenant := "alertbench-" + mototest.UniqueID()
	applyAlertTenant(b, s, tenant, slack.srv.URL+"/services/T000/B000/bench")
	const events = 100
	b.ResetTimer()
	for range b.N {
		var lat []time.Duration
		last := time.Time{}
		for i := 0; i < events; i++ {
			if wait := time.Until(last.Add(1100 * time.Millisecond)); wait > 0 {
				time.Sleep(wait)
			}
			id := fmt.Sprintf("b%s%03d", mototest.UniqueID(), i)
			posted := time.Now()
			last = posted
			if code := s.PostWebhook(tenant, alertSecret, disputeEvent(b, id, 5000+int64(i), posted)); code != http.StatusOK {
				b.Fatalf("webhook answered %d", code)
			}
			m, ok := slack.wait("dp_"+id, 60*time.Second)
			if !ok {
				b.Fatalf("event %d: no Slack message within 60 s", i)
			}
			lat = append(lat, m.At.Sub(posted))
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		p := func(q float64) time.Duration { return lat[int(q*float64(len(lat)-1)+0.5)] }
		b.ReportMetric(float64(p(0.50).Milliseconds()), "p50_ms")
		b.ReportMetric(float64(p(0.99).Milliseconds()), "p99_ms")
		b.ReportMetric(float64(lat[len(lat)-1].Milliseconds()), "max_ms")
		b.Logf("webhook to Slack over %d events: p50 %s, p99 %s, max %s", events, p(0.5), p(0.99), lat[len(lat)-1])
	}
}
