package stripemap

import (
	"cmp"
	"slices"
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

// SubscriptionHistory is a subscription's MRR over its life, built from
// its history rather than from today's object stamped with an old date:
//
//   - a trial at creation is 0 (trialing) from creation, as
//     customer.subscription.created gives, and paying starts at trial_end
//     (the conversion) — never MRR from creation;
//   - each paid invoice (invoices: the subscription's, any order) says
//     what the subscription billed then: its subscription lines' prices,
//     quantities and the invoice's discounts are the subscription's state
//     from the invoice's creation (the first paying one from the start,
//     at the subscription's creation or trial end, so a backfill's
//     creation fact is the webhook's own), and a fact is made only where
//     that MRR changes;
//   - the current object counts from its current period's start when it
//     differs from the last invoice (a change not yet invoiced), and a
//     canceled one is 0 at its end, exactly as
//     customer.subscription.deleted gives.
//
// Without any paid invoice the current object stands for the whole paying
// life: the only history there is.
func SubscriptionHistory(tenantID string, sub *stripe.Subscription, invoices []*stripe.Invoice) ([]messages.MetricEvent, error) {
	var out []messages.MetricEvent
	emit := func(s *stripe.Subscription, at time.Time) (int64, error) {
		fs, err := Subscription(tenantID, s, at)
		if err != nil {
			return 0, err
		}
		out = append(out, fs...)
		if len(fs) == 0 {
			return 0, nil
		}
		return fs[0].Value, nil
	}
	ended := sub.Status == stripe.SubscriptionStatusCanceled || sub.Status == stripe.SubscriptionStatusIncompleteExpired
	end := sub.EndedAt
	if end == 0 {
		end = sub.CanceledAt
	}
	if end == 0 {
		end = sub.Created
	}
	paidFrom := sub.Created
	if sub.TrialEnd > sub.Created && sub.TrialStart <= sub.Created {
		trial := *sub
		trial.Status = stripe.SubscriptionStatusTrialing
		if _, err := emit(&trial, unix(sub.Created)); err != nil {
			return nil, err
		}
		paidFrom = sub.TrialEnd
	}
	paying := !ended || end > paidFrom

	invs := slices.Clone(invoices)
	slices.SortFunc(invs, func(a, b *stripe.Invoice) int { return cmp.Compare(a.Created, b.Created) })
	// lastWas is the state last emitted: what it gives at a later time
	// (a repeating coupon may have ended since) is the MRR a change is
	// measured against; lastAt is the last invoice's time.
	var lastWas *stripe.Subscription
	var lastAt int64
	seen := false
	for _, inv := range invs {
		if inv == nil || inv.Created < paidFrom || (ended && inv.Created >= end) {
			continue
		}
		items := invoiceItems(inv)
		if len(items) == 0 {
			continue
		}
		was := *sub
		was.Status = stripe.SubscriptionStatusActive
		was.Items = &stripe.SubscriptionItemList{Data: items}
		was.Discount, was.Discounts = inv.Discount, inv.Discounts
		at := inv.Created
		if !seen {
			at = paidFrom
		}
		lastAt = at
		if seen && sameMRR(&was, lastWas, unix(at)) {
			continue
		}
		if _, err := emit(&was, unix(at)); err != nil {
			return nil, err
		}
		lastWas, seen = &was, true
	}
	switch {
	case ended:
		if !seen && paying {
			was := *sub
			was.Status = stripe.SubscriptionStatusActive
			if _, err := emit(&was, unix(paidFrom)); err != nil {
				return nil, err
			}
		}
		if _, err := emit(sub, unix(end)); err != nil {
			return nil, err
		}
	case !seen:
		if _, err := emit(sub, unix(paidFrom)); err != nil {
			return nil, err
		}
	default:
		at := max(currentPeriodStart(sub), lastAt+1)
		if !sameMRR(sub, lastWas, unix(at)) {
			if _, err := emit(sub, unix(at)); err != nil {
				return nil, err
			}
		}
	}
	return uniq(out), nil
}

// sameMRR reports whether a and b give the same known MRR at t.
func sameMRR(a, b *stripe.Subscription, t time.Time) bool {
	va, errA := MRR(a, t)
	vb, errB := MRR(b, t)
	return errA == nil && errB == nil && va == vb
}

// invoiceItems are an invoice's subscription lines as subscription items
// (price, quantity, tax rates, the item's own discounts: a line's
// discounts are its item's, applied before the invoice's), prorations
// left out: what the subscription billed for the period.
func invoiceItems(inv *stripe.Invoice) []*stripe.SubscriptionItem {
	if inv.Lines == nil {
		return nil
	}
	var out []*stripe.SubscriptionItem
	for _, l := range inv.Lines.Data {
		if l == nil || l.Proration || (l.Price == nil && l.Plan == nil) || l.SubscriptionItem == nil {
			continue
		}
		out = append(out, &stripe.SubscriptionItem{ID: l.SubscriptionItem.ID, Price: l.Price, Plan: l.Plan, Quantity: l.Quantity, TaxRates: l.TaxRates,
			Discounts: l.Discounts})
	}
	return out
}

// currentPeriodStart is the subscription's current period start (0 when
// the API version moved it onto the items, which stripe-go v76 does not
// decode: the change then counts from just after the last invoice).
func currentPeriodStart(sub *stripe.Subscription) int64 { return sub.CurrentPeriodStart }

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
