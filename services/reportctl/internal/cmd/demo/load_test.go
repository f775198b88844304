package demo_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/demo"
)

func TestMonthIsTheLastCompleteMonthOfTheData(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("a.expenses.csv", "date,category,vendor,amount\n2026-06-01,Rent,X,1.00\n2026-11-21,Rent,X,1.00\n")
	write("a.targets.csv", "month,metric,amount\n2027-03,revenue,1\n") // plans, not data
	for now, want := range map[string]string{
		"2026-12-01T00:30:00Z": "2026-11", // the first of the month: not month to date
		"2026-12-07T12:00:00Z": "2026-11",
		"2026-11-15T12:00:00Z": "2026-10", // November is not over
		"2027-03-02T12:00:00Z": "2026-11", // the data ends in November
	} {
		at, _ := time.Parse(time.RFC3339, now)
		if got, err := demo.Month(dir, at); err != nil || got != want {
			t.Errorf("Month(%s) = %q, %v; want %q", now, got, err, want)
		}
	}
	// The repository's demo data has a complete month.
	if m, err := demo.Month(repoFile(t, "deploy/demo"), time.Now()); err != nil || m == "" {
		t.Errorf("Month(deploy/demo) = %q, %v", m, err)
	}
}

// TestDemoLoad runs `demo load --send` against a stand-in collector: every
// tenant's webhooks are posted, the spreadsheets imported and one report
// due per role published for the month.
func TestDemoLoad(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	if r := cli(t, env.Names, "tenants", "apply", "-f", repoFile(t, "deploy/demo/tenants.yaml")); r.Code != 0 {
		t.Fatal(r.Stderr)
	}
	posted := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posted[strings.TrimPrefix(r.URL.Path, "/webhooks/stripe/")]++
	}))
	defer srv.Close()
	// Nothing consumes the queues here: drain them as the services would.
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	dues := make(chan messages.ReportDue, 100)
	c := sqs.NewFromConfig(env.AWS)
	for _, q := range []string{resources.QueueAggregatorMetrics, resources.QueueAlerterMetrics, resources.QueueMailerReportDue} {
		go func(url string) {
			for ctx.Err() == nil {
				out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
				if err != nil {
					continue
				}
				for _, m := range out.Messages {
					var d messages.ReportDue
					if q := url; strings.Contains(q, resources.QueueMailerReportDue) && json.Unmarshal([]byte(aws.ToString(m.Body)), &d) == nil {
						dues <- d
					}
					_, _ = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle})
				}
			}
		}(env.Resource.QueueURLs[q])
	}
	r := cli(t, env.Names, "demo", "load", "--dir", repoFile(t, "deploy/demo"), "--url", srv.URL, "--month", "2026-10", "--send", "jada", "--send-portfolio", "holding")
	if r.Code != 0 {
		t.Fatalf("demo load: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	for _, id := range []string{"queen-of-san-diego", "jada", "quickdumpnow", "dangerouscentaur"} {
		if posted[id] == 0 {
			t.Errorf("no webhooks posted for %s", id)
		}
		if !strings.Contains(r.Stdout, "imported expenses for "+id) && !strings.Contains(r.Stdout, "unchanged") {
			t.Errorf("no expenses imported for %s:\n%s", id, r.Stdout)
		}
	}
	stop()
	roles, portfolioRoles := map[string]bool{}, map[string]bool{}
	// load waited until the queues drained: the report dues are all here.
	for len(dues) > 0 {
		d := <-dues
		if d.PortfolioID == "holding" {
			portfolioRoles[d.Role] = true
			continue
		}
		if d.TenantID != "jada" || d.PeriodKind != messages.PeriodMonth || !strings.HasPrefix(d.PeriodStart.Format(time.RFC3339), "2026-10") {
			t.Errorf("report due %+v, want jada's October 2026", d)
		}
		roles[d.Role] = true
	}
	if len(roles) != 5 || len(portfolioRoles) != 5 {
		t.Errorf("report dues for roles %v and portfolio roles %v, want all five of each", roles, portfolioRoles)
	}
}
