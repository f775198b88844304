package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/e2e/stack"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/platform/awsconf"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
)

// TestChaos delivers every signed Stripe event three times in random order
// while the aggregator and the mailer are killed with SIGKILL at random
// moments and AWS (moto) stops answering for 10 s, then compares the read
// model with the ledger of what was sent and counts the emails: 0 events
// lost, 0 counted twice, each due report sent once.
//
// Size: BOARDPACK_CHAOS_EVENTS distinct events (default 120, sized for CI
// on moto; `make chaos` runs 1,000).
func TestChaos(t *testing.T) {
	mototest.Endpoint(t) // skips under -short
	n := 120
	if v := os.Getenv("BOARDPACK_CHAOS_EVENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 10 {
			t.Fatalf("BOARDPACK_CHAOS_EVENTS=%q: want a number >= 10", v)
		}
	}
	moto, err := mototest.StartMotoProcess()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(moto.Stop)
	// One mailer worker: moto does not serialise concurrent conditional
	// writes to one item (AWS does), which would let two workers both win
	// a claim; see services/internal/domain/delivery.
	s := stack.Start(t, "AWS_ENDPOINT_URL="+moto.Endpoint, "BOARDPACK_MAILER_WORKERS=1")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	t.Logf("chaos: %d events, seed printed by time; moto %s", n, moto.Endpoint)

	// The ledger: charges and partial refunds for two tenants.
	type delivery struct {
		tenant, secret string
		event          map[string]any
	}
	tenantsUsed := []struct{ id, secret string }{
		{"queen-of-san-diego", "whsec_demo_queen_of_san_diego"},
		{"jada", "whsec_demo_jada"},
	}
	gross := map[string]int64{}
	refunded := map[string]int64{}
	charges := map[string]int{}
	var sends []delivery
	run := mototest.UniqueID()
	base := time.Now().Add(-2 * time.Hour)
	for i := 0; len(sends) < 3*n; i++ {
		tn := tenantsUsed[i%2]
		id := fmt.Sprintf("chaos%s%04d", run, i)
		amount := int64(100 + rng.IntN(99_900))
		at := base.Add(time.Duration(i) * time.Second)
		events := []map[string]any{stack.ChargeEvent(t, id, amount, at)}
		gross[tn.id] += amount
		charges[tn.id]++
		if rng.IntN(4) == 0 { // a quarter of the charges get one or two partial refunds
			first := amount / 4
			events = append(events, refundEvent(t, id, amount, first, 1, at.Add(time.Minute)))
			total := first
			if rng.IntN(2) == 0 {
				total = amount / 2
				events = append(events, refundEvent(t, id, amount, total, 2, at.Add(2*time.Minute)))
			}
			refunded[tn.id] += total
		}
		for _, ev := range events {
			for range 3 {
				sends = append(sends, delivery{tn.id, tn.secret, ev})
			}
		}
	}
	rng.Shuffle(len(sends), func(i, j int) { sends[i], sends[j] = sends[j], sends[i] })

	// Reports due during the chaos, each asked for twice.
	type due struct{ role, period string }
	var dues []due
	for _, role := range []string{"ceo", "cfo"} {
		for _, p := range []string{"2026-06", "2026-07", "2026-08"} {
			dues = append(dues, due{role, p})
		}
	}
	sendDues := func() {
		for _, d := range dues {
			s.Reportctl("report", "send", "--tenant", "queen-of-san-diego", "--role", d.role, "--period", d.period)
		}
	}

	// Posters retry like Stripe: until a 2xx, with backoff.
	var posted, rejected5xx atomic.Int64
	work := make(chan delivery)
	var wg sync.WaitGroup
	deadline := time.Now().Add(10 * time.Minute)
	var failures []string
	var fmu sync.Mutex
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range work {
				backoff := 250 * time.Millisecond
				for {
					code := s.PostWebhookCode(d.tenant, d.secret, d.event)
					if code == http.StatusOK {
						posted.Add(1)
						break
					}
					if code >= 500 || code == 0 {
						rejected5xx.Add(1)
					}
					if code >= 400 && code < 500 || time.Now().After(deadline) {
						fmu.Lock()
						failures = append(failures, fmt.Sprintf("%s: status %d", d.event["id"], code))
						fmu.Unlock()
						break
					}
					time.Sleep(backoff + time.Duration(rand.IntN(100))*time.Millisecond)
					backoff = min(2*backoff, 4*time.Second)
				}
			}
		}()
	}

	// The chaos: crashes and an AWS outage while the events flow.
	chaosDone := make(chan struct{})
	// Half the deliveries wait for the outage, so that it always meets
	// webhooks in flight however fast the first half went through.
	paused := make(chan struct{})
	go func() {
		defer close(chaosDone)
		crash := func(name string) {
			t.Logf("chaos: kill -9 %s", name)
			s.Procs[name].Kill9()
			time.Sleep(time.Duration(500+rng.IntN(1500)) * time.Millisecond)
			s.Procs[name].Start()
		}
		// Faults spread over the run: each waits until a share of the
		// deliveries has been accepted (with a random offset), so a long
		// run is disturbed throughout, not only at its start.
		at := func(share float64) {
			target := int64((share + (rng.Float64()-0.5)*0.05) * float64(len(sends)))
			for posted.Load() < target && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
		}
		at(0.10)
		crash("aggregator")
		sendDues()
		at(0.25)
		crash("mailer")
		at(0.40)
		t.Logf("chaos: moto paused for 10s")
		if err := moto.Pause(); err != nil {
			t.Error(err)
		}
		close(paused)
		time.Sleep(10 * time.Second)
		if err := moto.Resume(); err != nil {
			t.Error(err)
		}
		t.Logf("chaos: moto resumed")
		at(0.60)
		crash("aggregator")
		sendDues()
		at(0.75)
		crash("mailer")
		at(0.90)
		crash("aggregator")
	}()
	for i, d := range sends {
		if i == len(sends)/2 {
			select {
			case <-paused:
			case <-chaosDone:
			}
		}
		work <- d
	}
	close(work)
	wg.Wait()
	<-chaosDone
	if len(failures) > 0 {
		t.Fatalf("%d deliveries never accepted, e.g. %v", len(failures), failures[:min(5, len(failures))])
	}
	s.Reportctl("wait", "drained", "--timeout", "5m")

	// The read model equals the ledger.
	cfg, err := awsconf.Load(context.Background(), config.WithBaseEndpoint(moto.Endpoint))
	if err != nil {
		t.Fatal(err)
	}
	store := readmodel.Store{DB: dynamodb.NewFromConfig(cfg), Table: s.Names.Table}
	until := time.Now().Add(time.Hour)
	for _, tn := range tenantsUsed {
		g, err := store.Facts(context.Background(), tn.id, messages.MetricRevenueGross, time.Time{}, until)
		if err != nil {
			t.Fatal(err)
		}
		var ours []messages.MetricEvent
		for _, f := range g {
			if strings.Contains(f.ObjectID, "chaos"+run) {
				ours = append(ours, f)
			}
		}
		if got := len(ours); got != charges[tn.id] {
			t.Errorf("%s: %d charges in the read model, ledger has %d (lost or doubled)", tn.id, got, charges[tn.id])
		}
		if got := readmodel.Sum(ours, time.Time{}, until); got != gross[tn.id] {
			t.Errorf("%s: gross %d, ledger %d", tn.id, got, gross[tn.id])
		}
		r, err := store.Facts(context.Background(), tn.id, messages.MetricRevenueRefunded, time.Time{}, until)
		if err != nil {
			t.Fatal(err)
		}
		var ourR []messages.MetricEvent
		for _, f := range r {
			if strings.Contains(f.Entity, "chaos"+run) {
				ourR = append(ourR, f)
			}
		}
		if got := readmodel.TotalAt(ourR, until); got != refunded[tn.id] {
			t.Errorf("%s: refunded %d, ledger %d", tn.id, got, refunded[tn.id])
		}
	}

	// Each due report reached its recipient once.
	msgs, err := mototest.FetchSentRawEmails(moto.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]map[string]bool{} // report/recipient -> Message-Ids
	raw := map[string]int{}
	for _, m := range msgs {
		if header(m.RawData, "X-Boardpack-Audit-Copy") != "" {
			continue // the audit address's copy of a recipient's email
		}
		if header(m.RawData, "X-Boardpack-Alert") != "" {
			continue // alerts (default rules) are not reports
		}
		key := header(m.RawData, "X-Boardpack-Report") + "/" + header(m.RawData, "To")
		if ids[key] == nil {
			ids[key] = map[string]bool{}
		}
		ids[key][header(m.RawData, "Message-Id")] = true
		raw[key]++
	}
	if len(ids) != len(dues) {
		t.Errorf("%d distinct report emails, want %d (one per due report and recipient): %v", len(ids), len(dues), raw)
	}
	windowHits := 0
	for key, set := range ids {
		if len(set) != 1 {
			t.Errorf("%s: %d different Message-Ids, want 1", key, len(set))
		}
		windowHits += raw[key] - 1
	}
	// A SIGKILL between SES accepting and the send record is the one
	// documented window: the redelivery resends the same Message-Id.
	if windowHits > 2 {
		t.Errorf("%d resends, more than the 2 mailer crashes can explain", windowHits)
	}
	t.Logf("chaos: %d deliveries accepted (%d distinct events x3), %d answers 5xx/refused during the faults and retried, %d report emails, %d resent in the crash window",
		posted.Load(), len(sends)/3, rejected5xx.Load(), len(msgs), windowHits)
	if rejected5xx.Load() == 0 {
		t.Errorf("no webhook answered 5xx while moto was paused: the outage was not exercised")
	}
}

// refundEvent is a charge.refunded fixture: the charge of amount with a
// cumulative refunded amount.
func refundEvent(t testing.TB, id string, amount, cumulative int64, n int, at time.Time) map[string]any {
	ev := stack.ChargeEvent(t, id, amount, at.Add(-time.Duration(n)*time.Minute))
	ev["id"] = fmt.Sprintf("evt_%s_refund%d", id, n)
	ev["type"] = "charge.refunded"
	ev["created"] = at.Unix()
	obj := ev["data"].(map[string]any)["object"].(map[string]any)
	obj["amount_refunded"] = cumulative
	obj["refunded"] = cumulative == amount
	return ev
}
