package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stripe/stripe-go/v76"

	"github.com/boardpack/boardpack/services/e2e/stack"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/stripemap"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/table"
)

// BenchmarkIngest is Boardpack's own path under load: signed webhooks
// posted on loopback by 8 senders → stripe-collector → SNS → SQS →
// aggregator → read model. It reports sustained events/s, the p50/p99
// webhook-to-read-model latency (sampled on every 10th event by polling its
// fact), AWS requests per ingested event across all services (from their
// /metrics), and the services' own CPU time per event, apart from moto's.
//
// With BOARDPACK_BENCH_MOTO_KEEPALIVE=true the services reach moto through
// a keep-alive proxy (mototest.KeepAlive): moto closes every connection,
// AWS does not, so the dials it forces are then not counted as the
// services' CPU. BenchmarkRawSQSCeiling and BenchmarkNaiveWatermillPeer
// take the same switch.
func BenchmarkIngest(b *testing.B) {
	var env []string
	if url := mototest.KeepAlive(b); url != "" {
		// The services only: the benchmark's own probes go to moto.
		env = append(env, "AWS_ENDPOINT_URL="+url)
	}
	s := stack.Start(b, env...)
	const tenant, secret = "jada", "whsec_demo_jada"
	events := b.N * 10 // one iteration = 10 events
	run := mototest.UniqueID()
	db := dynamodb.NewFromConfig(mototest.Config(b))
	type probe struct {
		pk, key string
		posted  time.Time
	}
	var (
		mu        sync.Mutex
		latencies []time.Duration
	)
	waitFact := func(p probe) {
		for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{
				TableName: aws.String(s.Names.Table),
				Key:       map[string]ddbtypes.AttributeValue{table.AttrPK: table.S(p.pk), table.AttrSK: table.S(p.key)},
			})
			if err == nil && out.Item != nil {
				mu.Lock()
				latencies = append(latencies, time.Since(p.posted))
				mu.Unlock()
				return
			}
		}
	}
	cpuBefore := map[string]float64{}
	for name, p := range s.Procs {
		cpuBefore[name] = p.CPUSeconds()
	}
	reqBefore := s.AWSRequestsBy()
	// BOARDPACK_BENCH_PROFILE=DIR (with BOARDPACK_PPROF=true) records each
	// service's CPU profile over the first 10 s of the load.
	var profiles sync.WaitGroup
	if dir := os.Getenv("BOARDPACK_BENCH_PROFILE"); dir != "" {
		for _, name := range []string{"stripe-collector", "aggregator", "alerter"} {
			profiles.Add(1)
			go func() {
				defer profiles.Done()
				if err := s.Profile(name, 10*time.Second, filepath.Join(dir, name+".prof")); err != nil {
					b.Error(err)
				}
			}()
		}
	}
	work := make(chan int)
	var wg, probes sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				ev := stack.ChargeEvent(b, fmt.Sprintf("bench%s%06d", run, i), int64(1000+i), time.Now())
				posted := time.Now()
				if code := s.PostWebhookCode(tenant, secret, ev); code != http.StatusOK {
					b.Errorf("webhook answered %d", code)
					return
				}
				if i%10 == 0 {
					probes.Add(1)
					go func() {
						defer probes.Done()
						pk, sk := factKey(b, tenant, ev)
						waitFact(probe{pk, sk, posted})
					}()
				}
			}
		}()
	}
	for i := range events {
		work <- i
	}
	close(work)
	wg.Wait()
	s.Reportctl("wait", "drained", "--timeout", "10m")
	elapsed := time.Since(start)
	probes.Wait()
	b.StopTimer()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
	if len(latencies) > 0 {
		b.ReportMetric(float64(latencies[len(latencies)/2].Milliseconds()), "p50-ms")
		b.ReportMetric(float64(latencies[len(latencies)*99/100].Milliseconds()), "p99-ms")
	}
	profiles.Wait()
	reqs := 0.0
	after := s.AWSRequestsBy()
	var by []string
	for _, k := range slices.Sorted(maps.Keys(after)) {
		if d := after[k] - reqBefore[k]; d > 0 {
			reqs += d
			by = append(by, fmt.Sprintf("%s %.3f", k, d/float64(events)))
		}
	}
	b.Logf("AWS requests per event, %d events: %s", events, strings.Join(by, ", "))
	b.ReportMetric(reqs/float64(events), "aws-req/event")
	total := 0.0
	for name, p := range s.Procs {
		used := p.CPUSeconds() - cpuBefore[name]
		total += used
		b.ReportMetric(used/float64(events)*1e6, name+"-cpu-µs/event")
	}
	b.ReportMetric(total/float64(events)*1e6, "cpu-µs/event")
}

// factKey is the read-model key (its shard's partition key and its sort
// key) of the charge's gross revenue fact.
func factKey(t testing.TB, tenant string, ev map[string]any) (pk, sk string) {
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	var se stripe.Event
	if err := json.Unmarshal(raw, &se); err != nil {
		t.Fatal(err)
	}
	facts, err := stripemap.Translate(tenant, se)
	if err != nil || len(facts) == 0 {
		t.Fatalf("translate: %v (%d facts)", err, len(facts))
	}
	return table.FactPK(tenant, facts[0].EventID), readmodel.FactKey(facts[0])
}

// BenchmarkServiceFootprint starts each service and reports its
// start-to-ready time (exec to a 200 from GET /readyz) and its RSS once
// idle and ready.
func BenchmarkServiceFootprint(b *testing.B) {
	s := stack.Start(b)
	for _, name := range stack.Services {
		p := s.Procs[name]
		var ready time.Duration
		for range b.N {
			p.Stop()
			start := time.Now()
			p.Start()
			if err := stack.WaitHealthy(s.URLs[name]+"/readyz", 60*time.Second); err != nil {
				b.Fatalf("%s: %v", name, err)
			}
			ready += time.Since(start)
		}
		time.Sleep(2 * time.Second) // idle
		b.ReportMetric(float64(ready.Milliseconds())/float64(b.N), name+"-ready-ms")
		b.ReportMetric(p.RSSMiB(), name+"-rss-MiB")
	}
}
