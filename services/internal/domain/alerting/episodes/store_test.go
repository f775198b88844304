package episodes

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/services/internal/domain/alerting"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

func TestMain(m *testing.M) { mototest.Main(m) }

func newStore(t *testing.T) Store {
	env := mototest.Bootstrap(t, resources.Spec{})
	return Store{DB: dynamodb.NewFromConfig(env.AWS), Table: env.Names.Table}
}

func compile(t *testing.T, r alerting.Rule) alerting.Compiled {
	t.Helper()
	c, err := alerting.Compile(r, "USD", "")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Concurrent workers applying duplicates of one fact create one firing.
func TestConcurrentDuplicatesCreateOneNotification(t *testing.T) {
	st := newStore(t)
	c := compile(t, alerting.Rule{Name: "dispute-opened", Metric: alerting.MetricDisputeOpened, Condition: alerting.Above, Threshold: "1.00"})
	now := time.Now().UTC()
	obs := alerting.Observation{Subject: "dp_1", At: now, Value: 5000, Currency: "USD"}
	var (
		mu    sync.Mutex
		notes []alerting.Notification
		wg    sync.WaitGroup
	)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, got, err := st.Update(context.Background(), "t1", c.Name, obs.Subject, now, func(ep alerting.Episode) (alerting.Episode, []alerting.Notification) {
				return alerting.Step(c, ep, obs, now, time.UTC)
			})
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			notes = append(notes, got...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(notes) != 1 || notes[0].Kind != alerting.KindFiring {
		t.Fatalf("notifications %+v, want one firing", notes)
	}
	cur, err := st.Get(context.Background(), "t1", c.Name, "dp_1")
	if err != nil || !cur.Open || cur.Seq != 1 || len(cur.Pending) != 1 {
		t.Fatalf("state %+v, %v", cur, err)
	}
}

// A rule over a window opens and closes an episode with a fake clock, and
// "resolved" is created once however many ticks race.
func TestWindowEpisodeOnMotoWithFakeClock(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	c := compile(t, alerting.Rule{Name: "lambda-errors", Metric: alerting.MetricLambdaErrorRate, Condition: alerting.Above, Threshold: "5", Window: "1h"})
	clock := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	apply := func(fn func(alerting.Episode) (alerting.Episode, []alerting.Notification)) []alerting.Notification {
		t.Helper()
		_, notes, err := st.Update(ctx, "t2", c.Name, "", clock, fn)
		if err != nil {
			t.Fatal(err)
		}
		return notes
	}
	observe := func(v int64) []alerting.Notification {
		return apply(func(ep alerting.Episode) (alerting.Episode, []alerting.Notification) {
			return alerting.Step(c, ep, alerting.Observation{At: clock, Value: v}, clock, time.UTC)
		})
	}
	tick := func() []alerting.Notification {
		return apply(func(ep alerting.Episode) (alerting.Episode, []alerting.Notification) {
			return alerting.Tick(c, ep, clock, time.UTC)
		})
	}
	if got := observe(900); len(got) != 1 || got[0].Kind != alerting.KindFiring {
		t.Fatalf("open: %+v", got)
	}
	clock = clock.Add(10 * time.Minute)
	if got := observe(100); len(got) != 0 {
		t.Fatalf("false observation notified: %+v", got)
	}
	clock = clock.Add(59 * time.Minute)
	if got := tick(); len(got) != 0 {
		t.Fatalf("closed early: %+v", got)
	}
	clock = clock.Add(time.Minute)
	var resolved int
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, notes, err := st.Update(ctx, "t2", c.Name, "", clock, func(ep alerting.Episode) (alerting.Episode, []alerting.Notification) {
				return alerting.Tick(c, ep, clock, time.UTC)
			})
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			resolved += len(notes)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if resolved != 1 {
		t.Fatalf("%d resolved notifications, want 1", resolved)
	}
	clock = clock.Add(time.Hour)
	if got := tick(); len(got) != 0 {
		t.Fatalf("resolved again: %+v", got)
	}
	hist, err := st.History(ctx, "t2", 0)
	if err != nil || len(hist) != 1 || hist[0].Open() || hist[0].Seq != 1 {
		t.Fatalf("history %+v, %v", hist, err)
	}
	list, err := st.List(ctx, "t2")
	if err != nil || len(list) != 1 || list[0].Open || len(list[0].Pending) != 2 {
		t.Fatalf("list %+v, %v", list, err)
	}
}

func TestSeenOnlyMovesForward(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	a := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for _, at := range []time.Time{a, a.Add(-time.Hour), a.Add(time.Minute), a} {
		if err := st.Seen(ctx, "t3", "stripe", at); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.LastSeen(ctx, "t3", "stripe")
	if err != nil || !got.Equal(a.Add(time.Minute)) {
		t.Fatalf("last seen %s, %v", got, err)
	}
	if never, _ := st.LastSeen(ctx, "t3", "aws"); !never.IsZero() {
		t.Fatalf("never seen = %s", never)
	}
}

func TestDeadWebhookFirstOnlyAndForget(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	for i, want := range []bool{true, false, false} {
		first, err := st.MarkDeadWebhook(ctx, "t4", "abc", "410 Gone")
		if err != nil || first != want {
			t.Fatalf("mark %d: first=%v err=%v, want %v", i, first, err, want)
		}
	}
	if dead, err := st.DeadWebhook(ctx, "t4", "abc"); err != nil || !dead {
		t.Fatalf("dead=%v %v", dead, err)
	}
	if dead, _ := st.DeadWebhook(ctx, "t4", "other"); dead {
		t.Fatal("another webhook reported dead")
	}
	c := compile(t, alerting.Rule{Name: "d", Metric: alerting.MetricDisputeOpened, Condition: alerting.Above, Threshold: "0"})
	now := time.Now().UTC()
	s1, _, err := st.Update(ctx, "t4", c.Name, "dp_1", now, func(ep alerting.Episode) (alerting.Episode, []alerting.Notification) {
		return alerting.Step(c, ep, alerting.Observation{Subject: "dp_1", At: now, Value: 5}, now, time.UTC)
	})
	if err != nil {
		t.Fatal(err)
	}
	// A stale version forgets nothing; the current one does.
	if err := st.Forget(ctx, "t4", c.Name, "dp_1", s1.Version-1); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Get(ctx, "t4", c.Name, "dp_1"); got.Version != s1.Version {
		t.Fatalf("forgot with a stale version: %+v", got)
	}
	if err := st.Forget(ctx, "t4", c.Name, "dp_1", s1.Version); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Get(ctx, "t4", c.Name, "dp_1"); got.Version != 0 {
		t.Fatalf("not forgotten: %+v", got)
	}
	if h, _ := st.History(ctx, "t4", 0); len(h) != 1 {
		t.Fatalf("history lost with the state: %+v", h)
	}
}
