package stripemap

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// demoObj is a demo event's data.object, numbers kept exact.
type demoObj map[string]any

func (o demoObj) num(t *testing.T, path ...string) int64 {
	t.Helper()
	var v any = map[string]any(o)
	for _, k := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			var i int
			fmt.Sscan(k, &i)
			v = x[i]
		}
	}
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v: %v (%T) is not a number", path, v, v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("%v: %v", path, err)
	}
	return i
}

type demoEv struct {
	typ     string
	created int64
	obj     demoObj
}

func decodeDemo(t *testing.T, evs []DemoEvent) []demoEv {
	t.Helper()
	var out []demoEv
	for _, de := range evs {
		dec := json.NewDecoder(bytes.NewReader(de.Payload))
		dec.UseNumber()
		var env struct {
			Type    string      `json:"type"`
			Created json.Number `json:"created"`
			Data    struct {
				Object demoObj `json:"object"`
			} `json:"data"`
		}
		if err := dec.Decode(&env); err != nil {
			t.Fatal(err)
		}
		c, _ := env.Created.Int64()
		out = append(out, demoEv{env.Type, c, env.Data.Object})
	}
	return out
}

// The demo month is a fixed script scaled per tenant: every figure is the
// script's base × the tenant's factor (60..140 %, from the seed), and the
// events keep the script's relations (a refund an hour after its charge,
// a monthly period of 30 days, the yearly plan's 20 % off, …). Each
// expectation below is the script's, computed from its bases.
func TestDemoEventsFollowTheScript(t *testing.T) {
	f, err := LoadFixtures(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	raw, err := DemoEvents(f, tenant, now, false, "USD")
	if err != nil {
		t.Fatal(err)
	}
	seed := sha256.Sum256([]byte(tenant + "|" + now.Format(time.RFC3339)))
	tag := hex.EncodeToString(seed[:5])
	pct := 60 + int64(binary.BigEndian.Uint16(seed[6:8])%81)
	if pct < 60 || pct > 140 {
		t.Fatalf("factor %d%%", pct)
	}
	scale := func(b int64) int64 { return b * pct / 100 }
	day := func(d int) int64 { return now.Unix() - int64(d)*86400 }
	const dayS = 86400

	evs := decodeDemo(t, raw)
	var types []string
	by := map[string][]demoEv{}
	for _, e := range evs {
		types = append(types, e.typ)
		by[e.typ] = append(by[e.typ], e)
	}
	// Stripe's order: by time, and in the script's order at the same
	// time (the subscription is created before its first invoice is paid).
	want := []string{
		"customer.subscription.created", "invoice.paid", // day 25
		"customer.created",                                  // 20
		"charge.succeeded", "customer.subscription.updated", // 18
		"checkout.session.completed",                    // 16
		"customer.subscription.created", "invoice.paid", // 15
		"charge.succeeded", "payout.paid", "charge.refunded", // 14 (the payout of day 15 arrives)
		"customer.created",                                          // 12
		"customer.subscription.created",                             // 10
		"charge.succeeded",                                          // 9
		"checkout.session.completed",                                // 8
		"payout.paid",                                               // 7 (the payout of day 8 arrives)
		"charge.succeeded",                                          // 6
		"customer.subscription.deleted", "checkout.session.expired", // 5
		"charge.dispute.funds_withdrawn",      // 5
		"invoice.payment_failed",              // 4
		"customer.created",                    // 3
		"charge.succeeded", "charge.refunded", // 2
		"balance.available",
	}
	if strings.Join(types, " ") != strings.Join(want, " ") {
		t.Errorf("event order\n got %v\nwant %v", types, want)
	}

	// Charges: the script's amounts, captured whole; refunds an hour later,
	// the full one marked refunded.
	gross := []int64{4900, 12900, 2500, 99000, 7500}
	days := []int{18, 14, 9, 6, 2}
	byID := map[string]demoEv{}
	for _, c := range by["charge.succeeded"] {
		byID[c.obj["id"].(string)] = c
	}
	for i, g := range gross {
		c, ok := byID[fmt.Sprintf("ch_demo%s%d", tag, i)]
		if !ok {
			t.Fatalf("no charge %d", i)
		}
		if c.obj.num(t, "amount") != scale(g) || c.obj.num(t, "amount_captured") != scale(g) || c.created != day(days[i]) || c.obj.num(t, "amount_refunded") != 0 {
			t.Errorf("charge %d: %v at %d; want %d at %d", i, c.obj["amount"], c.created, scale(g), day(days[i]))
		}
	}
	refunds := by["charge.refunded"]
	if len(refunds) != 2 {
		t.Fatalf("%d refunds", len(refunds))
	}
	for i, w := range []struct {
		charge   int
		refunded int64
		full     bool
	}{{1, scale(4000), false}, {4, scale(7500), true}} {
		r := refunds[i]
		if r.obj["id"] != fmt.Sprintf("ch_demo%s%d", tag, w.charge) || r.obj.num(t, "amount_refunded") != w.refunded || r.obj["refunded"] != w.full ||
			r.created != day(days[w.charge])+3600 {
			t.Errorf("refund %d: %v refunded %v (full %v) at %d; want %d (full %v) at %d", i, r.obj["id"], r.obj["amount_refunded"], r.obj["refunded"], r.created,
				w.refunded, w.full, day(days[w.charge])+3600)
		}
	}

	// Subscriptions: one customer each, a 30-day period, the discount on
	// the yearly plan only; the first gains a seat a week in, the third is
	// cancelled five days in.
	subDays := []int{25, 15, 10}
	created := by["customer.subscription.created"]
	if len(created) != 3 {
		t.Fatalf("%d subscriptions created", len(created))
	}
	for i, s := range created {
		o := s.obj
		if o["customer"] != fmt.Sprintf("cus_demo%s%d", tag, i) {
			t.Errorf("subscription %d customer %v", i, o["customer"])
		}
		if o.num(t, "current_period_end")-o.num(t, "current_period_start") != 30*dayS || o.num(t, "current_period_start") != day(subDays[i]) || s.created != day(subDays[i]) {
			t.Errorf("subscription %d period %v..%v created %d", i, o["current_period_start"], o["current_period_end"], s.created)
		}
		if o["status"] != "active" || o["canceled_at"] != nil || o["ended_at"] != nil {
			t.Errorf("subscription %d created %v, canceled_at %v, ended_at %v", i, o["status"], o["canceled_at"], o["ended_at"])
		}
		if hasDiscount := o["discount"] != nil; hasDiscount != (i == 1) {
			t.Errorf("subscription %d discount %v", i, o["discount"])
		}
	}
	if d := created[1].obj; d["discount"] != nil && d.num(t, "discount", "coupon", "percent_off") != 20 {
		t.Errorf("yearly discount %v", d["discount"])
	}
	if u := by["customer.subscription.updated"]; len(u) != 1 || u[0].obj["id"] != "sub_demo"+tag+"0" || u[0].created != day(25-7) ||
		u[0].obj.num(t, "items", "data", "0", "quantity") != 2 {
		t.Errorf("updates %+v; want sub 0 at 2 seats a week in", u)
	}
	if d := by["customer.subscription.deleted"]; len(d) != 1 || d[0].obj["id"] != "sub_demo"+tag+"2" || d[0].created != day(10-5) ||
		d[0].obj["status"] != "canceled" || d[0].obj.num(t, "canceled_at") != day(10-5) || d[0].obj.num(t, "ended_at") != day(10-5) {
		t.Errorf("deletions %+v; want sub 2 five days in", d)
	}

	// Invoices: a month of the first plan, a year of the second at 20 %
	// off, a failed invoice for the third's three seats.
	paid := by["invoice.paid"]
	if len(paid) != 2 {
		t.Fatalf("%d invoices paid", len(paid))
	}
	for i, w := range []struct {
		amount, subtotal, discount, period int64
	}{{scale(4900), scale(4900), 0, 30 * dayS}, {scale(240000) - scale(48000), scale(240000), scale(48000), 365 * dayS}} {
		o := paid[i].obj
		if o.num(t, "amount_paid") != w.amount || o.num(t, "subtotal") != w.subtotal || o.num(t, "total") != w.amount ||
			o.num(t, "lines", "data", "0", "period", "end")-o.num(t, "lines", "data", "0", "period", "start") != w.period ||
			o.num(t, "lines", "data", "0", "discount_amounts", "0", "amount") != w.discount {
			t.Errorf("invoice %d: %v", i, o)
		}
	}
	if fl := by["invoice.payment_failed"]; len(fl) != 1 || fl[0].obj.num(t, "amount_due") != scale(2900)*3 || fl[0].obj.num(t, "amount_remaining") != scale(2900)*3 {
		t.Errorf("failed invoice %+v; want %d due", fl, scale(2900)*3)
	}

	// Checkouts expire a day after they open.
	for _, c := range by["checkout.session.completed"] {
		if c.obj.num(t, "expires_at") != c.obj.num(t, "created")+dayS {
			t.Errorf("checkout %v expires %v", c.obj["id"], c.obj["expires_at"])
		}
	}
	// The dispute withdraws the third charge's amount and Stripe's fee.
	if d := by["charge.dispute.funds_withdrawn"]; len(d) != 1 || d[0].obj["charge"] != "ch_demo"+tag+"2" || d[0].obj.num(t, "amount") != scale(2500) ||
		d[0].obj.num(t, "balance_transactions", "0", "amount") != -scale(2500) || d[0].obj.num(t, "balance_transactions", "0", "fee") != DemoDisputeFee ||
		d[0].obj.num(t, "balance_transactions", "0", "net") != -scale(2500)-DemoDisputeFee || d[0].created != day(5) {
		t.Errorf("dispute %+v", d)
	}
	// The balance, traced by hand through Stripe's schedule: a charge's
	// net (less 2.9 % + 30) is available 2 days after capture; refunds and
	// the dispute come off at once; the weekly payouts (created on days
	// 15 and 8, arriving a day later) pay out what is available.
	net := func(i int) int64 { return scale(gross[i]) - DemoFee(scale(gross[i])) }
	payouts := []struct{ created, amount int64 }{
		{day(15), net(0)},              // charge 0 (day 18) available on day 16
		{day(8), net(1) - scale(4000)}, // charge 1 (day 14) on day 12, less its refund; charge 2 not until day 7
	}
	if p := by["payout.paid"]; len(p) != len(payouts) {
		t.Errorf("payouts %+v", p)
	} else {
		for i, w := range payouts {
			if p[i].obj.num(t, "amount") != w.amount || p[i].obj.num(t, "created") != w.created || p[i].obj.num(t, "arrival_date") != w.created+dayS || p[i].created != w.created+dayS {
				t.Errorf("payout %d: %v created %v arriving %v; want %d created %d arriving %d", i, p[i].obj["amount"], p[i].obj["created"], p[i].obj["arrival_date"], w.amount, w.created, w.created+dayS)
			}
		}
	}
	// Read a minute before now: charges 2 and 3 available, less the last
	// refund and the dispute; charge 4 (day 2) still pending.
	available := net(2) + net(3) - scale(7500) - scale(2500) - DemoDisputeFee
	if b := by["balance.available"]; len(b) != 1 || b[0].created != now.Unix()-60 || b[0].obj.num(t, "available", "0", "amount") != available ||
		b[0].obj.num(t, "pending", "0", "amount") != net(4) {
		t.Errorf("balance %+v; want %d available, %d pending", b, available, net(4))
	}
}

// Stripe's standard US card price: 2.9 % + 30 cents, rounded half up.
func TestDemoFee(t *testing.T) {
	for _, c := range []struct{ amount, fee int64 }{{10000, 320}, {1650, 78}, {0, 30}, {1724, 80}, {1706, 79}} {
		if got := DemoFee(c.amount); got != c.fee {
			t.Errorf("DemoFee(%d) = %d, want %d", c.amount, got, c.fee)
		}
	}
}

// Bad fixtures are refused with the reason.
func TestDemoFixturesRefused(t *testing.T) {
	empty := t.TempDir()
	if _, err := LoadFixtures(empty); err == nil || !strings.Contains(err.Error(), "no Stripe fixtures") {
		t.Errorf("empty dir: %v", err)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "x.json"), []byte(`{"object":"event"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFixtures(bad); err == nil || !strings.Contains(err.Error(), "not a Stripe event") {
		t.Errorf("typeless event: %v", err)
	}
	f, err := LoadFixtures(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	delete(f, "payout.paid")
	if _, err := DemoEvents(f, tenant, time.Now(), false, "USD"); err == nil || !strings.Contains(err.Error(), "no fixture for payout.paid") {
		t.Errorf("missing fixture: %v", err)
	}
}

// The demo balance: a charge's net is pending until exactly two days
// after capture, then available; a debit counts at once; a payout takes
// what is available, and nothing when there is none.
func TestDemoBalance(t *testing.T) {
	const day = 86400
	var b demoBalance
	b.charge(0, 10000) // net 9680
	if a, p := b.at(2*day - 1); a != 0 || p != 9680 {
		t.Fatalf("a second before: %d available, %d pending; want 0, 9680", a, p)
	}
	if a, p := b.at(2 * day); a != 9680 || p != 0 {
		t.Fatalf("two days after: %d available, %d pending; want 9680, 0", a, p)
	}
	b.debit(day, 1000)
	if got := b.payout(2 * day); got != 8680 {
		t.Fatalf("payout = %d, want 8680", got)
	}
	if got := b.payout(3 * day); got != 0 {
		t.Fatalf("second payout = %d, want 0 (nothing left)", got)
	}
	if a, p := b.at(3 * day); a != 0 || p != 0 {
		t.Fatalf("after the payout: %d available, %d pending", a, p)
	}
}
