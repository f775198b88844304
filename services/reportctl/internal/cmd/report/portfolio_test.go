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

func TestReportPortfolioUsageErrors(t *testing.T) {
	names := resources.Names{Prefix: "x-", Table: "x", ConfigurationSet: "x"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "send", "--tenant", "jada", "--portfolio", "holding", "--role", "cfo"}, "--tenant and --portfolio are mutually exclusive"},
		{[]string{"report", "preview", "--tenant", "jada", "--portfolio", "holding", "--role", "cfo"}, "--tenant and --portfolio are mutually exclusive"},
		{[]string{"report", "preview", "--role", "cfo"}, "--tenant or --portfolio is required"},
		{[]string{"report", "send", "--portfolio", "Hold Ing", "--role", "cfo"}, `--portfolio "Hold Ing" is not a portfolio id`},
		{[]string{"report", "send", "--portfolio", "holding", "--role", "cxo"}, `--role "cxo"`},
	} {
		r := cli(t, names, c.args...)
		if r.Code != 2 || !strings.Contains(r.Stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, r.Code, r.Stderr, c.want)
		}
	}
}

func TestPortfolioDuePeriod(t *testing.T) {
	p := tenants.Portfolio{ID: "holding", Timezone: "America/Los_Angeles"}
	now := time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC)
	d, err := report.PortfolioDue(p, "ceo", "2026-10", now)
	if err != nil {
		t.Fatal(err)
	}
	if d.PortfolioID != "holding" || d.TenantID != "holding" || d.Validate() != nil {
		t.Fatalf("due %+v", d)
	}
	if want := time.Date(2026, 10, 1, 7, 0, 0, 0, time.UTC); !d.PeriodStart.Equal(want) {
		t.Errorf("period start %s, want %s (midnight in Los Angeles)", d.PeriodStart, want)
	}
}

// TestReportPortfolioSendPreview: preview renders the demo portfolio's
// report over its four members; send publishes its report due with
// PortfolioID; an unknown portfolio is a clear error.
func TestReportPortfolioSendPreview(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	names := env.Names
	if r := cli(t, names, "tenants", "apply", "-f", repoFile(t, "deploy/demo/tenants.yaml")); r.Code != 0 {
		t.Fatalf("tenants apply: %s", r.Stderr)
	}
	r := cli(t, names, "report", "preview", "--portfolio", "holding", "--role", "ceo", "--period", "2026-10", "--format", "text")
	if r.Code != 0 {
		t.Fatalf("preview: exit %d\n%s", r.Code, r.Stderr)
	}
	for _, name := range []string{"Queen of San Diego", "JADA", "QuickDumpNow", "DangerousCentaur"} {
		if !strings.Contains(r.Stdout, name) {
			t.Errorf("portfolio preview does not name %s:\n%s", name, r.Stdout)
		}
	}
	if r := cli(t, names, "report", "preview", "--portfolio", "nobody", "--role", "ceo"); r.Code != 1 || !strings.Contains(r.Stderr, `portfolio "nobody" not found`) {
		t.Fatalf("unknown portfolio: exit %d %s", r.Code, r.Stderr)
	}
	if r := cli(t, names, "report", "preview", "--portfolio", "jada", "--role", "ceo"); r.Code != 1 || !strings.Contains(r.Stderr, `portfolio "jada" not found`) {
		t.Fatalf("a tenant id as --portfolio: exit %d %s", r.Code, r.Stderr)
	}
	r = cli(t, names, "report", "send", "--portfolio", "holding", "--role", "cfo", "--period", "2026-10")
	if r.Code != 0 || !strings.Contains(r.Stdout, "portfolio holding") || !strings.Contains(r.Stdout, "for 1 recipient(s)") {
		t.Fatalf("send: exit %d %s %s", r.Code, r.Stdout, r.Stderr)
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
	loc, _ := time.LoadLocation("America/Los_Angeles")
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, loc)
	if want := messages.ReportIDFor("holding", "cfo", start, start.AddDate(0, 1, 0)); due.ReportID != want || due.PortfolioID != "holding" || due.Validate() != nil {
		t.Fatalf("published %+v, want portfolio holding's report %s", due, want)
	}
}
