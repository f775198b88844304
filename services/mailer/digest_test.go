package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/alerting/notify"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/report"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// slackStandIn is an httptest server standing in for Slack's incoming
// webhooks: each path is one webhook. status, when set for a path, answers
// its posts (a queue of statuses, the last repeated), with Retry-After 1
// on a 429.
type slackStandIn struct {
	*httptest.Server
	mu       sync.Mutex
	posts    map[string][]notify.SlackMessage // accepted (200) posts by path
	requests map[string]int
	status   map[string][]int
}

func newSlackStandIn(t testing.TB) *slackStandIn {
	s := &slackStandIn{posts: map[string][]notify.SlackMessage{}, requests: map[string]int{}, status: map[string][]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m notify.SlackMessage
		err := json.NewDecoder(r.Body).Decode(&m)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.requests[r.URL.Path]++
		code := http.StatusOK
		if q := s.status[r.URL.Path]; len(q) > 0 {
			code = q[0]
			if len(q) > 1 {
				s.status[r.URL.Path] = q[1:]
			}
		}
		if err != nil {
			code = http.StatusBadRequest
		}
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		if code == http.StatusOK {
			s.posts[r.URL.Path] = append(s.posts[r.URL.Path], m)
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, http.StatusText(code))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *slackStandIn) got(path string) ([]notify.SlackMessage, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]notify.SlackMessage(nil), s.posts[path]...), s.requests[path]
}

// putWebhook stores a webhook URL as an SSM parameter under the slack
// path and returns its reference, as a tenants file names it.
func putWebhook(t testing.TB, cfg aws.Config, name, url string) string {
	t.Helper()
	_, err := ssm.NewFromConfig(cfg).PutParameter(context.Background(), &ssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String(url), Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	return tenants.RefSSM + name
}

// startService runs the mailer's run() in process against w's moto
// resources and returns the base URL of its HTTP server.
func startService(t testing.TB, w *world) string {
	t.Helper()
	port, err := mototest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	runMailer(t, w, port, map[string]string{"BOARDPACK_MAILER_PUBLIC_URL": base, "BOARDPACK_SLACK_ALLOWED_HOSTS": "127.0.0.1"})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("mailer not healthy after 30s")
		}
	}
}

func sentTo(t *testing.T, store delivery.Store, tenantID, reportID, recipient string) bool {
	t.Helper()
	recs, err := store.Recent(context.Background(), tenantID, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.ReportID == reportID && r.Recipient == recipient && r.Status != "" && r.Status != delivery.StatusSending {
			return true
		}
	}
	return false
}

// TestServicePostsOneSlackDigestPerReport runs the mailer's run() in
// process, with an httptest server standing in for Slack and the webhooks
// as SSM references on moto. A tenant with slack.digests: true whose report
// due arrives twice gets exactly one digest post (Slack's first answer is
// a 429, waited out), carrying the report's headline (preheader and the
// figure that needs attention) and a working View in browser link; a
// tenant with digests: false gets none; a tenant whose webhook is gone
// (410) is tried once, counted once, and not posted to again for its next
// report; a portfolio with digests gets one digest of its report, naming
// the business of each item.
func TestServicePostsOneSlackDigestPerReport(t *testing.T) {
	w := newWorld(t)
	slack := newSlackStandIn(t)
	ctx := context.Background()
	slack.status["/hook-on"] = []int{http.StatusTooManyRequests, http.StatusOK}
	slack.status["/hook-gone"] = []int{http.StatusGone}

	on := testTenant("dig-on-" + mototest.UniqueID())
	// A target far above the revenue: "Revenue below target" needs
	// attention, so the digest has a figure to carry.
	on.Finance.MonthlyRevenueTarget = "1000000.00"
	on.Slack = &tenants.Slack{Webhook: putWebhook(t, w.env.AWS, "/boardpack/slack/"+on.ID, slack.URL+"/hook-on"), Digests: true}
	off := testTenant("dig-off-" + mototest.UniqueID())
	off.Slack = &tenants.Slack{Webhook: putWebhook(t, w.env.AWS, "/boardpack/slack/"+off.ID, slack.URL+"/hook-off")}
	gone := testTenant("dig-gone-" + mototest.UniqueID())
	gone.Slack = &tenants.Slack{Webhook: putWebhook(t, w.env.AWS, "/boardpack/slack/"+gone.ID, slack.URL+"/hook-gone"), Digests: true}
	// A portfolio of the two live tenants with its own digests.
	hold := tenants.Portfolio{ID: "dig-hold-" + mototest.UniqueID(), Name: "Holding Group", Timezone: "America/Los_Angeles",
		Members: []string{on.ID, off.ID}, Email: tenants.Email{From: "Holding <reports@queen.example.com>"},
		Recipients: map[string][]string{messages.RoleCFO: {"board@queen.example.com"}}}
	hold.Slack = &tenants.Slack{Webhook: putWebhook(t, w.env.AWS, "/boardpack/slack/"+hold.ID, slack.URL+"/hook-hold"), Digests: true}
	db := dynamodb.NewFromConfig(w.env.AWS)
	if err := (tenants.Store{DB: db, Table: w.env.Names.Table}).Apply(ctx, tenants.File{Tenants: []tenants.Tenant{on, off, gone}, Portfolios: []tenants.Portfolio{hold}}); err != nil {
		t.Fatal(err)
	}
	rm := readmodel.Store{DB: db, Table: w.env.Names.Table}
	for _, tn := range []tenants.Tenant{on, off, gone} {
		if _, err := rm.PutFact(ctx, messages.MetricEvent{
			Header: messages.Header{EventID: "evt_" + tn.ID, TenantID: tn.ID, OccurredAt: time.Now().Add(-time.Hour), Source: messages.SourceStripe},
			Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: 12345, Currency: "USD",
		}); err != nil {
			t.Fatal(err)
		}
	}
	base := startService(t, w)

	pub, err := bus.NewPublisher(w.env.AWS, w.env.Names, w.env.Account, bus.Logger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	dOn := due(on.ID, messages.RoleCFO)
	again := dOn
	again.EventID = "due-again-" + mototest.UniqueID()
	dOff := due(off.ID, messages.RoleCFO)
	dGone, dGone2 := due(gone.ID, messages.RoleCFO), due(gone.ID, messages.RoleCEO)
	dHold := due(hold.ID, messages.RoleCFO)
	dHold.PortfolioID = hold.ID
	holdAgain := dHold
	holdAgain.EventID = "due-again-" + mototest.UniqueID()
	if err := pub.Publish(ctx, messages.TopicReportDue, dOn, again, dOff, dGone, dGone2, dHold, holdAgain); err != nil {
		t.Fatal(err)
	}
	eventually(t, "every report sent and digested", 90*time.Second, func() bool {
		return sentTo(t, w.store, on.ID, dOn.ReportID, notify.DigestRecipient) &&
			sentTo(t, w.store, off.ID, dOff.ReportID, "cfo@queen.example.com") &&
			sentTo(t, w.store, gone.ID, dGone.ReportID, notify.DigestRecipient) &&
			sentTo(t, w.store, gone.ID, dGone2.ReportID, notify.DigestRecipient) &&
			sentTo(t, w.store, hold.ID, dHold.ReportID, notify.DigestRecipient)
	})
	queueDrained(t, w, resources.QueueMailerReportDue)

	posts, requests := slack.got("/hook-on")
	if len(posts) != 1 || requests != 2 {
		t.Fatalf("digests-on webhook: %d posts accepted of %d requests, want 1 of 2 (a 429 waited out, the redelivered report due not posted again): %+v", len(posts), requests, posts)
	}
	if _, n := slack.got("/hook-off"); n != 0 {
		t.Errorf("digests: false got %d posts, want none", n)
	}
	if _, n := slack.got("/hook-gone"); n != 1 {
		t.Errorf("dead webhook got %d posts over two reports, want 1 (gone is remembered)", n)
	}

	// The digest carries what the report says: the same build the email
	// came from.
	want, err := report.Build(ctx, rm, on, dOn, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Attention) == 0 {
		t.Fatal("the fixture's report needs no attention: nothing to check the digest's figures against")
	}
	text := posts[0].Text
	for _, s := range []string{want.Subject, want.Preheader, want.Attention[0].Title + ": " + want.Attention[0].Figure} {
		if !strings.Contains(text, s) {
			t.Errorf("digest lacks %q:\n%s", s, text)
		}
	}
	if len(posts[0].Blocks) == 0 {
		t.Error("digest has no Block Kit blocks")
	}
	_, link, ok := strings.Cut(text, "View in browser: ")
	link, _, _ = strings.Cut(link, "\n")
	if !ok || !strings.HasPrefix(link, base+"/reports/"+dOn.ReportID+"?") {
		t.Fatalf("digest has no view link of report %s under %s:\n%s", dOn.ReportID, base, text)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "<html") {
		t.Errorf("view link: %d %.200s", resp.StatusCode, page)
	}

	// The portfolio's digest: once, the member's item named by business.
	holdPosts, _ := slack.got("/hook-hold")
	if len(holdPosts) != 1 {
		t.Fatalf("portfolio webhook: %d posts, want 1 (its report due arrived twice)", len(holdPosts))
	}
	wantHold, err := report.BuildPortfolio(ctx, rm, hold, []tenants.Tenant{on, off}, dHold, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(wantHold.Attention) == 0 {
		t.Fatal("the portfolio's report needs no attention: nothing to check its digest against")
	}
	it := wantHold.Attention[0]
	for _, s := range []string{wantHold.Subject, it.Business + ": " + it.Title + ": " + it.Figure, "View in browser: " + base + "/reports/" + dHold.ReportID + "?"} {
		if !strings.Contains(holdPosts[0].Text, s) {
			t.Errorf("portfolio digest lacks %q:\n%s", s, holdPosts[0].Text)
		}
	}

	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), "boardpack_mailer_slack_dead_webhooks_total 1\n") {
		t.Errorf("dead webhooks not counted once:\n%s", grepLines(string(metrics), "slack"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
