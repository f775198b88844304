package mailer

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
)

// BenchmarkThroughput sends one report to 30 recipients (and the tenant's
// audit copies) through the whole mailer path (claim, MIME, SendRawEmail
// on moto, record) with the send rate capped at 10/s, and reports the
// rate of SendRawEmail achieved, its share of the cap
// and the throttling errors seen (moto never throttles: the cap is the
// mailer's own token bucket).
//
//	go test -run '^$' -bench Throughput -benchtime 3x ./services/mailer
func BenchmarkThroughput(b *testing.B) {
	const recipients, rate = 30, 10.0
	w := newWorldTB(b)
	tn := w.tenant
	tn.Recipients = map[string][]string{"cto": {}}
	for i := 0; i < recipients; i++ {
		tn.Recipients["cto"] = append(tn.Recipients["cto"], fmt.Sprintf("cto%02d@queen.example.com", i))
	}
	if err := (tenants.Store{DB: w.db, Table: w.env.Names.Table}).Apply(context.Background(), tenants.File{Tenants: []tenants.Tenant{tn}}); err != nil {
		b.Fatal(err)
	}
	m := w.mailer(b, testSender)
	m.sender.fixedRate = rate
	var elapsed time.Duration
	before := len(mototest.SentRawEmails(b))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := due(tn.ID, messages.RoleCTO)
		d.PeriodStart = d.PeriodStart.AddDate(0, -1-i, 0)
		d.PeriodEnd = d.PeriodStart.AddDate(0, 1, 0)
		d.ReportID = messages.ReportIDFor(tn.ID, "cto", d.PeriodStart, d.PeriodEnd)
		start := time.Now()
		if err := m.deliver(context.Background(), d); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
	}
	// Every SendRawEmail counts against the rate: each recipient's email
	// and its audit copy (its own email since security finding 11).
	sent := len(mototest.SentRawEmails(b)) - before
	if sent < recipients*b.N {
		b.Fatalf("%d emails sent for %d recipients × %d reports", sent, recipients, b.N)
	}
	achieved := float64(sent) / elapsed.Seconds()
	b.ReportMetric(achieved, "emails/s")
	b.ReportMetric(achieved/rate, "share_of_rate")
	b.ReportMetric(float64(m.sender.Throttles), "throttles")
}
