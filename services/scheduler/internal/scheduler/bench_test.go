package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// BenchmarkCatchUpPass: one pass after an hour of downtime for a tenant
// with "* * * * *" and period interval: 60 report dues, each a conditional
// write, a publish to SNS and a mark-published, against moto. Reports the
// catch-up rate one replica reaches.
func BenchmarkCatchUpPass(b *testing.B) {
	r := newRig(b, time.Date(2024, 11, 3, 6, 0, 0, 0, time.UTC))
	r.apply(testTenant("catch-up", "America/Los_Angeles",
		tenants.Schedule{Role: "ceo", Cron: "* * * * *", Period: "interval"}))
	s := r.replica("bench", nil)
	ctx := context.Background()
	if _, err := s.Pass(ctx); err != nil {
		b.Fatal(err)
	}
	sent := 0
	var spent time.Duration
	for b.Loop() {
		r.clock.Advance(time.Hour)
		start := time.Now()
		if _, err := s.Pass(ctx); err != nil {
			b.Fatal(err)
		}
		spent += time.Since(start)
		sent += 60
	}
	if got := len(r.drain()); got != sent {
		b.Fatalf("%d report dues on the queue, want %d", got, sent)
	}
	b.ReportMetric(float64(sent)/spent.Seconds(), "reports/s")
	b.ReportMetric(spent.Seconds()/float64(sent)*1000, "ms/report")
}
