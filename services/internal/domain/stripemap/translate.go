package stripemap

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/boardpack/boardpack/messages"
)

// ErrUnhandled is returned for an event type that yields no figure by
// design (it is acknowledged and counted, never published).
var ErrUnhandled = errors.New("unhandled stripe event type")

// EventTypeRefundFailed is sent when a refund fails (stripe-go v76 has no
// constant for it).
const EventTypeRefundFailed stripe.EventType = "refund.failed"

// ErrMalformed is returned for an event whose object does not decode.
var ErrMalformed = errors.New("malformed stripe event")

// Handled lists the event types Translate understands.
var Handled = []stripe.EventType{
	stripe.EventTypeChargeSucceeded, stripe.EventTypeChargeCaptured, stripe.EventTypeChargeRefunded,
	stripe.EventTypeChargeRefundUpdated, stripe.EventTypeRefundCreated, stripe.EventTypeRefundUpdated, EventTypeRefundFailed,
	stripe.EventTypeChargeDisputeCreated, stripe.EventTypeChargeDisputeUpdated, stripe.EventTypeChargeDisputeClosed,
	stripe.EventTypeChargeDisputeFundsWithdrawn, stripe.EventTypeChargeDisputeFundsReinstated,
	stripe.EventTypeInvoicePaid, stripe.EventTypeInvoicePaymentFailed,
	stripe.EventTypeCustomerSubscriptionCreated, stripe.EventTypeCustomerSubscriptionUpdated,
	stripe.EventTypeCustomerSubscriptionDeleted, stripe.EventTypeCustomerSubscriptionPaused,
	stripe.EventTypeCustomerSubscriptionResumed,
	stripe.EventTypePayoutPaid, stripe.EventTypePayoutFailed, stripe.EventTypePayoutCanceled,
	stripe.EventTypeCheckoutSessionCompleted, stripe.EventTypeCheckoutSessionExpired,
	stripe.EventTypeCustomerCreated, stripe.EventTypeBalanceAvailable,
}

// Translate turns one Stripe event into the metric events it implies. A
// handled event may imply none (an uncaptured charge); an unknown type
// returns ErrUnhandled. Every returned event passes Validate.
func Translate(tenantID string, ev stripe.Event) ([]messages.MetricEvent, error) {
	return translate(tenantID, ev, nil)
}

// translate is Translate with a charge event's object already decoded
// (DecodeWebhook), or nil.
func translate(tenantID string, ev stripe.Event, decoded *stripe.Charge) ([]messages.MetricEvent, error) {
	if !messages.ValidTenantID(tenantID) {
		return nil, fmt.Errorf("translate %s: invalid tenant id %q", ev.ID, tenantID)
	}
	if ev.Data == nil || len(ev.Data.Raw) == 0 {
		return nil, fmt.Errorf("%w: %s %s has no data.object", ErrMalformed, ev.Type, ev.ID)
	}
	at := time.Unix(ev.Created, 0).UTC()
	var (
		out []messages.MetricEvent
		err error
	)
	switch ev.Type {
	case stripe.EventTypeChargeSucceeded, stripe.EventTypeChargeCaptured, stripe.EventTypeChargeRefunded:
		ch := decoded
		if ch == nil {
			ch, err = decodeCharge(ev)
		}
		if err == nil {
			// Revenue counts at capture. charge.captured announces it
			// (manual capture); a charge that succeeds captured was
			// captured when created. Any other event (charge.refunded of
			// a manually captured charge) does not say when, so it gives
			// the gross only when its balance transaction (created at
			// capture) is expanded.
			var capturedAt time.Time
			switch {
			case ev.Type == stripe.EventTypeChargeCaptured:
				capturedAt = at
			case ev.Type == stripe.EventTypeChargeSucceeded:
				capturedAt = unix(ch.Created)
			}
			if bt := ch.BalanceTransaction; bt != nil && bt.Created > 0 {
				capturedAt = unix(bt.Created)
			}
			out = charge(tenantID, ch, at, capturedAt)
		}
	case stripe.EventTypeChargeRefundUpdated, stripe.EventTypeRefundCreated, stripe.EventTypeRefundUpdated, EventTypeRefundFailed:
		var re stripe.Refund
		if err = decode(ev, &re); err == nil {
			out = Refund(tenantID, &re, at)
		}
	case stripe.EventTypeChargeDisputeCreated, stripe.EventTypeChargeDisputeUpdated, stripe.EventTypeChargeDisputeClosed,
		stripe.EventTypeChargeDisputeFundsWithdrawn, stripe.EventTypeChargeDisputeFundsReinstated:
		var d stripe.Dispute
		if err = decode(ev, &d); err == nil {
			if ev.Type == stripe.EventTypeChargeDisputeCreated {
				at = time.Unix(d.Created, 0).UTC()
			}
			out = Dispute(tenantID, &d, at)
			// A funds event whose object carries no balance transaction
			// for its direction still moved the money, at the event.
			withdrawn := ev.Type == stripe.EventTypeChargeDisputeFundsWithdrawn
			if (withdrawn || ev.Type == stripe.EventTypeChargeDisputeFundsReinstated) && !hasFunds(&d, withdrawn) {
				out = append(out, disputeFunds(tenantID, &d, withdrawn, at, nil)...)
			}
		}
	case stripe.EventTypeInvoicePaid:
		var inv stripe.Invoice
		if err = decode(ev, &inv); err == nil {
			out = InvoicePaid(tenantID, &inv)
		}
	case stripe.EventTypeInvoicePaymentFailed:
		var inv stripe.Invoice
		if err = decode(ev, &inv); err == nil {
			out = InvoiceFailed(tenantID, &inv, at)
		}
	case stripe.EventTypeCustomerSubscriptionCreated, stripe.EventTypeCustomerSubscriptionUpdated,
		stripe.EventTypeCustomerSubscriptionDeleted, stripe.EventTypeCustomerSubscriptionPaused,
		stripe.EventTypeCustomerSubscriptionResumed:
		var sub stripe.Subscription
		if err = decode(ev, &sub); err == nil {
			switch {
			case ev.Type == stripe.EventTypeCustomerSubscriptionCreated && sub.Created > 0:
				at = time.Unix(sub.Created, 0).UTC()
			case ev.Type == stripe.EventTypeCustomerSubscriptionDeleted && sub.EndedAt > 0:
				at = time.Unix(sub.EndedAt, 0).UTC()
			}
			out, err = Subscription(tenantID, &sub, at)
		}
	case stripe.EventTypePayoutPaid, stripe.EventTypePayoutFailed, stripe.EventTypePayoutCanceled:
		var po stripe.Payout
		if err = decode(ev, &po); err == nil {
			// The event type is the truth for the status it announces.
			switch ev.Type {
			case stripe.EventTypePayoutPaid:
				po.Status = stripe.PayoutStatusPaid
			case stripe.EventTypePayoutFailed:
				po.Status = stripe.PayoutStatusFailed
			default:
				po.Status = stripe.PayoutStatusCanceled
			}
			out = Payout(tenantID, &po)
		}
	case stripe.EventTypeCheckoutSessionCompleted, stripe.EventTypeCheckoutSessionExpired:
		var cs stripe.CheckoutSession
		if err = decode(ev, &cs); err == nil {
			if ev.Type == stripe.EventTypeCheckoutSessionCompleted {
				cs.Status = stripe.CheckoutSessionStatusComplete
			} else {
				cs.Status = stripe.CheckoutSessionStatusExpired
			}
			out = CheckoutSession(tenantID, &cs)
		}
	case stripe.EventTypeCustomerCreated:
		var c stripe.Customer
		if err = decode(ev, &c); err == nil {
			out = Customer(tenantID, &c)
		}
	case stripe.EventTypeBalanceAvailable:
		var b stripe.Balance
		if err = decode(ev, &b); err == nil {
			out = Balance(tenantID, &b, at)
		}
	default:
		return nil, fmt.Errorf("%w: %s", ErrUnhandled, ev.Type)
	}
	if err != nil {
		return nil, err
	}
	for i := range out {
		if err := out[i].Validate(); err != nil {
			return nil, fmt.Errorf("%w: %s %s: %w", ErrMalformed, ev.Type, ev.ID, err)
		}
	}
	return out, nil
}

func hasFunds(d *stripe.Dispute, withdrawn bool) bool {
	for _, bt := range d.BalanceTransactions {
		if bt != nil && bt.Amount != 0 && (bt.Amount < 0) == withdrawn {
			return true
		}
	}
	return false
}

func decode(ev stripe.Event, v any) error {
	if err := json.Unmarshal(ev.Data.Raw, v); err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrMalformed, ev.Type, ev.ID, err)
	}
	return nil
}

// Charge returns a charge's figures: revenue.gross once captured, and its
// cumulative refunds as state when anything was refunded. at is when the
// refund state was observed (the event's created time, or the latest
// refund's created time in a backfill).
//
// The gross counts at capture: the charge's balance transaction's created
// time when it is expanded, otherwise the charge's created time (a backfill
// of a manually captured charge needs data.balance_transaction expanded to
// date it right).
func Charge(tenantID string, ch *stripe.Charge, at time.Time) []messages.MetricEvent {
	capturedAt := unix(ch.Created)
	if bt := ch.BalanceTransaction; bt != nil && bt.Created > 0 {
		capturedAt = unix(bt.Created)
	}
	return charge(tenantID, ch, at, capturedAt)
}

// charge is Charge with the capture time given; zero means unknown: no
// gross (another event or the backfill will date it).
func charge(tenantID string, ch *stripe.Charge, at, capturedAt time.Time) []messages.MetricEvent {
	var out []messages.MetricEvent
	cur := currency(ch.Currency)
	if ch.Captured && !capturedAt.IsZero() {
		v := ch.AmountCaptured
		if v == 0 {
			v = ch.Amount
		}
		if v > 0 {
			e := base(tenantID, messages.MetricRevenueGross, ch.ID, capturedAt, ch.Livemode)
			e.Kind, e.Value, e.Currency = messages.KindAdditive, amount(v, cur), cur
			e.EventID = EventID(tenantID, e.Metric, ch.ID)
			out = append(out, e)
		}
		out = append(out, ChargeBalance(tenantID, ch)...)
	}
	if !ch.Captured || ch.AmountRefunded <= 0 {
		return out
	}
	// Listed refunds are facts of their own (see Refund). The charge's
	// cumulative amount_refunded is the fallback for a charge whose
	// refunds are not listed (API versions since 2022-11-15 no longer
	// include them in charge.refunded); the read model prefers a charge's
	// refunds to its cumulative figure once any refund is known
	// (readmodel.PreferParts).
	if ch.Refunds != nil && len(ch.Refunds.Data) > 0 {
		for _, re := range ch.Refunds.Data {
			if re == nil {
				continue
			}
			if re.Charge == nil {
				re.Charge = &stripe.Charge{ID: ch.ID}
			}
			if re.Currency == "" {
				re.Currency = ch.Currency
			}
			out = append(out, Refund(tenantID, re, at)...)
		}
		return out
	}
	// amount_refunded also counts authorised amounts released without
	// being captured (an uncaptured charge "refunded" in full, or the
	// remainder of a partial capture): only money that was captured and
	// returned is a refund.
	released := max(ch.Amount-ch.AmountCaptured, 0)
	if ch.AmountCaptured == 0 {
		released = 0
	}
	refunded := max(ch.AmountRefunded-released, 0)
	out = append(out, state(tenantID, messages.MetricRevenueRefunded, ch.ID, ch.ID, at, ch.Livemode,
		amount(refunded, cur), ch.AmountRefunded, cur))
	return out
}

// refundRank orders a refund's statuses: it is created requires_action or
// pending, then succeeds, and may fail (even after succeeding) or be
// cancelled; failed and canceled are final.
var refundRank = map[stripe.RefundStatus]int64{
	stripe.RefundStatusRequiresAction: 1,
	stripe.RefundStatusPending:        2,
	stripe.RefundStatusSucceeded:      3,
	stripe.RefundStatusFailed:         terminal + 4,
	stripe.RefundStatusCanceled:       terminal + 4,
}

// Refund is one refund's state (revenue.refunded, entity = the refund,
// object = its charge): its amount while requires_action, pending or
// succeeded, dated at the refund's creation; 0 once failed or cancelled,
// dated when that was observed (at: the event's time, or the failure
// balance transaction's when expanded), so the money comes back in the
// period it came back. The version is the status's rank, not a time, so
// every event describing the same refund in the same status gives the
// same fact.
func Refund(tenantID string, re *stripe.Refund, at time.Time) []messages.MetricEvent {
	rank, ok := refundRank[re.Status]
	if !ok || re.ID == "" {
		return nil
	}
	cur := currency(re.Currency)
	chargeID := ""
	if re.Charge != nil {
		chargeID = re.Charge.ID
	}
	when, value := unix(re.Created), amount(re.Amount, cur)
	if rank >= terminal {
		value = 0
		if fb := re.FailureBalanceTransaction; fb != nil && fb.Created > 0 {
			at = unix(fb.Created)
		}
		if at.After(when) {
			when = at
		}
	}
	e := state(tenantID, messages.MetricRevenueRefunded, re.ID, chargeID, when, false, value, rank, cur)
	e.Livemode = nil
	if chargeID != "" {
		e.Dimensions = map[string]string{"charge": chargeID}
	}
	return []messages.MetricEvent{e}
}

// Dispute returns a dispute's figures at at (the event's created time; the
// dispute's created time for its opening):
//
//   - disputes.at_stake, the amount in question while the dispute (or
//     inquiry) is open, 0 once closed: state, not money;
//   - revenue.disputed, the money moved: one fact when the funds are
//     withdrawn (the amount, positive) and one when they are reinstated
//     (negative), from the dispute's balance_transactions, so whichever
//     event carries them (funds_withdrawn, updated, closed, a backfill)
//     yields the same facts; the dispute fee of each as revenue.fees;
//   - disputes.won / disputes.lost, counted once per dispute when closed.
//
// Inquiries (warning_*) have no balance transactions: they move nothing.
func Dispute(tenantID string, d *stripe.Dispute, at time.Time) []messages.MetricEvent {
	cur := currency(d.Currency)
	chargeID := ""
	if d.Charge != nil {
		chargeID = d.Charge.ID
	}
	obj := d.ID
	if chargeID != "" {
		obj = chargeID
	}
	value, version := amount(d.Amount, cur), at.Unix()
	closed := false
	switch d.Status {
	case stripe.DisputeStatusWarningNeedsResponse, stripe.DisputeStatusWarningUnderReview,
		stripe.DisputeStatusNeedsResponse, stripe.DisputeStatusUnderReview:
	default: // won, lost, warning_closed, charge_refunded, prevented, ...
		value, version, closed = 0, version+terminal, true
	}
	stake := state(tenantID, messages.MetricDisputesAtStake, d.ID, obj, at, d.Livemode, value, version, cur)
	if strings.HasPrefix(string(d.Status), "warning_") {
		stake.Dimensions = map[string]string{"inquiry": "true"}
		stake.EventID = EventID(tenantID, stake.Metric, d.ID, strconv.FormatInt(version, 10), strconv.FormatInt(value, 10), "inquiry")
	}
	out := []messages.MetricEvent{stake}
	if !strings.HasPrefix(string(d.Status), "warning_") {
		for _, bt := range d.BalanceTransactions {
			if bt == nil || bt.Amount == 0 {
				continue
			}
			out = append(out, disputeFunds(tenantID, d, bt.Amount < 0, unix(bt.Created), bt)...)
		}
	}
	if closed {
		metric := ""
		switch d.Status {
		case stripe.DisputeStatusWon:
			metric = messages.MetricDisputesWon
		case stripe.DisputeStatusLost:
			metric = messages.MetricDisputesLost
		}
		if metric != "" {
			e := base(tenantID, metric, obj, at, d.Livemode)
			e.Kind, e.Value, e.Unit, e.Currency = messages.KindAdditive, 1, messages.UnitCount, ""
			e.Dimensions = map[string]string{"currency": cur}
			e.EventID = EventID(tenantID, metric, d.ID)
			out = append(out, e)
		}
	}
	return out
}

// disputeFunds is the money a dispute moved in one direction (withdrawn,
// or reinstated), at at, with its fee when the balance transaction is
// known. The event id is the dispute and the direction, so a
// funds_withdrawn event without balance transactions and a later event
// with them give one fact.
func disputeFunds(tenantID string, d *stripe.Dispute, withdrawn bool, at time.Time, bt *stripe.BalanceTransaction) []messages.MetricEvent {
	cur := currency(d.Currency)
	obj := d.ID
	if d.Charge != nil && d.Charge.ID != "" {
		obj = d.Charge.ID
	}
	v := amount(d.Amount, cur)
	if bt != nil && currency(bt.Currency) == cur && bt.Amount != 0 {
		v = amount(abs64(bt.Amount), cur)
	}
	dir := "withdrawn"
	if !withdrawn {
		v, dir = -v, "reinstated"
	}
	e := base(tenantID, messages.MetricRevenueDisputed, obj, at, d.Livemode)
	e.Kind, e.Value, e.Currency = messages.KindAdditive, v, cur
	e.Dimensions = map[string]string{"dispute": d.ID, "funds": dir}
	e.EventID = EventID(tenantID, e.Metric, d.ID, dir)
	out := []messages.MetricEvent{e}
	if bt != nil && bt.Fee != 0 {
		out = append(out, fee(tenantID, bt, obj, "dispute", d.Livemode))
	}
	return out
}

// fee is a balance transaction's fee, once per balance transaction, at its
// created time, in its (settlement) currency.
func fee(tenantID string, bt *stripe.BalanceTransaction, objectID, kind string, livemode bool) messages.MetricEvent {
	cur := currency(bt.Currency)
	e := base(tenantID, messages.MetricRevenueFees, objectID, unix(bt.Created), livemode)
	e.Kind, e.Value, e.Currency = messages.KindAdditive, amount(bt.Fee, cur), cur
	e.Dimensions = map[string]string{"type": kind}
	// The object is part of the key: a balance transaction belongs to one
	// object, but test servers (stripe-mock) serve one for all.
	e.EventID = EventID(tenantID, e.Metric, bt.ID, objectID)
	return e
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// InvoicePaid returns the amount paid on an invoice, once per invoice.
func InvoicePaid(tenantID string, inv *stripe.Invoice) []messages.MetricEvent {
	if inv.AmountPaid <= 0 {
		return nil
	}
	t := inv.Created
	if inv.StatusTransitions != nil && inv.StatusTransitions.PaidAt > 0 {
		t = inv.StatusTransitions.PaidAt
	}
	e := base(tenantID, messages.MetricInvoicesPaid, inv.ID, unix(t), inv.Livemode)
	e.Kind, e.Value, e.Currency = messages.KindAdditive, inv.AmountPaid, currency(inv.Currency)
	e.EventID = EventID(tenantID, e.Metric, inv.ID)
	return []messages.MetricEvent{e}
}

// InvoiceFailed counts one failed payment attempt of an invoice at at.
func InvoiceFailed(tenantID string, inv *stripe.Invoice, at time.Time) []messages.MetricEvent {
	e := base(tenantID, messages.MetricInvoicesFailed, inv.ID, at, inv.Livemode)
	e.Kind, e.Value, e.Unit = messages.KindAdditive, 1, messages.UnitCount
	e.EventID = EventID(tenantID, e.Metric, inv.ID, strconv.FormatInt(inv.AttemptCount, 10))
	return []messages.MetricEvent{e}
}

// payoutRank orders a payout's statuses; failed and canceled are final (a
// paid payout can still fail).
var payoutRank = map[stripe.PayoutStatus]int64{
	stripe.PayoutStatusPending:   1,
	stripe.PayoutStatusInTransit: 2,
	stripe.PayoutStatusPaid:      3,
	stripe.PayoutStatusFailed:    terminal + 4,
	stripe.PayoutStatusCanceled:  terminal + 4,
}

// Payout returns a payout's latest state at its arrival date: payouts.paid
// is its amount once paid and 0 once failed or cancelled; payouts.failed
// its amount once failed. Paid then failed counts once, as failed, in any
// delivery order. Pending and in-transit payouts yield nothing.
func Payout(tenantID string, po *stripe.Payout) []messages.MetricEvent {
	rank := payoutRank[po.Status]
	if rank < payoutRank[stripe.PayoutStatusPaid] {
		return nil
	}
	t := po.ArrivalDate
	if t == 0 {
		t = po.Created
	}
	cur := currency(po.Currency)
	v := amount(po.Amount, cur)
	paid, failed := v, int64(0)
	switch po.Status {
	case stripe.PayoutStatusFailed:
		paid, failed = 0, v
	case stripe.PayoutStatusCanceled:
		paid = 0
	}
	out := []messages.MetricEvent{state(tenantID, messages.MetricPayoutsPaid, po.ID, po.ID, unix(t), po.Livemode, paid, rank, cur)}
	if po.Status == stripe.PayoutStatusFailed {
		out = append(out, state(tenantID, messages.MetricPayoutsFailed, po.ID, po.ID, unix(t), po.Livemode, failed, rank, cur))
	}
	return out
}

// CheckoutSession counts a completed or expired session, once per session.
// Open sessions yield nothing.
func CheckoutSession(tenantID string, cs *stripe.CheckoutSession) []messages.MetricEvent {
	var (
		metric string
		t      int64
	)
	switch cs.Status {
	case stripe.CheckoutSessionStatusComplete:
		metric, t = messages.MetricCheckoutCompleted, cs.Created
	case stripe.CheckoutSessionStatusExpired:
		metric, t = messages.MetricCheckoutExpired, cs.ExpiresAt
		if t == 0 {
			t = cs.Created
		}
	default:
		return nil
	}
	e := base(tenantID, metric, cs.ID, unix(t), cs.Livemode)
	e.Kind, e.Value, e.Unit = messages.KindAdditive, 1, messages.UnitCount
	if cs.Mode != "" {
		e.Dimensions = map[string]string{"mode": string(cs.Mode)}
	}
	e.EventID = EventID(tenantID, metric, cs.ID)
	return []messages.MetricEvent{e}
}

// Customer counts a new customer, once per customer.
func Customer(tenantID string, c *stripe.Customer) []messages.MetricEvent {
	e := base(tenantID, messages.MetricCustomersNew, c.ID, unix(c.Created), c.Livemode)
	e.Kind, e.Value, e.Unit = messages.KindAdditive, 1, messages.UnitCount
	e.EventID = EventID(tenantID, e.Metric, c.ID)
	return []messages.MetricEvent{e}
}

// Balance returns the available balance per currency as gauges read at at.
func Balance(tenantID string, b *stripe.Balance, at time.Time) []messages.MetricEvent {
	var out []messages.MetricEvent
	seen := map[string]bool{}
	for _, a := range b.Available {
		if a == nil || a.Currency == "" {
			continue
		}
		cur := currency(a.Currency)
		if seen[cur] {
			continue
		}
		seen[cur] = true
		e := base(tenantID, messages.MetricCashStripe, "", at, b.Livemode)
		e.Kind, e.Value, e.Currency, e.Entity = messages.KindGauge, a.Amount, cur, cur
		e.EventID = EventID(tenantID, e.Metric, cur, strconv.FormatInt(at.Unix(), 10))
		out = append(out, e)
	}
	return out
}

// Subscription returns the subscription's MRR as state at at. It fails
// only for a subscription whose figures cannot be computed (mixed
// currencies are impossible in Stripe; an interval it does not know is
// reported).
func Subscription(tenantID string, sub *stripe.Subscription, at time.Time) ([]messages.MetricEvent, error) {
	mrr, err := MRR(sub, at)
	if err != nil {
		return nil, fmt.Errorf("subscription %s: %w", sub.ID, err)
	}
	version := at.Unix()*16 + statusRank[sub.Status]
	if sub.Status == stripe.SubscriptionStatusCanceled || sub.Status == stripe.SubscriptionStatusIncompleteExpired {
		version += terminal
	}
	cur := subscriptionCurrency(sub)
	e := state(tenantID, messages.MetricMRR, sub.ID, sub.ID, at, sub.Livemode, amount(mrr, cur), version, cur)
	return []messages.MetricEvent{e}, nil
}

// subscriptionCurrency is the subscription's currency, or (older API
// shapes carry it only there) its first item's price's or plan's.
func subscriptionCurrency(sub *stripe.Subscription) string {
	if sub.Currency != "" {
		return currency(sub.Currency)
	}
	if sub.Items != nil {
		for _, it := range sub.Items.Data {
			switch {
			case it == nil:
			case it.Price != nil && it.Price.Currency != "":
				return currency(it.Price.Currency)
			case it.Plan != nil && it.Plan.Currency != "":
				return currency(it.Plan.Currency)
			}
		}
	}
	return ""
}

// terminal is added to the version of a final state (a canceled
// subscription, a closed dispute), so it wins over any change Stripe
// reported with an earlier or even a later timestamp: nothing follows it.
const terminal = 1 << 40

var statusRank = map[stripe.SubscriptionStatus]int64{
	stripe.SubscriptionStatusIncomplete:        0,
	stripe.SubscriptionStatusTrialing:          1,
	stripe.SubscriptionStatusActive:            2,
	stripe.SubscriptionStatusPastDue:           3,
	stripe.SubscriptionStatusUnpaid:            4,
	stripe.SubscriptionStatusPaused:            5,
	stripe.SubscriptionStatusIncompleteExpired: 6,
	stripe.SubscriptionStatusCanceled:          7,
}

// MRR is a subscription's monthly recurring revenue in minor units at time
// at (which decides whether a repeating discount still applies).
func MRR(sub *stripe.Subscription, at time.Time) (int64, error) {
	switch sub.Status {
	case stripe.SubscriptionStatusActive, stripe.SubscriptionStatusPastDue:
	default:
		return 0, nil
	}
	total := new(big.Rat)
	if sub.Items != nil {
		for _, it := range sub.Items.Data {
			m, err := itemMonthly(it)
			if err != nil {
				return 0, err
			}
			total.Add(total, m)
		}
	}
	if d := sub.Discount; d != nil && d.Coupon != nil && discountApplies(d, at) {
		c := d.Coupon
		switch {
		case c.PercentOff > 0:
			p, ok := new(big.Rat).SetString(strconv.FormatFloat(c.PercentOff, 'f', -1, 64))
			if ok {
				keep := new(big.Rat).Sub(big.NewRat(1, 1), new(big.Rat).Quo(p, big.NewRat(100, 1)))
				total.Mul(total, keep)
			}
		case c.AmountOff > 0 && (c.Currency == "" || c.Currency == sub.Currency):
			// amount_off comes off every invoice, i.e. every billing
			// interval: normalise it like the items.
			f := intervalFactor(subscriptionInterval(sub))
			if f != nil {
				total.Sub(total, new(big.Rat).Mul(big.NewRat(c.AmountOff, 1), f))
			}
		}
	}
	if total.Sign() < 0 {
		return 0, nil
	}
	return roundHalfAway(total), nil
}

func discountApplies(d *stripe.Discount, at time.Time) bool {
	switch d.Coupon.Duration {
	case stripe.CouponDurationForever:
		return true
	case stripe.CouponDurationRepeating:
		return d.End == 0 || at.Unix() < d.End
	default: // once: a one-off, not recurring revenue
		return false
	}
}

type interval struct {
	unit  string
	count int64
}

func subscriptionInterval(sub *stripe.Subscription) interval {
	if sub.Items != nil {
		for _, it := range sub.Items.Data {
			if iv, ok := itemInterval(it); ok {
				return iv
			}
		}
	}
	return interval{}
}

func itemInterval(it *stripe.SubscriptionItem) (interval, bool) {
	if it == nil {
		return interval{}, false
	}
	if it.Price != nil && it.Price.Recurring != nil {
		return interval{string(it.Price.Recurring.Interval), it.Price.Recurring.IntervalCount}, true
	}
	if it.Plan != nil && it.Plan.Interval != "" {
		return interval{string(it.Plan.Interval), it.Plan.IntervalCount}, true
	}
	return interval{}, false
}

// intervalFactor converts an amount per interval into an amount per month.
func intervalFactor(iv interval) *big.Rat {
	count := iv.count
	if count <= 0 {
		count = 1
	}
	var f *big.Rat
	switch iv.unit {
	case "day":
		f = big.NewRat(365, 12)
	case "week":
		f = big.NewRat(52, 12)
	case "month":
		f = big.NewRat(1, 1)
	case "year":
		f = big.NewRat(1, 12)
	default:
		return nil
	}
	return f.Quo(f, big.NewRat(count, 1))
}

func itemMonthly(it *stripe.SubscriptionItem) (*big.Rat, error) {
	zero := new(big.Rat)
	iv, ok := itemInterval(it)
	if !ok {
		return zero, nil
	}
	f := intervalFactor(iv)
	if f == nil {
		return nil, fmt.Errorf("item %s: unknown interval %q", it.ID, iv.unit)
	}
	var unit *big.Rat
	switch {
	case it.Price != nil:
		p := it.Price
		if p.Recurring != nil && p.Recurring.UsageType == stripe.PriceRecurringUsageTypeMetered {
			return zero, nil
		}
		if p.BillingScheme == stripe.PriceBillingSchemeTiered {
			return zero, nil
		}
		unit = big.NewRat(p.UnitAmount, 1)
		if p.UnitAmountDecimal != 0 && float64(p.UnitAmount) != p.UnitAmountDecimal {
			if r, ok := new(big.Rat).SetString(strconv.FormatFloat(p.UnitAmountDecimal, 'f', -1, 64)); ok {
				unit = r
			}
		}
		if tq := p.TransformQuantity; tq != nil && tq.DivideBy > 0 {
			// Billed per package: ceil or round of quantity/divide_by.
			q := it.Quantity / tq.DivideBy
			rem := it.Quantity % tq.DivideBy
			if rem != 0 && (tq.Round == stripe.PriceTransformQuantityRoundUp || rem*2 >= tq.DivideBy) {
				q++
			}
			return unit.Mul(unit, big.NewRat(q, 1)).Mul(unit, f), nil
		}
	case it.Plan != nil:
		if it.Plan.UsageType == stripe.PlanUsageTypeMetered || it.Plan.BillingScheme == stripe.PlanBillingSchemeTiered {
			return zero, nil
		}
		unit = big.NewRat(it.Plan.Amount, 1)
	default:
		return zero, nil
	}
	q := it.Quantity
	if q < 0 {
		q = 0
	}
	return unit.Mul(unit, big.NewRat(q, 1)).Mul(unit, f), nil
}

func roundHalfAway(r *big.Rat) int64 {
	num, den := new(big.Int).Set(r.Num()), r.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(m, big.NewInt(2)).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return q.Int64()
}

// EventID derives the idempotency key of a fact from the tenant, the
// metric and the parts that make the fact unique (see the package doc).
func EventID(tenantID, metric string, key ...string) string {
	sum := sha256.Sum256([]byte(tenantID + "|" + metric + "|" + strings.Join(key, "|")))
	return "stripe_" + hex.EncodeToString(sum[:16])
}

func base(tenantID, metric, objectID string, at time.Time, livemode bool) messages.MetricEvent {
	lm := livemode
	return messages.MetricEvent{
		Header: messages.Header{
			TenantID:   tenantID,
			OccurredAt: at.UTC(),
			Source:     messages.SourceStripe,
		},
		Metric:   metric,
		ObjectID: objectID,
		Livemode: &lm,
	}
}

func state(tenantID, metric, entity, objectID string, at time.Time, livemode bool, value, version int64, cur string) messages.MetricEvent {
	e := base(tenantID, metric, objectID, at, livemode)
	e.Kind, e.Entity, e.Value, e.Version, e.Currency = messages.KindState, entity, value, version, cur
	e.EventID = EventID(tenantID, metric, entity, strconv.FormatInt(version, 10), strconv.FormatInt(value, 10))
	return e
}

func unix(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

func currency(c stripe.Currency) string { return strings.ToUpper(string(c)) }

// amount converts a Stripe API amount of cur into Boardpack's minor units
// (ISO 4217 digits). They are the same except where Stripe keeps two
// decimals for a currency ISO counts in whole units: ISK and UGX (Stripe
// docs, "Supported currencies", special cases: "an ISK amount of 100
// represents 1 króna"). HUF and TWD have two ISO digits, as in Stripe.
func amount(v int64, cur string) int64 {
	switch cur {
	case "ISK", "UGX":
		return divRound(v, 100)
	}
	return v
}

// divRound divides rounding half away from zero.
func divRound(v, d int64) int64 {
	q, r := v/d, v%d
	if abs64(r)*2 >= d {
		if v < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}
