package stripemap

import (
	"errors"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
)

// Prices and coupons as Stripe states them, to the digit.
func TestMRRExactArithmetic(t *testing.T) {
	at := time.Unix(1760000000, 0)
	third := sub(stripe.SubscriptionStatusActive, item(10000, 1, "month", 1))
	third.Discount = &stripe.Discount{ID: "di_3", Coupon: &stripe.Coupon{ID: "c3", PercentOff: 33.33, Duration: stripe.CouponDurationForever}}
	noCount := item(2000, 1, "month", 0) // interval_count absent: 1
	noDivide := item(100, 7, "month", 1)
	noDivide.Price.TransformQuantity = &stripe.PriceTransformQuantity{DivideBy: 0, Round: stripe.PriceTransformQuantityRoundUp}
	quarterCent := item(0, 1000, "month", 1)
	quarterCent.Price.UnitAmountDecimal = 0.25
	for name, c := range map[string]struct {
		sub  *stripe.Subscription
		want int64
	}{
		"33.33% off $100":                         {third, 6667},
		"interval_count 0 is monthly":             {sub(stripe.SubscriptionStatusActive, noCount), 2000},
		"divide_by 0 is no package":               {sub(stripe.SubscriptionStatusActive, noDivide), 700},
		"a quarter cent a seat, 1000 seats":       {sub(stripe.SubscriptionStatusActive, quarterCent), 250},
		"$18.06 a year is 150.5 cents, rounds up": {sub(stripe.SubscriptionStatusActive, item(1806, 1, "year", 1)), 151},
	} {
		if got, err := MRR(c.sub, at); err != nil || got != c.want {
			t.Errorf("%s: MRR %d, %v; want %d", name, got, err, c.want)
		}
	}
	// A discount listed in discounts[] only by id is unknown unless it is
	// the legacy discount, counted once.
	legacy := sub(stripe.SubscriptionStatusActive, item(10000, 1, "month", 1))
	legacy.Discount = &stripe.Discount{ID: "di_l", Coupon: &stripe.Coupon{ID: "c", PercentOff: 10, Duration: stripe.CouponDurationForever}}
	legacy.Discounts = []*stripe.Discount{{ID: "di_l"}}
	if got, err := MRR(legacy, at); err != nil || got != 9000 {
		t.Errorf("legacy discount listed again: %d, %v; want 9000", got, err)
	}
	legacy.Discounts = append(legacy.Discounts, &stripe.Discount{ID: "di_other"})
	if _, err := MRR(legacy, at); !errors.Is(err, ErrMRRUnknown) {
		t.Errorf("unexpanded other discount: %v; want ErrMRRUnknown", err)
	}
}

// MRRChanges lists the repeating discounts' ends strictly after at, item
// discounts included.
func TestMRRChangesAfterAt(t *testing.T) {
	at := time.Unix(1760000000, 0)
	rep := func(id string, end int64) *stripe.Discount {
		return &stripe.Discount{ID: id, End: end, Coupon: &stripe.Coupon{ID: id, PercentOff: 10, Duration: stripe.CouponDurationRepeating}}
	}
	it := item(1000, 1, "month", 1)
	it.Discounts = []*stripe.Discount{rep("di_item", at.Unix()+100)}
	s := sub(stripe.SubscriptionStatusActive, it, nil)
	s.Discount = rep("di_now", at.Unix())
	got := MRRChanges(s, at)
	if len(got) != 1 || got[0].Unix() != at.Unix()+100 {
		t.Errorf("changes %v; want only the item discount's end, 100 s after", got)
	}
}

// A metered line's MRR is its usage net of included tax, in the
// invoice's currency when the line has none, versioned as an active
// state at the invoice's creation, for the invoice's customer.
func TestMeteredMRRLine(t *testing.T) {
	const created = 1760000000
	price := item(0, 1, "month", 1).Price
	price.Recurring.UsageType = stripe.PriceRecurringUsageTypeMetered
	inv := &stripe.Invoice{ID: "in_m", Currency: "eur", Created: created, AmountPaid: 1300, Customer: &stripe.Customer{ID: "cus_m"},
		Subscription: &stripe.Subscription{ID: "sub_m"},
		Lines: &stripe.InvoiceLineItemList{Data: []*stripe.InvoiceLineItem{{ID: "il_m", Amount: 1200, Price: price, SubscriptionItem: &stripe.SubscriptionItem{ID: "si_m"},
			TaxAmounts: []*stripe.InvoiceTotalTaxAmount{{Amount: 200, Inclusive: true}, {Amount: 100, Inclusive: false}}}}}}
	out := MeteredMRR(tenant, inv)
	if len(out) != 1 {
		t.Fatalf("metered facts %+v", out)
	}
	e := out[0]
	if e.Value != 1000 || e.Currency != "EUR" || e.Entity != "sub_m/si_m" || e.Version != created*16+statusRank[stripe.SubscriptionStatusActive] || e.Dimensions["customer"] != "cus_m" {
		t.Errorf("metered fact %+v; want 1000 EUR for cus_m", e)
	}
	inv.Customer = &stripe.Customer{}
	if out := MeteredMRR(tenant, inv); len(out) != 1 || out[0].Dimensions != nil {
		t.Errorf("customer without id: %+v", out)
	}
}

// A $0 invoice (a trial's) pays nothing and bills nothing.
func TestZeroInvoicePaysNothing(t *testing.T) {
	inv := subInvoice("in_0", time.Unix(1760000000, 0), 0, 1)
	if out := InvoicePaid(tenant, inv); out != nil {
		t.Errorf("$0 invoice = %+v", out)
	}
}

// A charge event whose envelope is not an event, or that has no object,
// is refused whatever its type.
func TestDecodeWebhookRefusesChargeShapes(t *testing.T) {
	for name, body := range map[string]string{
		"not an event": `{"id":"evt_1","object":"list","type":"charge.succeeded","data":{"object":{"id":"ch_1","object":"charge"}}}`,
		"no object":    `{"id":"evt_1","object":"event","type":"charge.succeeded","data":{}}`,
	} {
		if _, err := DecodeWebhook([]byte(body)); !errors.Is(err, ErrNotEvent) {
			t.Errorf("%s: %v; want ErrNotEvent", name, err)
		}
	}
}
