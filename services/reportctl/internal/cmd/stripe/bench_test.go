package stripe

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/reportctl/internal/app"
)

// invoiceStripe serves n paid invoices over five years, 100 a page, built
// on the fly (the server holds none of them), each with a monthly
// subscription line and its period.
type invoiceStripe struct{ n int }

func (s invoiceStripe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/v1/balance":
		fmt.Fprint(w, `{"object":"balance","available":[],"pending":[],"livemode":false}`)
		return
	case "/v1/invoices":
	default:
		fmt.Fprintf(w, `{"object":"list","url":%q,"has_more":false,"data":[]}`, r.URL.Path)
		return
	}
	start := s.n
	if after := r.URL.Query().Get("starting_after"); after != "" {
		start, _ = strconv.Atoi(strings.TrimPrefix(after, "in_"))
		start--
	}
	t0 := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	span := int64(5 * 365 * 24 * time.Hour / time.Second)
	var b strings.Builder
	b.WriteString(`{"object":"list","url":"/v1/invoices","data":[`)
	k := 0
	for i := start; i > 0 && k < 100; i, k = i-1, k+1 {
		if k > 0 {
			b.WriteByte(',')
		}
		created := t0.Unix() + span*int64(i)/int64(s.n)
		fmt.Fprintf(&b, `{"id":"in_%d","object":"invoice","currency":"usd","status":"paid","amount_paid":5000,"tax":500,"created":%d,`+
			`"status_transitions":{"finalized_at":%d,"paid_at":%d},"subscription":"sub_%d",`+
			`"lines":{"object":"list","data":[{"id":"il_%d","object":"line_item","amount":5000,"currency":"usd","quantity":1,`+
			`"period":{"start":%d,"end":%d},"subscription_item":"si_%d",`+
			`"price":{"id":"price_1","object":"price","currency":"usd","unit_amount":5000,"billing_scheme":"per_unit","recurring":{"interval":"month","interval_count":1,"usage_type":"licensed"}}}]}}`,
			i, created, created, created, i%500, i, created, created+30*86400, i%500)
	}
	fmt.Fprintf(&b, `],"has_more":%t}`, start-k > 0)
	fmt.Fprint(w, b.String())
}

type discard struct{ n atomic.Int64 }

func (d *discard) Publish(_ context.Context, _ string, events ...messages.Event) error {
	d.n.Add(int64(len(events)))
	return nil
}

// peakRSS is the process's peak resident set (VmHWM), in MiB.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkBackfill5Years backfills five years of paid invoices through a
// test Stripe API server and reports the peak heap in use while it runs
// (sampled every 5 ms) and the process's peak RSS: with 1,000 and with
// 10,000 invoices the peak heap is the same, because each page is
// translated and published as it is read.
func BenchmarkBackfill5Years(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("invoices=%d", n), func(b *testing.B) {
			srv := httptest.NewServer(invoiceStripe{n: n})
			defer srv.Close()
			a := app.New(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
			var peak atomic.Uint64
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				var ms runtime.MemStats
				for {
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peak.Load() {
						peak.Store(ms.HeapInuse)
					}
					select {
					case <-stop:
						return
					case <-time.After(5 * time.Millisecond):
					}
				}
			}()
			var published int64
			b.ResetTimer()
			for range b.N {
				pub := &discard{}
				if err := run(context.Background(), a, stripeClient("sk_test", srv.URL), pub, noCursors{}, "jada", time.Time{}, false); err != nil {
					b.Fatal(err)
				}
				published = pub.n.Load()
			}
			b.StopTimer()
			close(stop)
			<-done
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
			b.ReportMetric(peakRSS(), "peak-rss-MiB")
			b.ReportMetric(float64(published), "facts")
		})
	}
}
