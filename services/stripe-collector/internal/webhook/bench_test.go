package webhook

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/prometheus/client_golang/prometheus"
	stripehook "github.com/stripe/stripe-go/v76/webhook"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/stripemap"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/tracing"
)

// In-process stand-ins for the fuzz target and the no-I/O benchmarks only;
// every behaviour that involves AWS is tested against moto.
type staticTenants map[string]tenants.Tenant

func (s staticTenants) Get(_ context.Context, id string) (tenants.Tenant, error) {
	t, ok := s[id]
	if !ok {
		return tenants.Tenant{}, tenants.ErrNotFound
	}
	return t, nil
}

type literalSecrets struct{}

func (literalSecrets) Resolve(_ context.Context, ref string) (string, error) { return ref, nil }

type countingPublisher struct{ n atomic.Int64 }

func (p *countingPublisher) Publish(_ context.Context, _ string, events ...messages.Event) error {
	p.n.Add(int64(len(events)))
	return nil
}

func inProcessWebhook() (*Webhook, *countingPublisher) {
	pub := &countingPublisher{}
	return &Webhook{
		Tenants:   staticTenants{"acme": tenantDoc("acme", tenants.Stripe{WebhookSecrets: []string{secretOther, secretOld}})},
		Secrets:   literalSecrets{},
		Publisher: pub,
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics:   NewMetrics(prometheus.NewRegistry()),
	}, pub
}

func serveOnce(h *Webhook, tenant string, body []byte, header string) int {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/stripe/"+tenant, bytes.NewReader(body))
	req.SetPathValue("tenant", tenant)
	if header != "" {
		req.Header.Set("Stripe-Signature", header)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// FuzzWebhook feeds arbitrary bodies and signature headers to the handler;
// with sign set the body is validly signed, so the decoding and
// translation paths see arbitrary signed input too. It must never panic,
// never answer 200 to an unsigned body, and never publish on a 4xx.
//
//	go test -short -run '^$' -fuzz FuzzWebhook -fuzztime 30s ./services/stripe-collector
func FuzzWebhook(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	for _, file := range files {
		body, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body, "", true)
		f.Add(body, "t=1,v1=00", false)
	}
	f.Add([]byte(`{"type":"charge.succeeded","api_version":"2023-10-16","data":{"object":{"captured":true,"amount":-5,"currency":""}}}`), "", true)
	f.Add([]byte(`{}`), "t=,v1=", false)
	f.Add([]byte(`null`), "", true)
	h, pub := inProcessWebhook()
	f.Fuzz(func(t *testing.T, body []byte, header string, signIt bool) {
		if signIt {
			header = sign(body, secretOld, time.Now())
		}
		before := pub.n.Load()
		code := serveOnce(h, "acme", body, header)
		switch code {
		case 200, 400, 413:
		default:
			t.Fatalf("status %d", code)
		}
		if code != 200 && pub.n.Load() != before {
			t.Fatalf("status %d but published", code)
		}
		if code == 200 && !signIt {
			t.Fatalf("unsigned body accepted (header %q)", header)
		}
	})
}

// cpuSeconds is this process's user+system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// reportRate reports events/s of wall time and events per CPU-second
// (per core: on a shared machine the wall rate says more about the
// neighbours than about the code).
func reportRate(b *testing.B, cpu0 float64) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if used := cpuSeconds() - cpu0; used > 0 {
		b.ReportMetric(float64(b.N)/used, "events/cpu-s")
	}
}

// BenchmarkVerifyTranslate: signature verification plus translation of a
// captured charge, no I/O: what the handler does, ValidatePayload over the
// raw bytes, stripemap.DecodeWebhook, stripemap.TranslateWebhook. P3b is its events/cpu-s
// (run with -cpu 1).
func BenchmarkVerifyTranslate(b *testing.B) {
	body := capturedCharge(b)
	header := sign(body, secretOld, time.Now())
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for i := 0; i < b.N; i++ {
		// What the handler does: the signature over the raw bytes, then
		// one decode.
		if err := stripehook.ValidatePayloadWithTolerance(body, header, secretOld, Tolerance); err != nil {
			b.Fatal(err)
		}
		wh, err := stripemap.DecodeWebhook(body)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := stripemap.TranslateWebhook("acme", wh); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, cpu0)
}

// BenchmarkHandlerNoIO: the whole handler (tenant, body limit, rotation:
// the second secret verifies, translation, metrics, logging) with an
// in-process publisher.
func BenchmarkHandlerNoIO(b *testing.B) {
	h, _ := inProcessWebhook()
	body := capturedCharge(b)
	header := sign(body, secretOld, time.Now())
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for i := 0; i < b.N; i++ {
		if code := serveOnce(h, "acme", body, header); code != 200 {
			b.Fatalf("status %d", code)
		}
	}
	reportRate(b, cpu0)
}

// BenchmarkHandlerTracing is BenchmarkHandlerNoIO behind the server-span
// wrapper, as main wires it: off (the default, no OTEL_TRACES_EXPORTER)
// must cost what NoIO costs; on records every span in memory.
func BenchmarkHandlerTracing(b *testing.B) {
	body := capturedCharge(b)
	header := sign(body, secretOld, time.Now())
	run := func(b *testing.B) {
		h, _ := inProcessWebhook()
		wrapped := tracing.HTTP("/webhooks/stripe/{tenant}", h)
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := cpuSeconds()
		for i := 0; i < b.N; i++ {
			req := httptest.NewRequest(http.MethodPost, "/webhooks/stripe/acme", bytes.NewReader(body))
			req.SetPathValue("tenant", "acme")
			req.Header.Set("Stripe-Signature", header)
			rec := httptest.NewRecorder()
			wrapped.ServeHTTP(rec, req)
			if rec.Code != 200 {
				b.Fatalf("status %d", rec.Code)
			}
		}
		reportRate(b, cpu0)
	}
	b.Run("off", run)
	b.Run("on", func(b *testing.B) {
		defer tracing.Use(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(tracetest.NewNoopExporter()))))()
		run(b)
	})
}

// BenchmarkWebhookToSNS: signed webhooks over loopback HTTP to the handler,
// answered once moto's SNS accepted the metric event; sequential (p50,
// p99) and with 4 concurrent senders (sustained req/s). The aggregator
// queue is purged as it fills, since moto slows down with queue depth.
//
//	go test -run '^$' -bench WebhookToSNS -benchtime 300x ./services/stripe-collector
func BenchmarkWebhookToSNS(b *testing.B) {
	h := newHarness(b, nil)
	bodies := make([][]byte, 64)
	for i := range bodies {
		bodies[i] = capturedCharge(b)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	post := func(i int) {
		body := bodies[i%len(bodies)]
		req, _ := http.NewRequest(http.MethodPost, h.url+"/webhooks/stripe/acme", bytes.NewReader(body))
		req.Header.Set("Stripe-Signature", sign(body, secretOld, time.Now()))
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	purge := func() {
		_, _ = h.sqs.PurgeQueue(context.Background(), &sqs.PurgeQueueInput{QueueUrl: aws.String(h.queue)})
	}

	b.Run("sequential", func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N)
		for i := 0; i < b.N; i++ {
			if i%200 == 199 {
				b.StopTimer()
				purge()
				b.StartTimer()
			}
			t0 := time.Now()
			post(i)
			lat = append(lat, time.Since(t0))
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
	purge()
	// P7: open loop at 200 requests/s (each request on its own goroutine,
	// as Stripe sends), b.N requests: p50/p99 of the answers, webhook to
	// SNS accepted, and the share answered 200.
	b.Run("open-200", func(b *testing.B) {
		var mu sync.Mutex
		var lat []time.Duration
		var ok atomic.Int64
		var wg sync.WaitGroup
		purged := make(chan struct{})
		go func() { // keep the queue shallow, as the aggregator would
			defer close(purged)
			for i := 0; i < b.N/200+1; i++ {
				time.Sleep(time.Second)
				purge()
			}
		}()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			if w := time.Until(start.Add(time.Duration(i) * 5 * time.Millisecond)); w > 0 {
				time.Sleep(w)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := bodies[i%len(bodies)]
				req, _ := http.NewRequest(http.MethodPost, h.url+"/webhooks/stripe/acme", bytes.NewReader(body))
				req.Header.Set("Stripe-Signature", sign(body, secretOld, time.Now()))
				t0 := time.Now()
				resp, err := client.Do(req)
				d := time.Since(t0)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					ok.Add(1)
					mu.Lock()
					lat = append(lat, d)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		<-purged
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		if len(lat) > 0 {
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		}
		b.ReportMetric(float64(ok.Load())/float64(b.N), "ok-share")
	})
	purge()
	b.Run("concurrent-4", func(b *testing.B) {
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1) - 1
					if i >= int64(b.N) {
						return
					}
					post(int(i))
				}
			}()
		}
		wg.Wait()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
	purge()
}
