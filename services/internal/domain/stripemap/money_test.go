package stripemap

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// event builds a Stripe event of type typ at created around obj.
func event(t *testing.T, typ string, created int64, obj map[string]any) stripe.Event {
	raw, err := json.Marshal(obj)
	if err != nil {
		panic(err)
	}
	return stripe.Event{ID: "evt_" + typ, Type: stripe.EventType(typ), Created: created, APIVersion: stripe.APIVersion, Data: &stripe.EventData{Raw: raw}}
}

// store translates events into one fact per event id, as the aggregator
// keeps them, failing when an id is reused for different content.
func store(t *testing.T, evs ...stripe.Event) map[string][]messages.MetricEvent {
	t.Helper()
	byID := map[string]messages.MetricEvent{}
	for _, ev := range evs {
		out, err := Translate(tenant, ev)
		if err != nil {
			t.Fatalf("%s: %v", ev.Type, err)
		}
		for _, e := range out {
			if _, dup := byID[e.EventID]; !dup {
				byID[e.EventID] = e
			}
		}
	}
	by := map[string][]messages.MetricEvent{}
	for _, e := range byID {
		by[e.Metric] = append(by[e.Metric], e)
	}
	return by
}

func dispute(id string, amount int64, status string, bts ...map[string]any) map[string]any {
	list := []any{}
	for _, b := range bts {
		list = append(list, b)
	}
	return map[string]any{"id": id, "object": "dispute", "amount": amount, "currency": "usd", "charge": "ch_" + id,
		"status": status, "created": 1759000000, "balance_transactions": list}
}

func bt(id string, amount, fee, created int64) map[string]any {
	return map[string]any{"id": id, "object": "balance_transaction", "amount": amount, "fee": fee, "net": amount - fee,
		"currency": "usd", "created": created, "reporting_category": "dispute"}
}

var (
	all   = time.Unix(0, 0)
	never = time.Unix(1<<40, 0)
)

// Disputes move money only when funds are withdrawn or reinstated; an
// inquiry moves nothing, whatever its status.
func TestDisputeMoneyMoved(t *testing.T) {
	const withdrawnAt, reinstatedAt = 1759000100, 1761000000
	withdrawal := bt("txn_w", -10000, 1500, withdrawnAt)
	reinstatement := bt("txn_r", 10000, 0, reinstatedAt)
	for _, c := range []struct {
		name                 string
		evs                  []stripe.Event
		disputed, fees       int64
		atStake, won, lost   int64
		disputedBeforeReturn int64
	}{
		{name: "inquiry only", evs: []stripe.Event{
			event(t, "charge.dispute.created", 1759000000, dispute("dp_i", 5000, "warning_needs_response")),
			event(t, "charge.dispute.updated", 1759000500, dispute("dp_i", 5000, "warning_under_review")),
		}, atStake: 5000},
		{name: "inquiry closed", evs: []stripe.Event{
			event(t, "charge.dispute.created", 1759000000, dispute("dp_i", 5000, "warning_needs_response")),
			event(t, "charge.dispute.closed", 1759000500, dispute("dp_i", 5000, "warning_closed")),
		}},
		{name: "withdrawn, fee from the balance transaction", evs: []stripe.Event{
			event(t, "charge.dispute.created", 1759000000, dispute("dp_a", 10000, "needs_response", withdrawal)),
			event(t, "charge.dispute.funds_withdrawn", withdrawnAt, dispute("dp_a", 10000, "needs_response", withdrawal)),
		}, disputed: 10000, fees: 1500, atStake: 10000, disputedBeforeReturn: 10000},
		{name: "withdrawn without balance transactions, then with", evs: []stripe.Event{
			event(t, "charge.dispute.funds_withdrawn", withdrawnAt, dispute("dp_a", 10000, "needs_response")),
			event(t, "charge.dispute.updated", withdrawnAt+50, dispute("dp_a", 10000, "under_review", withdrawal)),
		}, disputed: 10000, fees: 1500, atStake: 10000, disputedBeforeReturn: 10000},
		{name: "won: reinstated", evs: []stripe.Event{
			event(t, "charge.dispute.funds_withdrawn", withdrawnAt, dispute("dp_a", 10000, "needs_response", withdrawal)),
			event(t, "charge.dispute.funds_reinstated", reinstatedAt, dispute("dp_a", 10000, "won", withdrawal, reinstatement)),
			event(t, "charge.dispute.closed", reinstatedAt, dispute("dp_a", 10000, "won", withdrawal, reinstatement)),
		}, disputed: 0, fees: 1500, won: 1, disputedBeforeReturn: 10000},
		{name: "won, reinstatement without balance transaction", evs: []stripe.Event{
			event(t, "charge.dispute.funds_withdrawn", withdrawnAt, dispute("dp_a", 10000, "needs_response", withdrawal)),
			event(t, "charge.dispute.funds_reinstated", reinstatedAt, dispute("dp_a", 10000, "won", withdrawal)),
		}, disputed: 0, fees: 1500, won: 1, disputedBeforeReturn: 10000},
		{name: "lost", evs: []stripe.Event{
			event(t, "charge.dispute.created", 1759000000, dispute("dp_a", 10000, "needs_response", withdrawal)),
			event(t, "charge.dispute.closed", 1762000000, dispute("dp_a", 10000, "lost", withdrawal)),
		}, disputed: 10000, fees: 1500, lost: 1, disputedBeforeReturn: 10000},
	} {
		t.Run(c.name, func(t *testing.T) {
			by := store(t, c.evs...)
			got := [6]int64{
				readmodel.Sum(by[messages.MetricRevenueDisputed], all, never),
				readmodel.Sum(by[messages.MetricRevenueFees], all, never),
				readmodel.TotalAt(by[messages.MetricDisputesAtStake], never),
				readmodel.Sum(by[messages.MetricDisputesWon], all, never),
				readmodel.Sum(by[messages.MetricDisputesLost], all, never),
				readmodel.Sum(by[messages.MetricRevenueDisputed], all, time.Unix(reinstatedAt, 0)),
			}
			want := [6]int64{c.disputed, c.fees, c.atStake, c.won, c.lost, c.disputedBeforeReturn}
			if got != want {
				t.Errorf("(disputed, fees, at stake, won, lost, disputed before the return) = %v, want %v", got, want)
			}
		})
	}
}

// TestDisputeFundsNameThePaymentIntent: the funds a dispute moves name
// its payment intent when it has one, in both directions (a basil
// invoice payment may name only that, and recognition joins the funds
// to the invoice through it); without one, no such dimension.
func TestDisputeFundsNameThePaymentIntent(t *testing.T) {
	d := dispute("dp_a", 10000, "won", bt("txn_w", -10000, 1500, 1759000100), bt("txn_r", 10000, 0, 1761000000))
	d["payment_intent"] = "pi_a"
	by := store(t, event(t, "charge.dispute.closed", 1761000000, d))
	funds := by[messages.MetricRevenueDisputed]
	if len(funds) != 2 {
		t.Fatalf("%d movements, want 2", len(funds))
	}
	for _, f := range funds {
		if f.Dimensions["payment_intent"] != "pi_a" || f.ObjectID != "ch_dp_a" {
			t.Errorf("%s funds: object %s, dims %v; want ch_dp_a and payment_intent pi_a", f.Dimensions["funds"], f.ObjectID, f.Dimensions)
		}
	}
	by = store(t, event(t, "charge.dispute.funds_withdrawn", 1759000100, dispute("dp_b", 10000, "needs_response", bt("txn_w", -10000, 1500, 1759000100))))
	if f := by[messages.MetricRevenueDisputed]; len(f) != 1 || f[0].Dimensions["payment_intent"] != "" {
		t.Errorf("a dispute without a payment intent: %+v", f)
	}
}

func chargeAt(id string, amount, created int64, captured bool) map[string]any {
	o := map[string]any{"id": id, "object": "charge", "amount": amount, "currency": "usd", "created": created, "captured": captured, "status": "succeeded"}
	if captured {
		o["amount_captured"] = amount
	}
	return o
}

// Revenue counts at capture: charge.captured's time, or the balance
// transaction's created time when it is expanded; charge.refunded alone
// does not date the gross.
func TestGrossAtCapture(t *testing.T) {
	const created, capturedAt, btAt = 1759140000, 1759400000, 1759400003 // 29 Sep 10:00, 2 Oct UTC
	withBT := chargeAt("ch_x", 12000, created, true)
	withBT["balance_transaction"] = map[string]any{"id": "txn_x", "object": "balance_transaction", "amount": 12000, "fee": 378, "net": 11622, "currency": "usd", "created": btAt, "type": "charge"}
	refunded := chargeAt("ch_x", 12000, created, true)
	refunded["amount_refunded"] = 2000
	for _, c := range []struct {
		name      string
		ev        stripe.Event
		at, fee   int64
		grossFact bool
	}{
		{"authorised only", event(t, "charge.succeeded", created, chargeAt("ch_x", 12000, created, false)), 0, 0, false},
		{"captured at creation", event(t, "charge.succeeded", created, chargeAt("ch_x", 12000, created, true)), created, 0, true},
		{"captured later", event(t, "charge.captured", capturedAt, chargeAt("ch_x", 12000, created, true)), capturedAt, 0, true},
		{"refunded, capture time unknown", event(t, "charge.refunded", capturedAt+100, refunded), 0, 0, false},
		{"balance transaction expanded", event(t, "charge.refunded", capturedAt+100, withBT), btAt, 378, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			by := store(t, c.ev)
			gross := by[messages.MetricRevenueGross]
			if !c.grossFact {
				if len(gross) != 0 {
					t.Fatalf("gross = %+v, want none", gross)
				}
				return
			}
			if len(gross) != 1 || gross[0].Value != 12000 || gross[0].OccurredAt.Unix() != c.at {
				t.Fatalf("gross = %+v, want 12000 at %d", gross, c.at)
			}
			if got := readmodel.Sum(by[messages.MetricRevenueFees], all, never); got != c.fee {
				t.Errorf("fees = %d, want %d", got, c.fee)
			}
		})
	}
	// The backfill dates a charge by its balance transaction too.
	var ch stripe.Charge
	raw, _ := json.Marshal(withBT)
	if err := json.Unmarshal(raw, &ch); err != nil {
		t.Fatal(err)
	}
	if h := ChargeHistory(tenant, &ch); len(h) == 0 || h[0].OccurredAt.Unix() != btAt {
		t.Errorf("backfilled gross = %+v, want at %d", h, btAt)
	}
}

func refund(id string, amount int64, status string, created int64) map[string]any {
	return map[string]any{"id": id, "object": "refund", "amount": amount, "currency": "usd", "charge": "ch_r", "status": status, "created": created}
}

// Each refund is its own state: failed and cancelled refunds end at 0,
// in the period they came back; charge.refunded's cumulative figure gives
// way to the refunds once any is known.
func TestRefundStates(t *testing.T) {
	const oct20, oct24, nov3 = 1760961600, 1761307200, 1762171200
	cum := chargeAt("ch_r", 10000, 1759300000, true)
	cum["amount_refunded"] = 2000
	listed := chargeAt("ch_r", 10000, 1759300000, true)
	listed["amount_refunded"] = 5000
	listed["refunds"] = map[string]any{"object": "list", "data": []any{refund("re_1", 2000, "succeeded", oct20), refund("re_2", 3000, "pending", oct24)}}
	for _, c := range []struct {
		name          string
		evs           []stripe.Event
		oct, end      int64 // refunds by the end of October, and in the end
		refundEntites int
	}{
		{"pending then succeeded", []stripe.Event{
			event(t, "refund.created", oct20, refund("re_1", 2000, "pending", oct20)),
			event(t, "refund.updated", oct24, refund("re_1", 2000, "succeeded", oct20)),
		}, 2000, 2000, 1},
		{"failed in the same month", []stripe.Event{
			event(t, "refund.created", oct20, refund("re_1", 2000, "pending", oct20)),
			event(t, "refund.failed", oct24, refund("re_1", 2000, "failed", oct20)),
		}, 0, 0, 1},
		{"succeeded, failed next month", []stripe.Event{
			event(t, "charge.refund.updated", nov3, refund("re_1", 2000, "failed", oct20)),
			event(t, "refund.updated", oct24, refund("re_1", 2000, "succeeded", oct20)),
		}, 2000, 0, 1},
		{"cancelled", []stripe.Event{
			event(t, "refund.created", oct20, refund("re_1", 2000, "requires_action", oct20)),
			event(t, "refund.updated", oct24, refund("re_1", 2000, "canceled", oct20)),
		}, 0, 0, 1},
		{"cumulative only", []stripe.Event{event(t, "charge.refunded", oct20, cum)}, 2000, 2000, 0},
		{"cumulative, then the refund", []stripe.Event{
			event(t, "charge.refunded", oct20, cum),
			event(t, "refund.created", oct20, refund("re_1", 2000, "succeeded", oct20)),
		}, 2000, 2000, 1},
		{"listed refunds", []stripe.Event{
			event(t, "charge.refunded", oct24, listed),
			event(t, "refund.created", oct20, refund("re_1", 2000, "pending", oct20)),
			event(t, "refund.failed", nov3, refund("re_2", 3000, "failed", oct24)),
		}, 5000, 2000, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			rf := readmodel.PreferParts(store(t, c.evs...)[messages.MetricRevenueRefunded])
			oct, end := readmodel.TotalAt(rf, time.Unix(nov3-86400*2, 0)), readmodel.TotalAt(rf, never)
			n := 0
			for e := range readmodel.StatesAt(rf, never) {
				if strings.HasPrefix(e, "re_") {
					n++
				}
			}
			if oct != c.oct || end != c.end || n != c.refundEntites {
				t.Errorf("refunds (October, end, refunds known) = (%d, %d, %d), want (%d, %d, %d)", oct, end, n, c.oct, c.end, c.refundEntites)
			}
		})
	}
}

// A payout paid then failed counts once, as failed, in either order.
func TestPayoutLatestState(t *testing.T) {
	po := map[string]any{"id": "po_1", "object": "payout", "amount": 5000, "currency": "usd", "arrival_date": 1760500000, "created": 1760300000}
	paid, failed := event(t, "payout.paid", 1760500000, po), event(t, "payout.failed", 1760700000, po)
	for _, order := range [][]stripe.Event{{paid, failed}, {failed, paid}, {paid, failed, paid}} {
		by := store(t, order...)
		p, f := readmodel.TotalAt(by[messages.MetricPayoutsPaid], never), readmodel.TotalAt(by[messages.MetricPayoutsFailed], never)
		if p != 0 || f != 5000 {
			t.Errorf("paid, failed = %d, %d; want 0, 5000", p, f)
		}
	}
	if p := readmodel.TotalAt(store(t, paid)[messages.MetricPayoutsPaid], never); p != 5000 {
		t.Errorf("paid alone = %d, want 5000", p)
	}
}

// Stripe keeps two decimals for ISK, ISO 4217 none: amounts are
// converted, rounding half away from zero ("ISK will remain a two-decimal
// currency in the Stripe API, and an ISK amount of 100 will continue to
// represent 1 króna", support.stripe.com, "Deprecation of fractional ISK
// charges and refunds"). UGX is a zero-decimal currency in Stripe's own
// list (docs.stripe.com/currencies#zero-decimal: BIF, CLP, DJF, GNF, JPY,
// KMF, KRW, MGA, PYG, RWF, UGX, VND, VUV, XAF, XOF, XPF) and in ISO, so
// 5000 is 5,000 shillings, not 50. HUF and TWD are two-decimal in both
// (their whole-unit rule is for payouts); JPY is zero-decimal in both.
func TestAmountInISOMinorUnits(t *testing.T) {
	for _, c := range []struct {
		v    int64
		cur  string
		want int64
	}{
		{1250000, "ISK", 12500}, {150, "ISK", 2}, {149, "ISK", 1}, {-150, "ISK", -2}, {-149, "ISK", -1},
		{500000, "UGX", 500000}, {5000, "UGX", 5000}, {149, "UGX", 149}, {1250000, "HUF", 1250000}, {1250000, "TWD", 1250000}, {12500, "JPY", 12500}, {1999, "USD", 1999},
	} {
		if got := amount(c.v, c.cur); got != c.want {
			t.Errorf("amount(%d, %s) = %d, want %d", c.v, c.cur, got, c.want)
		}
	}
	// MRR and payouts convert too.
	sub := &stripe.Subscription{ID: "sub_isk", Status: stripe.SubscriptionStatusActive, Items: &stripe.SubscriptionItemList{Data: []*stripe.SubscriptionItem{{
		ID: "si", Quantity: 1, Price: &stripe.Price{Currency: "isk", UnitAmount: 990000, Recurring: &stripe.PriceRecurring{Interval: "month", IntervalCount: 1}}}}}}
	out, err := Subscription(tenant, sub, time.Unix(1760000000, 0))
	if err != nil || len(out) != 1 || out[0].Value != 9900 || out[0].Currency != "ISK" {
		t.Errorf("ISK MRR from the price's currency = %+v, %v; want 9900 ISK", out, err)
	}
	po := Payout(tenant, &stripe.Payout{ID: "po_isk", Amount: 500000, Currency: "isk", Status: stripe.PayoutStatusPaid, ArrivalDate: 1760000000})
	if len(po) != 1 || po[0].Value != 5000 {
		t.Errorf("ISK payout = %+v, want 5000", po)
	}
	po = Payout(tenant, &stripe.Payout{ID: "po_ugx", Amount: 500000, Currency: "ugx", Status: stripe.PayoutStatusPaid, ArrivalDate: 1760000000})
	if len(po) != 1 || po[0].Value != 500000 || po[0].Currency != "UGX" {
		t.Errorf("UGX payout = %+v, want 500000 UGX as sent", po)
	}
}

// A balance transaction gives the fee (a known zero included) and, when
// the account settles in another currency, the settled amount.
func TestChargeBalance(t *testing.T) {
	ch := &stripe.Charge{ID: "ch_eur", Amount: 5000, Currency: "eur", Captured: true,
		BalanceTransaction: &stripe.BalanceTransaction{ID: "txn_1", Amount: 5410, Fee: 187, Net: 5223, Currency: "usd", ExchangeRate: 1.082, Created: 1760000000}}
	out := ChargeBalance(tenant, ch)
	if len(out) != 2 || out[0].Metric != messages.MetricRevenueFees || out[0].Value != 187 || out[0].Currency != "USD" || out[0].ObjectID != "ch_eur" ||
		out[1].Metric != messages.MetricRevenueSettled || out[1].Value != 5410 || out[1].Currency != "USD" ||
		out[1].Dimensions["charge_currency"] != "EUR" || out[1].Dimensions["exchange_rate"] != "1.082" || out[1].OccurredAt.Unix() != 1760000000 {
		t.Fatalf("balance facts = %+v", out)
	}
	same := &stripe.Charge{ID: "ch_usd", Currency: "usd", BalanceTransaction: &stripe.BalanceTransaction{ID: "txn_2", Amount: 100, Currency: "usd", Created: 1760000000}}
	if out := ChargeBalance(tenant, same); len(out) != 1 || out[0].Value != 0 {
		t.Fatalf("same currency, zero fee = %+v", out)
	}
	if out := ChargeBalance(tenant, &stripe.Charge{ID: "ch_x", BalanceTransaction: &stripe.BalanceTransaction{ID: "txn_3"}}); len(out) != 0 {
		t.Fatalf("unexpanded balance transaction = %+v", out)
	}
	if e := FeeUnknown(tenant, "ch_x", "USD", time.Unix(1760000000, 0), true); e.Metric != messages.MetricRevenueFeeUnknown || e.Value != 1 ||
		e.EventID != FeeUnknown(tenant, "ch_x", "USD", time.Unix(1770000000, 0), true).EventID || e.Validate() != nil {
		t.Fatalf("fee unknown = %+v", e)
	}
}

func TestPayoutReconciliation(t *testing.T) {
	live := true
	paid := messages.MetricEvent{Header: messages.Header{OccurredAt: time.Unix(1760500000, 0)}, Metric: messages.MetricPayoutsPaid, Entity: "po_1", ObjectID: "po_1", Value: 9680, Currency: "USD", Livemode: &live}
	bts := []*stripe.BalanceTransaction{
		{ID: "txn_c", Type: "charge", Amount: 10000, Fee: 320, Net: 9680, Currency: "usd"},
		{ID: "txn_p", Type: "payout", Amount: -9680, Net: -9680, Currency: "usd"},
	}
	if e := PayoutReconciliation(tenant, paid, bts); e.Value != 0 || e.Entity != "po_1" || e.Dimensions["transactions"] != "1" || e.OccurredAt.Unix() != 1760500000 || e.Validate() != nil {
		t.Errorf("reconciled payout = %+v", e)
	}
	bts = append(bts, &stripe.BalanceTransaction{ID: "txn_r", Type: "refund", Amount: -2000, Net: -2000, Currency: "usd"})
	if e := PayoutReconciliation(tenant, paid, bts); e.Value != 2000 || e.Dimensions["transactions"] != "2" {
		t.Errorf("unreconciled payout = %+v, want a 2000 difference over 2 transactions", e)
	}
}
