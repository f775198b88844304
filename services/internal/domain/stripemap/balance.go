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

// RefundBalance is what a refund's balance transactions (the refund read
// with balance_transaction and failure_balance_transaction expanded, as
// the stripe-collector's enrichment and the backfill read it) moved in the
// Stripe balance: the fee of each (revenue.fees, type=refund, object = the
// refund's charge, once per balance transaction: usually 0, negative when
// Stripe returned part of the charge's fee), and when the balance is in
// another currency than the refund's, the amount in that currency
// (revenue.settled, type=refund: negative when the refund left, positive
// when a failed refund's money came back), with Stripe's exchange rate.
// Each fact names the refund (dimension refund) and says which way the
// money went (funds: out or returned). Nothing without an expanded
// balance transaction.
func RefundBalance(tenantID string, re *stripe.Refund) []messages.MetricEvent {
	chargeID := ""
	if re.Charge != nil {
		chargeID = re.Charge.ID
	}
	var out []messages.MetricEvent
	for _, leg := range []struct {
		bt    *stripe.BalanceTransaction
		funds string
	}{{re.BalanceTransaction, "out"}, {re.FailureBalanceTransaction, "returned"}} {
		if leg.funds == "returned" && re.Status != stripe.RefundStatusFailed {
			continue // only a failed refund's money came back
		}
		if leg.bt == nil || leg.bt.ID == "" || leg.bt.Created == 0 {
			continue
		}
		bt := *leg.bt
		if bt.Currency == "" {
			bt.Currency = re.Currency // a balance transaction in the refund's own currency
		}
		f := fee(tenantID, &bt, chargeID, "refund", false)
		f.Livemode = nil
		f.Dimensions["charge_currency"] = currency(re.Currency)
		f.Dimensions["refund"], f.Dimensions["funds"] = re.ID, leg.funds
		out = append(out, f)
		if settle := currency(bt.Currency); settle != "" && settle != currency(re.Currency) {
			e := base(tenantID, messages.MetricRevenueSettled, chargeID, unix(bt.Created), false)
			e.Livemode = nil
			e.Kind, e.Value, e.Currency = messages.KindAdditive, amount(bt.Amount, settle), settle
			e.Dimensions = map[string]string{"charge_currency": currency(re.Currency), "type": "refund", "refund": re.ID, "funds": leg.funds}
			if bt.ExchangeRate != 0 {
				e.Dimensions["exchange_rate"] = strconv.FormatFloat(bt.ExchangeRate, 'f', -1, 64)
			}
			e.EventID = EventID(tenantID, e.Metric, bt.ID, re.ID)
			out = append(out, e)
		}
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
