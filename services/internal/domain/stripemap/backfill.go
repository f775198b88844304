package stripemap

import (
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/boardpack/boardpack/messages"
)

// The *History functions turn an object read through the Stripe API (its
// current state) into the facts its webhooks would have produced, as far as
// the object tells: `reportctl stripe backfill` uses them.

// ChargeHistory is a charge's gross revenue and, when refunded, its
// cumulative refund state at the time of its latest refund (the charge is
// listed with data.refunds expanded; without it, the charge's created
// time).
func ChargeHistory(tenantID string, ch *stripe.Charge) []messages.MetricEvent {
	at := ch.Created
	if ch.Refunds != nil {
		for _, re := range ch.Refunds.Data {
			if re != nil && re.Created > at && re.Status != stripe.RefundStatusFailed && re.Status != stripe.RefundStatusCanceled {
				at = re.Created
			}
		}
	}
	return Charge(tenantID, ch, unix(at))
}

// SubscriptionHistory is a subscription's MRR from its creation (at its
// current price: the object does not keep earlier ones) and, once it
// ended, 0 at its end, exactly as customer.subscription.deleted gives.
func SubscriptionHistory(tenantID string, sub *stripe.Subscription) ([]messages.MetricEvent, error) {
	switch sub.Status {
	case stripe.SubscriptionStatusCanceled:
		// It was paying from its start (unless it ended in a trial) until
		// it ended.
		var out []messages.MetricEvent
		if sub.TrialEnd == 0 || sub.TrialEnd < sub.EndedAt {
			was := *sub
			was.Status = stripe.SubscriptionStatusActive
			start, err := Subscription(tenantID, &was, unix(sub.Created))
			if err != nil {
				return nil, err
			}
			out = append(out, start...)
		}
		end := sub.EndedAt
		if end == 0 {
			end = sub.CanceledAt
		}
		if end == 0 {
			end = sub.Created
		}
		ended, err := Subscription(tenantID, sub, unix(end))
		if err != nil {
			return nil, err
		}
		return append(out, ended...), nil
	default:
		return Subscription(tenantID, sub, unix(sub.Created))
	}
}

// DisputeHistory is a dispute's amount at stake from its opening and,
// once closed, its final state at the last movement of funds; the money it
// moved comes from its balance transactions, as in the webhooks.
func DisputeHistory(tenantID string, d *stripe.Dispute) []messages.MetricEvent {
	open := *d
	open.BalanceTransactions = nil
	open.Status = stripe.DisputeStatusNeedsResponse
	if strings.HasPrefix(string(d.Status), "warning_") {
		open.Status = stripe.DisputeStatusWarningNeedsResponse
	}
	out := Dispute(tenantID, &open, unix(d.Created))
	at := d.Created
	switch d.Status {
	case stripe.DisputeStatusWon, stripe.DisputeStatusLost, stripe.DisputeStatusWarningClosed, "charge_refunded":
		for _, bt := range d.BalanceTransactions {
			if bt != nil && bt.Created > at {
				at = bt.Created
			}
		}
	}
	return uniq(append(out, Dispute(tenantID, d, unix(at))...))
}

// uniq drops repeated facts (same event id), keeping the first.
func uniq(fs []messages.MetricEvent) []messages.MetricEvent {
	seen := map[string]bool{}
	out := fs[:0]
	for _, f := range fs {
		if !seen[f.EventID] {
			seen[f.EventID] = true
			out = append(out, f)
		}
	}
	return out
}

// BalanceNow is the available balance read at time now.
func BalanceNow(tenantID string, b *stripe.Balance, now time.Time) []messages.MetricEvent {
	return Balance(tenantID, b, now.Truncate(time.Second))
}
