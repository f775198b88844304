package stripemap

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

const fixtureDir = "../../../../deploy/demo/stripe"

const tenant = "jada"

// loadEvent reads a fixture as a stripe.Event, applying edit to its
// data.object first.
func loadEvent(t *testing.T, name string, edit func(obj map[string]any)) stripe.Event {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		var env map[string]any
		if err := json.Unmarshal(raw, &env); err != nil {
			t.Fatal(err)
		}
		edit(env["data"].(map[string]any)["object"].(map[string]any))
		if raw, err = json.Marshal(env); err != nil {
			t.Fatal(err)
		}
	}
	var ev stripe.Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ev
}

// fact is the part of a metric event a figure depends on.
type fact struct {
	Metric   string
	Kind     messages.Kind
	Value    int64
	Currency string
	Unit     string
	Entity   string
	Version  int64
	At       int64
	Object   string
}

func facts(evs []messages.MetricEvent) []fact {
	out := make([]fact, 0, len(evs))
	for _, e := range evs {
		out = append(out, fact{e.Metric, e.Kind, e.Value, e.Currency, e.Unit, e.Entity, e.Version, e.OccurredAt.Unix(), e.ObjectID})
	}
	return out
}

func captured(obj map[string]any) {
	obj["captured"] = true
	obj["amount_captured"] = obj["amount"]
}

const (
	subID    = "sub_1OPouiJN5vQBdWExOgfg6t5C"
	chargeID = "ch_1OPoueJN5vQBdWEx5AWizjSY"
)

func TestTranslateFixtures(t *testing.T) {
	cases := []struct {
		name    string
		file    string
		edit    func(map[string]any)
		want    []fact
		wantErr error
	}{
		{name: "balance available", file: "balance_available.json", want: []fact{
			{messages.MetricCashStripe, messages.KindGauge, 0, "USD", "", "USD", 0, 1703000010, ""},
			{messages.MetricCashStripePending, messages.KindGauge, 0, "USD", "", "USD", 0, 1703000010, ""}}},
		{name: "balance available, two currencies", file: "balance_available.json", edit: func(o map[string]any) {
			o["available"] = []any{
				map[string]any{"amount": 125000, "currency": "usd"},
				map[string]any{"amount": 9900, "currency": "eur"},
			}
			o["pending"] = []any{
				map[string]any{"amount": 4100, "currency": "usd"},
				map[string]any{"amount": 700, "currency": "eur"},
			}
		}, want: []fact{
			{messages.MetricCashStripe, messages.KindGauge, 125000, "USD", "", "USD", 0, 1703000010, ""},
			{messages.MetricCashStripe, messages.KindGauge, 9900, "EUR", "", "EUR", 0, 1703000010, ""},
			{messages.MetricCashStripePending, messages.KindGauge, 4100, "USD", "", "USD", 0, 1703000010, ""},
			{messages.MetricCashStripePending, messages.KindGauge, 700, "EUR", "", "EUR", 0, 1703000010, ""},
		}},
		{name: "dispute created (open)", file: "charge_dispute_created.json", want: []fact{
			{messages.MetricDisputesAtStake, messages.KindState, 1000, "USD", "", "dp_1OPoujJN5vQBdWExZXzZC5oN", 1234567890, 1234567890, "ch_1OPoueJN5vQBdWExHvNS496R"}}},
		{name: "uncaptured charge refunded is a released authorisation", file: "charge_refunded.json", want: []fact{}},
		// charge.refunded does not say when the charge was captured: the
		// gross comes from charge.succeeded or charge.captured.
		{name: "captured charge refunded in full", file: "charge_refunded.json", edit: captured, want: []fact{
			{messages.MetricRevenueRefunded, messages.KindState, 100, "USD", "", chargeID, 100, 1703000002, chargeID},
		}},
		{name: "partial capture then partial refund", file: "charge_refunded.json", edit: func(o map[string]any) {
			o["amount"], o["captured"], o["amount_captured"], o["amount_refunded"] = 100, true, 60, 40+15
		}, want: []fact{
			{messages.MetricRevenueRefunded, messages.KindState, 15, "USD", "", chargeID, 55, 1703000002, chargeID},
		}},
		{name: "uncaptured charge succeeded is only authorised", file: "charge_succeeded.json", want: []fact{}},
		{name: "captured charge succeeded", file: "charge_succeeded.json", edit: captured, want: []fact{
			{messages.MetricRevenueGross, messages.KindAdditive, 100, "USD", "", "", 0, 1234567890, chargeID}}},
		{name: "checkout completed", file: "checkout_session_completed.json", want: []fact{
			{messages.MetricCheckoutCompleted, messages.KindAdditive, 1, "", messages.UnitCount, "", 0, 1234567890, "cs_test_a12et9VnHfV9NETJktvuOmVoyrOB40recOCQWiVNeDlBe4IqxEIRNi1Qdf"}}},
		{name: "subscription created", file: "customer_subscription_created.json", want: []fact{
			{messages.MetricMRR, messages.KindState, 2000, "USD", "", subID, 1234567890*16 + 2, 1234567890, subID}}},
		{name: "subscription updated (cancel at period end: still paying)", file: "customer_subscription_updated.json", want: []fact{
			{messages.MetricMRR, messages.KindState, 2000, "USD", "", subID, 1703000006*16 + 2, 1703000006, subID}}},
		{name: "subscription deleted", file: "customer_subscription_deleted.json", want: []fact{
			{messages.MetricMRR, messages.KindState, 0, "USD", "", subID, terminal + 1703000000*16 + 7, 1703000000, subID}}},
		{name: "invoice paid", file: "invoice_paid.json", want: []fact{
			{messages.MetricInvoicesPaid, messages.KindAdditive, 1000, "USD", "", "", 0, 1234567890, "in_1OPouhJN5vQBdWExQl3czOuP"},
			{messages.MetricRevenueBilled, messages.KindState, 1000, "USD", "", "il_1OPougJN5vQBdWExuj8Ico7Q", 1234567890, 1234567890, "in_1OPouhJN5vQBdWExQl3czOuP"}}},
		{name: "invoice paid at paid_at", file: "invoice_paid.json", edit: func(o map[string]any) {
			o["status_transitions"] = map[string]any{"paid_at": 1702999000}
		}, want: []fact{
			{messages.MetricInvoicesPaid, messages.KindAdditive, 1000, "USD", "", "", 0, 1702999000, "in_1OPouhJN5vQBdWExQl3czOuP"},
			{messages.MetricRevenueBilled, messages.KindState, 1000, "USD", "", "il_1OPougJN5vQBdWExuj8Ico7Q", 1234567890, 1234567890, "in_1OPouhJN5vQBdWExQl3czOuP"}}},
		{name: "invoice payment failed", file: "invoice_payment_failed.json", want: []fact{
			{messages.MetricInvoicesFailed, messages.KindAdditive, 1, "", messages.UnitCount, "", 0, 1703000004, "in_1OPouhJN5vQBdWExQl3czOuP"}}},
		{name: "payment intent is not a figure (its charge is)", file: "payment_intent_succeeded.json", wantErr: ErrUnhandled},
		{name: "payout paid", file: "payout_paid.json", want: []fact{
			{messages.MetricPayoutsPaid, messages.KindState, 1100, "USD", "", "po_1OPounJN5vQBdWExyK5eT2UD", 3, 1234567890, "po_1OPounJN5vQBdWExyK5eT2UD"}}},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.file] = true
		t.Run(c.name, func(t *testing.T) {
			got, err := Translate(tenant, loadEvent(t, c.file, c.edit))
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			gf := facts(got)
			if len(gf) != len(c.want) {
				t.Fatalf("got %d facts %+v, want %d %+v", len(gf), gf, len(c.want), c.want)
			}
			for i := range gf {
				if gf[i] != c.want[i] {
					t.Errorf("fact %d:\n got %+v\nwant %+v", i, gf[i], c.want[i])
				}
			}
			for _, e := range got {
				if e.TenantID != tenant || e.Source != messages.SourceStripe || e.Livemode == nil || *e.Livemode {
					t.Errorf("header/livemode wrong: %+v", e)
				}
				if !strings.HasPrefix(e.EventID, "stripe_") {
					t.Errorf("event id %q", e.EventID)
				}
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	if len(files) == 0 {
		t.Fatal("no fixtures found")
	}
	for _, f := range files {
		if !covered[filepath.Base(f)] {
			t.Errorf("fixture %s has no case", filepath.Base(f))
		}
	}
}

func TestTranslateOtherTypes(t *testing.T) {
	ev := loadEvent(t, "payout_paid.json", nil)
	ev.Type = stripe.EventTypePayoutFailed
	got, err := Translate(tenant, ev)
	if err != nil || len(got) != 2 || got[0].Metric != messages.MetricPayoutsPaid || got[0].Value != 0 ||
		got[1].Metric != messages.MetricPayoutsFailed || got[1].Value != 1100 {
		t.Fatalf("payout.failed = %+v, %v", got, err)
	}

	ev = loadEvent(t, "checkout_session_completed.json", func(o map[string]any) { o["expires_at"] = 1234600000 })
	ev.Type = stripe.EventTypeCheckoutSessionExpired
	got, err = Translate(tenant, ev)
	if err != nil || len(got) != 1 || got[0].Metric != messages.MetricCheckoutExpired || got[0].OccurredAt.Unix() != 1234600000 {
		t.Fatalf("checkout.session.expired = %+v, %v", got, err)
	}

	ev = loadEvent(t, "charge_dispute_created.json", func(o map[string]any) { o["status"] = "won" })
	ev.Type, ev.Created = stripe.EventTypeChargeDisputeClosed, 1703100000
	got, err = Translate(tenant, ev)
	if err != nil || len(got) != 2 || got[0].Value != 0 || got[0].Version != terminal+1703100000 ||
		got[1].Metric != messages.MetricDisputesWon || got[1].Value != 1 || got[1].OccurredAt.Unix() != 1703100000 {
		t.Fatalf("dispute won = %+v, %v", got, err)
	}
	ev = loadEvent(t, "charge_dispute_created.json", func(o map[string]any) { o["status"] = "lost" })
	ev.Type, ev.Created = stripe.EventTypeChargeDisputeClosed, 1703100000
	got, err = Translate(tenant, ev)
	if err != nil || len(got) != 2 || got[0].Value != 0 || got[1].Metric != messages.MetricDisputesLost {
		t.Fatalf("dispute lost = %+v, %v", got, err)
	}

	cust := stripe.Event{ID: "evt_c", Type: stripe.EventTypeCustomerCreated, Created: 1703000000,
		Data: &stripe.EventData{Raw: json.RawMessage(`{"id":"cus_1","object":"customer","created":1702990000,"livemode":true}`)}}
	got, err = Translate(tenant, cust)
	if err != nil || len(got) != 1 || got[0].Metric != messages.MetricCustomersNew || got[0].Value != 1 ||
		got[0].OccurredAt.Unix() != 1702990000 || !*got[0].Livemode {
		t.Fatalf("customer.created = %+v, %v", got, err)
	}

	refund := stripe.Event{ID: "evt_r", Type: stripe.EventTypeChargeRefundUpdated, Created: 1703000000,
		Data: &stripe.EventData{Raw: json.RawMessage(`{"id":"re_1","object":"refund","amount":50,"currency":"usd","charge":"ch_1","status":"succeeded","created":1702999000}`)}}
	if got, err = Translate(tenant, refund); err != nil || len(got) != 1 || got[0].Entity != "re_1" || got[0].ObjectID != "ch_1" ||
		got[0].Value != 50 || got[0].OccurredAt.Unix() != 1702999000 {
		t.Fatalf("charge.refund.updated = %+v, %v (want the refund's state)", got, err)
	}

	for name, ev := range map[string]stripe.Event{
		"no data":      {ID: "evt_x", Type: stripe.EventTypeChargeSucceeded},
		"bad object":   {ID: "evt_x", Type: stripe.EventTypeChargeSucceeded, Data: &stripe.EventData{Raw: json.RawMessage(`[1,2]`)}},
		"bad currency": {ID: "evt_x", Type: stripe.EventTypePayoutPaid, Data: &stripe.EventData{Raw: json.RawMessage(`{"id":"po_1","amount":1,"currency":"dollars"}`)}},
	} {
		if _, err := Translate(tenant, ev); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
	if _, err := Translate("Bad Tenant", loadEvent(t, "payout_paid.json", nil)); err == nil {
		t.Error("accepted an invalid tenant id")
	}
	if _, err := Translate(tenant, stripe.Event{ID: "evt_x", Type: "issuing_card.created", Data: &stripe.EventData{Raw: json.RawMessage(`{}`)}}); !errors.Is(err, ErrUnhandled) {
		t.Errorf("unknown type: err = %v", err)
	}
}

func sub(status stripe.SubscriptionStatus, items ...*stripe.SubscriptionItem) *stripe.Subscription {
	return &stripe.Subscription{ID: "sub_1", Status: status, Currency: "usd", Items: &stripe.SubscriptionItemList{Data: items}}
}

func item(amount, qty int64, iv stripe.PriceRecurringInterval, count int64) *stripe.SubscriptionItem {
	return &stripe.SubscriptionItem{Quantity: qty, Price: &stripe.Price{
		UnitAmount: amount, UnitAmountDecimal: float64(amount), BillingScheme: stripe.PriceBillingSchemePerUnit,
		Recurring: &stripe.PriceRecurring{Interval: iv, IntervalCount: count, UsageType: stripe.PriceRecurringUsageTypeLicensed},
	}}
}

func TestMRR(t *testing.T) {
	at := time.Unix(1703000000, 0)
	withDiscount := func(s *stripe.Subscription, c stripe.Coupon, end int64) *stripe.Subscription {
		s.Discount = &stripe.Discount{Coupon: &c, End: end}
		return s
	}
	metered := item(500, 1, stripe.PriceRecurringIntervalMonth, 1)
	metered.Price.Recurring.UsageType = stripe.PriceRecurringUsageTypeMetered
	legacyPlan := &stripe.SubscriptionItem{Quantity: 2, Plan: &stripe.Plan{Amount: 1500, Interval: stripe.PlanIntervalMonth, IntervalCount: 1}}
	decimal := item(0, 1000, stripe.PriceRecurringIntervalMonth, 1)
	decimal.Price.UnitAmountDecimal = 0.5 // half a cent per seat

	cases := map[string]struct {
		sub  *stripe.Subscription
		want int64
	}{
		"monthly":                     {sub(stripe.SubscriptionStatusActive, item(2000, 1, "month", 1)), 2000},
		"quantity":                    {sub(stripe.SubscriptionStatusActive, item(2000, 3, "month", 1)), 6000},
		"yearly":                      {sub(stripe.SubscriptionStatusActive, item(120000, 1, "year", 1)), 10000},
		"yearly rounds half away":     {sub(stripe.SubscriptionStatusActive, item(1000, 1, "year", 1)), 83}, // 83.33
		"every 3 months":              {sub(stripe.SubscriptionStatusActive, item(3000, 1, "month", 3)), 1000},
		"weekly":                      {sub(stripe.SubscriptionStatusActive, item(1200, 1, "week", 1)), 5200},
		"every 2 weeks":               {sub(stripe.SubscriptionStatusActive, item(1200, 2, "week", 2)), 5200},
		"daily":                       {sub(stripe.SubscriptionStatusActive, item(100, 1, "day", 1)), 3042}, // 3041.67
		"several items, one rounding": {sub(stripe.SubscriptionStatusActive, item(1000, 1, "year", 1), item(1000, 1, "year", 1), item(1000, 1, "year", 1)), 250},
		"past due still counts":       {sub(stripe.SubscriptionStatusPastDue, item(2000, 1, "month", 1)), 2000},
		"trialing is 0":               {sub(stripe.SubscriptionStatusTrialing, item(2000, 1, "month", 1)), 0},
		"canceled is 0":               {sub(stripe.SubscriptionStatusCanceled, item(2000, 1, "month", 1)), 0},
		"incomplete is 0":             {sub(stripe.SubscriptionStatusIncomplete, item(2000, 1, "month", 1)), 0},
		"metered from its invoices":   {sub(stripe.SubscriptionStatusActive, item(2000, 1, "month", 1), metered), 2000},
		"legacy plan":                 {sub(stripe.SubscriptionStatusActive, legacyPlan), 3000},
		"decimal unit amount":         {sub(stripe.SubscriptionStatusActive, decimal), 500},
		"25% off forever": {withDiscount(sub(stripe.SubscriptionStatusActive, item(2000, 1, "month", 1)),
			stripe.Coupon{PercentOff: 25, Duration: stripe.CouponDurationForever}, 0), 1500},
		"12.5% off repeating, running": {withDiscount(sub(stripe.SubscriptionStatusActive, item(2000, 1, "month", 1)),
			stripe.Coupon{PercentOff: 12.5, Duration: stripe.CouponDurationRepeating}, at.Unix()+86400), 1750},
		"repeating discount ended": {withDiscount(sub(stripe.SubscriptionStatusActive, item(2000, 1, "month", 1)),
			stripe.Coupon{PercentOff: 50, Duration: stripe.CouponDurationRepeating}, at.Unix()-1), 2000},
		"once discount is not recurring": {withDiscount(sub(stripe.SubscriptionStatusActive, item(2000, 1, "month", 1)),
			stripe.Coupon{PercentOff: 50, Duration: stripe.CouponDurationOnce}, 0), 2000},
		"amount off per yearly invoice": {withDiscount(sub(stripe.SubscriptionStatusActive, item(120000, 1, "year", 1)),
			stripe.Coupon{AmountOff: 12000, Currency: "usd", Duration: stripe.CouponDurationForever}, 0), 9000},
		"amount off larger than price": {withDiscount(sub(stripe.SubscriptionStatusActive, item(500, 1, "month", 1)),
			stripe.Coupon{AmountOff: 1000, Currency: "usd", Duration: stripe.CouponDurationForever}, 0), 0},
		"amount off in another currency ignored": {withDiscount(sub(stripe.SubscriptionStatusActive, item(500, 1, "month", 1)),
			stripe.Coupon{AmountOff: 100, Currency: "eur", Duration: stripe.CouponDurationForever}, 0), 500},
	}
	for name, c := range cases {
		got, err := MRR(c.sub, at)
		if err != nil || got != c.want {
			t.Errorf("%s: MRR = %d, %v; want %d", name, got, err, c.want)
		}
	}
	if _, err := MRR(sub(stripe.SubscriptionStatusActive, item(1, 1, "fortnight", 1)), at); err == nil {
		t.Error("unknown interval accepted")
	}
}

// TestFiguresAnyOrder delivers a charge's life (capture, two partial
// refunds), a subscription's life and a dispute's life in every order
// with duplicates, and checks the read model's figures never change.
func TestFiguresAnyOrder(t *testing.T) {
	var evs []stripe.Event
	succeeded := loadEvent(t, "charge_succeeded.json", func(o map[string]any) { o["amount"] = 10000; captured(o) })
	evs = append(evs, succeeded)
	for i, refunded := range []int{3000, 10000} {
		r := refunded
		ev := loadEvent(t, "charge_refunded.json", func(o map[string]any) {
			o["amount"] = 10000
			captured(o)
			o["amount_refunded"] = r
		})
		ev.ID, ev.Created = ev.ID+string(rune('a'+i)), 1703000100+int64(i)*100
		evs = append(evs, ev)
	}
	evs = append(evs,
		loadEvent(t, "customer_subscription_created.json", nil),
		loadEvent(t, "customer_subscription_updated.json", func(o map[string]any) {
			o["items"].(map[string]any)["data"].([]any)[0].(map[string]any)["quantity"] = 3
		}),
		loadEvent(t, "customer_subscription_deleted.json", nil),
		loadEvent(t, "charge_dispute_created.json", nil),
	)
	won := loadEvent(t, "charge_dispute_created.json", func(o map[string]any) { o["status"] = "won" })
	won.Type, won.Created = stripe.EventTypeChargeDisputeClosed, 1703000500
	evs = append(evs, won)

	end := time.Unix(1800000000, 0)
	figures := func(order []stripe.Event) [4]int64 {
		store := map[string]messages.MetricEvent{} // the aggregator's idempotency: one fact per event id
		for _, ev := range order {
			out, err := Translate(tenant, ev)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range out {
				if prev, dup := store[e.EventID]; dup && readmodel.FactKey(prev) != readmodel.FactKey(e) {
					t.Fatalf("event id %s reused for a different fact", e.EventID)
				}
				store[e.EventID] = e
			}
		}
		by := map[string][]messages.MetricEvent{}
		for _, e := range store {
			by[e.Metric] = append(by[e.Metric], e)
		}
		return [4]int64{
			readmodel.Sum(by[messages.MetricRevenueGross], time.Unix(0, 0), end),
			readmodel.TotalAt(by[messages.MetricRevenueRefunded], end),
			readmodel.TotalAt(by[messages.MetricMRR], end),
			readmodel.TotalAt(by[messages.MetricRevenueDisputed], end),
		}
	}
	want := [4]int64{10000, 10000, 0, 0}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		order := append([]stripe.Event(nil), evs...)
		for j := 0; j < 3; j++ { // duplicates
			order = append(order, evs[rng.IntN(len(evs))])
		}
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		if got := figures(order); got != want {
			t.Fatalf("order %d: figures (gross, refunded, mrr, disputed) = %v, want %v", i, got, want)
		}
	}
	// Mid-life: only the first partial refund and the subscription's
	// update seen, in reverse order.
	if got := figures([]stripe.Event{evs[4], evs[3], evs[1], evs[0]}); got != [4]int64{10000, 3000, 6000, 0} {
		t.Fatalf("mid-life figures = %v", got)
	}
}

// TestWebhookAndBackfillAgree checks that translating an event and
// translating its object directly (as the backfill does) give the same
// facts with the same ids.
func TestWebhookAndBackfillAgree(t *testing.T) {
	ev := loadEvent(t, "charge_succeeded.json", captured)
	web, _ := Translate(tenant, ev)
	var ch stripe.Charge
	_ = json.Unmarshal(ev.Data.Raw, &ch)
	back := Charge(tenant, &ch, time.Unix(1, 0))
	if len(web) != 1 || len(back) != 1 || readmodel.FactKey(web[0]) != readmodel.FactKey(back[0]) || web[0].Value != back[0].Value {
		t.Fatalf("webhook %+v != backfill %+v", web, back)
	}
	ev = loadEvent(t, "customer_subscription_created.json", nil)
	web, _ = Translate(tenant, ev)
	var s stripe.Subscription
	_ = json.Unmarshal(ev.Data.Raw, &s)
	back, _ = Subscription(tenant, &s, time.Unix(s.Created, 0))
	if readmodel.FactKey(web[0]) != readmodel.FactKey(back[0]) {
		t.Fatalf("subscription webhook %+v != backfill %+v", web[0], back[0])
	}
	// Another tenant never shares an id.
	other, _ := Translate("queen-of-san-diego", ev)
	if other[0].EventID == web[0].EventID {
		t.Fatal("two tenants got the same event id")
	}
}

func TestHandledTypesTranslate(t *testing.T) {
	seen := map[stripe.EventType]bool{}
	for _, typ := range Handled {
		if seen[typ] {
			t.Errorf("%s listed twice", typ)
		}
		seen[typ] = true
		_, err := Translate(tenant, stripe.Event{ID: "evt", Type: typ, Created: 1, Data: &stripe.EventData{Raw: json.RawMessage(`{"id":"x_1","currency":"usd"}`)}})
		if errors.Is(err, ErrUnhandled) {
			t.Errorf("%s is listed as handled but Translate refuses it", typ)
		}
	}
	names := make([]string, 0, len(seen))
	for k := range seen {
		names = append(names, string(k))
	}
	sort.Strings(names)
	if len(names) < 18 {
		t.Errorf("only %d handled types", len(names))
	}
}
