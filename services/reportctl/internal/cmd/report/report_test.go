package report_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/report"
)

func TestReportUsageErrors(t *testing.T) {
	names := resources.Names{Prefix: "x-", Table: "x", ConfigurationSet: "x"}
	for _, args := range [][]string{
		{"report", "send", "--role", "cfo"},
		{"report", "send", "--tenant", "jada", "--role", "cfoo"},
		{"report", "preview", "--tenant", "jada", "--role", "cfo", "--period", "2026-13"},
		{"report", "preview", "--tenant", "jada", "--role", "cfo", "--format", "rtf"},
		{"report", "preview", "--tenant", "jada", "--role", "cfo", "--format", "pdf", "--paper", "A5"},
		{"report", "status"},
	} {
		if r := cli(t, names, args...); r.Code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, r.Code, r.Stderr)
		}
	}
}

func TestReportDuePeriods(t *testing.T) {
	tn := tenants.Tenant{ID: "jada", Timezone: "America/New_York"}
	now := time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC)
	a, err := report.ReportDue(tn, "cfo", "2026-10", now)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := report.ReportDue(tn, "cfo", "2026-10", now.Add(time.Hour))
	if a.ReportID != b.ReportID || a.EventID == b.EventID {
		t.Fatalf("--period: report ids %s/%s must match, event ids %s/%s differ", a.ReportID, b.ReportID, a.EventID, b.EventID)
	}
	if want := time.Date(2026, 10, 1, 4, 0, 0, 0, time.UTC); !a.PeriodStart.Equal(want) {
		t.Errorf("period start %s, want %s (midnight in New York)", a.PeriodStart, want)
	}
	c, _ := report.ReportDue(tn, "cfo", "", now)
	d, _ := report.ReportDue(tn, "cfo", "", now.Add(time.Minute))
	if c.ReportID == d.ReportID || c.PeriodKind != messages.PeriodMonthToDate || !c.PeriodEnd.Equal(now) {
		t.Errorf("month to date: %+v / %+v", c, d)
	}
	if _, err := report.ReportDue(tn, "cfo", "2027-01", now); err == nil {
		t.Error("a future month was accepted")
	}
}

func TestReportSendPreviewStatus(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	names := env.Names
	if r := cli(t, names, "tenants", "apply", "-f", repoFile(t, "deploy/demo/tenants.yaml")); r.Code != 0 {
		t.Fatalf("tenants apply: %s", r.Stderr)
	}
	r := cli(t, names, "report", "preview", "--tenant", "jada", "--role", "cfo", "--period", "2026-10", "--format", "text")
	if strings.Contains(r.Stdout, "View in browser") {
		t.Errorf("the preview links to a browser view it does not have")
	}
	if r := cli(t, names, "report", "preview", "--tenant", "jada", "--role", "cfo", "--period", "2026-10", "--format", "pdf", "--paper", "Letter"); r.Code != 0 || !strings.HasPrefix(r.Stdout, "%PDF-") {
		t.Fatalf("pdf preview: exit %d %.20q %s", r.Code, r.Stdout, r.Stderr)
	}
	if r.Code != 0 || !strings.Contains(r.Stdout, "Figures as of") || !strings.Contains(r.Stdout, "Missing: Stripe data") {
		t.Fatalf("preview: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if r := cli(t, names, "report", "preview", "--tenant", "nobody", "--role", "cfo"); r.Code != 1 || !strings.Contains(r.Stderr, "not found") {
		t.Fatalf("preview of an unknown tenant: exit %d %s", r.Code, r.Stderr)
	}
	if r := cli(t, names, "report", "send", "--tenant", "jada", "--role", "cfo", "--period", "2026-10"); r.Code != 0 {
		t.Fatalf("send: exit %d %s", r.Code, r.Stderr)
	}
	out, err := sqs.NewFromConfig(env.AWS).ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(env.Resource.QueueURLs[resources.QueueMailerReportDue]), WaitTimeSeconds: 5, MaxNumberOfMessages: 1,
	})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("receive: %v, %d messages", err, len(out.Messages))
	}
	var due messages.ReportDue
	if err := json.Unmarshal([]byte(aws.ToString(out.Messages[0].Body)), &due); err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("America/New_York")
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, loc)
	if want := messages.ReportIDFor("jada", "cfo", start, start.AddDate(0, 1, 0)); due.ReportID != want || due.Validate() != nil {
		t.Fatalf("published %+v, want report id %s", due, want)
	}
	if due.TestRecipient != "" {
		t.Fatalf("a real send asks for a test copy: %+v", due)
	}
	if r := cli(t, names, "report", "status", "--tenant", "jada"); r.Code != 0 || !strings.Contains(r.Stdout, "no sends recorded") {
		t.Fatalf("status: exit %d %s %s", r.Code, r.Stdout, r.Stderr)
	}

	// --to: the same report, as a test copy for one address.
	if r := cli(t, names, "report", "send", "--tenant", "jada", "--role", "cfo", "--period", "2026-10", "--to", "tester@example.com"); r.Code != 0 || !strings.Contains(r.Stdout, "test copy") {
		t.Fatalf("send --to: exit %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	out, err = sqs.NewFromConfig(env.AWS).ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(env.Resource.QueueURLs[resources.QueueMailerReportDue]), WaitTimeSeconds: 5, MaxNumberOfMessages: 1,
	})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("receive: %v, %d messages", err, len(out.Messages))
	}
	var test messages.ReportDue
	if err := json.Unmarshal([]byte(aws.ToString(out.Messages[0].Body)), &test); err != nil {
		t.Fatal(err)
	}
	if test.TestRecipient != "tester@example.com" || test.ReportID != due.ReportID || test.EventID == due.EventID {
		t.Fatalf("test copy %+v, want report %s for tester@example.com as a new event", test, due.ReportID)
	}
	for _, bad := range []string{"Tester <tester@example.com>", "not-an-address"} {
		if r := cli(t, names, "report", "send", "--tenant", "jada", "--role", "cfo", "--to", bad); r.Code != 2 {
			t.Errorf("--to %q: exit %d, want 2", bad, r.Code)
		}
	}
}
