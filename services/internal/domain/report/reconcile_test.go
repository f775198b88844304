package report

import (
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// The payouts reconciliation compares the whole Stripe balance (available
// + pending) with opening + net − payouts, and explains what a difference
// can be: fees not known, and nothing about pending funds once they are
// counted.
func TestPayoutsReconcileAvailablePlusPending(t *testing.T) {
	tn := testTenant()
	oct := pdt(time.October, 3, 12)
	live := true
	gauge := func(id, metric string, at time.Time, v int64) messages.MetricEvent {
		return messages.MetricEvent{Header: messages.Header{EventID: id, TenantID: tn.ID, OccurredAt: at, Source: messages.SourceStripe},
			Metric: metric, Kind: messages.KindGauge, Entity: "USD", Value: v, Currency: "USD"}
	}
	base := append(stripeFacts(t, tn.ID, stripeEv{"charge.succeeded", oct, chargeObj("ch_1", 10000, "usd", oct, true)}),
		messages.MetricEvent{Header: messages.Header{EventID: "p1", TenantID: tn.ID, OccurredAt: pdt(time.October, 10, 12), Source: messages.SourceStripe},
			Metric: messages.MetricPayoutsPaid, Kind: messages.KindState, Entity: "po_1", ObjectID: "po_1", Version: 3, Value: 3000, Currency: "USD", Livemode: &live},
		gauge("a0", messages.MetricCashStripe, pdt(time.September, 30, 12), 0),
		gauge("q0", messages.MetricCashStripePending, pdt(time.September, 30, 12), 0),
		gauge("q1", messages.MetricCashStripePending, pdt(time.October, 31, 12), 2000),
	)
	// 100.00 − 30.00 paid out = 50.00 available + 20.00 pending.
	text := accountingText(t, append(base, gauge("a1", messages.MetricCashStripe, pdt(time.October, 31, 12), 5000)), time.October)
	mustContain(t, text,
		"- Stripe balance (available + pending) at 1 Oct 2026 — Amount: $0.00",
		"- Expected closing (opening + net − payouts) — Amount: $70.00",
		"- Stripe balance (available + pending) at 1 Nov 2026 — Amount: $70.00",
		"- Unreconciled difference — Amount: $0.00",
		"Any other difference is adjustments Boardpack does not receive.")
	for _, no := range []string{"the difference includes them", "pending funds (charges not yet available) show as a difference"} {
		if strings.Contains(text, no) {
			t.Errorf("reconciled balance says %q", no)
		}
	}

	// $3.00 of fees the balance paid, not known: the difference says so.
	text = accountingText(t, append(base, gauge("a1", messages.MetricCashStripe, pdt(time.October, 31, 12), 4700)), time.October)
	mustContain(t, text,
		"- Unreconciled difference — Amount: −$3.00",
		"Net revenue is before Stripe's processing fees, which the Stripe balance has paid: without the tenant's Stripe API key they are not known, and the difference includes them.")

	// Without a pending reading: the available balance, said so.
	var noPending []messages.MetricEvent
	for _, f := range append(base, gauge("a1", messages.MetricCashStripe, pdt(time.October, 31, 12), 5000)) {
		if f.Metric != messages.MetricCashStripePending {
			noPending = append(noPending, f)
		}
	}
	mustContain(t, accountingText(t, noPending, time.October),
		"- Stripe balance at 1 Nov 2026 — Amount: $50.00",
		"- Unreconciled difference — Amount: −$20.00",
		"The balance is the available balance only: pending funds (charges not yet available) show as a difference.")
}
