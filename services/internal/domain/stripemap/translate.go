package stripemap

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
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
	stripe.EventTypeCreditNoteCreated, stripe.EventTypeCreditNoteUpdated, stripe.EventTypeCreditNoteVoided,
	EventTypeInvoicePaymentPaid, stripe.EventTypeInvoicePaymentSucceeded,
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
			// Since 2025-03-31 a charge no longer names its invoice: it is
			// a one-off unless an invoice payment links it to one
			// (one_off=unless_linked; readmodel decides, in any order).
			out = charge(tenantID, ch, at, capturedAt, ev.APIVersion < "2025-03-31")
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
		out, err = translateInvoicePaid(tenantID, ev, nil)
	case stripe.EventTypeInvoicePaymentSucceeded:
		// The same invoice as invoice.paid, sent for every successful
		// payment (a partial one too): only its payments' links, when
		// listed; its figures are invoice.paid's.
		out, err = invoicePayments(tenantID, ev.Data.Raw)
	case EventTypeInvoicePaymentPaid:
		var p *InvoicePaymentObject
		if p, err = DecodeInvoicePayment(ev.Data.Raw); err == nil {
			out = InvoicePayment(tenantID, p)
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
			out, err = subscriptionEvent(tenantID, ev, &sub)
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
	case stripe.EventTypeCreditNoteCreated, stripe.EventTypeCreditNoteUpdated, stripe.EventTypeCreditNoteVoided:
		var cn stripe.CreditNote
		if err = decode(ev, &cn); err == nil {
			err = creditNoteTaxes(ev.Data.Raw, &cn) // basil's taxes[], total_taxes[]
		}
		if err == nil {
			if ev.Type == stripe.EventTypeCreditNoteVoided {
				cn.Status = stripe.CreditNoteStatusVoid
				if cn.VoidedAt == 0 {
					cn.VoidedAt = ev.Created // voided when announced
				}
			}
			// Since 2025-03-31.basil the refunds that paid it back are
			// refunds[] (refund is deprecated): both are read.
			var refunds []string
			if refunds, err = creditNoteRefunds(ev.Data.Raw); err == nil {
				out = creditNote(tenantID, &cn, refunds)
			}
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

// translateInvoicePaid is an invoice.paid event's facts, with the prices
// of byID for lines that name theirs by id only (TranslateWithPrices).
func translateInvoicePaid(tenantID string, ev stripe.Event, byID map[string]*stripe.Price) ([]messages.MetricEvent, error) {
	var inv stripe.Invoice
	if err := decode(ev, &inv); err != nil {
		return nil, err
	}
	if err := invoiceTaxes(ev.Data.Raw, &inv); err != nil { // basil's taxes[], total_taxes[]
		return nil, err
	}
	unpriced, err := basilLines(ev.Data.Raw, &inv) // basil's parent, pricing
	if err != nil {
		return nil, err
	}
	out := InvoicePaid(tenantID, &inv)
	if len(out) > 0 { // a paid invoice's usage, as MeteredMRR's
		out = append(out, pricedMRR(tenantID, ev.ID, &inv, unpriced, byID)...)
	}
	// Since 2025-03-31.basil the invoice's payments, when expanded, link
	// its refunds to it (basil.go).
	links, err := invoicePayments(tenantID, ev.Data.Raw)
	if err != nil {
		return nil, err
	}
	return append(out, links...), nil
}

// DimensionStripeEvent names, on an MRR fact left unknown because a
// discount came as an id only, the webhook event it came from: the
// stripe-collector's enrichment reads that event again, fetches the
// discounts with the tenant's key and translates it with them
// (TranslateWithDiscounts).
const DimensionStripeEvent = "stripe_event"

// subscriptionEvent is a customer.subscription.* event's MRR, sub its
// object (decoded, maybe with discounts filled in).
func subscriptionEvent(tenantID string, ev stripe.Event, sub *stripe.Subscription) ([]messages.MetricEvent, error) {
	at := time.Unix(ev.Created, 0).UTC()
	switch {
	case ev.Type == stripe.EventTypeCustomerSubscriptionCreated && sub.Created > 0:
		at = time.Unix(sub.Created, 0).UTC()
	case ev.Type == stripe.EventTypeCustomerSubscriptionDeleted && sub.EndedAt > 0:
		at = time.Unix(sub.EndedAt, 0).UTC()
	}
	// Since 2025-03-31.basil an invoice line names its price by id
	// only, so any item's line may have left its "<subscription>/<item>"
	// MRR unknown (unpricedMRR): the subscription says which items are
	// licensed (licensedItems: a known 0 over their lines' unknowns) and
	// which moved to a metered price (meteredSince), and its end ends it
	// for every item, not only the metered ones.
	basil := ev.APIVersion >= "2025-03-31"
	out, err := subscription(tenantID, sub, at, basil)
	if err != nil {
		return nil, err
	}
	if basil && ev.Type == stripe.EventTypeCustomerSubscriptionUpdated {
		out = append(out, meteredSince(tenantID, ev, sub, at)...)
	}
	if ev.ID == "" || len(UnexpandedDiscounts(sub)) == 0 {
		return out, nil
	}
	for i := range out {
		if _, unknown := out[i].Dimensions[DimensionMRRUnknown]; unknown {
			out[i].Dimensions[DimensionStripeEvent] = ev.ID
		}
	}
	return out, nil
}

// TranslateWithDiscounts translates a customer.subscription.* event whose
// discounts came as ids only (API versions since 2025-03-31 send
// discounts[] unexpanded in webhooks) with those discounts taken from
// byID: the facts the event would have given expanded, at the same time
// and version, which readers prefer to the unknown fact (readmodel). A
// discount missing from byID leaves the MRR unknown.
func TranslateWithDiscounts(tenantID string, ev stripe.Event, byID map[string]*stripe.Discount) ([]messages.MetricEvent, error) {
	if ev.Data == nil || len(ev.Data.Raw) == 0 {
		return nil, fmt.Errorf("%w: %s %s has no data.object", ErrMalformed, ev.Type, ev.ID)
	}
	if !strings.HasPrefix(string(ev.Type), "customer.subscription.") {
		return nil, fmt.Errorf("%w: %s is not a subscription event", ErrUnhandled, ev.Type)
	}
	var sub stripe.Subscription
	if err := decode(ev, &sub); err != nil {
		return nil, err
	}
	ExpandDiscounts(&sub, byID)
	return subscriptionEvent(tenantID, ev, &sub)
}

// UnexpandedDiscounts are the ids of the subscription's discounts (its
// own and its items') that came without their coupon, sorted, once each.
func UnexpandedDiscounts(sub *stripe.Subscription) []string {
	var ids []string
	add := func(d *stripe.Discount) {
		if d != nil && d.Coupon == nil && d.ID != "" && (sub.Discount == nil || sub.Discount.ID != d.ID || sub.Discount.Coupon == nil) {
			ids = append(ids, d.ID)
		}
	}
	for _, d := range discountSlots(sub) {
		add(*d)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// ExpandDiscounts puts the discounts of byID in place of the
// subscription's discounts known only by id.
func ExpandDiscounts(sub *stripe.Subscription, byID map[string]*stripe.Discount) {
	fill := func(d *stripe.Discount) *stripe.Discount {
		if d != nil && d.Coupon == nil {
			if full := byID[d.ID]; full != nil && full.Coupon != nil {
				return full
			}
		}
		return d
	}
	for _, d := range discountSlots(sub) {
		*d = fill(*d)
	}
}

// discountSlots returns every place a subscription holds a discount: the
// legacy discount, discounts[], and each item's discounts.
func discountSlots(sub *stripe.Subscription) []**stripe.Discount {
	slots := []**stripe.Discount{&sub.Discount}
	for i := range sub.Discounts {
		slots = append(slots, &sub.Discounts[i])
	}
	if sub.Items != nil {
		for _, it := range sub.Items.Data {
			if it != nil {
				for i := range it.Discounts {
					slots = append(slots, &it.Discounts[i])
				}
			}
		}
	}
	return slots
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
	return charge(tenantID, ch, at, capturedAt, true)
}

// charge is Charge with the capture time given; zero means unknown: no
// gross (another event or the backfill will date it). invoiceKnown says
// whether the charge's invoice field is there to be read (API versions
// before 2025-03-31, and stripe-go v76's own, which the backfill uses):
// then the gross says whether the charge paid an invoice (dimension
// invoice) or is a one-off (one_off=true). Otherwise it is a one-off
// unless an invoice payment link names the charge or its payment intent
// (one_off=unless_linked): readmodel joins them, whichever came first.
func charge(tenantID string, ch *stripe.Charge, at, capturedAt time.Time, invoiceKnown bool) []messages.MetricEvent {
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
			// Whether the charge paid an invoice (whose lines bill it) or is
			// a one-off, which readmodel recognises at capture.
			switch {
			case !invoiceKnown:
				// The charge does not say: a one-off unless an invoice
				// payment link names it or its payment intent.
				e.Dimensions = map[string]string{"one_off": "unless_linked"}
			case ch.Invoice != nil && ch.Invoice.ID != "":
				e.Dimensions = map[string]string{"invoice": ch.Invoice.ID}
			default:
				e.Dimensions = map[string]string{"one_off": "true"}
			}
			// Its payment intent: an invoice payment link naming it says
			// the charge paid that invoice (readmodel).
			if pi := paymentIntentOf(ch.PaymentIntent); pi != "" {
				if e.Dimensions == nil {
					e.Dimensions = map[string]string{}
				}
				e.Dimensions[dimPaymentIntent] = pi
			}
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
			if re.PaymentIntent == nil {
				re.PaymentIntent = ch.PaymentIntent
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
	cum := state(tenantID, messages.MetricRevenueRefunded, ch.ID, ch.ID, at, ch.Livemode,
		amount(refunded, cur), ch.AmountRefunded, cur)
	if pi := paymentIntentOf(ch.PaymentIntent); pi != "" {
		cum.Dimensions = map[string]string{dimPaymentIntent: pi}
	}
	return append(out, cum)
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
// period it came back; a failed refund whose failure is so dated was
// also out, succeeded, from its creation. The version is the status's rank, not a time, so
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
	fact := func(when time.Time, value, rank int64) messages.MetricEvent {
		e := state(tenantID, messages.MetricRevenueRefunded, re.ID, chargeID, when, false, value, rank, cur)
		e.Livemode = nil
		if chargeID != "" {
			e.Dimensions = map[string]string{"charge": chargeID}
		}
		// The payment intent joins the refund to the invoice it paid
		// on API versions whose invoices no longer name their charge
		// (invoices.payment, basil.go).
		if pi := paymentIntentOf(re.PaymentIntent); pi != "" {
			if e.Dimensions == nil {
				e.Dimensions = map[string]string{}
			}
			e.Dimensions[dimPaymentIntent] = pi
		}
		return e
	}
	out := []messages.MetricEvent{fact(when, value, rank)}
	// A failed refund whose failure is dated (its failure balance
	// transaction expanded, as the backfill lists it) was out from its
	// creation until then: the money left when it was created and came
	// back when it failed, as refund.created and refund.failed recorded
	// it. Without that date its history is unknown: the failure alone.
	if fb := re.FailureBalanceTransaction; re.Status == stripe.RefundStatusFailed && fb != nil && fb.Created > re.Created {
		out = append(out, fact(unix(re.Created), amount(re.Amount, cur), refundRank[stripe.RefundStatusSucceeded]))
	}
	return append(out, RefundBalance(tenantID, re)...)
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
	if d.PaymentIntent != nil && d.PaymentIntent.ID != "" {
		// Since 2025-03-31.basil an invoice payment may name only the
		// payment intent: it says which invoice's lines the funds take
		// back (readmodel's recognition).
		e.Dimensions[dimPaymentIntent] = d.PaymentIntent.ID
	}
	e.EventID = EventID(tenantID, e.Metric, d.ID, dir)
	out := []messages.MetricEvent{e}
	if settle := btCurrency(bt); settle != "" && settle != cur {
		// The same funds in the settlement currency, for the settlement
		// side of the charge (signed as the balance moved).
		s := base(tenantID, messages.MetricRevenueSettled, obj, at, d.Livemode)
		s.Kind, s.Value, s.Currency = messages.KindAdditive, amount(bt.Amount, settle), settle
		s.Dimensions = map[string]string{"charge_currency": cur, "type": "dispute", "dispute": d.ID, "funds": dir}
		if bt.ExchangeRate != 0 {
			s.Dimensions["exchange_rate"] = strconv.FormatFloat(bt.ExchangeRate, 'f', -1, 64)
		}
		s.EventID = EventID(tenantID, s.Metric, bt.ID, d.ID, dir)
		out = append(out, s)
	}
	if bt != nil && bt.Fee != 0 {
		// The fee is in the settlement currency; the charge's currency
		// says whose settlement it belongs to (as a charge's fee does).
		f := fee(tenantID, bt, obj, "dispute", d.Livemode)
		f.Dimensions["charge_currency"] = cur
		out = append(out, f)
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
	out := append([]messages.MetricEvent{e}, MeteredMRR(tenantID, inv)...)
	out = append(out, InvoiceLines(tenantID, inv)...)
	tax := inv.Tax
	if tax == 0 {
		for _, ta := range inv.TotalTaxAmounts {
			if ta != nil {
				tax += ta.Amount
			}
		}
	}
	if tax != 0 {
		cur := currency(inv.Currency)
		te := base(tenantID, messages.MetricRevenueTax, inv.ID, unix(t), inv.Livemode)
		te.Kind, te.Value, te.Currency = messages.KindAdditive, amount(tax, cur), cur
		te.EventID = EventID(tenantID, te.Metric, inv.ID)
		out = append(out, te)
	}
	return out
}

// CreditNote reduces the invoice lines it credits: each credit note line
// is a negative revenue.billed line of its own (its amount net of its
// discounts and of included tax), at the credit note's effective date,
// over the credited line's service period: from the credit note's invoice
// when it is expanded with its lines, else (webhooks, the backfill) the
// credited line named (dimension invoice_line), whose period readmodel
// takes from that line's own fact; and its tax, off the tax collected
// (revenue.tax, a state per credit note). A voided credit note is 0 (a
// final state) from when it was voided (voided_at: "The time that the
// credit note was voided"), and was in force from its effective date
// until then: voiding reverses it in the period it is voided, so a
// closed month keeps the credit it had (as credit_note.created and then
// credit_note.voided record it, and a backfill of the voided note too).
func CreditNote(tenantID string, cn *stripe.CreditNote) []messages.MetricEvent {
	return creditNote(tenantID, cn, nil)
}

// creditNote is CreditNote with the ids of refunds[] (basil.go) besides
// the credit note's refund.
func creditNote(tenantID string, cn *stripe.CreditNote, refunds []string) []messages.MetricEvent {
	if cn.Refund != nil && cn.Refund.ID != "" {
		refunds = append(refunds, cn.Refund.ID)
	}
	slices.Sort(refunds)
	refunds = slices.Compact(refunds)
	if cn.Lines == nil {
		return nil
	}
	at := cn.EffectiveAt
	if at == 0 {
		at = cn.Created
	}
	when := at // the facts' date; their version is the effective date's
	var out []messages.MetricEvent
	if cn.Status == stripe.CreditNoteStatusVoid && cn.VoidedAt > at {
		issued := *cn
		issued.Status = stripe.CreditNoteStatusIssued
		out, when = creditNote(tenantID, &issued, refunds), cn.VoidedAt
	}
	periods := map[string]*stripe.Period{}
	invoiceID := cn.ID
	if cn.Invoice != nil {
		invoiceID = cn.Invoice.ID
		if cn.Invoice.Lines != nil {
			for _, l := range cn.Invoice.Lines.Data {
				if l != nil && l.Period != nil {
					periods[l.ID] = l.Period
				}
			}
		}
	}
	version := at
	if cn.Status == stripe.CreditNoteStatusVoid {
		version += terminal
	}
	for _, l := range cn.Lines.Data {
		if l == nil || l.ID == "" {
			continue
		}
		v := l.Amount - l.DiscountAmount
		for _, ta := range l.TaxAmounts {
			if ta != nil && ta.Inclusive {
				v -= ta.Amount
			}
		}
		if cn.Status == stripe.CreditNoteStatusVoid {
			v = 0
		}
		cur := currency(cn.Currency)
		e := state(tenantID, messages.MetricRevenueBilled, l.ID, invoiceID, unix(when), cn.Livemode, -amount(v, cur), version, cur)
		if p := periods[l.InvoiceLineItem]; p != nil && p.End > p.Start {
			e.Dimensions = map[string]string{"period_start": strconv.FormatInt(p.Start, 10), "period_end": strconv.FormatInt(p.End, 10)}
		}
		// The credited line (its period, when the invoice is not expanded,
		// is the line's own: readmodel), and the refund that paid the
		// credit back, which reduces the lines through this credit note
		// only (readmodel: DimensionRefund).
		if l.InvoiceLineItem != "" {
			if e.Dimensions == nil {
				e.Dimensions = map[string]string{}
			}
			e.Dimensions["invoice_line"] = l.InvoiceLineItem
		}
		if len(refunds) > 0 {
			if e.Dimensions == nil {
				e.Dimensions = map[string]string{}
			}
			e.Dimensions["refund"] = strings.Join(refunds, ",")
		}
		out = append(out, e)
	}
	// The credit note's tax (its tax_amounts, else its lines'), which it
	// takes off the tax collected: a state per credit note (revenue.tax,
	// entity the credit note, object its invoice), negative, at its
	// effective date; 0 once voided. Stripe Tax ("Refunds and credit
	// notes"): credit notes "track tax liability decreases".
	var tax int64
	for _, ta := range cn.TaxAmounts {
		if ta != nil {
			tax += ta.Amount
		}
	}
	if len(cn.TaxAmounts) == 0 {
		for _, l := range cn.Lines.Data {
			if l == nil {
				continue
			}
			for _, ta := range l.TaxAmounts {
				if ta != nil {
					tax += ta.Amount
				}
			}
		}
	}
	if tax != 0 {
		if cn.Status == stripe.CreditNoteStatusVoid {
			tax = 0
		}
		cur := currency(cn.Currency)
		out = append(out, state(tenantID, messages.MetricRevenueTax, cn.ID, invoiceID, unix(when), cn.Livemode, -amount(tax, cur), version, cur))
	}
	return out
}

// InvoiceLines is what each line of a finalised invoice bills
// (revenue.billed, state per line at the finalisation): its amount net of
// its discounts and of any tax included in it (exclusive tax is not in the
// amount), with its service period for straight-line recognition. A line
// whose period is empty (an invoice item for a one-off) is earned when
// billed. Each line names the charge that paid the invoice and the
// invoice's total (dimensions charge, invoice_total), so that refunds of
// the charge reduce it.
func InvoiceLines(tenantID string, inv *stripe.Invoice) []messages.MetricEvent {
	if inv.Lines == nil {
		return nil
	}
	at := inv.Created
	if inv.StatusTransitions != nil && inv.StatusTransitions.FinalizedAt > 0 {
		at = inv.StatusTransitions.FinalizedAt
	}
	// The charge that paid the invoice and the invoice's total (tax
	// included): a refund of that charge reduces these lines by its share
	// of the total (readmodel's revenue recognition).
	charge, total := "", inv.Total
	if inv.Charge != nil {
		charge = inv.Charge.ID
	}
	if total <= 0 {
		total = inv.AmountPaid
	}
	var out []messages.MetricEvent
	for _, l := range inv.Lines.Data {
		if l == nil || l.ID == "" {
			continue
		}
		v := l.Amount
		for _, d := range l.DiscountAmounts {
			if d != nil {
				v -= d.Amount
			}
		}
		for _, ta := range l.TaxAmounts {
			if ta != nil && ta.Inclusive {
				v -= ta.Amount
			}
		}
		cur := currency(l.Currency)
		if cur == "" {
			cur = currency(inv.Currency)
		}
		e := state(tenantID, messages.MetricRevenueBilled, l.ID, inv.ID, unix(at), inv.Livemode, amount(v, cur), at, cur)
		if p := l.Period; p != nil && p.End > p.Start {
			e.Dimensions = map[string]string{"period_start": strconv.FormatInt(p.Start, 10), "period_end": strconv.FormatInt(p.End, 10)}
		}
		// The total is there without a charge as well: since
		// 2025-03-31.basil the invoice's payments (invoices.payment) name
		// what paid it, and a refund of one is a share of this total.
		if total > 0 {
			if e.Dimensions == nil {
				e.Dimensions = map[string]string{}
			}
			e.Dimensions["invoice_total"] = strconv.FormatInt(amount(total, currency(inv.Currency)), 10)
			if charge != "" {
				e.Dimensions["charge"] = charge
			}
		}
		out = append(out, e)
	}
	return out
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

// Balance returns the available and the pending balance per currency as
// gauges read at at.
func Balance(tenantID string, b *stripe.Balance, at time.Time) []messages.MetricEvent {
	out := balanceGauges(tenantID, messages.MetricCashStripe, b.Available, at, b.Livemode)
	return append(out, balanceGauges(tenantID, messages.MetricCashStripePending, b.Pending, at, b.Livemode)...)
}

// balanceGauges is one gauge of metric per currency of a balance's
// available or pending amounts (the first of each currency).
func balanceGauges(tenantID, metric string, amounts []*stripe.Amount, at time.Time, livemode bool) []messages.MetricEvent {
	var out []messages.MetricEvent
	seen := map[string]bool{}
	for _, a := range amounts {
		if a == nil || a.Currency == "" {
			continue
		}
		cur := currency(a.Currency)
		if seen[cur] {
			continue
		}
		seen[cur] = true
		e := base(tenantID, metric, "", at, livemode)
		e.Kind, e.Value, e.Currency, e.Entity = messages.KindGauge, a.Amount, cur, cur
		e.EventID = EventID(tenantID, e.Metric, cur, strconv.FormatInt(at.Unix(), 10))
		out = append(out, e)
	}
	return out
}

// ErrMRRUnknown is returned by MRR for a subscription whose MRR cannot be
// computed from the object: a price shape it does not know (a
// billing_scheme Stripe adds later, a tiers_mode, an interval), tiers not
// expanded, a discount known only by its id.
var ErrMRRUnknown = errors.New("mrr unknown")

// DimensionMRRUnknown marks an MRR fact whose value is not known (see
// messages.MetricMRR); its value is the reason.
const DimensionMRRUnknown = "mrr_unknown"

// Subscription returns the subscription's MRR as state at at. A
// subscription whose MRR cannot be computed gives a fact saying so
// (DimensionMRRUnknown, value 0), never a figure.
func Subscription(tenantID string, sub *stripe.Subscription, at time.Time) ([]messages.MetricEvent, error) {
	return subscription(tenantID, sub, at, false)
}

// subscription is Subscription; basil (an event of API version
// 2025-03-31.basil or later, whose invoice lines may have left any item's
// MRR unknown: unpricedMRR) ends the per-item MRR of every item, licensed
// too, when the subscription stops paying, and says of each licensed item
// that its MRR is known (licensedItems).
func subscription(tenantID string, sub *stripe.Subscription, at time.Time, basil bool) ([]messages.MetricEvent, error) {
	everyItem := basil
	version := subscriptionVersion(sub, at)
	cur := subscriptionCurrency(sub)
	mrr, err := MRR(sub, at)
	if errors.Is(err, ErrMRRUnknown) {
		e := state(tenantID, messages.MetricMRR, sub.ID, sub.ID, at, sub.Livemode, 0, version, cur)
		e.Dimensions = customerDimension(sub)
		if e.Dimensions == nil {
			e.Dimensions = map[string]string{}
		}
		e.Dimensions[DimensionMRRUnknown] = err.Error()
		out := []messages.MetricEvent{e}
		if basil {
			out = append(out, licensedItems(tenantID, sub, cur, at, version)...)
		}
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("subscription %s: %w", sub.ID, err)
	}
	e := state(tenantID, messages.MetricMRR, sub.ID, sub.ID, at, sub.Livemode, amount(mrr, cur), version, cur)
	e.Dimensions = customerDimension(sub)
	out := []messages.MetricEvent{e}
	if basil {
		out = append(out, licensedItems(tenantID, sub, cur, at, version)...)
	}
	// A metered item's MRR comes from its invoices (MeteredMRR); the
	// subscription ends it.
	if mrr == 0 && sub.Items != nil {
		for _, it := range sub.Items.Data {
			if it != nil && (everyItem || metered(it)) && (sub.Status == stripe.SubscriptionStatusCanceled || sub.Status == stripe.SubscriptionStatusIncompleteExpired || sub.Status == stripe.SubscriptionStatusUnpaid || sub.Status == stripe.SubscriptionStatusPaused) {
				m := state(tenantID, messages.MetricMRR, sub.ID+"/"+it.ID, sub.ID, at, sub.Livemode, 0, version, cur)
				m.Dimensions = customerDimension(sub)
				out = append(out, m)
			}
		}
	}
	// A repeating coupon that ends changes MRR with no event of its own:
	// the state as observed also says what it will be from the coupon's
	// end, as a fact dated then with the observation's version. A later
	// observation (a higher version) supersedes both, before or after the
	// end; at the same version the later-dated fact wins (readmodel's
	// order), so the figure steps up at the end and nowhere else.
	prev := mrr
	for _, t := range MRRChanges(sub, at) {
		v, err := MRR(sub, t)
		if err != nil {
			return nil, fmt.Errorf("subscription %s: %w", sub.ID, err)
		}
		if v == prev {
			continue
		}
		prev = v
		end := state(tenantID, messages.MetricMRR, sub.ID, sub.ID, t, sub.Livemode, amount(v, cur), version, cur)
		end.Dimensions = customerDimension(sub)
		out = append(out, end)
	}
	return out, nil
}

// An item's own MRR, "<subscription>/<item>", is observed at three levels
// of knowledge, which its versions keep apart:
//   - an invoice line that names its price by id only (unpricedMRR) says
//     nothing of it: unknownVersion, below zero;
//   - a subscription event says an item is licensed (licensedItems), so
//     its own MRR is a known 0 (its subscription's MRR counts it):
//     licensedVersion, above every unknown and below every observation of
//     the price itself;
//   - what an invoice line with its price (MeteredMRR, pricedMRR), a
//     subscription event at its time (licensedItems, meteredSince) or the
//     subscription's end says: a time in seconds times 16 and a rank
//     (subscriptionVersion, meteredVersion), zero or more, terminal added
//     for an end.
const licensedVersion = -terminal

// unknownVersion is the version of an invoice line's MRR unknown: the
// observation's own (meteredVersion) moved below licensedVersion, so that
// a licensed item's known 0 supersedes it and any priced observation of
// the same line, or a later one, supersedes both. A time in seconds times
// 16 stays below terminal until the year 4000, so the order among
// unknowns is their observations'.
func unknownVersion(inv *stripe.Invoice) int64 { return meteredVersion(inv) - 2*terminal }

// licensedItems says of each licensed item of sub that its own MRR,
// "<subscription>/<item>", is a known 0: a licensed item's MRR is its
// subscription's (MRR), and since 2025-03-31.basil its invoice line names
// the price by id only, so the line alone leaves it unknown (unpricedMRR)
// until the stripe-collector's enrichment reads the price, which it
// cannot without the tenant's API key. A subscription object carries its
// items' whole prices on every API version, so it knows which are
// licensed. Two facts of each item:
//   - a claim dated at the item's creation (else the subscription's), so it
//     precedes every invoice of the item, with licensedVersion: it
//     supersedes the unknowns of the item's lines, whenever they come, and
//     nothing else. Its event id is the entity's and "licensed" only: every
//     subscription event gives the same fact, which the aggregator's
//     exactly-once keeps once;
//   - a known 0 as of the event (at, with the event's version), which ends
//     what an earlier metered price of the item gave (an item's price can
//     be replaced: Stripe's "Change the price of existing subscriptions";
//     "Manage your usage-based billing setup", "Update prices mid-cycle").
//
// The reverse move, from a licensed price to a metered one, is
// meteredSince's. An item without price or plan says nothing.
func licensedItems(tenantID string, sub *stripe.Subscription, cur string, at time.Time, version int64) []messages.MetricEvent {
	if sub.Items == nil {
		return nil
	}
	var out []messages.MetricEvent
	for _, it := range sub.Items.Data {
		if it == nil || it.ID == "" || (it.Price == nil && it.Plan == nil) || metered(it) {
			continue
		}
		created := it.Created
		if created == 0 {
			created = sub.Created
		}
		if created == 0 {
			created = sub.StartDate
		}
		entity := sub.ID + "/" + it.ID
		claim := state(tenantID, messages.MetricMRR, entity, sub.ID, unix(created), sub.Livemode, 0, licensedVersion, cur)
		claim.EventID = EventID(tenantID, messages.MetricMRR, entity, "licensed")
		claim.Dimensions = customerDimension(sub)
		now := state(tenantID, messages.MetricMRR, entity, sub.ID, at, sub.Livemode, 0, version, cur)
		now.Dimensions = customerDimension(sub)
		out = append(out, claim, now)
	}
	return out
}

// meteredSince says of each item that a customer.subscription.updated
// event shows moved from a licensed price to a metered one (its
// previous_attributes name the item with the licensed price) that its
// own MRR is unknown from then on, at the event's version: above the
// claim licensedItems made while it was licensed, below the first of its
// invoices priced afterwards (the enrichment's, with the tenant's API
// key), whose usage it becomes. Without a key it stays unknown, as a
// metered item's MRR does: the usage comes from invoice lines that name
// the price by id only (PriceByIDOnly). An event without the items'
// previous prices says nothing here.
func meteredSince(tenantID string, ev stripe.Event, sub *stripe.Subscription, at time.Time) []messages.MetricEvent {
	if ev.Data == nil || ev.Data.PreviousAttributes == nil || sub.Items == nil {
		return nil
	}
	prev, ok := ev.Data.PreviousAttributes["items"]
	if !ok {
		return nil
	}
	raw, err := json.Marshal(prev)
	if err != nil {
		return nil
	}
	var was stripe.SubscriptionItemList
	if json.Unmarshal(raw, &was) != nil {
		return nil
	}
	licensed := map[string]string{} // item -> its licensed price before
	for _, it := range was.Data {
		if it != nil && it.ID != "" && (it.Price != nil || it.Plan != nil) && !metered(it) {
			licensed[it.ID] = priceID(it)
		}
	}
	version := subscriptionVersion(sub, at)
	var out []messages.MetricEvent
	for _, it := range sub.Items.Data {
		if it == nil || !metered(it) {
			continue
		}
		before, ok := licensed[it.ID]
		if !ok {
			continue
		}
		entity := sub.ID + "/" + it.ID
		e := state(tenantID, messages.MetricMRR, entity, sub.ID, at, sub.Livemode, 0, version, subscriptionCurrency(sub))
		e.EventID = EventID(tenantID, messages.MetricMRR, entity, strconv.FormatInt(version, 10), DimensionMRRUnknown)
		e.Dimensions = customerDimension(sub)
		if e.Dimensions == nil {
			e.Dimensions = map[string]string{}
		}
		e.Dimensions[DimensionMRRUnknown] = fmt.Sprintf("%s: subscription item %s moved from licensed price %s to metered price %s, whose usage its invoice lines give, price %s",
			ErrMRRUnknown, it.ID, before, priceID(it), PriceByIDOnly)
		out = append(out, e)
	}
	return out
}

// priceID is the id of an item's price, else of its plan.
func priceID(it *stripe.SubscriptionItem) string {
	if it.Price != nil && it.Price.ID != "" {
		return it.Price.ID
	}
	if it.Plan != nil {
		return it.Plan.ID
	}
	return ""
}

// subscriptionVersion is the version of sub's state observed at at: the
// time in seconds times 16 plus the status's rank, with terminal added for
// a final state.
func subscriptionVersion(sub *stripe.Subscription, at time.Time) int64 {
	version := at.Unix()*16 + statusRank[sub.Status]
	if sub.Status == stripe.SubscriptionStatusCanceled || sub.Status == stripe.SubscriptionStatusIncompleteExpired {
		version += terminal
	}
	return version
}

// customerDimension names the subscription's customer: MRR movements are
// per customer (ChartMogul: a second subscription is expansion, cancelling
// one of two is contraction).
func customerDimension(sub *stripe.Subscription) map[string]string {
	if sub.Customer == nil || sub.Customer.ID == "" {
		return nil
	}
	return map[string]string{"customer": sub.Customer.ID}
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
//
// Discounts are Stripe's, in Stripe's order: each item's own discounts
// (items[].discounts) first, then the subscription's (the legacy discount
// and discounts[], one discount counted once by id), each limited to the
// items whose product its coupon's applies_to names. percent_off takes its
// share of every eligible item; amount_off, per invoice, is normalised to a
// month like the items and taken from the eligible items in turn, never
// below zero. Forever coupons always apply, repeating ones until their
// discount's end (see MRRChanges), once coupons never: a one-off reduction
// of one invoice is not recurring revenue (Stripe Billing's MRR counts only
// forever coupons; ChartMogul counts an expiring discount as expansion).
func MRR(sub *stripe.Subscription, at time.Time) (int64, error) {
	switch sub.Status {
	case stripe.SubscriptionStatusActive, stripe.SubscriptionStatusPastDue:
	default:
		return 0, nil
	}
	var lines []*line
	if sub.Items != nil {
		for _, it := range sub.Items.Data {
			m, err := itemMonthly(it)
			if err != nil {
				return 0, err
			}
			l := &line{amount: m, item: it}
			if it != nil {
				l.product = itemProduct(it)
				for _, d := range it.Discounts {
					if d != nil && d.Coupon == nil {
						return 0, fmt.Errorf("%w: discount %s of item %s not expanded", ErrMRRUnknown, d.ID, it.ID)
					}
					l.discount([]*line{l}, d, sub, at)
				}
			}
			lines = append(lines, l)
		}
	}
	// discounts[] lists the legacy discount again, often by id only: it
	// was counted from the legacy field (seen), which carries its coupon.
	seen := map[string]bool{}
	for _, d := range append([]*stripe.Discount{sub.Discount}, sub.Discounts...) {
		if d == nil || (d.ID != "" && seen[d.ID]) {
			continue
		}
		seen[d.ID] = true
		if d.Coupon == nil {
			return 0, fmt.Errorf("%w: discount %s not expanded", ErrMRRUnknown, d.ID)
		}
		var eligible []*line
		for _, l := range lines {
			if applies(d, l.product) {
				eligible = append(eligible, l)
			}
		}
		(&line{}).discount(eligible, d, sub, at)
	}
	total := new(big.Rat)
	for _, l := range lines {
		// Tax is never MRR: an inclusive rate is taken out of what is
		// left after discounts, as Stripe computes it on the invoice.
		div, err := inclusiveTax(sub, l.item)
		if err != nil {
			return 0, err
		}
		total.Add(total, new(big.Rat).Quo(l.amount, div))
	}
	if total.Sign() < 0 {
		return 0, nil
	}
	return roundHalfAway(total), nil
}

// inclusiveTax is what an item's amount is divided by to leave out the
// tax included in it: 1 + the inclusive rates (the item's tax_rates, else
// the subscription's default_tax_rates) / 100. Exclusive rates are added
// on top by Stripe and never in the amount. A tax-inclusive price whose
// rate Stripe Tax decides per invoice cannot be split here: MRR unknown.
func inclusiveTax(sub *stripe.Subscription, it *stripe.SubscriptionItem) (*big.Rat, error) {
	one := big.NewRat(1, 1)
	if it == nil {
		return one, nil
	}
	rates := it.TaxRates
	if len(rates) == 0 {
		rates = sub.DefaultTaxRates
	}
	pct := new(big.Rat)
	inclusive := false
	for _, r := range rates {
		if r == nil || !r.Inclusive {
			continue
		}
		p, ok := new(big.Rat).SetString(strconv.FormatFloat(r.Percentage, 'f', -1, 64))
		if !ok {
			return nil, fmt.Errorf("%w: tax rate %s", ErrMRRUnknown, r.ID)
		}
		pct.Add(pct, p)
		inclusive = true
	}
	if inclusive {
		return pct.Quo(pct, big.NewRat(100, 1)).Add(pct, one), nil
	}
	if it.Price != nil && it.Price.TaxBehavior == stripe.PriceTaxBehaviorInclusive && sub.AutomaticTax != nil && sub.AutomaticTax.Enabled {
		return nil, fmt.Errorf("%w: item %s: tax-inclusive price, rate decided by Stripe Tax", ErrMRRUnknown, it.ID)
	}
	return one, nil
}

// line is one item's monthly amount while discounts are applied.
type line struct {
	amount  *big.Rat
	product string
	item    *stripe.SubscriptionItem
}

func applies(d *stripe.Discount, product string) bool {
	if d == nil || d.Coupon == nil || d.Coupon.AppliesTo == nil || len(d.Coupon.AppliesTo.Products) == 0 {
		return true
	}
	for _, p := range d.Coupon.AppliesTo.Products {
		if p == product {
			return true
		}
	}
	return false
}

// discount applies d (when its coupon runs at at) to the eligible lines.
func (*line) discount(eligible []*line, d *stripe.Discount, sub *stripe.Subscription, at time.Time) {
	if d == nil || d.Coupon == nil || d.Deleted || !discountApplies(d, at) {
		return
	}
	c := d.Coupon
	switch {
	case c.PercentOff > 0:
		p, ok := new(big.Rat).SetString(strconv.FormatFloat(c.PercentOff, 'f', -1, 64))
		if !ok {
			return
		}
		keep := new(big.Rat).Sub(big.NewRat(1, 1), new(big.Rat).Quo(p, big.NewRat(100, 1)))
		for _, l := range eligible {
			l.amount.Mul(l.amount, keep)
		}
	case c.AmountOff > 0 && (c.Currency == "" || currency(c.Currency) == subscriptionCurrency(sub)):
		// amount_off comes off every invoice, i.e. every billing interval:
		// normalise it like the items.
		f := intervalFactor(subscriptionInterval(sub))
		if f == nil {
			return
		}
		left := new(big.Rat).Mul(big.NewRat(c.AmountOff, 1), f)
		for _, l := range eligible {
			if left.Sign() <= 0 {
				break
			}
			take := new(big.Rat).Set(left)
			if take.Cmp(l.amount) > 0 {
				take.Set(l.amount)
			}
			if take.Sign() < 0 {
				continue
			}
			l.amount.Sub(l.amount, take)
			left.Sub(left, take)
		}
	}
}

func itemProduct(it *stripe.SubscriptionItem) string {
	switch {
	case it.Price != nil && it.Price.Product != nil:
		return it.Price.Product.ID
	case it.Plan != nil && it.Plan.Product != nil:
		return it.Plan.Product.ID
	}
	return ""
}

// MRRChanges lists the times after at when the subscription's MRR changes
// by itself, without any event: the ends of its running repeating
// discounts, ascending and distinct.
func MRRChanges(sub *stripe.Subscription, at time.Time) []time.Time {
	var ends []int64
	add := func(d *stripe.Discount) {
		if d != nil && d.Coupon != nil && d.Coupon.Duration == stripe.CouponDurationRepeating && d.End > at.Unix() {
			ends = append(ends, d.End)
		}
	}
	for _, d := range discountSlots(sub) {
		add(*d)
	}
	slices.Sort(ends)
	ends = slices.Compact(ends)
	out := make([]time.Time, len(ends))
	for i, e := range ends {
		out[i] = unix(e)
	}
	return out
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
		return nil, fmt.Errorf("%w: item %s: unknown interval %q", ErrMRRUnknown, it.ID, iv.unit)
	}
	if metered(it) {
		return zero, nil // from its invoices: MeteredMRR
	}
	q := max(it.Quantity, 0)
	var unit *big.Rat
	switch {
	case it.Price != nil:
		p := it.Price
		switch p.BillingScheme {
		case stripe.PriceBillingSchemePerUnit, "":
		case stripe.PriceBillingSchemeTiered:
			tiers := make([]tier, 0, len(p.Tiers))
			for _, t := range p.Tiers {
				if t != nil {
					tiers = append(tiers, tier{t.UpTo, rat(t.UnitAmount, t.UnitAmountDecimal), rat(t.FlatAmount, t.FlatAmountDecimal)})
				}
			}
			m, err := tieredAmount(string(p.TiersMode), tiers, q)
			if err != nil {
				return nil, fmt.Errorf("item %s: %w", it.ID, err)
			}
			return m.Mul(m, f), nil
		default:
			return nil, fmt.Errorf("%w: item %s: billing_scheme %q", ErrMRRUnknown, it.ID, p.BillingScheme)
		}
		unit = rat(p.UnitAmount, p.UnitAmountDecimal)
		if tq := p.TransformQuantity; tq != nil && tq.DivideBy > 0 {
			// Billed per package: quantity / divide_by, rounded "up"
			// (ceil) or "down" (floor) as the price says; Stripe has no
			// other mode.
			q = max(it.Quantity, 0) / tq.DivideBy
			if it.Quantity%tq.DivideBy > 0 && tq.Round == stripe.PriceTransformQuantityRoundUp {
				q++
			}
		}
	case it.Plan != nil:
		p := it.Plan
		switch p.BillingScheme {
		case stripe.PlanBillingSchemePerUnit, "":
		case stripe.PlanBillingSchemeTiered:
			tiers := make([]tier, 0, len(p.Tiers))
			for _, t := range p.Tiers {
				if t != nil {
					tiers = append(tiers, tier{t.UpTo, rat(t.UnitAmount, t.UnitAmountDecimal), rat(t.FlatAmount, t.FlatAmountDecimal)})
				}
			}
			m, err := tieredAmount(string(p.TiersMode), tiers, q)
			if err != nil {
				return nil, fmt.Errorf("item %s: %w", it.ID, err)
			}
			return m.Mul(m, f), nil
		default:
			return nil, fmt.Errorf("%w: item %s: billing_scheme %q", ErrMRRUnknown, it.ID, p.BillingScheme)
		}
		unit = rat(p.Amount, p.AmountDecimal)
	default:
		return zero, nil
	}
	return unit.Mul(unit, big.NewRat(q, 1)).Mul(unit, f), nil
}

// metered reports whether an item is billed on reported usage.
func metered(it *stripe.SubscriptionItem) bool {
	switch {
	case it.Price != nil:
		return it.Price.Recurring != nil && it.Price.Recurring.UsageType == stripe.PriceRecurringUsageTypeMetered
	case it.Plan != nil:
		return it.Plan.UsageType == stripe.PlanUsageTypeMetered
	}
	return false
}

// rat is a Stripe amount in minor units, its *_decimal twin when that says
// more (fractions of a cent).
func rat(v int64, decimal float64) *big.Rat {
	if decimal != 0 && float64(v) != decimal {
		if r, ok := new(big.Rat).SetString(strconv.FormatFloat(decimal, 'f', -1, 64)); ok {
			return r
		}
	}
	return big.NewRat(v, 1)
}

type tier struct {
	upTo       int64 // 0: no upper bound ("inf")
	unit, flat *big.Rat
}

// tieredAmount prices quantity q on tiers (Stripe: "volume" charges every
// unit at the tier the quantity falls in, plus that tier's flat amount;
// "graduated" charges each unit at the tier it falls in, plus the flat
// amount of every tier reached).
func tieredAmount(mode string, tiers []tier, q int64) (*big.Rat, error) {
	if len(tiers) == 0 {
		return nil, fmt.Errorf("%w: tiered price without its tiers (expand items.data.price.tiers)", ErrMRRUnknown)
	}
	total := new(big.Rat)
	switch mode {
	case string(stripe.PriceTiersModeVolume):
		for _, t := range tiers {
			if t.upTo == 0 || q <= t.upTo {
				total.Mul(t.unit, big.NewRat(q, 1))
				return total.Add(total, t.flat), nil
			}
		}
		return nil, fmt.Errorf("%w: quantity %d beyond the last tier", ErrMRRUnknown, q)
	case string(stripe.PriceTiersModeGraduated):
		var below int64
		for _, t := range tiers {
			if q <= below {
				break
			}
			n := q - below
			if t.upTo != 0 {
				n = min(q, t.upTo) - below
			}
			total.Add(total, new(big.Rat).Mul(t.unit, big.NewRat(n, 1)))
			total.Add(total, t.flat)
			if t.upTo == 0 {
				return total, nil
			}
			below = t.upTo
		}
		if q > below {
			return nil, fmt.Errorf("%w: quantity %d beyond the last tier", ErrMRRUnknown, q)
		}
		return total, nil
	}
	return nil, fmt.Errorf("%w: tiers_mode %q", ErrMRRUnknown, mode)
}

// MeteredMRR is the MRR of the metered items billed on a finalised
// invoice: each line's usage (amount, net of its discounts and of any
// tax included in it; exclusive tax is not in the amount) normalised to a
// month, as the state of "<subscription>/<item>" at the invoice's
// creation. The next invoice replaces it; the subscription's end sets it
// to 0. A line read from a basil webhook carries its price only when it
// was expanded (basilLines; unpricedMRR otherwise).
func MeteredMRR(tenantID string, inv *stripe.Invoice) []messages.MetricEvent {
	if inv.Lines == nil {
		return nil
	}
	var out []messages.MetricEvent
	for _, l := range inv.Lines.Data {
		if l == nil || l.SubscriptionItem == nil || l.SubscriptionItem.ID == "" {
			continue
		}
		it := &stripe.SubscriptionItem{ID: l.SubscriptionItem.ID, Price: l.Price, Plan: l.Plan}
		if !metered(it) {
			continue
		}
		iv, ok := itemInterval(it)
		f := intervalFactor(iv)
		if !ok || f == nil {
			continue
		}
		subID := lineSubscription(inv, l)
		if subID == "" {
			continue
		}
		v := l.Amount
		for _, d := range l.DiscountAmounts {
			if d != nil {
				v -= d.Amount
			}
		}
		for _, t := range l.TaxAmounts {
			if t != nil && t.Inclusive {
				v -= t.Amount
			}
		}
		cur := lineCurrency(inv, l)
		m := roundHalfAway(new(big.Rat).Mul(big.NewRat(max(v, 0), 1), f))
		e := state(tenantID, messages.MetricMRR, subID+"/"+it.ID, subID, unix(inv.Created), inv.Livemode, amount(m, cur), meteredVersion(inv), cur)
		if inv.Customer != nil && inv.Customer.ID != "" {
			e.Dimensions = map[string]string{"customer": inv.Customer.ID}
		}
		out = append(out, e)
	}
	return out
}

// lineSubscription is the subscription a line bills: its own, else the
// invoice's.
func lineSubscription(inv *stripe.Invoice, l *stripe.InvoiceLineItem) string {
	switch {
	case l.Subscription != nil && l.Subscription.ID != "":
		return l.Subscription.ID
	case inv.Subscription != nil:
		return inv.Subscription.ID
	}
	return ""
}

// lineCurrency is the line's currency, else the invoice's.
func lineCurrency(inv *stripe.Invoice, l *stripe.InvoiceLineItem) string {
	if cur := currency(l.Currency); cur != "" {
		return cur
	}
	return currency(inv.Currency)
}

// meteredVersion is the version of a metered item's MRR observed on an
// invoice: an active state at the invoice's creation.
func meteredVersion(inv *stripe.Invoice) int64 {
	return inv.Created*16 + statusRank[stripe.SubscriptionStatusActive]
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

// btCurrency is a balance transaction's currency ("" without one).
func btCurrency(bt *stripe.BalanceTransaction) string {
	if bt == nil {
		return ""
	}
	return currency(bt.Currency)
}

// amount converts a Stripe API amount of cur into Boardpack's minor units
// (ISO 4217 digits). They are the same except where Stripe keeps two
// decimals for a currency ISO counts in whole units: ISK (Stripe docs,
// "Supported currencies", special cases; Stripe support, "Deprecation of
// fractional ISK charges": "ISK will remain a two-decimal currency in the
// Stripe API, and an ISK amount of 100 will continue to represent 1
// króna"). UGX is in Stripe's zero-decimal list (docs, "Supported
// currencies", zero-decimal currencies), as in ISO: 5000 is 5,000
// shillings. HUF and TWD have two ISO digits, as in Stripe (their
// whole-unit rule is for payouts only).
func amount(v int64, cur string) int64 {
	if cur == "ISK" {
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
