package stripemap

import (
	"strconv"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/boardpack/boardpack/messages"
)

// ChargeBalance is what a charge's balance transaction adds to its gross
// (the charge read through the API with balance_transaction expanded, as
// the stripe-collector's enrichment and the backfill read it): its fee
// (revenue.fees, type=charge, once per balance transaction, in the
// settlement currency, 0 included: a known zero), and when the account
// settles in another currency the amount settled (revenue.settled, with the
// exchange rate). Nothing without an expanded balance transaction.
func ChargeBalance(tenantID string, ch *stripe.Charge) []messages.MetricEvent {
	bt := ch.BalanceTransaction
	if bt == nil || bt.ID == "" || bt.Created == 0 {
		return nil
	}
	f := fee(tenantID, bt, ch.ID, "charge", ch.Livemode)
	f.Dimensions["charge_currency"] = currency(ch.Currency)
	out := []messages.MetricEvent{f}
	if settle := currency(bt.Currency); settle != "" && settle != currency(ch.Currency) {
		e := base(tenantID, messages.MetricRevenueSettled, ch.ID, unix(bt.Created), ch.Livemode)
		e.Kind, e.Value, e.Currency = messages.KindAdditive, amount(bt.Amount, settle), settle
		e.Dimensions = map[string]string{"charge_currency": currency(ch.Currency)}
		if bt.ExchangeRate != 0 {
			e.Dimensions["exchange_rate"] = strconv.FormatFloat(bt.ExchangeRate, 'f', -1, 64)
		}
		e.EventID = EventID(tenantID, e.Metric, bt.ID)
		out = append(out, e)
	}
	return out
}

// FeeUnknown marks a captured charge whose balance transaction could not be
// read, once per charge, at the charge's revenue time (at).
func FeeUnknown(tenantID, chargeID, cur string, at time.Time, livemode bool) messages.MetricEvent {
	e := base(tenantID, messages.MetricRevenueFeeUnknown, chargeID, at, livemode)
	e.Kind, e.Value, e.Unit = messages.KindAdditive, 1, messages.UnitCount
	e.Dimensions = map[string]string{"currency": cur}
	e.EventID = EventID(tenantID, e.Metric, chargeID)
	return e
}

// PayoutReconciliation compares a paid payout (amount, currency, arrival
// date as its payouts.paid fact has them) with the balance transactions
// Stripe lists for it (GET /v1/balance_transactions?payout=…): their net,
// leaving out the payout's own transaction, should equal the payout's
// amount. The result is payouts.unreconciled, the difference (0 when
// reconciled), once per payout and difference.
func PayoutReconciliation(tenantID string, paid messages.MetricEvent, bts []*stripe.BalanceTransaction) messages.MetricEvent {
	var net int64
	n := 0
	for _, bt := range bts {
		if bt == nil || bt.Type == stripe.BalanceTransactionTypePayout || bt.Type == "payout_cancel" || bt.Type == "payout_failure" {
			continue
		}
		n++
		net += amount(bt.Net, currency(bt.Currency))
	}
	live := paid.Livemode != nil && *paid.Livemode
	diff := paid.Value - net
	e := state(tenantID, messages.MetricPayoutsUnreconciled, paid.Entity, paid.ObjectID, paid.OccurredAt, live, diff, 1, paid.Currency)
	e.Dimensions = map[string]string{"transactions": strconv.Itoa(n)}
	return e
}
