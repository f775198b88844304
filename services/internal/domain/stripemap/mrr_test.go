package stripemap

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// seats is the annual plan: $1,200 a year per seat, 3 seats.
func seats() *stripe.SubscriptionItem {
	it := item(120000, 3, stripe.PriceRecurringIntervalYear, 1)
	it.ID, it.Price.Product = "si_seats", &stripe.Product{ID: "prod_seats"}
	return it
}

// addOn is the issue's $600/yr add-on.
func addOn() *stripe.SubscriptionItem {
	it := item(60000, 1, stripe.PriceRecurringIntervalYear, 1)
	it.ID, it.Price.Product = "si_addon", &stripe.Product{ID: "prod_addon"}
	return it
}

func coupon(id string, pct float64, dur stripe.CouponDuration, products ...string) *stripe.Coupon {
	c := &stripe.Coupon{ID: id, PercentOff: pct, Duration: dur}
	if len(products) > 0 {
		c.AppliesTo = &stripe.CouponAppliesTo{Products: products}
	}
	return c
}

// TestMRRDiscountsInEveryPlace is issue 15 problem 1: a coupon only in
// discounts[], or only on the subscription item, takes 20 % off the
// $1,200/yr × 3 seats plan ($300 → $240 of MRR); applies_to limits it to
// its products ($300 × 0.8 + $50 add-on = $290, not $280).
func TestMRRDiscountsInEveryPlace(t *testing.T) {
	at := time.Unix(1703000000, 0)
	off20 := coupon("co_20", 20, stripe.CouponDurationForever)
	cases := map[string]struct {
		sub  func() *stripe.Subscription
		want int64
	}{
		"no discount": {func() *stripe.Subscription { return sub(stripe.SubscriptionStatusActive, seats()) }, 30000},
		"legacy discount": {func() *stripe.Subscription {
			s := sub(stripe.SubscriptionStatusActive, seats())
			s.Discount = &stripe.Discount{ID: "di_1", Coupon: off20}
			return s
		}, 24000},
		"only in discounts[]": {func() *stripe.Subscription {
			s := sub(stripe.SubscriptionStatusActive, seats())
			s.Discounts = []*stripe.Discount{{ID: "di_1", Coupon: off20}}
			return s
		}, 24000},
		"discount and discounts[] naming the same discount count once": {func() *stripe.Subscription {
			s := sub(stripe.SubscriptionStatusActive, seats())
			s.Discount = &stripe.Discount{ID: "di_1", Coupon: off20}
			s.Discounts = []*stripe.Discount{{ID: "di_1"}} // an id, as webhooks send it
			return s
		}, 24000},
		"only on the item": {func() *stripe.Subscription {
			it := seats()
			it.Discounts = []*stripe.Discount{{ID: "di_2", Coupon: off20}}
			return sub(stripe.SubscriptionStatusActive, it)
		}, 24000},
		"item discount leaves the other item alone": {func() *stripe.Subscription {
			it := seats()
			it.Discounts = []*stripe.Discount{{ID: "di_2", Coupon: off20}}
			return sub(stripe.SubscriptionStatusActive, it, addOn())
		}, 29000},
		"applies_to one product": {func() *stripe.Subscription {
			s := sub(stripe.SubscriptionStatusActive, seats(), addOn())
			s.Discounts = []*stripe.Discount{{ID: "di_3", Coupon: coupon("co_seats", 20, stripe.CouponDurationForever, "prod_seats")}}
			return s
		}, 29000},
		"applies_to on the legacy discount": {func() *stripe.Subscription {
			s := sub(stripe.SubscriptionStatusActive, seats(), addOn())
			s.Discount = &stripe.Discount{ID: "di_3", Coupon: coupon("co_seats", 20, stripe.CouponDurationForever, "prod_seats")}
			return s
		}, 29000},
		"without applies_to both items": {func() *stripe.Subscription {
			s := sub(stripe.SubscriptionStatusActive, seats(), addOn())
			s.Discounts = []*stripe.Discount{{ID: "di_1", Coupon: off20}}
			return s
		}, 28000},
		"item discount, then subscription discount": {func() *stripe.Subscription {
			it := seats()
			it.Discounts = []*stripe.Discount{{ID: "di_2", Coupon: off20}}
			s := sub(stripe.SubscriptionStatusActive, it)
			s.Discounts = []*stripe.Discount{{ID: "di_4", Coupon: coupon("co_50", 50, stripe.CouponDurationForever)}}
			return s
		}, 12000},
		"amount off limited to its product": {func() *stripe.Subscription {
			s := sub(stripe.SubscriptionStatusActive, seats(), addOn())
			c := &stripe.Coupon{ID: "co_amt", AmountOff: 120000, Currency: "usd", Duration: stripe.CouponDurationForever,
				AppliesTo: &stripe.CouponAppliesTo{Products: []string{"prod_addon"}}}
			s.Discounts = []*stripe.Discount{{ID: "di_5", Coupon: c}}
			return s
		}, 30000}, // $1,200 off a $600 add-on takes the add-on to 0, never the seats
	}
	for name, c := range cases {
		got, err := MRR(c.sub(), at)
		if err != nil || got != c.want {
			t.Errorf("%s: MRR = %d, %v; want %d", name, got, err, c.want)
		}
	}
}

// TestMRRRisesWhenARepeatingCouponEnds is issue 15 problem 1, duration: a
// 3-month repeating 20 % coupon on the $300 plan gives $240 until the
// coupon ends and $300 from then on, without any further event. A change
// before the end (a fourth seat) moves both figures; a once coupon never
// lowers MRR.
func TestMRRRisesWhenARepeatingCouponEnds(t *testing.T) {
	start := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 3, 0)
	s := sub(stripe.SubscriptionStatusActive, seats())
	s.Customer = &stripe.Customer{ID: "cus_1"}
	s.Discounts = []*stripe.Discount{{ID: "di_1", Coupon: coupon("co_3m", 20, stripe.CouponDurationRepeating), Start: start.Unix(), End: end.Unix()}}
	facts, err := Subscription(tenant, s, start)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at   time.Time
		want int64
	}{{start.Add(time.Second), 24000}, {end, 24000}, {end.Add(time.Second), 30000}} {
		if got := readmodel.TotalAt(facts, c.at); got != c.want {
			t.Errorf("MRR before %s = %d; want %d", c.at, got, c.want)
		}
	}
	// A fourth seat a month later: $320 while the coupon runs, $400 after,
	// whichever order the facts arrive in.
	four := *s
	it := seats()
	it.Quantity = 4
	four.Items = &stripe.SubscriptionItemList{Data: []*stripe.SubscriptionItem{it}}
	more, err := Subscription(tenant, &four, start.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	all := append(append([]messages.MetricEvent{}, more...), facts...)
	for _, c := range []struct {
		at   time.Time
		want int64
	}{{start.AddDate(0, 0, 15), 24000}, {start.AddDate(0, 2, 0), 32000}, {end.Add(time.Second), 40000}} {
		if got := readmodel.TotalAt(all, c.at); got != c.want {
			t.Errorf("after the seat change, MRR before %s = %d; want %d", c.at, got, c.want)
		}
	}
	// The coupon's end is an expansion of the same customer.
	m := readmodel.MRRMovements(all, end.AddDate(0, 0, -1), end.AddDate(0, 0, 1))
	if m.Expansion != 8000 || m.New != 0 {
		t.Errorf("movements around the coupon's end = %+v; want expansion 8000", m)
	}
	// A once coupon: the first invoice only, not recurring revenue.
	once := *s
	once.Discounts = []*stripe.Discount{{ID: "di_9", Coupon: coupon("co_once", 20, stripe.CouponDurationOnce), Start: start.Unix()}}
	if got, _ := MRR(&once, start); got != 30000 {
		t.Errorf("once coupon: MRR %d; want 30000", got)
	}
}

// TestMRRTransformQuantityRounds is issue 15 problem 2: $10 per package of
// 10 seats, 15 seats. Stripe rounds the packages "down" (floor: 1 package,
// $10, not $20) or "up" (ceil: 2 packages, $20), never to nearest.
func TestMRRTransformQuantityRounds(t *testing.T) {
	at := time.Unix(1703000000, 0)
	pkg := func(qty int64, round stripe.PriceTransformQuantityRound) *stripe.Subscription {
		it := item(1000, qty, stripe.PriceRecurringIntervalMonth, 1)
		it.Price.TransformQuantity = &stripe.PriceTransformQuantity{DivideBy: 10, Round: round}
		return sub(stripe.SubscriptionStatusActive, it)
	}
	for _, c := range []struct {
		qty   int64
		round stripe.PriceTransformQuantityRound
		want  int64
	}{
		{15, stripe.PriceTransformQuantityRoundDown, 1000},
		{19, stripe.PriceTransformQuantityRoundDown, 1000},
		{20, stripe.PriceTransformQuantityRoundDown, 2000},
		{9, stripe.PriceTransformQuantityRoundDown, 0},
		{15, stripe.PriceTransformQuantityRoundUp, 2000},
		{11, stripe.PriceTransformQuantityRoundUp, 2000},
		{10, stripe.PriceTransformQuantityRoundUp, 1000},
		{1, stripe.PriceTransformQuantityRoundUp, 1000},
	} {
		if got, err := MRR(pkg(c.qty, c.round), at); err != nil || got != c.want {
			t.Errorf("quantity %d round %s: MRR %d, %v; want %d", c.qty, c.round, got, err, c.want)
		}
	}
}

// tiers is $10 a seat up to 5, $8 up to 10 (plus a $20 flat fee for
// reaching that tier), $6 beyond.
func tiered(mode stripe.PriceTiersMode, qty int64) *stripe.SubscriptionItem {
	it := item(0, qty, stripe.PriceRecurringIntervalMonth, 1)
	it.Price.BillingScheme, it.Price.TiersMode = stripe.PriceBillingSchemeTiered, mode
	it.Price.UnitAmountDecimal = 0
	it.Price.Tiers = []*stripe.PriceTier{
		{UpTo: 5, UnitAmount: 1000, UnitAmountDecimal: 1000},
		{UpTo: 10, UnitAmount: 800, UnitAmountDecimal: 800, FlatAmount: 2000, FlatAmountDecimal: 2000},
		{UnitAmount: 600, UnitAmountDecimal: 600},
	}
	return it
}

// TestMRRTieredByQuantity is issue 15 problem 3 for licensed tiers: 7
// seats cost 7 × $8 + $20 = $76 in volume mode (every seat at the tier the
// quantity reaches) and 5 × $10 + 2 × $8 + $20 = $86 graduated.
func TestMRRTieredByQuantity(t *testing.T) {
	at := time.Unix(1703000000, 0)
	for _, c := range []struct {
		mode stripe.PriceTiersMode
		qty  int64
		want int64
	}{
		{stripe.PriceTiersModeVolume, 7, 7600},
		{stripe.PriceTiersModeVolume, 5, 5000},
		{stripe.PriceTiersModeVolume, 12, 7200},
		{stripe.PriceTiersModeGraduated, 7, 8600},
		{stripe.PriceTiersModeGraduated, 5, 5000},
		{stripe.PriceTiersModeGraduated, 12, 5000 + 4000 + 2000 + 1200},
		{stripe.PriceTiersModeGraduated, 0, 0},
	} {
		if got, err := MRR(sub(stripe.SubscriptionStatusActive, tiered(c.mode, c.qty)), at); err != nil || got != c.want {
			t.Errorf("%s × %d: MRR %d, %v; want %d", c.mode, c.qty, got, err, c.want)
		}
	}
}

// TestMRRUnknownShapes: a price shape we cannot price (a billing_scheme
// Stripe adds later, tiers not expanded, an unknown tiers_mode, a discount
// known only by id) is "MRR unknown for subscription X": a fact that says
// so, never a zero that passes for a figure, never a guess.
func TestMRRUnknownShapes(t *testing.T) {
	at := time.Unix(1703000000, 0)
	custom := item(1000, 1, stripe.PriceRecurringIntervalMonth, 1)
	custom.Price.BillingScheme = "per_outcome"
	noTiers := tiered(stripe.PriceTiersModeVolume, 3)
	noTiers.Price.Tiers = nil
	oddMode := tiered("stepped", 3)
	byID := sub(stripe.SubscriptionStatusActive, seats())
	byID.Discounts = []*stripe.Discount{{ID: "di_unexpanded"}}
	for name, s := range map[string]*stripe.Subscription{
		"custom billing_scheme": sub(stripe.SubscriptionStatusActive, custom, seats()),
		"tiers not expanded":    sub(stripe.SubscriptionStatusActive, noTiers),
		"unknown tiers_mode":    sub(stripe.SubscriptionStatusActive, oddMode),
		"discount by id only":   byID,
		"unknown interval":      sub(stripe.SubscriptionStatusActive, item(1, 1, "fortnight", 1)),
	} {
		if _, err := MRR(s, at); !errors.Is(err, ErrMRRUnknown) {
			t.Errorf("%s: MRR err = %v; want ErrMRRUnknown", name, err)
			continue
		}
		out, err := Subscription(tenant, s, at)
		if err != nil || len(out) != 1 {
			t.Fatalf("%s: Subscription = %v, %v", name, out, err)
		}
		if out[0].Value != 0 || out[0].Dimensions[DimensionMRRUnknown] == "" {
			t.Errorf("%s: fact %+v; want value 0 marked %s", name, out[0], DimensionMRRUnknown)
		}
		known := append(Must(Subscription(tenant, sub(stripe.SubscriptionStatusActive, item(2000, 1, "month", 1)), at.Add(-time.Hour))), out...)
		known[0].Entity = "sub_other"
		if got := readmodel.TotalAt(known, at.Add(time.Second)); got != 2000 {
			t.Errorf("%s: known MRR %d; want 2000", name, got)
		}
		if u := readmodel.UnknownMRR(known, at.Add(time.Second)); len(u) != 1 || u[0] != "sub_1" {
			t.Errorf("%s: unknown MRR for %v; want [sub_1]", name, u)
		}
	}
	// A canceled subscription has no MRR whatever its prices.
	if got, err := MRR(sub(stripe.SubscriptionStatusCanceled, custom), at); err != nil || got != 0 {
		t.Errorf("canceled custom price: %d, %v", got, err)
	}
}

// TestMRRMeteredFromTheLastInvoice is issue 15 problem 3 for metered
// prices: their MRR is the usage billed on the subscription's last
// finalised invoice ($45 of API calls for December), net of its discount,
// without tax; the next invoice replaces it and cancelling ends it.
func TestMRRMeteredFromTheLastInvoice(t *testing.T) {
	metered := item(5, 0, stripe.PriceRecurringIntervalMonth, 1)
	metered.ID = "si_calls"
	metered.Price.Recurring.UsageType = stripe.PriceRecurringUsageTypeMetered
	s := sub(stripe.SubscriptionStatusActive, item(2000, 1, "month", 1), metered)
	dec := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	inv := func(id string, created time.Time, amt, discount, tax int64) *stripe.Invoice {
		line := &stripe.InvoiceLineItem{ID: "il_" + id, Amount: amt, Currency: "usd", Price: metered.Price,
			SubscriptionItem: &stripe.SubscriptionItem{ID: "si_calls"}, Subscription: &stripe.Subscription{ID: "sub_1"},
			Period:          &stripe.Period{Start: created.AddDate(0, -1, 0).Unix(), End: created.Unix()},
			DiscountAmounts: []*stripe.InvoiceLineItemDiscountAmount{{Amount: discount}},
			TaxAmounts:      []*stripe.InvoiceTotalTaxAmount{{Amount: tax}}}
		return &stripe.Invoice{ID: id, Created: created.Unix(), Currency: "usd", Status: stripe.InvoiceStatusPaid, AmountPaid: amt + tax,
			StatusTransitions: &stripe.InvoiceStatusTransitions{PaidAt: created.Unix()},
			Lines:             &stripe.InvoiceLineItemList{Data: []*stripe.InvoiceLineItem{line}}}
	}
	var all []messages.MetricEvent
	mrrOf := func(fs []messages.MetricEvent) []messages.MetricEvent {
		var out []messages.MetricEvent
		for _, f := range fs {
			if f.Metric == messages.MetricMRR {
				out = append(out, f)
			}
		}
		return out
	}
	all = append(all, Must(Subscription(tenant, s, dec.AddDate(0, -2, 0)))...)
	all = append(all, mrrOf(InvoicePaid(tenant, inv("in_dec", dec, 5000, 500, 900)))...)
	if got := readmodel.TotalAt(all, dec.Add(time.Hour)); got != 2000+4500 {
		t.Errorf("MRR after December's invoice %d; want 6500", got)
	}
	all = append(all, mrrOf(InvoicePaid(tenant, inv("in_jan", dec.AddDate(0, 1, 0), 3000, 0, 0)))...)
	if got := readmodel.TotalAt(all, dec.AddDate(0, 1, 1)); got != 2000+3000 {
		t.Errorf("MRR after January's invoice %d; want 5000", got)
	}
	gone := *s
	gone.Status = stripe.SubscriptionStatusCanceled
	all = append(all, Must(Subscription(tenant, &gone, dec.AddDate(0, 1, 5)))...)
	if got := readmodel.TotalAt(all, dec.AddDate(0, 2, 0)); got != 0 {
		t.Errorf("MRR after cancelling %d; want 0", got)
	}
}

func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestChartMogulLifecycleOfACustomer follows ChartMogul's worked example
// "Lifecycle of a customer" (help.chartmogul.com, article 201244842):
// Syncalytics subscribes to four Gold yearly plans ($2,000 a year: New
// Business of $166.67), adds two Silver monthly plans ($60: Expansion,
// not New Business, one customer), cancels Silver mid-cycle (Contraction,
// not Churn: Gold is still active), cancels Gold (its last subscription:
// Churn of $166.67) and re-subscribes to three Gold monthly plans ($150:
// Reactivation). Each step is one month, driven through Subscription.
func TestChartMogulLifecycleOfACustomer(t *testing.T) {
	cust := &stripe.Customer{ID: "cus_syncalytics"}
	plan := func(id string, status stripe.SubscriptionStatus, it *stripe.SubscriptionItem) *stripe.Subscription {
		s := sub(status, it)
		s.ID, s.Customer = id, cust
		return s
	}
	goldYearly := func() *stripe.SubscriptionItem { return item(50000, 4, stripe.PriceRecurringIntervalYear, 1) }
	silverMonthly := func() *stripe.SubscriptionItem { return item(3000, 2, stripe.PriceRecurringIntervalMonth, 1) }
	goldMonthly := func() *stripe.SubscriptionItem { return item(5000, 3, stripe.PriceRecurringIntervalMonth, 1) }
	month := func(i int) time.Time { return time.Date(2026, time.Month(1+i), 10, 0, 0, 0, 0, time.UTC) }
	steps := []struct {
		name string
		sub  *stripe.Subscription
		want readmodel.Movements
	}{
		{"new business: four Gold yearly plans", plan("sub_gold", stripe.SubscriptionStatusActive, goldYearly()),
			readmodel.Movements{New: 16667, End: 16667, NewCustomers: 1}},
		{"a second subscription is expansion", plan("sub_silver", stripe.SubscriptionStatusActive, silverMonthly()),
			readmodel.Movements{Start: 16667, Expansion: 6000, End: 22667, ExpansionCustomers: 1}},
		{"cancelling one of two is contraction", plan("sub_silver", stripe.SubscriptionStatusCanceled, silverMonthly()),
			readmodel.Movements{Start: 22667, Contraction: 6000, End: 16667, ContractionCustomers: 1}},
		{"cancelling the last is churn", plan("sub_gold", stripe.SubscriptionStatusCanceled, goldYearly()),
			readmodel.Movements{Start: 16667, Churn: 16667, ChurnedCustomers: 1}},
		{"re-subscribing is reactivation", plan("sub_gold2", stripe.SubscriptionStatusActive, goldMonthly()),
			readmodel.Movements{Reactivation: 15000, End: 15000, ReactivatedCustomers: 1}},
	}
	var facts []messages.MetricEvent
	for i, st := range steps {
		out, err := Subscription(tenant, st.sub, month(i))
		if err != nil {
			t.Fatal(err)
		}
		if out[0].Dimensions[readmodel.DimensionCustomer] != "cus_syncalytics" {
			t.Fatalf("%s: MRR fact without its customer: %+v", st.name, out[0])
		}
		facts = append(facts, out...)
		from, to := month(i).AddDate(0, 0, -1), month(i).AddDate(0, 0, 1)
		got := readmodel.MRRMovements(facts, from, to)
		st.want.From, st.want.To = from, to
		if got != st.want {
			t.Errorf("%s:\n got  %+v\n want %+v", st.name, got, st.want)
		}
	}
}

// TestMRRTrialsPastDueAndTax is issue 15's rules for state and tax: a
// trial is not MRR until it converts (New business in the month it does,
// not the month it started); a past_due subscription keeps its MRR until
// it is canceled or unpaid (Churn then); tax is never MRR — a $120
// tax-inclusive price with a 20 % inclusive tax rate is $100 of MRR, an
// exclusive rate adds nothing, and an inclusive price whose rate Stripe
// Tax decides is MRR unknown, never $120.
func TestMRRTrialsPastDueAndTax(t *testing.T) {
	cust := &stripe.Customer{ID: "cus_1"}
	day := func(d int) time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	at := func(status stripe.SubscriptionStatus, d int) []messages.MetricEvent {
		s := sub(status, item(2000, 1, "month", 1))
		s.Customer = cust
		return Must(Subscription(tenant, s, day(d)))
	}
	var facts []messages.MetricEvent
	facts = append(facts, at(stripe.SubscriptionStatusTrialing, 20)...) // January: trial
	facts = append(facts, at(stripe.SubscriptionStatusActive, 34)...)   // February: converts
	facts = append(facts, at(stripe.SubscriptionStatusPastDue, 64)...)  // March: payment fails
	facts = append(facts, at(stripe.SubscriptionStatusUnpaid, 100)...)  // April: unpaid
	months := readmodel.MonthlyMRRMovements(facts, time.UTC, day(0), day(120))
	want := []readmodel.Movements{
		{},
		{New: 2000, End: 2000, NewCustomers: 1},
		{Start: 2000, End: 2000},
		{Start: 2000, Churn: 2000, ChurnedCustomers: 1},
	}
	for i, w := range want {
		m := months[i]
		m.From, m.To = time.Time{}, time.Time{}
		if m != w {
			t.Errorf("%s: %+v; want %+v", months[i].From.Format("Jan"), m, w)
		}
	}

	taxed := func(behavior stripe.PriceTaxBehavior, rates ...*stripe.TaxRate) *stripe.Subscription {
		it := item(12000, 1, "month", 1)
		it.Price.TaxBehavior, it.TaxRates = behavior, rates
		return sub(stripe.SubscriptionStatusActive, it)
	}
	for name, c := range map[string]struct {
		sub     *stripe.Subscription
		want    int64
		unknown bool
	}{
		"inclusive price, inclusive 20 % rate": {taxed(stripe.PriceTaxBehaviorInclusive, &stripe.TaxRate{Percentage: 20, Inclusive: true}), 10000, false},
		"exclusive rate adds nothing":          {taxed(stripe.PriceTaxBehaviorExclusive, &stripe.TaxRate{Percentage: 20}), 12000, false},
		"no tax":                               {taxed(stripe.PriceTaxBehaviorUnspecified), 12000, false},
		"default inclusive rate of the subscription": {func() *stripe.Subscription {
			s := taxed(stripe.PriceTaxBehaviorInclusive)
			s.DefaultTaxRates = []*stripe.TaxRate{{Percentage: 20, Inclusive: true}}
			return s
		}(), 10000, false},
		"inclusive price, rate decided by Stripe Tax": {func() *stripe.Subscription {
			s := taxed(stripe.PriceTaxBehaviorInclusive)
			s.AutomaticTax = &stripe.SubscriptionAutomaticTax{Enabled: true}
			return s
		}(), 0, true},
	} {
		got, err := MRR(c.sub, day(0))
		if c.unknown != errors.Is(err, ErrMRRUnknown) || got != c.want {
			t.Errorf("%s: MRR %d, %v; want %d (unknown %v)", name, got, err, c.want, c.unknown)
		}
	}
}

// TestInvoiceLinesAreBilledForTheirPeriod is issue 15 problem 6 at the
// source: a $1,200 annual invoice paid on 1 January with $240 of
// exclusive tax and a $50 setup fee bills $1,250 (tax apart, $240), the
// plan over its year: January in Los Angeles recognises $101.92 + $50 and
// defers $1,098.08.
func TestInvoiceLinesAreBilledForTheirPeriod(t *testing.T) {
	la, _ := time.LoadLocation("America/Los_Angeles")
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, la)
	inv := &stripe.Invoice{ID: "in_year", Currency: "usd", Created: jan.Unix(), AmountPaid: 149000, Tax: 24000,
		StatusTransitions: &stripe.InvoiceStatusTransitions{FinalizedAt: jan.Add(time.Hour).Unix(), PaidAt: jan.Add(2 * time.Hour).Unix()},
		Lines: &stripe.InvoiceLineItemList{Data: []*stripe.InvoiceLineItem{
			{ID: "il_plan", Amount: 120000, Currency: "usd", Period: &stripe.Period{Start: jan.Unix(), End: jan.AddDate(1, 0, 0).Unix()},
				TaxAmounts: []*stripe.InvoiceTotalTaxAmount{{Amount: 24000}}},
			{ID: "il_setup", Amount: 6000, Currency: "usd", Period: &stripe.Period{Start: jan.Unix(), End: jan.Unix()},
				DiscountAmounts: []*stripe.InvoiceLineItemDiscountAmount{{Amount: 1000}}},
		}}}
	out := InvoicePaid(tenant, inv)
	by := map[string][]messages.MetricEvent{}
	for _, e := range out {
		by[e.Metric] = append(by[e.Metric], e)
	}
	if s := readmodel.Sum(by[messages.MetricRevenueTax], jan, jan.AddDate(0, 1, 0)); s != 24000 {
		t.Errorf("tax %d; want 24000", s)
	}
	ms := readmodel.MonthlyRecognition(by[messages.MetricRevenueBilled], la, jan, jan.AddDate(0, 1, 0))
	if len(ms) != 1 || ms[0].Billed != 125000 || ms[0].Recognised != 10192+5000 || ms[0].DeferredEnd != 120000-10192 {
		t.Errorf("January %+v; want billed 125000, recognised 15192, deferred 109808", ms)
	}
	// The same invoice again (invoice.paid redelivered, or the backfill)
	// gives the same facts.
	again := InvoicePaid(tenant, inv)
	for i := range out {
		if out[i].EventID != again[i].EventID {
			t.Fatalf("fact %d: event id %s then %s", i, out[i].EventID, again[i].EventID)
		}
	}
}

// TestCreditNotesReduceTheirLines is issue 15 problem 6: a $100 credit
// note issued on 15 February against the $1,200 annual line (paid 1
// January, UTC) is spread over that line's year: by 1 March it takes back
// 59/365 of $100 ($16.16) and the rest comes off the deferred balance,
// whether or not the credit note's invoice is expanded; voided, it
// changes nothing.
func TestCreditNotesReduceTheirLines(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	year := &stripe.Period{Start: jan.Unix(), End: jan.AddDate(1, 0, 0).Unix()}
	inv := &stripe.Invoice{ID: "in_year", Currency: "usd", Created: jan.Unix(), AmountPaid: 120000,
		Lines: &stripe.InvoiceLineItemList{Data: []*stripe.InvoiceLineItem{{ID: "il_plan", Amount: 120000, Currency: "usd", Period: year}}}}
	cn := &stripe.CreditNote{ID: "cn_1", Currency: "usd", Created: time.Date(2026, 2, 15, 0, 0, 0, 0, time.UTC).Unix(), Status: stripe.CreditNoteStatusIssued,
		Invoice: inv, Lines: &stripe.CreditNoteLineItemList{Data: []*stripe.CreditNoteLineItem{{ID: "cnli_1", Amount: 10000, InvoiceLineItem: "il_plan"}}}}
	billed := append(only(InvoicePaid(tenant, inv), messages.MetricRevenueBilled), CreditNote(tenant, cn)...)
	ms := readmodel.MonthlyRecognition(billed, time.UTC, jan, jan.AddDate(0, 2, 0))
	if feb := ms[1]; feb.Billed != -10000 || feb.Recognised != 9205-1616 || feb.DeferredEnd != 110000-(19397-1616) {
		t.Errorf("February %+v; want billed -10000, recognised 7589, deferred 92219", feb)
	}
	// As webhooks send it, the invoice only an id: the credited line's
	// period comes from the line itself, the same figures.
	bare := *cn
	bare.Invoice = &stripe.Invoice{ID: "in_year"}
	ms = readmodel.MonthlyRecognition(append(only(InvoicePaid(tenant, inv), messages.MetricRevenueBilled), CreditNote(tenant, &bare)...), time.UTC, jan, jan.AddDate(0, 2, 0))
	if feb := ms[1]; feb.Billed != -10000 || feb.Recognised != 9205-1616 || feb.DeferredEnd != 110000-(19397-1616) {
		t.Errorf("February, invoice not expanded %+v; want billed -10000, recognised 7589, deferred 92219", feb)
	}
	void := *cn
	void.Status = stripe.CreditNoteStatusVoid
	all := append(billed, CreditNote(tenant, &void)...)
	ms = readmodel.MonthlyRecognition(all, time.UTC, jan, jan.AddDate(0, 2, 0))
	if feb := ms[1]; feb.Billed != 0 || feb.Recognised != 9205 || feb.DeferredEnd != 120000-19397 {
		t.Errorf("February after the void %+v; want billed 0, recognised 9205, deferred 100603", feb)
	}
}

// TestRefundsReduceTheirLines: a $330 refund on 15 February of the charge
// that paid the $1,200 annual invoice (plus $120 tax, 1 January, UTC),
// with no credit note, reduces the plan's line by $300 (the refund less
// its tax share) over the line's year: February takes back 59/365 of
// $300 ($48.49) and the rest leaves the deferred balance. A refund a
// credit note made reduces the lines once, through the credit note.
func TestRefundsReduceTheirLines(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	feb15 := time.Date(2026, 2, 15, 0, 0, 0, 0, time.UTC)
	year := &stripe.Period{Start: jan.Unix(), End: jan.AddDate(1, 0, 0).Unix()}
	inv := &stripe.Invoice{ID: "in_year", Currency: "usd", Created: jan.Unix(), AmountPaid: 132000, Total: 132000, Tax: 12000, Charge: &stripe.Charge{ID: "ch_year"},
		Lines: &stripe.InvoiceLineItemList{Data: []*stripe.InvoiceLineItem{{ID: "il_plan", Amount: 120000, Currency: "usd", Period: year}}}}
	refund := func(id string, amt int64) stripe.Event {
		return event(t, "refund.created", feb15.Unix(), map[string]any{"id": id, "object": "refund", "amount": amt, "currency": "usd",
			"charge": "ch_year", "status": "succeeded", "created": feb15.Unix()})
	}
	facts := InvoicePaid(tenant, inv)
	fs, err := Translate(tenant, refund("re_1", 33000))
	if err != nil {
		t.Fatal(err)
	}
	facts = append(facts, fs...)
	ms := readmodel.MonthlyRecognition(facts, time.UTC, jan, jan.AddDate(0, 2, 0))
	if feb := ms[1]; feb.Billed != -30000 || feb.Recognised != 9205-4849 || feb.DeferredEnd != (120000-19397)-(30000-4849) {
		t.Errorf("February %+v; want billed -30000, recognised %d, deferred %d", feb, 9205-4849, (120000-19397)-(30000-4849))
	}
	// The rest of the refund, $30, is tax given back in February
	// (Stripe Tax splits a refund at the invoice's tax rate).
	feb := jan.AddDate(0, 1, 0)
	if tj, tf := readmodel.TaxCollected(facts, jan, feb), readmodel.TaxCollected(facts, feb, feb.AddDate(0, 1, 0)); tj != 12000 || tf != -3000 {
		t.Errorf("tax collected: January %d, February %d; want 12000 and -3000", tj, tf)
	}

	// A $110 credit note paid back by refund re_cn ($100 of the line and
	// its $10 tax): the line loses $100, not $200.
	cn := &stripe.CreditNote{ID: "cn_1", Currency: "usd", Created: feb15.Unix(), Status: stripe.CreditNoteStatusIssued, Refund: &stripe.Refund{ID: "re_cn"},
		TaxAmounts: []*stripe.CreditNoteTaxAmount{{Amount: 1000}},
		Invoice:    inv, Lines: &stripe.CreditNoteLineItemList{Data: []*stripe.CreditNoteLineItem{{ID: "cnli_1", Amount: 10000, InvoiceLineItem: "il_plan"}}}}
	facts = append(InvoicePaid(tenant, inv), CreditNote(tenant, cn)...)
	if fs, err = Translate(tenant, refund("re_cn", 11000)); err != nil {
		t.Fatal(err)
	}
	facts = append(facts, fs...)
	ms = readmodel.MonthlyRecognition(facts, time.UTC, jan, jan.AddDate(0, 2, 0))
	if feb := ms[1]; feb.Billed != -10000 {
		t.Errorf("credit note with its refund: February billed %d; want -10000", feb.Billed)
	}
	// Its tax, $10, comes off once: the credit note's, not the refund's
	// share as well.
	if tf := readmodel.TaxCollected(facts, feb, feb.AddDate(0, 1, 0)); tf != -1000 {
		t.Errorf("credit note with its refund: February tax %d; want -1000", tf)
	}
	// Voided, it gives back nothing.
	void := *cn
	void.Status = stripe.CreditNoteStatusVoid
	if tf := readmodel.TaxCollected(append(facts, CreditNote(tenant, &void)...), feb, feb.AddDate(0, 1, 0)); tf != 0 {
		t.Errorf("voided credit note: February tax %d; want 0", tf)
	}
}

// TestOneOffChargesAreRecognisedAtCapture: a $50 charge that pays no
// invoice (a Checkout payment) is revenue when captured, in full, as
// Stripe Revenue Recognition recognises one-time payments; its $20 refund
// in February takes it back then. A charge that pays an invoice is
// recognised through the invoice's lines, never twice. One of an API
// version that no longer says whether a charge paid an invoice
// (2025-03-31.basil) is a one-off when no invoice payment links it
// (TestBasilOneOffCharges has the links): $50 more in January.
func TestOneOffChargesAreRecognisedAtCapture(t *testing.T) {
	jan10 := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ch := func(id string, invoice any) map[string]any {
		return map[string]any{"id": id, "object": "charge", "amount": 5000, "amount_captured": 5000, "captured": true, "currency": "usd",
			"status": "succeeded", "created": jan10.Unix(), "invoice": invoice}
	}
	var facts []messages.MetricEvent
	add := func(ev stripe.Event) {
		fs, err := Translate(tenant, ev)
		if err != nil {
			t.Fatal(err)
		}
		facts = append(facts, fs...)
	}
	add(event(t, "charge.succeeded", jan10.Unix(), ch("ch_once", nil)))
	add(event(t, "charge.succeeded", jan10.Unix(), ch("ch_inv", "in_1")))
	basil := event(t, "charge.succeeded", jan10.Unix(), ch("ch_basil", nil))
	basil.APIVersion = "2025-03-31.basil"
	add(basil)
	feb := time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC)
	add(event(t, "refund.created", feb.Unix(), map[string]any{"id": "re_1", "object": "refund", "amount": 2000, "currency": "usd",
		"charge": "ch_once", "status": "succeeded", "created": feb.Unix()}))
	ms := readmodel.MonthlyRecognition(facts, time.UTC, jan, jan.AddDate(0, 2, 0))
	if ms[0].Billed != 5000+5000 || ms[0].Recognised != 5000+5000 || ms[1].Billed != -2000 || ms[1].Recognised != -2000 || ms[1].DeferredEnd != 0 {
		t.Errorf("schedule %+v; want January 10000 billed and recognised (ch_once, ch_basil), February -2000", ms)
	}
	// The backfill reads the same charge (stripe-go v76 names the
	// invoice): the same gross fact.
	var obj stripe.Charge
	raw, _ := json.Marshal(ch("ch_once", nil))
	if err := json.Unmarshal(raw, &obj); err != nil {
		t.Fatal(err)
	}
	if back := Charge(tenant, &obj, jan10); back[0].Dimensions["one_off"] != "true" || back[0].EventID != facts[0].EventID {
		t.Errorf("backfill's gross %+v; want the webhook's, one-off", back[0])
	}
}
