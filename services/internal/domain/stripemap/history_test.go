package stripemap

import (
	"fmt"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

func only(fs []messages.MetricEvent, metric string) []messages.MetricEvent {
	var out []messages.MetricEvent
	for _, f := range fs {
		if f.Metric == metric {
			out = append(out, f)
		}
	}
	return out
}

// subInvoice is a paid subscription invoice billing unit × qty per month
// for the period starting at start.
func subInvoice(id string, start time.Time, unit, qty int64) *stripe.Invoice {
	price := &stripe.Price{ID: "price_" + id, Currency: "usd", UnitAmount: unit, UnitAmountDecimal: float64(unit), BillingScheme: stripe.PriceBillingSchemePerUnit,
		Recurring: &stripe.PriceRecurring{Interval: "month", IntervalCount: 1, UsageType: stripe.PriceRecurringUsageTypeLicensed}}
	return &stripe.Invoice{ID: id, Currency: "usd", Created: start.Unix(), Status: stripe.InvoiceStatusPaid, AmountPaid: unit * qty,
		Subscription:      &stripe.Subscription{ID: "sub_1"},
		StatusTransitions: &stripe.InvoiceStatusTransitions{FinalizedAt: start.Unix(), PaidAt: start.Unix()},
		Lines: &stripe.InvoiceLineItemList{Data: []*stripe.InvoiceLineItem{{ID: "il_" + id, Amount: unit * qty, Currency: "usd", Quantity: qty,
			Price: price, Type: stripe.InvoiceLineItemTypeSubscription, SubscriptionItem: &stripe.SubscriptionItem{ID: "si_1"},
			Period: &stripe.Period{Start: start.Unix(), End: start.AddDate(0, 1, 0).Unix()}}}}}
}

// TestBackfillBuildsHistoryFromHistory is issue 15 problem 5: the backfill
// must not stamp today's object with an old date.
func TestBackfillBuildsHistoryFromHistory(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cust := &stripe.Customer{ID: "cus_1"}

	t.Run("refunds on 20 Oct ($20) and 3 Nov ($30) stay in Oct and Nov", func(t *testing.T) {
		oct, nov, dec := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		ch := &stripe.Charge{ID: "ch_1", Amount: 10000, AmountCaptured: 10000, Captured: true, Paid: true, Status: stripe.ChargeStatusSucceeded,
			Currency: "usd", Created: oct.Unix(), AmountRefunded: 5000, Refunded: false,
			Refunds: &stripe.RefundList{Data: []*stripe.Refund{
				{ID: "re_1", Amount: 2000, Currency: "usd", Status: stripe.RefundStatusSucceeded, Created: time.Date(2026, 10, 20, 9, 0, 0, 0, time.UTC).Unix(), Charge: &stripe.Charge{ID: "ch_1"}},
				{ID: "re_2", Amount: 3000, Currency: "usd", Status: stripe.RefundStatusSucceeded, Created: time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC).Unix(), Charge: &stripe.Charge{ID: "ch_1"}},
			}}}
		refunds := readmodel.PreferParts(only(ChargeHistory(tenant, ch), messages.MetricRevenueRefunded))
		if o, n := readmodel.Change(refunds, oct, nov), readmodel.Change(refunds, nov, dec); o != 2000 || n != 3000 {
			t.Errorf("refunds Oct %d / Nov %d; want 2000 / 3000", o, n)
		}
	})

	t.Run("a trial is not MRR from creation", func(t *testing.T) {
		s := sub(stripe.SubscriptionStatusActive, item(5000, 1, "month", 1))
		s.Customer, s.Created, s.TrialStart, s.TrialEnd = cust, jan.Unix(), jan.Unix(), jan.AddDate(0, 0, 14).Unix()
		hist, err := SubscriptionHistory(tenant, s, []*stripe.Invoice{subInvoice("in_trial", jan, 5000, 1), subInvoice("in_1", jan.AddDate(0, 0, 14), 5000, 1)})
		if err != nil {
			t.Fatal(err)
		}
		if got := readmodel.TotalAt(hist, jan.AddDate(0, 0, 10)); got != 0 {
			t.Errorf("MRR during the trial %d; want 0", got)
		}
		if got := readmodel.TotalAt(hist, jan.AddDate(0, 0, 20)); got != 5000 {
			t.Errorf("MRR after the trial %d; want 5000", got)
		}
		m := readmodel.MonthlyMRRMovements(hist, time.UTC, jan, jan.AddDate(0, 1, 0))
		if m[0].New != 5000 || m[0].NewCustomers != 1 {
			t.Errorf("January movements %+v; want New 5000 from the conversion", m[0])
		}
	})

	t.Run("a price change does not restate the creation-time MRR", func(t *testing.T) {
		// Created at $50 on 1 January; $80 since 1 March.
		s := sub(stripe.SubscriptionStatusActive, item(8000, 1, "month", 1))
		s.Customer, s.Created = cust, jan.Unix()
		hist, err := SubscriptionHistory(tenant, s, []*stripe.Invoice{
			subInvoice("in_jan", jan, 5000, 1), subInvoice("in_feb", jan.AddDate(0, 1, 0), 5000, 1), subInvoice("in_mar", jan.AddDate(0, 2, 0), 8000, 1)})
		if err != nil {
			t.Fatal(err)
		}
		if got := readmodel.TotalAt(hist, jan.AddDate(0, 1, 15)); got != 5000 {
			t.Errorf("MRR in February %d; want 5000, not today's 8000", got)
		}
		if got := readmodel.TotalAt(hist, jan.AddDate(0, 3, 0)); got != 8000 {
			t.Errorf("MRR in April %d; want 8000", got)
		}
		// The webhook's creation fact is the backfill's, byte for byte.
		was := sub(stripe.SubscriptionStatusActive, item(5000, 1, "month", 1))
		was.Customer, was.Created = cust, jan.Unix()
		web := Must(Subscription(tenant, was, jan))
		contains(t, hist, web[0])
		// And nothing claims $80 at creation.
		for _, f := range hist {
			if f.OccurredAt.Equal(jan) && f.Value == 8000 {
				t.Errorf("today's price stamped at creation: %+v", f)
			}
		}
	})

	// A 20 % coupon for three months on a $50 plan ($40), and at the
	// renewal where it ends the price falls to $40: MRR is $40 throughout
	// (the webhooks: the coupon's end fact, then the change, both dated 1
	// April). Measuring the change against the first invoice's $40, not
	// the $50 it gives once the coupon has ended, dropped it: $50 from
	// April.
	t.Run("a price cut when a coupon ends is a change", func(t *testing.T) {
		apr := jan.AddDate(0, 3, 0)
		coupon := &stripe.Discount{ID: "di_1", Start: jan.Unix(), End: apr.Unix(), Coupon: &stripe.Coupon{ID: "co_20", PercentOff: 20, Duration: stripe.CouponDurationRepeating, DurationInMonths: 3}}
		s := sub(stripe.SubscriptionStatusActive, item(4000, 1, "month", 1))
		s.Customer, s.Created = cust, jan.Unix()
		var invs []*stripe.Invoice
		for k := range 5 {
			unit := int64(5000)
			if k >= 3 {
				unit = 4000
			}
			inv := subInvoice(fmt.Sprintf("in_%d", k), jan.AddDate(0, k, 0), unit, 1)
			if k < 3 {
				inv.Discount = coupon
			}
			invs = append(invs, inv)
		}
		hist, err := SubscriptionHistory(tenant, s, invs)
		if err != nil {
			t.Fatal(err)
		}
		mrr := only(hist, messages.MetricMRR)
		for m := range 5 {
			if got := readmodel.TotalAt(mrr, jan.AddDate(0, m, 1)); got != 4000 {
				t.Errorf("MRR on the 2nd of month %d: %d; want 4000", m+1, got)
			}
		}
	})

	// A coupon on the subscription item (the 20 % on $1,200/yr ×
	// 3 seats): the invoice line carries it (lines.data.discounts,
	// expanded), so the backfill's MRR is the webhook's $240, not $300.
	t.Run("an item's discount is in the history", func(t *testing.T) {
		it := seats()
		it.Discounts = []*stripe.Discount{{ID: "di_item", Coupon: coupon("co_20", 20, stripe.CouponDurationForever)}}
		s := sub(stripe.SubscriptionStatusActive, it)
		s.Customer, s.Created = cust, jan.Unix()
		var invs []*stripe.Invoice
		for k := range 2 {
			inv := subInvoice(fmt.Sprintf("in_seats_%d", k), jan.AddDate(1, 0, 0), 120000, 3)
			if k == 0 {
				inv = subInvoice("in_seats_0", jan, 120000, 3)
			}
			l := inv.Lines.Data[0]
			l.Price, l.SubscriptionItem = it.Price, &stripe.SubscriptionItem{ID: it.ID}
			l.Discounts = it.Discounts
			invs = append(invs, inv)
		}
		hist, err := SubscriptionHistory(tenant, s, invs)
		if err != nil {
			t.Fatal(err)
		}
		web, err := Subscription(tenant, s, jan)
		if err != nil {
			t.Fatal(err)
		}
		if got := readmodel.TotalAt(only(hist, messages.MetricMRR), jan.AddDate(0, 6, 0)); got != 24000 || web[0].Value != 24000 {
			t.Errorf("MRR in June from the history %d, from the webhook %d; want 24000", got, web[0].Value)
		}
		if h := only(hist, messages.MetricMRR); h[0].EventID != web[0].EventID {
			t.Errorf("the history's creation fact %+v is not the webhook's %+v", h[0], web[0])
		}
	})
}
