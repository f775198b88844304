package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// The component test: run() in process, as main starts it. The package
// internal/mailer has the handler-level tests (and the same fixtures).

func TestMain(m *testing.M) { mototest.Main(m) }

const testSender = "reports@boardpack.example.com"

func testTenant(id string) tenants.Tenant {
	return tenants.Tenant{
		ID: id, Name: "Queen of San Diego", Timezone: "America/Los_Angeles", Currency: "USD",
		Stripe: tenants.Stripe{WebhookSecrets: []string{"whsec_test"}},
		Email: tenants.Email{From: "Queen Reports <reports@queen.example.com>", ReplyTo: "owner@queen.example.com",
			BCCAudit: []string{"audit@queen.example.com"}},
		Recipients: map[string][]string{
			"cfo": {"cfo@queen.example.com", "books@queen.example.com"},
			"ceo": {"ceo@queen.example.com"},
		},
	}
}

// world is a bootstrapped moto with one tenant applied.
type world struct {
	env    mototest.Env
	tenant tenants.Tenant
	store  delivery.Store
	db     *dynamodb.Client
}

func newWorld(t *testing.T) *world { return newWorldTB(t) }

func newWorldTB(t testing.TB) *world {
	t.Helper()
	env := mototest.Bootstrap(t, resources.Spec{Identities: []string{testSender, "queen.example.com"}})
	db := dynamodb.NewFromConfig(env.AWS)
	tn := testTenant("queen-" + mototest.UniqueID())
	if err := (tenants.Store{DB: db, Table: env.Names.Table}).Apply(context.Background(), tenants.File{Tenants: []tenants.Tenant{tn}}); err != nil {
		t.Fatal(err)
	}
	rm := readmodel.Store{DB: db, Table: env.Names.Table}
	if _, err := rm.PutFact(context.Background(), messages.MetricEvent{
		Header: messages.Header{EventID: "evt_1", TenantID: tn.ID, OccurredAt: time.Now().Add(-time.Hour), Source: messages.SourceStripe},
		Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: 12345, Currency: "USD",
	}); err != nil {
		t.Fatal(err)
	}
	return &world{env: env, tenant: tn, store: delivery.Store{DB: db, Table: env.Names.Table}, db: db}
}

func due(tenantID, role string) messages.ReportDue {
	loc, _ := time.LoadLocation("America/Los_Angeles")
	now := time.Now().In(loc)
	start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	end := start.AddDate(0, 1, 0)
	return messages.ReportDue{
		Header:   messages.Header{EventID: "due-" + mototest.UniqueID(), TenantID: tenantID, OccurredAt: time.Now(), Source: messages.SourceReportctl},
		ReportID: messages.ReportIDFor(tenantID, role, start, end), Role: role,
		PeriodStart: start.UTC(), PeriodEnd: end.UTC(), PeriodKind: messages.PeriodMonth, DueAt: time.Now(),
	}
}

// emailsFor returns moto's sent emails of one report to its recipients
// (not the audit copies).
func emailsFor(t *testing.T, reportID string) []mototest.SESMessage {
	var out []mototest.SESMessage
	for _, m := range mototest.SentRawEmails(t) {
		if raw := unfold(m.RawData); strings.Contains(raw, "X-Boardpack-Report: "+reportID) && !strings.Contains(raw, "X-Boardpack-Audit-Copy: ") {
			out = append(out, m)
		}
	}
	return out
}

func eventually(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func queueDrained(t *testing.T, w *world, queue string) {
	t.Helper()
	c := sqs.NewFromConfig(w.env.AWS)
	url := w.env.Resource.QueueURLs[queue]
	eventually(t, queue+" drained", 60*time.Second, func() bool {
		out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
			AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes["ApproximateNumberOfMessages"] == "0" && out.Attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// unfold joins folded header lines (RFC 5322 §2.2.3).
func unfold(raw string) string { return strings.ReplaceAll(raw, "\r\n ", " ") }

func header(raw, name string) string {
	for _, l := range strings.Split(unfold(raw), "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// TestServiceSendsEachReportOncePerRecipient runs the mailer's run() in
// process: a ReportDue published twice on the topic gives one email per
// recipient, from the envelope sender, each with an audit copy to the BCC
// address.
// runMailer runs the mailer in-process against w, serving on port, with
// env (more BOARDPACK_* settings) on top of the common ones; it stops at
// the test's cleanup, failing the test if run returned an error.
func runMailer(t testing.TB, w *world, port int, env map[string]string) {
	t.Helper()
	t.Setenv("BOARDPACK_PREFIX", w.env.Names.Prefix)
	t.Setenv("BOARDPACK_TABLE", w.env.Names.Table)
	t.Setenv("BOARDPACK_SES_CONFIGURATION_SET", w.env.Names.ConfigurationSet)
	t.Setenv("BOARDPACK_HTTP_ADDR", fmt.Sprintf("127.0.0.1:%d", port))
	t.Setenv("BOARDPACK_MAILER_VISIBILITY_TIMEOUT", "60s")
	t.Setenv("BOARDPACK_LOCAL", "true")
	// One worker: moto's DynamoDB does not serialise concurrent
	// conditional writes (two racing claims can both succeed there, never
	// on AWS), so a duplicate ReportDue is handled after the first.
	t.Setenv("BOARDPACK_MAILER_WORKERS", "1")
	for k, v := range env {
		t.Setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	var runErr error
	go func() { defer wg.Done(); runErr = run(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		if runErr != nil {
			t.Errorf("run: %v", runErr)
		}
	})
}

func TestServiceSendsEachReportOncePerRecipient(t *testing.T) {
	w := newWorld(t)
	port, err := mototest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	// A deprecated name still works.
	runMailer(t, w, port, map[string]string{"BOARDPACK_PUBLIC_URL": "https://boardpack.example.com"})

	pub, err := bus.NewPublisher(w.env.AWS, w.env.Names, w.env.Account, bus.Logger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	d := due(w.tenant.ID, messages.RoleCFO)
	again := d
	again.EventID = "due-again-" + mototest.UniqueID()
	if err := pub.Publish(context.Background(), messages.TopicReportDue, d, again); err != nil {
		t.Fatal(err)
	}
	eventually(t, "both recipients recorded as sent", 60*time.Second, func() bool {
		recs, err := w.store.Recent(context.Background(), w.tenant.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		sent := 0
		for _, r := range recs {
			if r.ReportID == d.ReportID && r.Status == delivery.StatusSent {
				sent++
			}
		}
		return sent == 2
	})
	queueDrained(t, w, resources.QueueMailerReportDue)
	got := emailsFor(t, d.ReportID)
	if len(got) != 2 {
		recs, _ := w.store.Recent(context.Background(), w.tenant.ID, 10)
		for _, m := range got {
			t.Logf("email %s to %v message-id %s date %s", m.ID, m.Destinations, header(m.RawData, "Message-Id"), header(m.RawData, "Date"))
		}
		t.Fatalf("got %d emails for report %s, want 2 (one per recipient, duplicate ReportDue ignored); records %+v", len(got), d.ReportID, recs)
	}
	to := map[string]bool{}
	for _, m := range got {
		if m.Source != testSender {
			t.Errorf("envelope sender = %q, want %q", m.Source, testSender)
		}
		if contains(m.Destinations, "audit@queen.example.com") {
			t.Errorf("destinations %v include the BCC audit address: it gets its own copy", m.Destinations)
		}
		for _, want := range []string{"From: \"Queen Reports\" <reports@queen.example.com>", "Reply-To: <owner@queen.example.com>",
			"List-Unsubscribe-Post: List-Unsubscribe=One-Click", "List-Unsubscribe: <https://boardpack.example.com/unsubscribe?token=", "Content-Type: text/plain", "Content-Type: text/html"} {
			if !strings.Contains(unfold(m.RawData), want) {
				t.Errorf("email lacks %q", want)
			}
		}
		if strings.Contains(m.RawData, "audit@queen.example.com") {
			t.Error("the audit address appears in the headers: BCC must be an envelope destination only")
		}
		to[m.Destinations[0]] = true
	}
	if !to["cfo@queen.example.com"] || !to["books@queen.example.com"] {
		t.Errorf("recipients = %v", to)
	}
	audit := 0
	for _, m := range mototest.SentRawEmails(t) {
		if raw := unfold(m.RawData); strings.Contains(raw, "X-Boardpack-Report: "+d.ReportID) && strings.Contains(raw, "X-Boardpack-Audit-Copy: ") && contains(m.Destinations, "audit@queen.example.com") {
			audit++
		}
	}
	if audit != 2 {
		t.Errorf("%d audit copies, want one per recipient", audit)
	}
}
