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
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stripe/stripe-go/v76"

	"github.com/boardpack/boardpack/services/internal/infra"
	"github.com/boardpack/boardpack/services/internal/mototest"
	"github.com/boardpack/boardpack/services/internal/readmodel"
	"github.com/boardpack/boardpack/services/internal/stripemap"
	"github.com/boardpack/boardpack/services/internal/tenants"
)

// BenchmarkIngest is Boardpack's own path under load: signed webhooks
// posted on loopback by 8 senders → stripe-collector → SNS → SQS →
// aggregator → read model. It reports sustained events/s, the p50/p99
// webhook-to-read-model latency (sampled on every 10th event by polling its
// fact), AWS requests per ingested event across all services (from their
// /metrics), and the services' own CPU time per event, apart from moto's.
func BenchmarkIngest(b *testing.B) {
	s := startStack(b)
	const tenant, secret = "jada", "whsec_demo_jada"
	events := b.N * 10 // one iteration = 10 events
	run := mototest.UniqueID()
	db := dynamodb.NewFromConfig(mototest.Config(b))
	type probe struct {
		key    string
		posted time.Time
	}
	var (
		mu        sync.Mutex
		latencies []time.Duration
	)
	waitFact := func(p probe) {
		for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{
				TableName: aws.String(s.names.Table),
				Key: map[string]types.AttributeValue{
					infra.AttrPK: &types.AttributeValueMemberS{Value: tenants.PK(tenant)},
					infra.AttrSK: &types.AttributeValueMemberS{Value: p.key},
				},
			})
			if err == nil && out.Item != nil {
				mu.Lock()
				latencies = append(latencies, time.Since(p.posted))
				mu.Unlock()
				return
			}
		}
	}
	cpuBefore := s.cpuSeconds()
	reqBefore := s.awsRequests()
	work := make(chan int)
	var wg, probes sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				ev := chargeEvent(b, fmt.Sprintf("bench%s%06d", run, i), int64(1000+i), time.Now())
				posted := time.Now()
				if code := s.postWebhookCode(tenant, secret, ev); code != http.StatusOK {
					b.Errorf("webhook answered %d", code)
					return
				}
				if i%10 == 0 {
					probes.Add(1)
					go func() { defer probes.Done(); waitFact(probe{factKey(b, tenant, ev), posted}) }()
				}
			}
		}()
	}
	for i := range events {
		work <- i
	}
	close(work)
	wg.Wait()
	s.reportctl("wait", "drained", "--timeout", "10m")
	elapsed := time.Since(start)
	probes.Wait()
	b.StopTimer()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
	if len(latencies) > 0 {
		b.ReportMetric(float64(latencies[len(latencies)/2].Milliseconds()), "p50-ms")
		b.ReportMetric(float64(latencies[len(latencies)*99/100].Milliseconds()), "p99-ms")
	}
	reqs := s.awsRequests() - reqBefore
	b.ReportMetric(reqs/float64(events), "aws-req/event")
	b.ReportMetric((s.cpuSeconds()-cpuBefore)/float64(events)*1e6, "cpu-µs/event")
}

// factKey is the read-model sort key of the charge's gross revenue fact.
func factKey(t testing.TB, tenant string, ev map[string]any) string {
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
	return readmodel.FactKey(facts[0])
}

// cpuSeconds is the user+system CPU time the services have used so far.
func (s *stack) cpuSeconds() float64 {
	total := 0.0
	for _, p := range s.procs {
		total += p.cpuSeconds()
	}
	return total
}

func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// cpuSeconds reads utime+stime from /proc/<pid>/stat.
func (p *proc) cpuSeconds() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid()))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ
}

// rssMiB reads VmRSS from /proc/<pid>/status.
func (p *proc) rssMiB() float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.pid()))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// awsRequests sums boardpack_aws_requests_total over every service.
func (s *stack) awsRequests() float64 {
	total := 0.0
	for _, url := range s.urls {
		resp, err := http.Get(url + "/metrics")
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "boardpack_aws_requests_total{") {
				if v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64); err == nil {
					total += v
				}
			}
		}
		resp.Body.Close()
	}
	return total
}

// BenchmarkServiceFootprint starts each service and reports its
// start-to-ready time (exec to a 200 from GET /readyz) and its RSS once
// idle and ready.
func BenchmarkServiceFootprint(b *testing.B) {
	s := startStack(b)
	for _, name := range services {
		p := s.procs[name]
		var ready time.Duration
		for range b.N {
			p.stop()
			start := time.Now()
			p.start()
			if err := waitHealthy(s.urls[name]+"/readyz", 60*time.Second); err != nil {
				b.Fatalf("%s: %v", name, err)
			}
			ready += time.Since(start)
		}
		time.Sleep(2 * time.Second) // idle
		b.ReportMetric(float64(ready.Milliseconds())/float64(b.N), name+"-ready-ms")
		b.ReportMetric(p.rssMiB(), name+"-rss-MiB")
	}
}
