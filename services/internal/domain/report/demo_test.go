package report

import (
	"context"
	"slices"
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
		"[MEDIUM] Payouts cannot be reconciled without Stripe's fees: "+signedMoney(-fees, "USD")+" unreconciled (",
		"Add the tenant's restricted Stripe API key (stripe.api_key) so fees are read",
		"of net revenue; it includes Stripe's processing fees, not known without the Stripe API key)",
		"Net revenue is before Stripe's processing fees, which the Stripe balance has paid: without the tenant's Stripe API key they are not known, and the difference includes them.")
	if fees == 0 {
		t.Fatal("no charge fees in the demo")
	}
}

// Without the charges' fees, a balance short of what the payouts explain
// is first the fees' (medium: make them known); a surplus no fee explains
// (high: payouts do not reconcile).
func TestUnreconciledWithoutFees(t *testing.T) {
	tn := testTenant()
	oct := pdt(time.October, 3, 12)
	facts := stripeFacts(t, tn.ID, stripeEv{"charge.succeeded", oct, chargeObj("ch_1", 10000, "usd", oct, true)})
	cash := func(id string, at time.Time, v int64) messages.MetricEvent {
		return messages.MetricEvent{Header: messages.Header{EventID: id, TenantID: tn.ID, OccurredAt: at, Source: messages.SourceStripe},
			Metric: messages.MetricCashStripe, Kind: messages.KindGauge, Entity: "USD", Value: v, Currency: "USD"}
	}
	open := cash("c0", pdt(time.September, 30, 12), 0)
	for _, c := range []struct {
		closing int64
		want    string
	}{
		{9000, "[MEDIUM] Payouts cannot be reconciled without Stripe's fees: −$10.00 unreconciled (10 % of net revenue; it includes Stripe's processing fees"},
		{11000, "[HIGH] Payouts do not reconcile: +$10.00 unreconciled (10 % of net revenue; it includes Stripe's processing fees"},
	} {
		text := accountingText(t, append(slices.Clone(facts), open, cash("c1", pdt(time.October, 31, 12), c.closing)), time.October)
		mustContain(t, text, c.want)
	}
}
