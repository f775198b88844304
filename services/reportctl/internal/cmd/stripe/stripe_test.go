package stripe_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

func applyStripeTenant(t *testing.T, env mototest.Env, id string, s tenants.Stripe) {
	t.Helper()
	store := tenants.Store{DB: dynamodb.NewFromConfig(env.AWS), Table: env.Names.Table}
	if err := store.Apply(context.Background(), tenants.File{Tenants: []tenants.Tenant{{
		ID: id, Name: "Test " + id, Timezone: "UTC", Currency: "USD", Stripe: s,
		Email: tenants.Email{From: "Boardpack <reports@example.com>"},
	}}}); err != nil {
		t.Fatal(err)
	}
}

// startStripeMock runs stripe-mock (STRIPE_MOCK_BIN, or stripe-mock on
// PATH) on a free port, or skips.
func startStripeMock(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("STRIPE_MOCK_BIN")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("stripe-mock"); err != nil {
			t.Skip("stripe-mock not installed (go install github.com/stripe/stripe-mock@v0.162.0, or set STRIPE_MOCK_BIN)")
		}
	}
	port, err := mototest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	// -https-addr: stripe-mock also listens for HTTPS, on 12112 unless told;
	// a port of the system's choosing lets two of them run at once.
	cmd := exec.Command(bin, "-http-addr", fmt.Sprintf("127.0.0.1:%d", port), "-https-addr", "127.0.0.1:")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/v1/balance")
		if err == nil {
			resp.Body.Close()
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("stripe-mock not ready: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func drain(t *testing.T, env mototest.Env) []messages.MetricEvent {
	t.Helper()
	c := sqs.NewFromConfig(env.AWS)
	q := env.Resource.QueueURLs[resources.QueueAggregatorMetrics]
	var out []messages.MetricEvent
	for {
		resp, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(q), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range resp.Messages {
			var e messages.MetricEvent
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &e); err != nil {
				t.Fatal(err)
			}
			out = append(out, e)
			_, _ = c.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(q), ReceiptHandle: m.ReceiptHandle})
		}
		if len(resp.Messages) < 10 {
			return out
		}
	}
}

// TestStripeBackfillAgainstStripeMock checks the wiring (API key from the
// tenant's reference, base URL, every list, publishing) against
// stripe-mock, and that a second run publishes the same event ids.
func TestStripeBackfillAgainstStripeMock(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	base := startStripeMock(t)
	t.Setenv("BOARDPACK_TEST_STRIPE_KEY", "sk_test_123")
	applyStripeTenant(t, env, "backfilled", tenants.Stripe{WebhookSecrets: []string{"whsec_x"}, APIKey: "env:BOARDPACK_TEST_STRIPE_KEY"})
	applyStripeTenant(t, env, "keyless", tenants.Stripe{WebhookSecrets: []string{"whsec_x"}})

	ids := func() (map[string]string, []messages.MetricEvent) {
		r := cli(t, env.Names, "stripe", "backfill", "--tenant", "backfilled", "--since", "2000-01-01", "--api-base", base)
		if r.Code != 0 {
			t.Fatalf("backfill: exit %d: %s\n%s", r.Code, r.Stderr, r.Stdout)
		}
		got := drain(t, env)
		out := map[string]string{}
		for _, e := range got {
			if e.TenantID != "backfilled" || e.Source != messages.SourceStripe {
				t.Errorf("bad header %+v", e.Header)
			}
			if e.Kind != messages.KindGauge { // a balance reading is new each run
				out[e.EventID] = e.Metric
			}
		}
		return out, got
	}
	first, events := ids()
	metrics := map[string]bool{}
	for _, e := range events {
		metrics[e.Metric] = true
	}
	// stripe-mock serves one object per list: an active subscription, a
	// customer, an open dispute, a balance; its payout is in transit, its
	// charge uncaptured, its invoice a draft and its checkout open, none
	// of which is a figure yet.
	for _, m := range []string{messages.MetricMRR, messages.MetricCustomersNew, messages.MetricDisputesAtStake, messages.MetricCashStripe} {
		if !metrics[m] {
			t.Errorf("no %s from stripe-mock's objects (got %v)", m, metrics)
		}
	}
	for _, m := range []string{messages.MetricPayoutsPaid, messages.MetricRevenueGross, messages.MetricInvoicesPaid, messages.MetricCheckoutCompleted} {
		if metrics[m] {
			t.Errorf("%s from an object that is not one yet", m)
		}
	}
	second, _ := ids()
	if len(first) == 0 || fmt.Sprint(first) != fmt.Sprint(second) {
		t.Fatalf("second run published other ids:\n%v\n%v", first, second)
	}

	if r := cli(t, env.Names, "stripe", "backfill", "--tenant", "backfilled", "--api-base", base, "--dry-run"); r.Code != 0 || !strings.Contains(r.Stdout, "dry run") {
		t.Errorf("dry run: exit %d: %s", r.Code, r.Stdout)
	}
	if got := drain(t, env); len(got) != 0 {
		t.Errorf("dry run published %d events", len(got))
	}
	if r := cli(t, env.Names, "stripe", "backfill", "--tenant", "keyless", "--api-base", base); r.Code != 1 || !strings.Contains(r.Stderr, "stripe.api_key") {
		t.Errorf("tenant without key: exit %d: %s", r.Code, r.Stderr)
	}
	if r := cli(t, env.Names, "stripe", "backfill", "--tenant", "backfilled", "--since", "last tuesday"); r.Code != 2 {
		t.Errorf("bad --since: exit %d", r.Code)
	}
}
