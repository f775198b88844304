package demo_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/boardpack/boardpack/services/internal/domain/stripemap"
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

// TestDemoWebhooks posts the demo set to a receiver that verifies each
// signature with the tenant's secret (resolved from an env: reference) and
// translates it, as the collector does.
func TestDemoWebhooks(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	t.Setenv("BOARDPACK_TEST_DEMO_SECRET", "whsec_demo_from_env")
	applyStripeTenant(t, env, "demo-co", tenants.Stripe{WebhookSecrets: []string{"env:BOARDPACK_TEST_DEMO_SECRET", "whsec_second"}})

	var mu sync.Mutex
	var types []string
	facts := 0
	rejectType := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/webhooks/stripe/demo-co" {
			w.WriteHeader(404)
			return
		}
		ev, err := webhook.ConstructEvent(body, r.Header.Get("Stripe-Signature"), "whsec_demo_from_env")
		if err != nil {
			w.WriteHeader(400)
			return
		}
		out, err := stripemap.Translate("demo-co", ev)
		mu.Lock()
		defer mu.Unlock()
		if err != nil || string(ev.Type) == rejectType {
			w.WriteHeader(400)
			return
		}
		types = append(types, string(ev.Type))
		facts += len(out)
	}))
	defer srv.Close()

	r := cli(t, env.Names, "demo", "webhooks", "--tenant", "demo-co", "--url", srv.URL, "--dir", repoFile(t, "deploy/demo/stripe"))
	if r.Code != 0 {
		t.Fatalf("exit %d: %s\n%s", r.Code, r.Stderr, r.Stdout)
	}
	seen := strings.Join(types, " ")
	for _, want := range []string{"charge.succeeded", "charge.refunded", "customer.subscription.created", "checkout.session.completed", "payout.paid", "balance.available"} {
		if !strings.Contains(seen, want) {
			t.Errorf("no %s posted (got %s)", want, seen)
		}
	}
	if facts < len(types) {
		t.Errorf("%d events gave only %d metric events", len(types), facts)
	}
	lines := strings.Split(strings.TrimSpace(r.Stdout), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, fmt.Sprintf("%d accepted, 0 failed", len(types))) {
		t.Errorf("summary line %q", last)
	}

	// One refusal makes the verb fail.
	rejectType = "payout.paid"
	if r := cli(t, env.Names, "demo", "webhooks", "--tenant", "demo-co", "--url", srv.URL, "--dir", repoFile(t, "deploy/demo/stripe")); r.Code != 1 || !strings.Contains(r.Stdout, "400 FAILED") {
		t.Fatalf("with a refusal: exit %d, stdout:\n%s", r.Code, r.Stdout)
	}
	for _, bad := range [][]string{
		{"demo", "webhooks"},
		{"demo", "webhooks", "--tenant", "demo-co", "--url", "ftp://x"},
	} {
		if r := cli(t, env.Names, bad...); r.Code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, r.Code)
		}
	}
	if r := cli(t, env.Names, "demo", "webhooks", "--tenant", "nobody", "--url", srv.URL); r.Code != 1 || !strings.Contains(r.Stderr, "nobody is not applied") {
		t.Errorf("unknown tenant: exit %d: %s", r.Code, r.Stderr)
	}
}
