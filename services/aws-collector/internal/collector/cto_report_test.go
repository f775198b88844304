package collector_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/report"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// The promise: after one pass over an account with a Lambda holding
// STRIPE_KEY=sk_live_..., a distribution without WAF, a bucket without
// public access block and a record with TTL 60, the CTO report shows all
// four findings and the cost by service.
func TestOnePassFeedsTheCTOReport(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	s := seed(t, env.AWS, env.Endpoint)
	svc, tenantID := newTestService(t, env, &tenants.AWS{})
	ctx := context.Background()
	if _, err := svc.Pass(ctx); err != nil {
		t.Fatal(err)
	}
	got := drain(t, env.AWS, env.Resource.QueueURLs[resources.QueueAggregatorMetrics])
	ledger := readmodel.NewMemory()
	for _, e := range got.metrics {
		if _, err := ledger.PutFact(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range got.findings {
		if _, err := ledger.PutFinding(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	tn, err := tenants.Store{DB: dynamodb.NewFromConfig(env.AWS), Table: env.Names.Table}.Get(ctx, tenantID)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	start := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	end := now.Add(time.Minute)
	due := messages.ReportDue{
		Header:   messages.Header{EventID: "e", TenantID: tenantID, OccurredAt: now, Source: messages.SourceReportctl},
		ReportID: messages.ReportIDFor(tenantID, messages.RoleCTO, start, end), Role: messages.RoleCTO,
		PeriodStart: start, PeriodEnd: end, PeriodKind: messages.PeriodMonthToDate, DueAt: now,
	}
	r, err := report.Build(ctx, ledger, tn, due, end)
	if err != nil {
		t.Fatal(err)
	}
	for what, want := range map[string]string{
		"secret in Lambda environment": "STRIPE_KEY",
		"distribution without WAF":     s.Distribution,
		"bucket without public access": s.Bucket,
		"TTL outlier":                  "api." + s.Zone,
		"cost by service (Lambda)":     "AWS Lambda",
		"cost by service (S3)":         "Amazon Simple Storage Service",
		// Today's partial day counts in a month-to-date period.
		"today's Lambda invocations": "Invocations: 100; Errors: 10",
	} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("CTO report lacks the %s (%q):\n%s", what, want, r.Text)
		}
	}
	if testing.Verbose() {
		t.Log(r.Text)
	}
	if strings.Contains(r.Text, "sk_live") || strings.Contains(r.HTML, "sk_live") {
		t.Error("the CTO report shows the secret's value")
	}
}
