package report

import (
	"context"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/stripemap"
)

// The demo's payouts follow its balance: in the Accounting report of the
// demo month the Stripe balance differs from opening + net − payouts by
// exactly the charges' processing fees, which the demo (like a tenant
// without a Stripe API key) does not report, and the note says so.
func TestDemoPayoutsReconcile(t *testing.T) {
	f, err := stripemap.LoadFixtures("../../../../deploy/demo/stripe")
	if err != nil {
		t.Fatal(err)
	}
	tn := testTenant()
	tn.ID, tn.Timezone = "jada", "America/New_York"
	// As reportctl demo load dates them: the month's end less 12 hours.
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Add(-12 * time.Hour)
	evs, err := stripemap.DemoEvents(f, tn.ID, now, false, "USD")
	if err != nil {
		t.Fatal(err)
	}
	var facts []messages.MetricEvent
	var fees int64
	for _, de := range evs {
		ev, err := webhook.ConstructEventWithOptions(de.Payload, stripemap.Sign(de.Payload, "s", now), "s", webhook.ConstructEventOptions{IgnoreTolerance: true})
		if err != nil {
			t.Fatal(err)
		}
		fs, err := stripemap.Translate(tn.ID, ev)
		if err != nil {
			t.Fatalf("%s: %v", de.Type, err)
		}
		facts = append(facts, fs...)
		if ev.Type == stripe.EventTypeChargeSucceeded {
			for _, x := range fs {
				if x.Metric == messages.MetricRevenueGross {
					fees += stripemap.DemoFee(x.Value)
				}
			}
		}
	}
	r, err := Build(context.Background(), &memSource{facts: facts}, tn, monthDue(tn, messages.RoleAccounting, 2026, time.November), now.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, r.Text,
		"- Processor fees — Nov 2026: −$15.00 (dispute fees only)",
		"- Unreconciled difference — Amount: "+signedMoney(-fees, "USD"),
		"Payouts do not reconcile: "+signedMoney(-fees, "USD")+" unreconciled (",
		"of net revenue; it includes Stripe's processing fees, not known without the Stripe API key)",
		"Net revenue is before Stripe's processing fees, which the Stripe balance has paid: without the tenant's Stripe API key they are not known, and the difference includes them.")
	if fees == 0 {
		t.Fatal("no charge fees in the demo")
	}
}
