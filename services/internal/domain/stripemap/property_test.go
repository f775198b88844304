package stripemap

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// The money property: random histories of charges (captured at once,
// later or never), partial refunds that succeed, fail or are cancelled,
// disputes (inquiries, withdrawn, reinstated, won, lost), and payouts
// (paid, paid then failed), delivered as Stripe events duplicated and in
// random order, stored as the DynamoDB store keys them, give per month and
// currency the gross, fees, refunds, disputes, net and payouts of a
// straightforward computation over the same history.

var propStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const propMonths = 6

type moneyRef struct {
	gross, fees, refunds, disputes, paid, failed [propMonths]int64
	atStake                                      int64
}

type propGen struct {
	rng  *rand.Rand
	evs  []stripe.Event
	ref  map[string]*moneyRef // per currency
	used map[int64]bool
	seq  int
}

// at is a unique second after t, inside the six months.
func (g *propGen) at(after time.Time) time.Time {
	end := propStart.AddDate(0, propMonths, 0)
	for {
		lo := max(after.Unix()+1, propStart.Unix())
		if lo >= end.Unix()-86400 {
			lo = end.Unix() - 86400
		}
		s := lo + g.rng.Int64N(min(end.Unix()-lo, 20*86400))
		if !g.used[s] {
			g.used[s] = true
			return time.Unix(s, 0).UTC()
		}
	}
}

func (g *propGen) add(typ string, at time.Time, obj map[string]any) {
	g.seq++
	ev := event(nil, typ, at.Unix(), obj)
	ev.ID = fmt.Sprintf("evt_%05d", g.seq)
	g.evs = append(g.evs, ev)
}

// put adds v to t's month; times after the six months fall out, as they
// fall out of the folds' ranges.
func (r *moneyRef) put(arr *[propMonths]int64, t time.Time, v int64) {
	if m := monthIndex(t); m >= 0 && m < propMonths {
		arr[m] += v
	}
}

func monthIndex(t time.Time) int {
	t = t.UTC()
	return (t.Year()-propStart.Year())*12 + int(t.Month()) - int(propStart.Month())
}

func genMoney(rng *rand.Rand, charges int) *propGen {
	g := &propGen{rng: rng, ref: map[string]*moneyRef{"usd": {}, "eur": {}}, used: map[int64]bool{}}
	for i := range charges {
		cur := []string{"usd", "eur"}[rng.IntN(2)]
		ref := g.ref[cur]
		id := fmt.Sprintf("ch_%d", i)
		amt := 500 + rng.Int64N(20000)
		created := g.at(propStart.Add(-time.Second))
		ch := func(captured bool, refunded int64, bt map[string]any) map[string]any {
			o := map[string]any{"id": id, "object": "charge", "amount": amt, "currency": cur, "created": created.Unix(), "captured": captured,
				"status": "succeeded", "amount_refunded": refunded}
			if captured {
				o["amount_captured"] = amt
			}
			if bt != nil {
				o["balance_transaction"] = bt
			}
			return o
		}
		var capturedAt time.Time
		switch rng.IntN(5) {
		case 0: // authorised, never captured
			g.add("charge.succeeded", created, ch(false, 0, nil))
			continue
		case 1, 2: // manual capture, later (maybe the next month)
			g.add("charge.succeeded", created, ch(false, 0, nil))
			capturedAt = g.at(created)
		default:
			capturedAt = created
		}
		// Half the charges are enriched with their balance transaction
		// (fee and net), created at capture, a second or two after the
		// event that announced it.
		var bt map[string]any
		captureDate := capturedAt
		if rng.IntN(2) == 0 {
			fee := amt*29/1000 + 30
			btAt := capturedAt.Add(time.Duration(rng.IntN(3)) * time.Second)
			bt = map[string]any{"id": "txn_" + id, "object": "balance_transaction", "amount": amt, "fee": fee, "net": amt - fee, "currency": cur, "created": btAt.Unix(), "type": "charge"}
			ref.put(&ref.fees, btAt, fee)
			if btAt.Before(captureDate) {
				captureDate = btAt
			}
		}
		ref.put(&ref.gross, captureDate, amt)
		if capturedAt.Equal(created) {
			g.add("charge.succeeded", created, ch(true, 0, nil))
		} else {
			g.add("charge.captured", capturedAt, ch(true, 0, nil))
		}
		if bt != nil { // the enrichment (or a backfill) delivers the charge with it
			g.add("charge.captured", capturedAt, ch(true, 0, bt))
		}
		// Refunds: each its own object, with its own life.
		left, t, live := amt, capturedAt, int64(0)
		for r := range rng.IntN(3) {
			if left < 2 {
				break
			}
			rid := fmt.Sprintf("re_%d_%d", i, r)
			ramt := 1 + rng.Int64N(left/2)
			left -= ramt
			t = g.at(t)
			refund := func(status string) map[string]any {
				return map[string]any{"id": rid, "object": "refund", "amount": ramt, "currency": cur, "charge": id, "status": status, "created": t.Unix()}
			}
			first := []string{"pending", "pending", "requires_action"}[rng.IntN(3)]
			g.add("refund.created", t, refund(first))
			live += ramt
			g.add("charge.refunded", t, ch(true, live, nil))
			ref.put(&ref.refunds, t, ramt)
			switch rng.IntN(4) {
			case 0: // succeeds
				u := g.at(t)
				g.add("refund.updated", u, refund("succeeded"))
				g.add("charge.refund.updated", u, refund("succeeded"))
			case 1: // fails (maybe after succeeding): the money comes back
				u := g.at(t)
				if rng.IntN(2) == 0 {
					g.add("refund.updated", u, refund("succeeded"))
					u = g.at(u)
				}
				g.add("refund.failed", u, refund("failed"))
				g.add("charge.refund.updated", u, refund("failed"))
				ref.put(&ref.refunds, u, -ramt)
				live -= ramt
			case 2: // cancelled
				u := g.at(t)
				g.add("refund.updated", u, refund("canceled"))
				ref.put(&ref.refunds, u, -ramt)
				live -= ramt
			}
		}
		// Disputes.
		if rng.IntN(4) == 0 {
			did := "dp_" + id
			opened := g.at(capturedAt)
			dp := func(status string, bts ...map[string]any) map[string]any {
				list := []any{}
				for _, b := range bts {
					list = append(list, b)
				}
				return map[string]any{"id": did, "object": "dispute", "amount": amt, "currency": cur, "charge": id, "status": status, "created": opened.Unix(), "balance_transactions": list}
			}
			if rng.IntN(3) == 0 { // an inquiry: moves nothing
				g.add("charge.dispute.created", opened, dp("warning_needs_response"))
				if rng.IntN(2) == 0 {
					g.add("charge.dispute.closed", g.at(opened), dp("warning_closed"))
				} else {
					ref.atStake += amt
				}
				continue
			}
			w := map[string]any{"id": "txn_w_" + did, "object": "balance_transaction", "amount": -amt, "fee": 1500, "currency": cur, "created": opened.Unix()}
			ref.put(&ref.disputes, opened, amt)
			ref.put(&ref.fees, opened, 1500)
			g.add("charge.dispute.created", opened, dp("needs_response", w))
			// The funds event sometimes arrives without the balance
			// transaction, a moment later.
			if rng.IntN(2) == 0 {
				g.add("charge.dispute.funds_withdrawn", opened.Add(time.Second), dp("needs_response"))
			} else {
				g.add("charge.dispute.funds_withdrawn", opened, dp("needs_response", w))
			}
			u := g.at(opened)
			g.add("charge.dispute.updated", u, dp("under_review", w))
			switch rng.IntN(3) {
			case 0: // won: reinstated
				c := g.at(u)
				rb := map[string]any{"id": "txn_r_" + did, "object": "balance_transaction", "amount": amt, "fee": 0, "currency": cur, "created": c.Unix()}
				g.add("charge.dispute.funds_reinstated", c, dp("won", w, rb))
				g.add("charge.dispute.closed", c, dp("won", w, rb))
				ref.put(&ref.disputes, c, -amt)
			case 1: // lost
				g.add("charge.dispute.closed", g.at(u), dp("lost", w))
			default: // still open
				ref.atStake += amt
			}
		}
	}
	for p := range 4 + rng.IntN(4) {
		cur := []string{"usd", "eur"}[rng.IntN(2)]
		ref := g.ref[cur]
		amt := 1000 + rng.Int64N(50000)
		arrival := g.at(propStart)
		po := map[string]any{"id": fmt.Sprintf("po_%d", p), "object": "payout", "amount": amt, "currency": cur, "arrival_date": arrival.Unix(), "created": arrival.Add(-time.Hour).Unix()}
		g.add("payout.paid", arrival, po)
		if rng.IntN(3) == 0 {
			g.add("payout.failed", g.at(arrival), po)
			ref.put(&ref.failed, arrival, amt)
		} else {
			ref.put(&ref.paid, arrival, amt)
		}
	}
	return g
}

func TestMoneyEqualsReferenceInAnyOrder(t *testing.T) {
	for seed := range uint64(25) {
		rng := rand.New(rand.NewPCG(seed, 14))
		g := genMoney(rng, 40)
		order := append([]stripe.Event(nil), g.evs...)
		for range len(order) / 3 {
			order = append(order, g.evs[rng.IntN(len(g.evs))])
		}
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		// Stored as the DynamoDB store keys facts: by metric, time and
		// event id, so one fact dated twice is stored twice.
		stored := map[string]messages.MetricEvent{}
		for _, ev := range order {
			out, err := Translate(tenant, ev)
			if err != nil {
				t.Fatalf("seed %d: %s: %v", seed, ev.Type, err)
			}
			for _, e := range out {
				stored[readmodel.FactKey(e)] = e
			}
		}
		by := map[string]map[string][]messages.MetricEvent{} // currency -> metric -> facts
		for _, e := range stored {
			cur := e.Currency
			if cur == "" {
				cur = e.Dimensions["currency"]
			}
			if by[cur] == nil {
				by[cur] = map[string][]messages.MetricEvent{}
			}
			by[cur][e.Metric] = append(by[cur][e.Metric], e)
		}
		for cur, ref := range g.ref {
			fs := by[upper(cur)]
			get := func(m string) []messages.MetricEvent {
				out := readmodel.Distinct(fs[m])
				if m == messages.MetricRevenueRefunded {
					out = readmodel.PreferParts(out)
				}
				return out
			}
			for m := range propMonths {
				from, to := propStart.AddDate(0, m, 0), propStart.AddDate(0, m+1, 0)
				got := [6]int64{
					readmodel.Sum(get(messages.MetricRevenueGross), from, to),
					readmodel.Sum(get(messages.MetricRevenueFees), from, to),
					readmodel.Change(get(messages.MetricRevenueRefunded), from, to),
					readmodel.Sum(get(messages.MetricRevenueDisputed), from, to),
					readmodel.Change(get(messages.MetricPayoutsPaid), from, to),
					readmodel.Change(get(messages.MetricPayoutsFailed), from, to),
				}
				want := [6]int64{ref.gross[m], ref.fees[m], ref.refunds[m], ref.disputes[m], ref.paid[m], ref.failed[m]}
				if got != want {
					t.Fatalf("seed %d, %s, month %d: (gross, fees, refunds, disputes, paid, failed) = %v, want %v", seed, cur, m, got, want)
				}
				net := got[0] - got[1] - got[2] - got[3]
				if wantNet := ref.gross[m] - ref.fees[m] - ref.refunds[m] - ref.disputes[m]; net != wantNet {
					t.Fatalf("seed %d, %s, month %d: net = %d, want %d", seed, cur, m, net, wantNet)
				}
			}
			if got := readmodel.TotalAt(get(messages.MetricDisputesAtStake), never); got != ref.atStake {
				t.Fatalf("seed %d, %s: at stake = %d, want %d", seed, cur, got, ref.atStake)
			}
		}
	}
}

func upper(s string) string { return currency(stripe.Currency(s)) }
