package stripemap

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
)

// Fixtures are Stripe event envelopes keyed by event type, the templates
// of demo events (deploy/demo/stripe).
type Fixtures map[string]json.RawMessage

// LoadFixtures reads every *.json event in dir.
func LoadFixtures(dir string) (Fixtures, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no Stripe fixtures (*.json) in %s", dir)
	}
	out := Fixtures{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(raw, &head); err != nil || head.Type == "" {
			return nil, fmt.Errorf("%s: not a Stripe event: %v", f, err)
		}
		out[head.Type] = raw
	}
	return out, nil
}

// DemoEvent is one event ready to post.
type DemoEvent struct {
	ID      string
	Type    string
	Payload []byte
}

// Sign returns the Stripe-Signature header for payload signed with secret
// at time at.
func Sign(payload []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at}).Header
}

// DemoEvents builds a realistic month of Stripe activity for a tenant as
// of now: new customers, captured charges (one partially refunded, one
// fully), subscriptions (monthly, yearly with a discount, one cancelled),
// invoices paid and failed, checkouts completed and abandoned, a payout
// and the available balance. Ids, times and amounts are derived from the
// tenant and now, so each run is fresh and distinct per tenant, and the
// same (tenant, now) gives the same events. Events are returned in the
// order Stripe would send them. Money is in currency (the tenant's; an
// ISO code, any case), and every object has the tenant's mode.
func DemoEvents(f Fixtures, tenantID string, now time.Time, livemode bool, currency string) ([]DemoEvent, error) {
	now = now.UTC().Truncate(time.Second)
	seed := sha256.Sum256([]byte(tenantID + "|" + now.Format(time.RFC3339)))
	tag := hex.EncodeToString(seed[:5])
	// scale gives each tenant its own figures: 60%..140% of the base.
	scale := func(base int64) int64 {
		return base * (60 + int64(binary.BigEndian.Uint16(seed[6:8])%81)) / 100
	}
	b := demoBuilder{f: f, now: now, tag: tag, livemode: livemode, currency: strings.ToLower(currency)}
	day := func(d int) int64 { return now.Add(-time.Duration(d) * 24 * time.Hour).Unix() }

	for i, d := range []int{20, 12, 3} {
		b.add("customer.created", day(d), func(o map[string]any) {
			o["id"] = fmt.Sprintf("cus_demo%s%d", tag, i)
			o["created"] = day(d)
			o["email"] = fmt.Sprintf("customer%d@example.com", i)
		})
	}
	charges := []struct {
		amount, refunded int64
		day              int
	}{
		{scale(4900), 0, 18}, {scale(12900), scale(4000), 14}, {scale(2500), 0, 9},
		{scale(99000), 0, 6}, {scale(7500), scale(7500), 2},
	}
	for i, c := range charges {
		id := fmt.Sprintf("ch_demo%s%d", tag, i)
		edit := func(refunded int64) func(o map[string]any) {
			return func(o map[string]any) {
				o["id"], o["created"] = id, day(c.day)
				o["amount"], o["amount_captured"], o["captured"] = c.amount, c.amount, true
				o["amount_refunded"], o["refunded"] = refunded, refunded == c.amount
				o["balance_transaction"] = "txn_demo" + tag + fmt.Sprint(i)
			}
		}
		b.add("charge.succeeded", day(c.day), edit(0))
		if c.refunded > 0 {
			b.add("charge.refunded", refundAt(day(c.day)), edit(c.refunded))
		}
	}
	subs := []struct {
		amount, qty, percentOff int64
		interval                string
		day                     int
		cancel                  bool
	}{
		{scale(4900), 1, 0, "month", 25, false},
		{scale(120000), 2, 20, "year", 15, false},
		{scale(2900), 3, 0, "month", 10, true},
	}
	for i, s := range subs {
		id := fmt.Sprintf("sub_demo%s%d", tag, i)
		edit := func(status string, qty int64, at int64) func(o map[string]any) {
			return func(o map[string]any) {
				o["id"], o["created"], o["start_date"], o["status"] = id, day(s.day), day(s.day), status
				o["customer"] = fmt.Sprintf("cus_demo%s%d", tag, i%3)
				o["current_period_start"], o["current_period_end"] = day(s.day), day(s.day-30)
				o["cancel_at"], o["cancel_at_period_end"], o["trial_start"], o["trial_end"] = nil, false, nil, nil
				o["canceled_at"], o["ended_at"] = nil, nil
				if status == "canceled" {
					o["canceled_at"], o["ended_at"] = at, at
				}
				o["discount"] = nil
				if s.percentOff > 0 {
					o["discount"] = map[string]any{"id": "di_demo" + tag, "object": "discount", "start": day(s.day), "end": nil,
						"coupon": map[string]any{"id": "demo20", "object": "coupon", "percent_off": s.percentOff, "duration": "forever", "valid": true}}
				}
				items := o["items"].(map[string]any)["data"].([]any)
				it := items[0].(map[string]any)
				it["quantity"] = qty
				price := it["price"].(map[string]any)
				price["unit_amount"], price["unit_amount_decimal"] = s.amount, fmt.Sprint(s.amount)
				rec := price["recurring"].(map[string]any)
				rec["interval"], rec["interval_count"] = s.interval, 1
				o["items"].(map[string]any)["data"] = items[:1]
			}
		}
		b.add("customer.subscription.created", day(s.day), edit("active", s.qty, 0))
		if i == 0 {
			b.add("customer.subscription.updated", day(s.day-7), edit("active", s.qty+1, 0))
		}
		if s.cancel {
			b.add("customer.subscription.deleted", day(s.day-5), edit("canceled", s.qty, day(s.day-5)))
		}
	}
	// Invoices with their lines and service periods, so the accounting
	// report recognises revenue and defers what is paid ahead: a monthly
	// invoice, and the yearly plan's annual prepayment (2 seats, 20 % off).
	line := func(id string, amount, discount, start, end int64) map[string]any {
		return map[string]any{"id": id, "object": "line_item", "amount": amount, "currency": "usd", "quantity": 1,
			"discount_amounts": []any{map[string]any{"amount": discount, "discount": "di_demo" + tag}},
			"period":           map[string]any{"start": start, "end": end}, "type": "subscription"}
	}
	b.add("invoice.paid", day(25), func(o map[string]any) {
		o["id"], o["created"], o["customer"], o["subscription"] = "in_demo"+tag+"0", day(25), "cus_demo"+tag+"0", "sub_demo"+tag+"0"
		o["amount_due"], o["amount_paid"], o["subtotal"], o["total"] = scale(4900), scale(4900), scale(4900), scale(4900)
		o["status_transitions"] = map[string]any{"paid_at": day(25), "finalized_at": day(25)}
		o["lines"] = map[string]any{"object": "list", "data": []any{line("il_demo"+tag+"0", scale(4900), 0, day(25), day(25)+30*86400)}}
	})
	b.add("invoice.paid", day(15), func(o map[string]any) {
		o["id"], o["created"], o["customer"], o["subscription"] = "in_demo"+tag+"2", day(15), "cus_demo"+tag+"1", "sub_demo"+tag+"1"
		paid := scale(240000) - scale(48000)
		o["amount_due"], o["amount_paid"], o["subtotal"], o["total"] = paid, paid, scale(240000), paid
		o["status_transitions"] = map[string]any{"paid_at": day(15), "finalized_at": day(15)}
		o["lines"] = map[string]any{"object": "list", "data": []any{line("il_demo"+tag+"2", scale(240000), scale(48000), day(15), day(15)+365*86400)}}
	})
	b.add("invoice.payment_failed", day(4), func(o map[string]any) {
		o["id"], o["created"], o["customer"] = "in_demo"+tag+"1", day(4), "cus_demo"+tag+"1"
		o["amount_due"], o["amount_remaining"] = scale(2900)*3, scale(2900)*3
	})
	for i, d := range []int{16, 8} {
		b.add("checkout.session.completed", day(d), func(o map[string]any) {
			o["id"], o["created"], o["expires_at"] = fmt.Sprintf("cs_demo%s%d", tag, i), day(d), day(d)+86400
			o["amount_total"], o["currency"] = charges[i].amount, "usd"
		})
	}
	b.add("checkout.session.expired", day(5), func(o map[string]any) {
		o["id"], o["created"], o["expires_at"] = "cs_demo"+tag+"x", day(6), day(5)
		o["status"], o["payment_status"], o["payment_intent"] = "expired", "unpaid", nil
	})
	// A dispute on the third charge: its funds and Stripe's dispute fee
	// are withdrawn from the balance.
	disputed := charges[2]
	b.add("charge.dispute.funds_withdrawn", day(5), func(o map[string]any) {
		o["id"], o["created"], o["charge"], o["amount"], o["status"] = "dp_demo"+tag, day(5), fmt.Sprintf("ch_demo%s2", tag), disputed.amount, "needs_response"
		o["payment_intent"] = nil
		o["balance_transactions"] = []any{map[string]any{"id": "txn_demo" + tag + "dp", "object": "balance_transaction", "amount": -disputed.amount,
			"fee": DemoDisputeFee, "net": -disputed.amount - DemoDisputeFee, "currency": "usd", "created": day(5), "available_on": day(5),
			"type": "adjustment", "reporting_category": "dispute", "status": "available"}}
	})
	// The Stripe balance those charges, refunds and the dispute moved, and
	// the payouts it paid (see demoBalance).
	bal := demoBalance{}
	for i, c := range charges {
		bal.charge(day(c.day), c.amount)
		bal.debit(refundAt(day(c.day)), c.refunded) // 0 when not refunded
		if i == 2 {
			bal.debit(day(5), disputed.amount+DemoDisputeFee)
		}
	}
	for _, d := range demoPayoutDays {
		created := day(d)
		amount := bal.payout(created)
		if amount <= 0 {
			continue
		}
		id := fmt.Sprintf("po_demo%s%d", tag, d)
		b.add("payout.paid", created+86400, func(o map[string]any) {
			o["id"], o["created"], o["arrival_date"], o["amount"] = id, created, created+86400, amount
			o["balance_transaction"] = "txn_" + id
		})
	}
	read := now.Unix() - 60
	available, pending := bal.at(read)
	b.add("balance.available", read, func(o map[string]any) {
		o["available"] = []any{map[string]any{"amount": available, "currency": "usd", "source_types": map[string]any{"card": available}}}
		o["pending"] = []any{map[string]any{"amount": pending, "currency": "usd", "source_types": map[string]any{"card": pending}}}
	})
	if b.err != nil {
		return nil, b.err
	}
	idx := make([]int, len(b.out))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return b.created[idx[i]] < b.created[idx[j]] })
	events := make([]DemoEvent, len(b.out))
	for i, k := range idx {
		events[i] = b.out[k]
	}
	return events, nil
}

type demoBuilder struct {
	f        Fixtures
	now      time.Time
	tag      string
	livemode bool
	currency string
	out      []DemoEvent
	created  []int64
	err      error
}

// add re-stamps the fixture of type typ: a fresh event id, created, the
// tenant's mode, and edit applied to data.object.
func (b *demoBuilder) add(typ string, created int64, edit func(o map[string]any)) {
	if b.err != nil {
		return
	}
	tmpl, ok := b.f[typ]
	if !ok {
		// An expired session has the shape of a completed one; the
		// fixtures hold no customer, whose object is small.
		switch typ {
		case "checkout.session.expired":
			tmpl, ok = b.f["checkout.session.completed"]
		case "charge.dispute.funds_withdrawn":
			tmpl, ok = b.f["charge.dispute.created"]
		case "customer.created":
			tmpl, ok = json.RawMessage(`{"object":"event","api_version":"2023-10-16","data":{"object":{"object":"customer"}}}`), true
		}
		if !ok {
			b.err = fmt.Errorf("no fixture for %s", typ)
			return
		}
	}
	var env map[string]any
	if err := json.Unmarshal(tmpl, &env); err != nil {
		b.err = fmt.Errorf("fixture %s: %w", typ, err)
		return
	}
	obj := env["data"].(map[string]any)["object"].(map[string]any)
	edit(obj)
	obj["livemode"] = b.livemode
	if b.currency != "" {
		b.setCurrency(obj)
	}
	id := fmt.Sprintf("evt_demo%s%02d%s", b.tag, len(b.out), strings.ReplaceAll(typ, ".", "_"))
	env["id"], env["type"], env["created"], env["livemode"] = id, typ, created, b.livemode
	delete(env["data"].(map[string]any), "previous_attributes")
	payload, err := json.Marshal(env)
	if err != nil {
		b.err = err
		return
	}
	b.out = append(b.out, DemoEvent{ID: id, Type: typ, Payload: payload})
	b.created = append(b.created, created)
}

// setCurrency puts every amount of an object in the demo's currency.
func (b *demoBuilder) setCurrency(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k == "currency" {
				if _, isString := x.(string); isString {
					v[k] = b.currency
				}
				continue
			}
			b.setCurrency(x)
		}
	case []any:
		for _, x := range v {
			b.setCurrency(x)
		}
	}
}

// The demo's Stripe pricing and payout schedule, as a US account on
// Stripe's standard terms has them: a card charge costs 2.9 % + 30 cents
// (DemoFee); its net becomes available two days after capture (pending
// until then); a refund or a dispute is taken off the balance at once
// (Stripe keeps the charge's fee; a dispute costs DemoDisputeFee more);
// an automatic weekly payout pays out the available balance, arriving the
// next day.
const (
	demoFeePermille   = 29   // 2.9 %
	demoFeeFixed      = 30   // minor units
	demoAvailableDays = 2    // days from capture to available
	DemoDisputeFee    = 1500 // minor units
)

// refundAt is when the demo refunds a charge captured at captured: an
// hour later.
func refundAt(captured int64) int64 { return captured + 3600 }

// demoPayoutDays are the days before now the weekly payouts are created.
var demoPayoutDays = []int{15, 8}

// DemoFee is Stripe's fee on a demo charge of amount (minor units),
// rounded half up: 2.9 % + 30.
func DemoFee(amount int64) int64 {
	return (amount*demoFeePermille+500)/1000 + demoFeeFixed
}

// demoBalance is the demo's Stripe balance: every movement with the time
// its funds are available (unix seconds), payouts included.
type demoBalance struct {
	moves []demoMove
}

type demoMove struct{ availableAt, amount int64 }

// charge adds a charge's net, available demoAvailableDays after capture.
func (b *demoBalance) charge(at, amount int64) {
	b.moves = append(b.moves, demoMove{at + demoAvailableDays*86400, amount - DemoFee(amount)})
}

// debit takes amount off the balance at at.
func (b *demoBalance) debit(at, amount int64) { b.moves = append(b.moves, demoMove{at, -amount}) }

// at is the balance read at t: available (funds available by t, less
// what was taken off) and pending (not yet available).
func (b *demoBalance) at(t int64) (available, pending int64) {
	for _, m := range b.moves {
		if m.availableAt <= t {
			available += m.amount
		} else {
			pending += m.amount
		}
	}
	return available, pending
}

// payout pays out the available balance at t (0 when there is none).
func (b *demoBalance) payout(t int64) int64 {
	available, _ := b.at(t)
	if available <= 0 {
		return 0
	}
	b.debit(t, available)
	return available
}
