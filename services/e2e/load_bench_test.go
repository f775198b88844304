package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/e2e/stack"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
)

// loadResult is what one open-loop phase saw.
type loadResult struct {
	sent, ok, unavailable, other, noAnswer int
	latencies                              []time.Duration // every answered request
	okLatencies                            []time.Duration
	refused                                []string // charge ids answered 503
	perSecondOK                            []int    // 200s by second of the phase
	perSecondAll                           []int    // requests sent by second
	firstAllOK                             int      // first second from which every request was answered 200 (-1: never)
}

// openLoad posts signed charge.succeeded webhooks at rate per second for
// d, each on its own goroutine (open loop: a slow answer does not slow the
// sender, as with Stripe), with a client timeout of 5 s.
func openLoad(s *stack.Stack, prefix string, rate int, d time.Duration) *loadResult {
	const tenant, secret = "jada", "whsec_demo_jada"
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxConnsPerHost: 0}}
	secs := int(d.Seconds())
	r := &loadResult{perSecondOK: make([]int, secs+1), perSecondAll: make([]int, secs+1), firstAllOK: -1}
	failedIn := make([]bool, secs+1)
	var mu sync.Mutex
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i := 0; time.Since(start) < d; i++ {
		due := start.Add(time.Duration(i) * interval)
		if w := time.Until(due); w > 0 {
			time.Sleep(w)
		}
		sec := int(time.Since(start).Seconds())
		id := fmt.Sprintf("%s%07d", prefix, i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ev := stack.ChargeEvent(nopTB{}, id, int64(1000+i%1000), time.Now())
			payload, _ := json.Marshal(ev)
			req, _ := http.NewRequest(http.MethodPost, s.URLs["stripe-collector"]+"/webhooks/stripe/"+tenant, strings.NewReader(string(payload)))
			req.Header.Set("Stripe-Signature", stack.Sign(payload, secret, time.Now()))
			t0 := time.Now()
			resp, err := client.Do(req)
			lat := time.Since(t0)
			code := 0
			if err == nil {
				code = resp.StatusCode
				resp.Body.Close()
			}
			mu.Lock()
			defer mu.Unlock()
			r.sent++
			r.perSecondAll[min(sec, secs)]++
			switch code {
			case 0:
				r.noAnswer++
			case http.StatusOK:
				r.ok++
				r.perSecondOK[min(sec, secs)]++
				r.okLatencies = append(r.okLatencies, lat)
			case http.StatusServiceUnavailable:
				r.unavailable++
				r.refused = append(r.refused, "ch_"+id)
			default:
				r.other++
			}
			if code != 0 {
				r.latencies = append(r.latencies, lat)
			}
			if code != http.StatusOK {
				failedIn[min(sec, secs)] = true
			}
		}()
	}
	wg.Wait()
	for sec := secs - 1; sec >= 0 && !failedIn[sec]; sec-- {
		r.firstAllOK = sec
	}
	sort.Slice(r.latencies, func(i, j int) bool { return r.latencies[i] < r.latencies[j] })
	sort.Slice(r.okLatencies, func(i, j int) bool { return r.okLatencies[i] < r.okLatencies[j] })
	return r
}

// nopTB lets stack.ChargeEvent run on a load goroutine (it fails only if
// the fixture is missing, which the first phase would show).
type nopTB struct{ testing.TB }

func (nopTB) Helper()               {}
func (nopTB) Fatal(args ...any)     { panic(fmt.Sprint(args...)) }
func (nopTB) Fatalf(string, ...any) { panic("fixture") }

func quantile(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	return float64(ds[min(int(float64(len(ds))*q), len(ds)-1)].Microseconds()) / 1000
}

// goroutines reads go_goroutines from a service's /metrics.
func goroutines(url string) float64 {
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			n, _ := strconv.ParseFloat(v, 64)
			return n
		}
	}
	return 0
}

func envInt(key string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(key)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkWebhookLoad is the stack under open-loop webhook load, as
// Stripe sends it (a Go load generator; vegeta is not installed here):
//
//   - P7: 200 requests/s for BOARDPACK_LOAD_P7_SECONDS (10): p50/p99 of the
//     answers, webhook to SNS accepted (200), and the share answered 200.
//   - P8: BOARDPACK_LOAD_RATE requests/s (the sustainable rate, default 50,
//     about BenchmarkIngest's events/s on this machine) for 10 s, then 4×
//     that for BOARDPACK_LOAD_OVERLOAD_SECONDS (30), then the sustainable
//     rate again for 20 s. Reported: the share answered (200 or 503)
//     within 1 s and the slowest answer, goodput (200s per second during
//     the overload over the sustainable rate), the collector's peak
//     goroutines and RSS, how many facts of webhooks answered 503 reached
//     the read model (must be 0: refused work is never sent), and the
//     recovery time: from the load's drop to the first second after which
//     every request is answered 200.
//
// Run once: go test -run '^$' -bench WebhookLoad -benchtime 1x ./services/e2e
func BenchmarkWebhookLoad(b *testing.B) {
	s := stack.Start(b)
	collector := s.Procs["stripe-collector"]
	run := mototest.UniqueID()
	for range b.N {
		// P7.
		req0 := s.AWSRequests()
		p7 := openLoad(s, "p7"+run, 200, time.Duration(envInt("BOARDPACK_LOAD_P7_SECONDS", 10))*time.Second)
		b.ReportMetric(quantile(p7.okLatencies, 0.50), "p7-p50-ms")
		b.ReportMetric(quantile(p7.okLatencies, 0.99), "p7-p99-ms")
		b.ReportMetric(float64(p7.ok)/float64(max(p7.sent, 1)), "p7-ok-share")
		b.Logf("P7 at 200/s: %d sent, %d ok, %d 503, %d other, %d unanswered", p7.sent, p7.ok, p7.unavailable, p7.other, p7.noAnswer)
		s.Reportctl("wait", "drained", "--timeout", "10m")
		// AWS requests of every service per event accepted, under open load
		// (P2 at load), drain included.
		b.ReportMetric((s.AWSRequests()-req0)/float64(max(p7.ok, 1)), "p7-aws-req/event")

		// P8.
		rate := envInt("BOARDPACK_LOAD_RATE", 50)
		over := time.Duration(envInt("BOARDPACK_LOAD_OVERLOAD_SECONDS", 30)) * time.Second
		var peakG, peakRSS atomic.Value
		peakG.Store(0.0)
		peakRSS.Store(0.0)
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			for {
				select {
				case <-stop:
					return
				case <-time.After(250 * time.Millisecond):
				}
				peakG.Store(max(peakG.Load().(float64), goroutines(s.URLs["stripe-collector"])))
				peakRSS.Store(max(peakRSS.Load().(float64), collector.RSSMiB()))
			}
		}()
		before := openLoad(s, "p8a"+run, rate, 10*time.Second)
		overload := openLoad(s, "p8b"+run, 4*rate, over)
		after := openLoad(s, "p8c"+run, rate, 20*time.Second)
		close(stop)
		<-sampled
		within := 0
		for _, l := range overload.latencies {
			if l <= time.Second {
				within++
			}
		}
		b.ReportMetric(float64(within)/float64(max(overload.sent, 1)), "p8-answered-1s-share")
		if n := len(overload.latencies); n > 0 {
			b.ReportMetric(float64(overload.latencies[n-1].Milliseconds()), "p8-max-ms")
		}
		b.ReportMetric(float64(overload.ok)/over.Seconds()/float64(rate), "p8-goodput-share")
		b.ReportMetric(peakG.Load().(float64), "p8-peak-goroutines")
		b.ReportMetric(peakRSS.Load().(float64), "p8-peak-rss-MiB")
		recovery := -1.0
		if after.firstAllOK >= 0 {
			recovery = float64(after.firstAllOK)
		}
		b.ReportMetric(recovery, "p8-recovery-s")
		b.Logf("P8 before at %d/s: %d sent, %d ok, %d 503; overload at %d/s: %d sent, %d ok, %d 503, %d other, %d unanswered; after: %d sent, %d ok, %d 503",
			rate, before.sent, before.ok, before.unavailable, 4*rate, overload.sent, overload.ok, overload.unavailable, overload.other, overload.noAnswer,
			after.sent, after.ok, after.unavailable)

		// Nothing answered 503 reaches the read model.
		s.Reportctl("wait", "drained", "--timeout", "10m")
		store := readmodel.Store{DB: dynamodb.NewFromConfig(mototest.Config(b)), Table: s.Names.Table}
		facts, err := store.Facts(context.Background(), "jada", messages.MetricRevenueGross, time.Time{}, time.Now().Add(time.Hour))
		if err != nil {
			b.Fatal(err)
		}
		recorded := map[string]bool{}
		for _, f := range facts {
			recorded[f.ObjectID] = true
		}
		leaked := 0
		for _, r := range [][]string{before.refused, overload.refused, after.refused} {
			for _, id := range r {
				if recorded[id] {
					leaked++
				}
			}
		}
		b.ReportMetric(float64(leaked), "p8-published-after-503")
		b.ReportMetric(float64(rate), "p8-sustainable-req/s")
	}
}
