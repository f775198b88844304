package mailer

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/internal/platform/table"
)

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

func (w *world) mailer(t testing.TB, sender string) *Mailer {
	cfg := Settings{Sender: sender, PublicURL: "https://boardpack.example.com", UnsubscribeKey: "0123456789abcdef0123",
		UnsubscribeTTL: time.Hour}
	return &Mailer{
		tenants: tenants.Store{DB: w.db, Table: w.env.Names.Table},
		source:  readmodel.Store{DB: w.db, Table: w.env.Names.Table},
		store:   w.store, cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil)), now: time.Now, claimTTL: 30 * time.Second,
		sender: newSender(ses.NewFromConfig(w.env.AWS), sender, w.env.Names.ConfigurationSet, 0, time.Minute),
	}
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
			AttributeNames: []sqstypesName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
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

func TestReportDueForUnknownTenantIsPermanent(t *testing.T) {
	w := newWorld(t)
	m := w.mailer(t, testSender)
	err := m.deliver(context.Background(), due("no-such-tenant", messages.RoleCEO))
	if err == nil || !strings.Contains(err.Error(), bus.ErrPermanent.Error()) {
		t.Fatalf("deliver = %v, want a permanent error", err)
	}
}

// TestCrashBetweenSESAndRecord documents the unavoidable window: SES
// accepted, the process died before MarkSent. The claim expires (within
// the visibility timeout), the redelivery sends again, and the record
// shows two attempts (a possible duplicate) with the same Message-ID.
func TestCrashBetweenSESAndRecord(t *testing.T) {
	w := newWorld(t)
	clock := time.Now()
	w.store.Now = func() time.Time { return clock }
	m := w.mailer(t, testSender)
	m.store = w.store
	d := due(w.tenant.ID, messages.RoleCEO)
	m.afterSend = func(delivery.Send) error { return fmt.Errorf("simulated crash") }
	if err := m.deliver(context.Background(), d); err == nil {
		t.Fatal("the simulated crash did not surface")
	}
	m.afterSend = nil
	// Redelivered before the claim expires: nothing is sent.
	if err := m.deliver(context.Background(), d); err == nil {
		t.Fatal("a live claim must make the redelivery retry later")
	}
	if n := len(emailsFor(t, d.ReportID)); n != 1 {
		t.Fatalf("%d emails before the claim expired, want 1", n)
	}
	clock = clock.Add(m.claimTTL + time.Second)
	if err := m.deliver(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	got := emailsFor(t, d.ReportID)
	if len(got) != 2 {
		t.Fatalf("%d emails after the claim expired, want 2 (documented duplicate)", len(got))
	}
	if a, b := header(got[0].RawData, "Message-Id"), header(got[1].RawData, "Message-Id"); a == "" || a != b {
		t.Errorf("Message-IDs %q and %q differ; the duplicate must carry the same one", a, b)
	}
	rec, _, err := w.store.Get(context.Background(), w.tenant.ID, d.ReportID, "ceo@queen.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != delivery.StatusSent || !rec.PossibleDuplicate() {
		t.Fatalf("record = %+v, want sent with attempts > 1", rec)
	}
	// And a further delivery sends nothing more.
	if err := m.deliver(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if n := len(emailsFor(t, d.ReportID)); n != 2 {
		t.Fatalf("%d emails after a later redelivery, want still 2", n)
	}
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

// TestRejectedSendIsRecordedNotRetried: an unverified envelope sender is a
// permanent SES rejection.
func TestRejectedSendIsRecordedNotRetried(t *testing.T) {
	w := newWorld(t)
	m := w.mailer(t, "nobody@unverified.example.net")
	d := due(w.tenant.ID, messages.RoleCEO)
	if err := m.deliver(context.Background(), d); err != nil {
		t.Fatalf("a rejection must not be retried through the queue: %v", err)
	}
	rec, _, err := w.store.Get(context.Background(), w.tenant.ID, d.ReportID, "ceo@queen.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != delivery.StatusRejected || rec.Reason == "" {
		t.Fatalf("record = %+v, want rejected with a reason", rec)
	}
	if err := m.deliver(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if rec2, _, _ := w.store.Get(context.Background(), w.tenant.ID, d.ReportID, "ceo@queen.example.com"); rec2.Attempts != 1 {
		t.Fatalf("attempts = %d after a redelivery, want 1 (never retried)", rec2.Attempts)
	}
}

// TestSESEventsUpdateStatusOnceAndSuppress publishes AWS-shaped SES events
// on the ses-events topic (moto never fires them) through the running
// consumer.
func TestSESEventsUpdateStatusOnceAndSuppress(t *testing.T) {
	w := newWorld(t)
	m := w.mailer(t, testSender)
	d := due(w.tenant.ID, messages.RoleCFO)
	if err := m.deliver(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	rec, _, _ := w.store.Get(context.Background(), w.tenant.ID, d.ReportID, "cfo@queen.example.com")
	event := func(kind, body string) string {
		return fmt.Sprintf(`{"eventType":%q,"mail":{"timestamp":"2026-11-02T10:00:00.000Z","source":%q,"messageId":%q,"destination":["cfo@queen.example.com","books@queen.example.com","audit@queen.example.com"],"tags":{"tenant":[%q],"role":["cfo"],"report_id":[%q]}},%s}`,
			kind, testSender, rec.MessageID, w.tenant.ID, d.ReportID, body)
	}
	delivered := event("Delivery", `"delivery":{"timestamp":"2026-11-02T10:00:02.000Z","recipients":["cfo@queen.example.com","books@queen.example.com"]}`)
	bounce := event("Bounce", `"bounce":{"bounceType":"Permanent","bounceSubType":"General","timestamp":"2026-11-02T10:00:03.000Z","feedbackId":"fb1","bouncedRecipients":[{"emailAddress":"books@queen.example.com","diagnosticCode":"smtp; 550 5.1.1 user unknown"}]}`)
	complaint := event("Complaint", `"complaint":{"timestamp":"2026-11-02T11:00:00.000Z","feedbackId":"fb2","complaintFeedbackType":"abuse","complainedRecipients":[{"emailAddress":"cfo@queen.example.com"}]}`)

	h := &SESEvents{store: w.store, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub, err := bus.NewSubscriber(w.env.AWS, bus.SubscriberConfig{Queue: w.env.Names.Queue(resources.QueueMailerSESEvents), Workers: 1}, bus.Logger(h.log))
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := sub.Subscribe(ctx, w.env.Names.Queue(resources.QueueMailerSESEvents))
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for msg := range msgs {
			if err := h.Handle(msg); err != nil {
				msg.Nack()
				continue
			}
			msg.Ack()
		}
	}()
	snsc := sns.NewFromConfig(w.env.AWS)
	for _, body := range []string{delivered, delivered, bounce, bounce, complaint, delivered} {
		if _, err := snsc.Publish(context.Background(), &sns.PublishInput{TopicArn: aws.String(w.env.Resource.TopicARNs[messages.TopicSESEvents]), Message: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "statuses from SES events", 60*time.Second, func() bool {
		books, _, _ := w.store.Get(context.Background(), w.tenant.ID, d.ReportID, "books@queen.example.com")
		cfo, _, _ := w.store.Get(context.Background(), w.tenant.ID, d.ReportID, "cfo@queen.example.com")
		return books.Status == delivery.StatusBounced && cfo.Status == delivery.StatusComplained
	})
	queueDrained(t, w, resources.QueueMailerSESEvents)
	out, err := w.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(w.env.Names.Table),
		Key: table.Key(w.tenant.ID, table.SendSK(d.ReportID, "cfo@queen.example.com"))})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out.Item["events"].(*ddbSS).Value); n != 2 {
		t.Fatalf("cfo send applied %d events, want 2 (delivery + complaint, duplicates once)", n)
	}
	// A suppressed recipient gets nothing next time.
	next := due(w.tenant.ID, messages.RoleCFO)
	next.PeriodStart = next.PeriodStart.AddDate(0, -1, 0)
	next.PeriodEnd = next.PeriodStart.AddDate(0, 1, 0)
	next.ReportID = messages.ReportIDFor(w.tenant.ID, "cfo", next.PeriodStart, next.PeriodEnd)
	if err := m.deliver(context.Background(), next); err != nil {
		t.Fatal(err)
	}
	if n := len(emailsFor(t, next.ReportID)); n != 0 {
		t.Fatalf("%d emails to suppressed recipients, want 0", n)
	}
	for _, rcpt := range []string{"books@queen.example.com", "cfo@queen.example.com"} {
		r, _, _ := w.store.Get(context.Background(), w.tenant.ID, next.ReportID, rcpt)
		if r.Status != delivery.StatusSuppressed {
			t.Errorf("%s: status %q, want suppressed", rcpt, r.Status)
		}
	}
	_ = json.Valid
}

// TestShutdownLetsAnInFlightSendFinish: at shutdown the SQS subscriber
// cancels the contexts of the messages it handed out, while the router
// waits for their handlers. A report due already being handled must still
// be sent and recorded, not cut between the claim and SES.
func TestShutdownLetsAnInFlightSendFinish(t *testing.T) {
	w := newWorld(t)
	m := w.mailer(t, testSender)
	m.timeout = 30 * time.Second
	d := due(w.tenant.ID, messages.RoleCEO)
	msg, err := bus.NewMessage(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	msg.SetContext(ctx)
	cancel() // the subscriber closed
	if err := m.HandleReportDue(msg); err != nil {
		t.Fatalf("HandleReportDue after the subscriber's cancellation = %v, want the send to finish", err)
	}
	if n := len(emailsFor(t, d.ReportID)); n != 1 {
		t.Fatalf("%d emails, want 1", n)
	}
	rec, _, err := w.store.Get(context.Background(), w.tenant.ID, d.ReportID, "ceo@queen.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != delivery.StatusSent {
		t.Errorf("record = %+v, want sent", rec)
	}
}
