package alerting

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

func mustCompile(t *testing.T, r Rule, quiet string) Compiled {
	t.Helper()
	c, err := Compile(r, "USD", quiet)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDefaultsCompile(t *testing.T) {
	names := map[string]bool{}
	for _, r := range Defaults() {
		if _, err := Compile(r, "USD", ""); err != nil {
			t.Errorf("default %s: %v", r.Name, err)
		}
		names[r.Metric] = true
	}
	for _, m := range []string{MetricPayoutFailed, MetricDisputeOpened, MetricRefundsTodayPct, MetricMRRChurnDay,
		MetricLambdaErrorRate, MetricCostForecast, MetricCriticalFinding, MetricSourceStale} {
		if !names[m] {
			t.Errorf("no default rule watches %s", m)
		}
	}
}

func TestCompileRefusesBadRulesNamingRuleAndField(t *testing.T) {
	cases := map[string]struct {
		r    Rule
		want []string
	}{
		"unknown metric":  {Rule{Name: "x", Metric: "revenue.vibes", Condition: Above, Threshold: "1"}, []string{"alerts.rules[x].metric", "unknown metric"}},
		"unknown role":    {Rule{Name: "x", Metric: MetricPayoutFailed, Condition: Above, Threshold: "1", Recipients: []string{"janitor"}}, []string{"alerts.rules[x].recipients[0]"}},
		"unknown channel": {Rule{Name: "x", Metric: MetricPayoutFailed, Condition: Above, Threshold: "1", Channels: []string{"pager"}}, []string{"alerts.rules[x].channels[0]"}},
		"negative window": {Rule{Name: "x", Metric: MetricPayoutFailed, Condition: Above, Threshold: "1", Window: "-1h"}, []string{"alerts.rules[x].window", "positive"}},
		"bad quiet hours": {Rule{Name: "x", Metric: MetricPayoutFailed, Condition: Above, Threshold: "1", QuietHours: "22-7"}, []string{"alerts.rules[x].quiet_hours"}},
		"bad condition":   {Rule{Name: "x", Metric: MetricPayoutFailed, Condition: "over", Threshold: "1"}, []string{"alerts.rules[x].condition"}},
		"bad threshold":   {Rule{Name: "x", Metric: MetricPayoutFailed, Condition: Above, Threshold: "1.234"}, []string{"alerts.rules[x].threshold"}},
		"pct decimals":    {Rule{Name: "x", Metric: MetricLambdaErrorRate, Condition: Above, Threshold: "2.555%"}, []string{"alerts.rules[x].threshold"}},
		"change per item": {Rule{Name: "x", Metric: MetricDisputeOpened, Condition: ChangePct, Threshold: "10"}, []string{"alerts.rules[x].condition"}},
		"stale no source": {Rule{Name: "x", Metric: MetricSourceStale, Condition: Above, Threshold: "2"}, []string{"alerts.rules[x].source"}},
		"bad name":        {Rule{Name: "Bad Name", Metric: MetricPayoutFailed, Condition: Above, Threshold: "1"}, []string{"alerts.rules[Bad Name].name"}},
	}
	for name, c := range cases {
		_, err := Compile(c.r, "USD", "")
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v does not mention %q", name, err, w)
			}
		}
	}
}

func TestThresholdUnits(t *testing.T) {
	for _, c := range []struct {
		r    Rule
		want int64
	}{
		{Rule{Name: "a", Metric: MetricDisputeOpened, Condition: Above, Threshold: "12.50"}, 1250},
		{Rule{Name: "a", Metric: MetricLambdaErrorRate, Condition: Above, Threshold: "2.5%"}, 250},
		{Rule{Name: "a", Metric: MetricMRR, Condition: ChangePct, Threshold: "10"}, 1000},
		{Rule{Name: "a", Metric: MetricSourceStale, Condition: Above, Threshold: "6", Source: "aws"}, 6},
	} {
		if got := mustCompile(t, c.r, "").Threshold; got != c.want {
			t.Errorf("%s %s: threshold %d, want %d", c.r.Metric, c.r.Threshold, got, c.want)
		}
	}
}

func TestEffectiveReplacesDefaultsByName(t *testing.T) {
	mine := Rule{Name: "dispute-opened", Metric: MetricDisputeOpened, Condition: Above, Threshold: "5"}
	rules := Effective([]Rule{mine}, true)
	n := 0
	for _, r := range rules {
		if r.Name == "dispute-opened" {
			n++
			if r.Threshold != "5" {
				t.Errorf("default kept over the tenant's rule")
			}
		}
	}
	if n != 1 || len(rules) != len(Defaults()) {
		t.Errorf("got %d dispute rules in %d rules", n, len(rules))
	}
	if got := Effective([]Rule{mine}, false); len(got) != 1 {
		t.Errorf("defaults: false kept %d rules", len(got))
	}
}

var t0 = time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC) // 10:00 in New York

func ny() *time.Location {
	loc, _ := time.LoadLocation("America/New_York")
	return loc
}

type step struct {
	obs  *Observation // nil: a tick
	now  time.Duration
	want []string // kinds
}

func run(t *testing.T, c Compiled, steps []step) Episode {
	t.Helper()
	var ep Episode
	for i, s := range steps {
		var got []Notification
		if s.obs != nil {
			ep, got = Step(c, ep, *s.obs, t0.Add(s.now), ny())
		} else {
			ep, got = Tick(c, ep, t0.Add(s.now), ny())
		}
		var kinds []string
		for _, n := range got {
			kinds = append(kinds, n.Kind)
			if !n.Held {
				ep = ep.Done(n.ID) // sent
			}
		}
		if strings.Join(kinds, ",") != strings.Join(s.want, ",") {
			t.Fatalf("step %d: notified %v, want %v (episode %+v)", i, kinds, s.want, ep)
		}
	}
	return ep
}

func obs(at time.Duration, v int64) *Observation { return &Observation{At: t0.Add(at), Value: v} }

func TestEpisodeOpensAndClosesOverWindow(t *testing.T) {
	c := mustCompile(t, Rule{Name: "err", Metric: MetricLambdaErrorRate, Condition: Above, Threshold: "5", Window: "1h"}, "")
	ep := run(t, c, []step{
		{obs(0, 100), 0, nil}, // 1 %: fine
		{obs(5*time.Minute, 900), 5 * time.Minute, []string{KindFiring}}, // 9 %
		{obs(10*time.Minute, 1200), 10 * time.Minute, nil},               // still open, no repeat
		{obs(20*time.Minute, 100), 20 * time.Minute, nil},                // false: closing starts
		{nil, 79 * time.Minute, nil},                                     // 59 min false
		{obs(30*time.Minute, 800), 79 * time.Minute, nil},                // a late true (older than false-since? no: newer) keeps it open
		{nil, 140 * time.Minute, nil},
		{obs(85*time.Minute, 100), 85 * time.Minute, nil},
		{nil, 144 * time.Minute, nil},
		{nil, 145 * time.Minute, []string{KindResolved}},
		{nil, 200 * time.Minute, nil},                                        // resolved once
		{obs(20*time.Minute, 900), 201 * time.Minute, nil},                   // a late fact of the closed episode
		{obs(210*time.Minute, 900), 210 * time.Minute, []string{KindFiring}}, // a new episode
	})
	if ep.Seq != 2 || !ep.Open {
		t.Fatalf("episode %+v, want the second open", ep)
	}
}

func TestRepeatAtMostOncePerInterval(t *testing.T) {
	c := mustCompile(t, Rule{Name: "err", Metric: MetricLambdaErrorRate, Condition: Above, Threshold: "5", Repeat: "1h"}, "")
	run(t, c, []step{
		{obs(0, 900), 0, []string{KindFiring}},
		{obs(30*time.Minute, 900), 30 * time.Minute, nil},
		{nil, 59 * time.Minute, nil},
		{nil, 60 * time.Minute, []string{KindRepeat}},
		{obs(61*time.Minute, 900), 61 * time.Minute, nil},
		{nil, 90 * time.Minute, nil},
		{nil, 120 * time.Minute, []string{KindRepeat}},
	})
}

func TestPointEventClosesWindowAfterLast(t *testing.T) {
	c := mustCompile(t, Rule{Name: "payout", Metric: MetricPayoutFailed, Condition: Above, Threshold: "0", Window: "24h"}, "")
	run(t, c, []step{
		{&Observation{Subject: "po_1", At: t0, Value: 5000}, 0, []string{KindFiring}},
		{&Observation{Subject: "po_1", At: t0, Value: 5000}, time.Hour, nil},
		{nil, 23 * time.Hour, nil},
		{nil, 24 * time.Hour, []string{KindResolved}},
		{&Observation{Subject: "po_1", At: t0, Value: 5000}, 25 * time.Hour, nil},
	})
}

func TestBackfilledOldFactNeverAlerts(t *testing.T) {
	c := mustCompile(t, Rule{Name: "d", Metric: MetricDisputeOpened, Condition: Above, Threshold: "0"}, "")
	run(t, c, []step{{&Observation{Subject: "dp_1", At: t0.Add(-90 * 24 * time.Hour), Value: 100}, 0, nil}})
}

// Any order and any duplication of a dispute's facts gives one firing and
// one resolved, never more.
func TestDuplicatedReorderedFactsNeverAlertTwice(t *testing.T) {
	c := mustCompile(t, Rule{Name: "d", Metric: MetricDisputeOpened, Condition: Above, Threshold: "10.00", Window: "1h"}, "")
	facts := []Observation{
		{Subject: "dp_1", At: t0, Value: 5000},                       // opened
		{Subject: "dp_1", At: t0.Add(10 * time.Minute), Value: 5000}, // updated (evidence)
		{Subject: "dp_1", At: t0.Add(20 * time.Minute), Value: 0},    // won
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 500; trial++ {
		var seq []Observation
		for _, f := range facts {
			for k := 0; k <= rng.IntN(3); k++ {
				seq = append(seq, f)
			}
		}
		rng.Shuffle(len(seq), func(i, j int) { seq[i], seq[j] = seq[j], seq[i] })
		var ep Episode
		counts := map[string]int{}
		now := t0.Add(25 * time.Minute)
		for _, o := range seq {
			var got []Notification
			ep, got = Step(c, ep, o, now, ny())
			for _, n := range got {
				counts[n.Kind]++
			}
			now = now.Add(time.Minute)
			var more []Notification
			ep, more = Tick(c, ep, now, ny())
			for _, n := range more {
				counts[n.Kind]++
			}
		}
		for _, h := range []time.Duration{time.Hour, 2 * time.Hour, 3 * time.Hour} {
			var more []Notification
			ep, more = Tick(c, ep, now.Add(h), ny())
			for _, n := range more {
				counts[n.Kind]++
			}
		}
		// Delivered again after the close: nothing.
		for _, o := range seq {
			var got []Notification
			ep, got = Step(c, ep, o, now.Add(4*time.Hour), ny())
			for _, n := range got {
				counts[n.Kind]++
			}
		}
		if counts[KindFiring] > 1 || counts[KindResolved] > counts[KindFiring] || counts[KindRepeat] != 0 {
			t.Fatalf("trial %d: %v for %v", trial, counts, seq)
		}
		// The open fact is true; if it is seen at all, an episode opens.
		if counts[KindFiring] != 1 || counts[KindResolved] != 1 || ep.Seq != 1 {
			t.Fatalf("trial %d: %v seq %d, want one firing and one resolved", trial, counts, ep.Seq)
		}
	}
}

func TestQuietHoursHoldNonCriticalAndLetCriticalThrough(t *testing.T) {
	// 23:30 in New York.
	night := time.Date(2026, 12, 8, 4, 30, 0, 0, time.UTC)
	for _, sev := range []string{messages.SeverityHigh, messages.SeverityCritical} {
		c := mustCompile(t, Rule{Name: "d", Metric: MetricDisputeOpened, Condition: Above, Threshold: "0", Severity: sev}, "22:00-07:00")
		ep, got := Step(c, Episode{}, Observation{Subject: "dp_1", At: night, Value: 100}, night, ny())
		if len(got) != 1 {
			t.Fatalf("%s: %d notifications", sev, len(got))
		}
		due := ep.Due(night)
		if sev == messages.SeverityCritical {
			if len(due) != 1 || got[0].Held {
				t.Errorf("critical held in quiet hours: %+v", got[0])
			}
			continue
		}
		if len(due) != 0 || !got[0].Held {
			t.Errorf("non-critical sent in quiet hours: %+v", got[0])
		}
		wantDue := time.Date(2026, 12, 8, 12, 0, 0, 0, time.UTC) // 07:00 EST
		if !got[0].Due.Equal(wantDue) {
			t.Errorf("held until %s, want %s", got[0].Due, wantDue)
		}
		if len(ep.Due(wantDue)) != 1 {
			t.Errorf("not due after quiet hours")
		}
		if ep = ep.Done(got[0].ID); len(ep.Pending) != 0 {
			t.Errorf("Done kept %v", ep.Pending)
		}
	}
}

func TestQuietHoursAcrossDST(t *testing.T) {
	q, err := ParseQuietHours("22:00-07:00")
	if err != nil {
		t.Fatal(err)
	}
	// The night of 2026-11-01 in New York falls back at 02:00.
	at := time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC) // 23:00 EDT on Oct 31
	end := q.EndAfter(at, ny())
	if want := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC); !end.Equal(want) { // 07:00 EST
		t.Errorf("end %s, want %s", end, want)
	}
	if q.Contains(end, ny()) || !q.Contains(at, ny()) {
		t.Errorf("contains wrong")
	}
	if _, err := ParseQuietHours("25:00-07:00"); err == nil {
		t.Errorf("accepted 25:00")
	}
}

func TestNotificationIDsAreStable(t *testing.T) {
	c := mustCompile(t, Rule{Name: "d", Metric: MetricDisputeOpened, Condition: Above, Threshold: "0"}, "")
	_, a := Step(c, Episode{}, Observation{Subject: "dp_1", At: t0, Value: 1}, t0, ny())
	_, b := Step(c, Episode{}, Observation{Subject: "dp_1", At: t0.Add(time.Minute), Value: 2}, t0.Add(time.Hour), ny())
	if a[0].ID != b[0].ID {
		t.Errorf("ids %s and %s for the same episode", a[0].ID, b[0].ID)
	}
}

func TestLostDisputeEndsItsEpisode(t *testing.T) {
	c := mustCompile(t, Rule{Name: "d", Metric: MetricDisputeOpened, Condition: Above, Threshold: "0"}, "")
	e := messages.MetricEvent{Header: messages.Header{EventID: "e", TenantID: "a", OccurredAt: t0}, Metric: messages.MetricDisputesAtStake,
		Kind: messages.KindState, Entity: "dp_1", Value: 500, Version: t0.Unix(), Currency: "USD"}
	if o, ok := FromFact(c, "USD", e); !ok || o.Value != 500 || o.Subject != "dp_1" {
		t.Fatalf("open: %+v %v", o, ok)
	}
	e.Version += finalVersion // lost: the amount stays, the dispute is over
	if o, _ := FromFact(c, "USD", e); o.Value != 0 {
		t.Fatalf("lost dispute observed as %d, want 0 (closed)", o.Value)
	}
	e.Currency = "EUR"
	c2 := mustCompile(t, Rule{Name: "d", Metric: MetricDisputeOpened, Condition: Above, Threshold: "10.00"}, "")
	if _, ok := FromFact(c2, "USD", e); ok {
		t.Fatal("compared a EUR amount with a USD threshold")
	}
}

// Once a closed per-entity state is forgotten, its facts still cannot
// reopen it: they are older than any fact that may open an episode.
func TestForgottenEpisodeStaysClosed(t *testing.T) {
	c := mustCompile(t, Rule{Name: "d", Metric: MetricDisputeOpened, Condition: Above, Threshold: "0", Window: "1h"}, "")
	open := Observation{Subject: "dp_1", At: t0, Value: 100}
	won := Observation{Subject: "dp_1", At: t0.Add(time.Minute), Value: 0}
	ep, _ := Step(c, Episode{}, open, t0, ny())
	ep, _ = Step(c, ep, won, t0.Add(time.Minute), ny())
	ep, _ = Tick(c, ep, t0.Add(2*time.Hour), ny())
	for _, n := range ep.Pending {
		ep = ep.Done(n.ID)
	}
	if Forgettable(c, ep, t0.Add(3*time.Hour)) {
		t.Fatal("forgettable while a late fact could still reopen it")
	}
	later := t0.Add(2*time.Hour + maxFactAge(c) + time.Minute)
	if !Forgettable(c, ep, later) {
		t.Fatalf("not forgettable at %s: %+v", later, ep)
	}
	if _, got := Step(c, Episode{}, open, later, ny()); len(got) != 0 {
		t.Fatalf("a forgotten episode reopened: %+v", got)
	}
}
