package main

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
)

// BenchmarkReportDueToSlackDigest: the time from a report due published
// on SNS to its digest arriving at the Slack stand-in, through the mailer's
// run() on moto (build, two emails and their audit copies, the view, the
// digest's claim and post), one report at a time, over 20 reports per
// iteration: p50 and p99. The mailer sends at SES's quota rate (moto
// answers 1 email/s, and each report is four emails with the audit
// copies); BOARDPACK_MAILER_MAX_SEND_RATE in the environment sets another.
func BenchmarkReportDueToSlackDigest(b *testing.B) {
	const reports = 20
	w := newWorldTB(b)
	slack := newSlackStandIn(b)
	ctx := context.Background()
	tn := testTenant("dig-bench-" + mototest.UniqueID())
	tn.Slack = &tenants.Slack{Webhook: putWebhook(b, w.env.AWS, "/boardpack/slack/"+tn.ID, slack.URL+"/hook"), Digests: true}
	db := dynamodb.NewFromConfig(w.env.AWS)
	if err := (tenants.Store{DB: db, Table: w.env.Names.Table}).Apply(ctx, tenants.File{Tenants: []tenants.Tenant{tn}}); err != nil {
		b.Fatal(err)
	}
	rm := readmodel.Store{DB: db, Table: w.env.Names.Table}
	if _, err := rm.PutFact(ctx, messages.MetricEvent{
		Header: messages.Header{EventID: "evt_" + tn.ID, TenantID: tn.ID, OccurredAt: time.Now().Add(-time.Hour), Source: messages.SourceStripe},
		Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: 12345, Currency: "USD",
	}); err != nil {
		b.Fatal(err)
	}
	startService(b, w)
	pub, err := bus.NewPublisher(w.env.AWS, w.env.Names, w.env.Account, bus.Logger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	var lat []time.Duration
	sent := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for r := 0; r < reports; r++ {
			d := due(tn.ID, messages.RoleCFO)
			// Each report its own period (a month further back each time).
			d.PeriodStart, d.PeriodEnd = d.PeriodStart.AddDate(0, -sent-1, 0), d.PeriodEnd.AddDate(0, -sent-1, 0)
			d.ReportID = messages.ReportIDFor(tn.ID, d.Role, d.PeriodStart, d.PeriodEnd)
			start := time.Now()
			if err := pub.Publish(ctx, messages.TopicReportDue, d); err != nil {
				b.Fatal(err)
			}
			sent++
			for deadline := start.Add(60 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				if posts, _ := slack.got("/hook"); len(posts) >= sent {
					break
				}
				if time.Now().After(deadline) {
					b.Fatalf("digest %d not posted within 60s", sent)
				}
			}
			lat = append(lat, time.Since(start))
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	p := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
	b.ReportMetric(float64(p(0.50).Milliseconds()), "p50_ms")
	b.ReportMetric(float64(p(0.99).Milliseconds()), "p99_ms")
	b.ReportMetric(float64(lat[len(lat)-1].Milliseconds()), "max_ms")
}
