package engine

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/alerting"
	"github.com/boardpack/boardpack/services/internal/domain/alerting/episodes"
	"github.com/boardpack/boardpack/services/internal/domain/alerting/notify"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

func TestMain(m *testing.M) { mototest.Main(m) }

const sender = "reports@boardpack.example.com"

// slackSink stands in for Slack.
type slackSink struct {
	mu   sync.Mutex
	msgs []notify.SlackMessage
	srv  *httptest.Server
}

func newSlackSink(t *testing.T) *slackSink {
	s := &slackSink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m notify.SlackMessage
		_ = json.NewDecoder(r.Body).Decode(&m)
		s.mu.Lock()
		s.msgs = append(s.msgs, m)
		s.mu.Unlock()
		io.WriteString(w, "ok")
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *slackSink) texts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, m := range s.msgs {
		out = append(out, strings.SplitN(m.Text, "\n", 2)[0])
	}
	return out
}

type world struct {
	eng    *Engine
	slack  *slackSink
	facts  readmodel.Store
	tenant tenants.Tenant
	ses    *ses.Client
	clock  time.Time
	sent   map[string]int
	mu     sync.Mutex
}

func (w *world) now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.clock
}

func (w *world) advance(d time.Duration) {
	w.mu.Lock()
	w.clock = w.clock.Add(d)
	w.mu.Unlock()
}

func newWorld(t *testing.T, alerts tenants.Alerts, start time.Time) *world {
	env := mototest.Bootstrap(t, resources.Spec{Identities: []string{sender, "jada.example.com"}})
	t.Setenv("BOARDPACK_SLACK_ALLOWED_HOSTS", "127.0.0.1")
	db := dynamodb.NewFromConfig(env.AWS)
	table := env.Names.Table
	sink := newSlackSink(t)
	tn := tenants.Tenant{ID: "jada-" + mototest.UniqueID(), Name: "JADA", Timezone: "America/New_York", Currency: "USD",
		Stripe:        tenants.Stripe{WebhookSecrets: []string{"whsec_x"}},
		Email:         tenants.Email{From: "JADA Alerts <alerts@jada.example.com>", ReplyTo: "ops@jada.example.com", BCCAudit: []string{"audit@jada.example.com"}},
		Recipients:    map[string][]string{"cfo": {"cfo@jada.example.com"}, "cto": {"cto@jada.example.com"}},
		AlertSettings: tenants.AlertSettings{Alerts: &alerts, Slack: &tenants.Slack{Webhook: sink.srv.URL + "/services/T/B/X"}},
	}
	tstore := tenants.Store{DB: db, Table: table}
	if err := tstore.Apply(context.Background(), tenants.File{Tenants: []tenants.Tenant{tn}}); err != nil {
		t.Fatal(err)
	}
	w := &world{slack: sink, facts: readmodel.Store{DB: db, Table: table}, tenant: tn, ses: ses.NewFromConfig(env.AWS), clock: start, sent: map[string]int{}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	slack := notify.NewSlack()
	slack.MinInterval = 0
	states := episodes.Store{DB: db, Table: table}
	n := &notify.Notifier{Sends: delivery.Store{DB: db, Table: table, Now: w.now}, Dead: states, SES: w.ses, Slack: slack,
		Secrets: tenants.NewSecretResolver(env.AWS, time.Minute), Sender: sender, AllowedHosts: []string{"127.0.0.1"},
		PublicURL: "https://boardpack.example.com", UnsubscribeKey: []byte("0123456789abcdef"), UnsubscribeTTL: time.Hour,
		ClaimTTL: 30 * time.Second, Log: log, Now: w.now,
		OnSent: func(ch string, note alerting.Notification) { w.mu.Lock(); w.sent[ch+":"+note.Kind]++; w.mu.Unlock() }}
	w.eng = &Engine{Tenants: CachedTenants{Cache: &tenants.Cache{Store: tstore, TTL: time.Minute}, Store: tstore}, States: states,
		Reader: ReadModel{Source: w.facts}, Notify: n, Log: log, Now: w.now}
	return w
}

func (w *world) count(key string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sent[key]
}

func noDefaults() *bool { f := false; return &f }

func dispute(tenant, id string, amount int64, at time.Time, status string) messages.MetricEvent {
	value, version := amount, at.Unix()
	if status == "won" {
		value, version = 0, version+1<<40
	}
	return messages.MetricEvent{Header: messages.Header{EventID: id + "-" + status, TenantID: tenant, OccurredAt: at, Source: messages.SourceStripe},
		Metric: messages.MetricDisputesAtStake, Kind: messages.KindState, Entity: id, Value: value, Version: version, Currency: "USD"}
}

// A dispute alerts once by Slack and by email; its facts again, in any
// order, add nothing; winning it resolves the episode once.
func TestDisputeAlertsOnceAndResolvesOnce(t *testing.T) {
	start := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC) // 10:00 in New York
	w := newWorld(t, tenants.Alerts{Defaults: noDefaults(), Rules: []alerting.Rule{
		{Name: "dispute-opened", Metric: alerting.MetricDisputeOpened, Condition: alerting.Above, Threshold: "1.00", Window: "1h", Recipients: []string{"cfo"}},
	}}, start)
	ctx := context.Background()
	opened := dispute(w.tenant.ID, "dp_1", 4200, start, "open")
	won := dispute(w.tenant.ID, "dp_1", 4200, start.Add(10*time.Minute), "won")
	if err := w.eng.HandleFact(ctx, opened); err != nil {
		t.Fatal(err)
	}
	if got := w.slack.texts(); len(got) != 1 || !strings.Contains(got[0], "$42.00") {
		t.Fatalf("slack: %v", got)
	}
	if w.count("email:firing") != 1 {
		t.Fatalf("emails %v", w.sent)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	seq := []messages.MetricEvent{opened, opened, opened}
	rng.Shuffle(len(seq), func(i, j int) { seq[i], seq[j] = seq[j], seq[i] })
	for _, f := range seq {
		w.advance(time.Minute)
		if err := w.eng.HandleFact(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if len(w.slack.texts()) != 1 || w.count("email:firing") != 1 {
		t.Fatalf("duplicates alerted again: %v %v", w.slack.texts(), w.sent)
	}
	w.advance(10 * time.Minute)
	for _, f := range []messages.MetricEvent{won, opened, won} {
		if err := w.eng.HandleFact(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	// False since the win (start+10m): the episode closes an hour later.
	w.advance(40 * time.Minute) // start+53m
	if err := w.eng.TickTenant(ctx, w.tenant); err != nil {
		t.Fatal(err)
	}
	if len(w.slack.texts()) != 1 {
		t.Fatalf("resolved early: %v", w.slack.texts())
	}
	w.advance(20 * time.Minute) // start+73m
	for i := 0; i < 3; i++ {
		if err := w.eng.TickTenant(ctx, w.tenant); err != nil {
			t.Fatal(err)
		}
		_ = w.eng.HandleFact(ctx, opened) // late duplicates after the close
	}
	got := w.slack.texts()
	if len(got) != 2 || !strings.HasPrefix(got[1], "Resolved: ") || w.count("email:resolved") != 1 {
		t.Fatalf("slack %v, sent %v; want one firing and one resolved", got, w.sent)
	}
}

// A rule over a window: Lambda error rate from the read model, opened on
// a tick, closed when false for the window, resolved once.
func TestWindowRuleOverReadModelWithFakeClock(t *testing.T) {
	start := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	w := newWorld(t, tenants.Alerts{Defaults: noDefaults(), Rules: []alerting.Rule{
		{Name: "lambda-errors", Metric: alerting.MetricLambdaErrorRate, Condition: alerting.Above, Threshold: "5", Window: "1h",
			Recipients: []string{"cto"}, Channels: []string{"slack"}},
	}}, start)
	ctx := context.Background()
	put := func(metric string, v int64, at time.Time) {
		t.Helper()
		e := messages.MetricEvent{Header: messages.Header{EventID: metric + at.String(), TenantID: w.tenant.ID, OccurredAt: at, Source: messages.SourceAWS},
			Metric: metric, Kind: messages.KindState, Entity: "us-east-1/fn@2026-12-07", Value: v, Version: v, Unit: messages.UnitCount}
		if _, err := w.facts.PutFact(ctx, e); err != nil {
			t.Fatal(err)
		}
		if err := w.eng.HandleFact(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	put(messages.MetricAWSLambdaInvocations, 1000, start.Add(-2*time.Hour))
	put(messages.MetricAWSLambdaErrors, 10, start.Add(-2*time.Hour))
	put(messages.MetricAWSLambdaInvocations, 2000, start.Add(-time.Minute)) // +1000 in the hour
	put(messages.MetricAWSLambdaErrors, 210, start.Add(-time.Minute))       // +200: 20 %
	if got := w.slack.texts(); len(got) != 1 || !strings.Contains(got[0], "20.00 %") {
		t.Fatalf("slack %v", got)
	}
	// An hour later the errors have left the window: false from here on.
	w.advance(61 * time.Minute)
	if err := w.eng.TickTenant(ctx, w.tenant); err != nil {
		t.Fatal(err)
	}
	put(messages.MetricAWSLambdaInvocations, 3000, w.now().Add(-time.Second)) // traffic, no errors: 0 %
	w.advance(30 * time.Minute)
	if err := w.eng.TickTenant(ctx, w.tenant); err != nil {
		t.Fatal(err)
	}
	if len(w.slack.texts()) != 1 {
		t.Fatalf("closed before the window: %v", w.slack.texts())
	}
	w.advance(31 * time.Minute)
	for i := 0; i < 3; i++ {
		if err := w.eng.TickTenant(ctx, w.tenant); err != nil {
			t.Fatal(err)
		}
		w.advance(time.Minute)
	}
	if got := w.slack.texts(); len(got) != 2 || !strings.HasPrefix(got[1], "Resolved: ") {
		t.Fatalf("slack %v, want firing then one resolved", got)
	}
}

// Quiet hours hold back a non-critical alert until they end and let a
// critical one through at once.
func TestQuietHoursOnMoto(t *testing.T) {
	night := time.Date(2026, 12, 8, 4, 0, 0, 0, time.UTC) // 23:00 in New York
	w := newWorld(t, tenants.Alerts{Defaults: noDefaults(), QuietHours: "22:00-07:00", Rules: []alerting.Rule{
		{Name: "dispute-opened", Metric: alerting.MetricDisputeOpened, Condition: alerting.Above, Threshold: "0", Channels: []string{"slack"}, Severity: "high"},
		{Name: "payout-failed", Metric: alerting.MetricPayoutFailed, Condition: alerting.Above, Threshold: "0", Window: "24h", Channels: []string{"slack"}, Severity: "critical"},
	}}, night)
	ctx := context.Background()
	if err := w.eng.HandleFact(ctx, dispute(w.tenant.ID, "dp_9", 1000, night, "open")); err != nil {
		t.Fatal(err)
	}
	payout := messages.MetricEvent{Header: messages.Header{EventID: "po_9", TenantID: w.tenant.ID, OccurredAt: night, Source: messages.SourceStripe},
		Metric: messages.MetricPayoutsFailed, Kind: messages.KindAdditive, Entity: "", ObjectID: "po_9", Value: 99900, Currency: "USD"}
	if err := w.eng.HandleFact(ctx, payout); err != nil {
		t.Fatal(err)
	}
	got := w.slack.texts()
	if len(got) != 1 || !strings.Contains(got[0], "payout failed") {
		t.Fatalf("at night: %v, want only the critical payout", got)
	}
	w.advance(7*time.Hour + 59*time.Minute) // 06:59
	_ = w.eng.TickTenant(ctx, w.tenant)
	if len(w.slack.texts()) != 1 {
		t.Fatalf("released before 07:00: %v", w.slack.texts())
	}
	w.advance(time.Minute)
	_ = w.eng.TickTenant(ctx, w.tenant)
	_ = w.eng.TickTenant(ctx, w.tenant)
	got = w.slack.texts()
	if len(got) != 2 || !strings.Contains(got[1], "dispute opened") {
		t.Fatalf("after quiet hours: %v", got)
	}
	w.slack.mu.Lock()
	held := strings.Contains(w.slack.msgs[1].Text, "Held during quiet hours")
	w.slack.mu.Unlock()
	if !held {
		t.Errorf("released alert does not say it was held")
	}
}

// A portfolio's rule fires once for a member's dispute (redelivered 3×:
// one), as the portfolio and naming the business, and never for a
// tenant outside the portfolio.
func TestPortfolioRuleFiresOnceForMemberNeverForOutsider(t *testing.T) {
	start := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	w := newWorld(t, tenants.Alerts{Defaults: noDefaults()}, start)
	ctx := context.Background()
	out := w.tenant
	out.ID, out.Name = "outsider-"+mototest.UniqueID(), "Outsider"
	p := tenants.Portfolio{ID: "holdco-" + mototest.UniqueID(), Name: "Holdco", Timezone: "America/New_York", Members: []string{w.tenant.ID},
		Email:      tenants.Email{From: "Holdco Alerts <alerts@jada.example.com>", ReplyTo: "board@jada.example.com"},
		Recipients: map[string][]string{"cfo": {"cfo@holdco.example.com"}},
		AlertSettings: tenants.AlertSettings{Slack: &tenants.Slack{Webhook: w.slack.srv.URL + "/services/T/B/P"}, Alerts: &tenants.Alerts{Rules: []alerting.Rule{
			{Name: "dispute-opened", Metric: alerting.MetricDisputeOpened, Condition: alerting.Above, Threshold: "1.00", Window: "1h", Recipients: []string{"cfo"}},
		}}}}
	tstore := tenants.Store{DB: w.facts.DB.(*dynamodb.Client), Table: w.facts.Table}
	if err := tstore.Apply(ctx, tenants.File{Tenants: []tenants.Tenant{w.tenant, out}, Portfolios: []tenants.Portfolio{p}}); err != nil {
		t.Fatal(err)
	}
	w.eng.Portfolios = &PortfolioList{Store: tstore}
	for range 4 {
		if err := w.eng.HandleFact(ctx, dispute(w.tenant.ID, "dp_m", 4200, start, "open")); err != nil {
			t.Fatal(err)
		}
		if err := w.eng.HandleFact(ctx, dispute(out.ID, "dp_o", 9900, start, "open")); err != nil {
			t.Fatal(err)
		}
		w.advance(time.Minute)
	}
	got := w.slack.texts()
	if len(got) != 1 || !strings.Contains(got[0], "JADA (Holdco)") || !strings.Contains(got[0], "$42.00") {
		t.Fatalf("slack %v: want one portfolio alert about JADA", got)
	}
	if w.count("email:firing") != 1 {
		t.Fatalf("emails %v, want one", w.sent)
	}
}
