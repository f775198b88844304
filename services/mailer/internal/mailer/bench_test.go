package mailer

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
)

// BenchmarkThroughput sends one report to 30 recipients (and the tenant's
// audit copies) through the whole mailer path (claim, MIME, SendRawEmail
// on moto, record) with the send rate capped at 10 recipients/s, and
// reports:
//   - share_of_rate: each report's recipients sent in the whole seconds
//     from its first SendRawEmail, over what the cap allows in them (rate
//     per second): at most 1 unless the cap is broken, since each such
//     second is a window. It leaves out the render before a report's first
//     send and the last, partial second, where the send path (claim, MIME,
//     record on moto), not the window, sets the pace.
//   - peak_per_1s: the most recipients in any sliding second of the run's
//     SendRawEmail calls, and cap_per_1s the cap it must not exceed.
//   - emails/s: recipients over the whole delivery time, render included.
//   - throttles: the throttling errors seen (moto never throttles: the cap
//     is the mailer's own send window).
//
// Run it with
//
//	go test -run '^$' -bench Throughput -benchtime 3x ./services/mailer/internal/mailer
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
	api := &clockedSES{next: m.sender.api, clock: time.Now}
	m.sender.api = api
	m.sender.fixedRate = rate
	var elapsed time.Duration
	before := len(mototest.SentRawEmails(b))
	var firsts []int // each report's first send in api.sent, and the end
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d := due(tn.ID, messages.RoleCTO)
		d.PeriodStart = d.PeriodStart.AddDate(0, -1-i, 0)
		d.PeriodEnd = d.PeriodStart.AddDate(0, 1, 0)
		d.ReportID = messages.ReportIDFor(tn.ID, "cto", d.PeriodStart, d.PeriodEnd)
		firsts = append(firsts, len(api.sent))
		start := time.Now()
		if err := m.deliver(context.Background(), d); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
	}
	b.StopTimer()
	// Every recipient of every SendRawEmail counts against the rate: each
	// recipient's email and its audit copy's addresses (the Destinations
	// asked for: moto's record adds the To header's addresses).
	sent := 0
	for _, s := range api.sent {
		sent += s.recipients
	}
	if want := recipients * (1 + len(tn.Email.BCCAudit)) * b.N; sent != want {
		b.Fatalf("%d recipients sent, want %d for %d recipients with %d audit addresses × %d reports", sent, want, recipients, len(tn.Email.BCCAudit), b.N)
	}
	if got := len(mototest.SentRawEmails(b)) - before; got != len(api.sent) {
		b.Fatalf("moto recorded %d emails, the mailer sent %d", got, len(api.sent))
	}
	firsts = append(firsts, len(api.sent))
	// Each report's recipients sent in the whole seconds from its first
	// send: the rate allows rate per such second, render time between
	// reports is left out, and so is the last, partial second, in which
	// the send path (not the window) sets the pace.
	var inWhole, wholeSeconds float64
	for i := 0; i+1 < len(firsts); i++ {
		report := api.sent[firsts[i]:firsts[i+1]]
		first := report[0].at
		whole := math.Floor(report[len(report)-1].at.Sub(first).Seconds())
		for _, s := range report {
			if s.at.Sub(first).Seconds() < whole {
				inWhole += float64(s.recipients)
			}
		}
		wholeSeconds += whole
	}
	peak, _ := busiestSecond(api.sent)
	b.ReportMetric(inWhole/(rate*wholeSeconds), "share_of_rate")
	b.ReportMetric(float64(peak), "peak_per_1s")
	b.ReportMetric(rate, "cap_per_1s")
	b.ReportMetric(float64(sent)/elapsed.Seconds(), "emails/s")
	b.ReportMetric(float64(m.sender.Throttles), "throttles")
}
