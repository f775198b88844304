package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/schedule"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

func TestMain(m *testing.M) { mototest.Main(m) }

var testLog = slog.New(slog.NewTextHandler(io.Discard, nil))

func init() {
	if os.Getenv("SCHEDULER_TEST_LOG") != "" {
		testLog = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
}

// rig is one test's resources: a tenant table, the report-due topic and the
// mailer's queue, where the report dues are counted.
type rig struct {
	t     testing.TB
	env   mototest.Env
	db    *dynamodb.Client
	sqs   *sqs.Client
	queue string
	pub   *bus.Publisher
	clock *schedule.FakeClock
	store tenants.Store
}

func newRig(t testing.TB, start time.Time) *rig {
	t.Helper()
	env := mototest.Bootstrap(t, resources.Spec{})
	pub, err := bus.NewPublisher(env.AWS, env.Names, env.Account, bus.Logger(testLog))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pub.Close() })
	db := dynamodb.NewFromConfig(env.AWS)
	return &rig{
		t: t, env: env, db: db, sqs: sqs.NewFromConfig(env.AWS),
		queue: env.Resource.QueueURLs[resources.QueueMailerReportDue],
		pub:   pub, clock: schedule.NewFakeClock(start),
		store: tenants.Store{DB: db, Table: env.Names.Table},
	}
}

func testTenant(id, zone string, scheds ...tenants.Schedule) tenants.Tenant {
	return tenants.Tenant{
		ID: id, Name: "Test " + id, Timezone: zone, Currency: "USD",
		Stripe:     tenants.Stripe{WebhookSecrets: []string{"whsec_test"}},
		Email:      tenants.Email{From: "Reports <reports@boardpack.example.com>"},
		Recipients: map[string][]string{"ceo": {"ceo@example.com"}},
		Schedules:  scheds,
	}
}

func (r *rig) apply(ts ...tenants.Tenant) {
	r.t.Helper()
	if err := r.store.Apply(context.Background(), tenants.File{Tenants: ts}); err != nil {
		r.t.Fatal(err)
	}
}

// replica is a scheduler as a fresh process would build it.
func (r *rig) replica(owner string, pub publisher) *Scheduler {
	if pub == nil {
		pub = r.pub
	}
	return &Scheduler{
		Tenants:    r.store,
		Portfolios: r.store,
		Store:      store{db: r.db, table: r.env.Names.Table},
		Publisher:  pub,
		Clock:      r.clock,
		Log:        testLog.With("replica", owner),
		Metrics:    NewMetrics(nil),
		Owner:      owner,
		Catchup:    24 * time.Hour,
		Lease:      time.Minute,
		Late:       30 * time.Second,
	}
}

// passAll runs one pass of every replica at the same time.
func (r *rig) passAll(reps ...*Scheduler) {
	r.t.Helper()
	// The replicas' passes interleave one after another, in a random
	// order each time, not at the same instant: moto does not serialise
	// concurrent conditional writes to one item (two racing claims can both
	// succeed there, never on DynamoDB), which made a simultaneous version
	// of these tests fail now and then for moto's reason, not ours. What
	// the tests prove is that each replica sees the others' records and
	// claims, in either order; DynamoDB's conditional writes make the
	// simultaneous case the same.
	order := rand.Perm(len(reps))
	for _, i := range order {
		if _, err := reps[i].Pass(context.Background()); err != nil {
			r.t.Fatal(err)
		}
	}
}

// drain receives and deletes every report due on the mailer's queue.
func (r *rig) drain() []messages.ReportDue {
	r.t.Helper()
	ctx := context.Background()
	var out []messages.ReportDue
	empty := 0
	for empty < 2 {
		res, err := r.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(r.queue), MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 30,
		})
		if err != nil {
			r.t.Fatal(err)
		}
		if len(res.Messages) == 0 {
			empty++
			continue
		}
		empty = 0
		for _, m := range res.Messages {
			var d messages.ReportDue
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &d); err != nil {
				r.t.Fatalf("queue body is not a report due: %v: %s", err, aws.ToString(m.Body))
			}
			if err := d.Validate(); err != nil {
				r.t.Fatalf("invalid report due on the queue: %v", err)
			}
			out = append(out, d)
			if _, err := r.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(r.queue), ReceiptHandle: m.ReceiptHandle}); err != nil {
				r.t.Fatal(err)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DueAt.Before(out[j].DueAt) })
	return out
}

func dueTimes(ds []messages.ReportDue) []string {
	var s []string
	for _, d := range ds {
		s = append(s, d.DueAt.UTC().Format(time.RFC3339))
	}
	return s
}

// TestTwoReplicasOncePerMinute: a tenant with "* * * * *" and period
// interval, two replicas passing concurrently every 20 s of a clock that
// walks eight minutes (through the Los Angeles fall-back change), one of
// them restarted half way: exactly one report due per minute.
func TestTwoReplicasOncePerMinute(t *testing.T) {
	start := time.Date(2024, 11, 3, 8, 57, 30, 0, time.UTC) // 01:57:30 PDT
	r := newRig(t, start)
	r.apply(testTenant("every-minute", "America/Los_Angeles",
		tenants.Schedule{Role: "ceo", Cron: "* * * * *", Period: "interval"}))

	a, b := r.replica("a", nil), r.replica("b", nil)
	r.passAll(a, b) // both see the tenant for the first time: it starts now
	for step := 1; step <= 24; step++ {
		r.clock.Advance(20 * time.Second)
		if step == 12 {
			b = r.replica("b-restarted", nil) // a new process: no memory
		}
		r.passAll(a, b)
	}
	end := r.clock.Now() // 09:05:30Z

	got := r.drain()
	var want []string
	for m := start.Truncate(time.Minute).Add(time.Minute); !m.After(end); m = m.Add(time.Minute) {
		want = append(want, m.Format(time.RFC3339))
	}
	if g, w := dueTimes(got), want; len(g) != len(w) || !equal(g, w) {
		t.Fatalf("report dues at\n got %v\nwant %v (one per minute)", g, w)
	}
	ids := map[string]bool{}
	for i, d := range got {
		if ids[d.ReportID] {
			t.Errorf("report id %s twice", d.ReportID)
		}
		ids[d.ReportID] = true
		if d.TenantID != "every-minute" || d.Role != "ceo" || d.PeriodKind != "interval" {
			t.Errorf("report due %+v", d)
		}
		if !d.PeriodEnd.Equal(d.DueAt) || d.PeriodEnd.Sub(d.PeriodStart) != time.Minute {
			t.Errorf("period [%s, %s) of the firing at %s", d.PeriodStart, d.PeriodEnd, d.DueAt)
		}
		if i > 0 && !d.PeriodStart.Equal(got[i-1].PeriodEnd) {
			t.Errorf("gap or overlap between %s and %s", got[i-1].PeriodEnd, d.PeriodStart)
		}
	}
	fired := testutil.ToFloat64(a.Metrics.fired) + testutil.ToFloat64(b.Metrics.fired)
	if fired == 0 {
		t.Error("no replica counted a firing")
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// recorder passes report dues on and remembers their order.
type recorder struct {
	next publisher
	mu   sync.Mutex
	due  []time.Time
}

func (p *recorder) Publish(ctx context.Context, topic string, events ...messages.Event) error {
	if err := p.next.Publish(ctx, topic, events...); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range events {
		p.due = append(p.due, e.(messages.ReportDue).DueAt)
	}
	return nil
}

// TestCatchUpAfterDowntime: ten hours down with a three-hour catch-up
// window: the three most recent hourly reports are sent, newest first; the
// seven older ones are counted as too old and not sent.
func TestCatchUpAfterDowntime(t *testing.T) {
	start := time.Date(2024, 3, 31, 0, 30, 0, 0, time.UTC) // Berlin, before the spring change
	r := newRig(t, start)
	r.apply(testTenant("hourly", "Europe/Berlin",
		tenants.Schedule{Role: "cto", Cron: "0 * * * *", Period: "interval"}))
	rec := &recorder{next: r.pub}
	s := r.replica("a", rec)
	s.Catchup = 3 * time.Hour
	r.passAll(s)

	r.clock.Advance(10 * time.Hour) // down from 00:30Z to 10:30Z
	s = r.replica("a-after-downtime", rec)
	s.Catchup = 3 * time.Hour
	r.passAll(s)

	got := r.drain()
	want := []string{"2024-03-31T08:00:00Z", "2024-03-31T09:00:00Z", "2024-03-31T10:00:00Z"}
	if !equal(dueTimes(got), want) {
		t.Fatalf("caught up %v, want %v", dueTimes(got), want)
	}
	for i := 1; i < len(rec.due); i++ {
		if !rec.due[i].Before(rec.due[i-1]) {
			t.Fatalf("published in order %v, want newest first", rec.due)
		}
	}
	if v := testutil.ToFloat64(s.Metrics.skippedTooOld); v != 7 {
		t.Errorf("skipped too old = %v, want 7 (01:00Z to 07:00Z)", v)
	}
	if v := testutil.ToFloat64(s.Metrics.caughtUp); v != 3 {
		t.Errorf("caught up = %v, want 3", v)
	}
	// A restart right after changes nothing.
	r.passAll(r.replica("a-again", nil))
	if more := r.drain(); len(more) != 0 {
		t.Fatalf("a restart sent again: %v", dueTimes(more))
	}
}

// failing refuses every publish, like SNS being unreachable.
type failing struct{}

func (failing) Publish(context.Context, string, ...messages.Event) error {
	return errors.New("sns unreachable")
}

// TestFailedPublishRepublished: the replica that wrote the record cannot
// publish; the next pass of another replica publishes it, once.
func TestFailedPublishRepublished(t *testing.T) {
	start := time.Date(2024, 5, 6, 5, 59, 50, 0, time.UTC)
	r := newRig(t, start)
	r.apply(testTenant("weekly", "Europe/Berlin",
		tenants.Schedule{Role: "cfo", Cron: "0 8 * * 1", Period: "previous_week"}))
	a := r.replica("a", failing{})
	r.passAll(a)
	r.clock.Advance(20 * time.Second) // 08:00:10 Berlin: the firing
	r.passAll(a)
	// The failed publish releases the claim, so the same pass's repair
	// tries once more (and fails again).
	if v := testutil.ToFloat64(a.Metrics.publishFailures); v < 1 {
		t.Fatalf("publish failures = %v, want at least 1", v)
	}
	if got := r.drain(); len(got) != 0 {
		t.Fatalf("a failed publish delivered %d report dues", len(got))
	}
	b, c := r.replica("b", nil), r.replica("c", nil)
	r.clock.Advance(5 * time.Second)
	r.passAll(b, c)
	got := r.drain()
	if len(got) != 1 || got[0].DueAt.Format(time.RFC3339) != "2024-05-06T06:00:00Z" {
		t.Fatalf("after repair: %v, want the 06:00Z report once", dueTimes(got))
	}
	if d := got[0]; d.PeriodStart.Format(time.RFC3339) != "2024-04-28T22:00:00Z" || d.PeriodEnd.Format(time.RFC3339) != "2024-05-05T22:00:00Z" {
		t.Errorf("period [%s, %s), want the ISO week before", d.PeriodStart, d.PeriodEnd)
	}
	r.clock.Advance(2 * time.Minute)
	r.passAll(a, b, c)
	if more := r.drain(); len(more) != 0 {
		t.Fatalf("published again: %v", dueTimes(more))
	}
}

// TestCrashBetweenWriteAndPublish: a replica wrote the record and died
// before publishing. Its claim keeps the others off until the lease ends;
// then exactly one of two replicas publishes it.
func TestCrashBetweenWriteAndPublish(t *testing.T) {
	start := time.Date(2024, 2, 29, 16, 59, 0, 0, time.UTC)
	r := newRig(t, start)
	tn := testTenant("leap", "America/Los_Angeles",
		tenants.Schedule{Role: "ceo", Cron: "0 9 29 2 *", Period: "month_to_date"})
	r.apply(tn)
	a, b := r.replica("a", nil), r.replica("b", nil)
	r.passAll(a, b)

	// The crashed replica's last act: the record of the 09:00 PST firing.
	r.clock.Set(time.Date(2024, 2, 29, 17, 0, 1, 0, time.UTC))
	scheds, err := schedule.ForTenant(tn)
	if err != nil {
		t.Fatal(err)
	}
	f, err := scheds[0].FiringAt(time.Date(2024, 2, 29, 17, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	created, err := a.Store.create(context.Background(), f, r.clock.Now(), time.Minute, "crashed")
	if err != nil || !created {
		t.Fatalf("create = %v, %v", created, err)
	}

	r.clock.Advance(10 * time.Second)
	r.passAll(a, b)
	if got := r.drain(); len(got) != 0 {
		t.Fatalf("published during the crashed replica's lease: %v", dueTimes(got))
	}
	// The first replica to pass finds the record; the second may find it
	// too, or skip the firing because the first moved the tenant's cursor.
	if v := testutil.ToFloat64(a.Metrics.alreadyWritten) + testutil.ToFloat64(b.Metrics.alreadyWritten); v < 1 || v > 2 {
		t.Errorf("already written = %v, want 1 or 2 (a replica found the record)", v)
	}
	r.clock.Advance(time.Minute)
	r.passAll(a, b)
	got := r.drain()
	if len(got) != 1 || got[0].ReportID != f.ReportID {
		t.Fatalf("after the lease: %v, want %s once", got, f.ReportID)
	}
	if v := testutil.ToFloat64(a.Metrics.republished) + testutil.ToFloat64(b.Metrics.republished); v != 1 {
		t.Errorf("republished = %v, want 1", v)
	}
	if d := got[0]; d.PeriodStart.Format(time.RFC3339) != "2024-02-01T08:00:00Z" || !d.PeriodEnd.Equal(d.DueAt) {
		t.Errorf("month to date [%s, %s)", d.PeriodStart, d.PeriodEnd)
	}
}

// TestScheduleChangeWithoutRestart: the tenant moves its weekly report from
// 08:00 to 09:00 after 08:00 fired; the running replica picks the change up
// and does not send the same week again, and a schedule added later fires.
func TestScheduleChangeWithoutRestart(t *testing.T) {
	start := time.Date(2024, 5, 6, 5, 59, 0, 0, time.UTC) // Monday 07:59 Berlin
	r := newRig(t, start)
	r.apply(testTenant("changer", "Europe/Berlin",
		tenants.Schedule{Role: "ceo", Cron: "0 8 * * 1", Period: "previous_week"}))
	s := r.replica("a", nil)
	r.passAll(s)
	r.clock.Advance(2 * time.Minute) // 08:01
	r.passAll(s)
	if got := r.drain(); len(got) != 1 {
		t.Fatalf("08:00: %d report dues, want 1", len(got))
	}
	r.apply(testTenant("changer", "Europe/Berlin",
		tenants.Schedule{Role: "ceo", Cron: "0 9 * * 1", Period: "previous_week"},
		tenants.Schedule{Role: "cfo", Cron: "30 9 * * *", Period: "month_to_date"}))
	r.clock.Advance(time.Hour) // 09:01
	r.passAll(s)
	if got := r.drain(); len(got) != 0 {
		t.Fatalf("09:00 after the change sent %d, want 0 (same week already sent)", len(got))
	}
	if v := testutil.ToFloat64(s.Metrics.alreadyWritten); v != 1 {
		t.Errorf("already written = %v, want 1", v)
	}
	r.clock.Advance(30 * time.Minute) // 09:31
	r.passAll(s)
	got := r.drain()
	if len(got) != 1 || got[0].Role != "cfo" || got[0].PeriodKind != "month_to_date" {
		t.Fatalf("09:30: %+v, want the new cfo schedule's report", got)
	}
}

// TestDeletedTenantStops: `reportctl tenants delete` stops the tenant's
// schedules at the next pass; `tenants restore` resumes them.
func TestDeletedTenantStops(t *testing.T) {
	start := time.Date(2024, 5, 6, 7, 59, 0, 0, time.UTC)
	r := newRig(t, start)
	r.apply(testTenant("gone", "UTC", tenants.Schedule{Role: "ceo", Cron: "0 * * * *", Period: "interval"}),
		testTenant("stays", "UTC", tenants.Schedule{Role: "ceo", Cron: "0 * * * *", Period: "interval"}))
	s := r.replica("a", nil)
	r.passAll(s)
	if err := r.store.Delete(context.Background(), "gone", r.clock.Now()); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(2 * time.Minute) // 08:01
	r.passAll(s)
	got := r.drain()
	if len(got) != 1 || got[0].TenantID != "stays" {
		t.Fatalf("08:00 with one tenant deleted: %+v, want only stays's report", got)
	}
	if err := r.store.Restore(context.Background(), "gone"); err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(time.Hour) // 09:01
	r.passAll(s)
	tenantsDue := map[string]bool{}
	for _, d := range r.drain() {
		tenantsDue[d.TenantID] = true
	}
	if !tenantsDue["gone"] || !tenantsDue["stays"] {
		t.Fatalf("09:00 after restore: report dues for %v, want both tenants", tenantsDue)
	}
}
