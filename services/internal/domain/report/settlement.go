package report

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/boardpack/boardpack/messages"
)

// settlement is what the charges of one currency, settled by Stripe into
// a balance of another, came to over a period, as their balance
// transactions record it (stripemap.ChargeBalance, RefundBalance,
// Dispute): gross in the charge currency; the settled amount, refunds,
// dispute funds, fees and net in the settlement currency. Nothing is converted: the exchange rates are
// Stripe's, kept as text for display, never used in a sum.
type settlement struct {
	chargeCur, settleCur string
	charges              int
	gross                int64 // charge currency
	settled              int64 // settlement currency: the charges
	disputes             int64 // settlement currency: withdrawn (−) and reinstated (+)
	refunds              int64 // settlement currency: refunded (−) and failed refunds returned (+)
	fees                 int64 // settlement currency: charge, refund and dispute fees
	rates                []string
	// unread counts the pair's refunds in the period whose balance
	// transaction was not read (no Stripe API key, or not yet): they are
	// in the charge currency only, so net leaves them out.
	unread int
}

// net is what the charges, their refunds and their disputes moved in the
// settlement-currency balance.
func (s settlement) net() int64 { return s.settled + s.refunds + s.disputes - s.fees }

// settlements are the period's money in one currency settled by Stripe in
// another, one per (charge currency, settlement currency), sorted by both.
// Each fact counts in the period of its balance transaction: a charge's
// settled amount (and its gross, in the charge currency), a refund's or a
// dispute's funds, and every fee (revenue.fees in the settlement currency whose
// charge_currency is the pair's).
func (d *Data) settlements(p Period) []settlement {
	type pair struct{ charge, settle string }
	by := map[pair]*settlement{}
	rates := map[pair]map[string]bool{}
	at := func(cc, sc string) *settlement {
		k := pair{cc, sc}
		if by[k] == nil {
			by[k], rates[k] = &settlement{chargeCur: cc, settleCur: sc}, map[string]bool{}
		}
		return by[k]
	}
	in := func(f messages.MetricEvent) bool {
		return f.Kind == messages.KindAdditive && foreign(f) && !f.OccurredAt.Before(p.Start) && f.OccurredAt.Before(p.End)
	}
	charged := map[string]*settlement{} // charge id → its pair
	for _, f := range d.Facts(messages.MetricRevenueSettled) {
		if !in(f) {
			continue
		}
		s := at(f.Dimensions["charge_currency"], f.Currency)
		if r := f.Dimensions["exchange_rate"]; r != "" {
			rates[pair{s.chargeCur, s.settleCur}][r] = true
		}
		switch f.Dimensions["type"] {
		case "dispute":
			s.disputes += f.Value
			continue
		case "refund":
			s.refunds += f.Value
			continue
		}
		if _, dup := charged[f.ObjectID]; !dup {
			charged[f.ObjectID] = s
			s.charges++
		}
		s.settled += f.Value
	}
	for _, f := range d.Facts(messages.MetricRevenueFees) {
		if in(f) {
			at(f.Dimensions["charge_currency"], f.Currency).fees += f.Value
		}
	}
	// A charge settled in another currency, whenever: its pair, for its
	// refunds in the period whose balance transaction is not read (a
	// charge's cumulative refunded figure names no refund: unread).
	pairOf := map[string]pair{}
	read := map[string]bool{} // refunds with a settled amount
	for _, f := range d.Facts(messages.MetricRevenueSettled) {
		if foreign(f) {
			pairOf[f.ObjectID] = pair{f.Dimensions["charge_currency"], f.Currency}
			if f.Dimensions["type"] == "refund" {
				read[f.Dimensions["refund"]] = true
			}
		}
	}
	unread := map[string]bool{}
	for _, f := range d.Facts(messages.MetricRevenueRefunded) {
		k, ok := pairOf[f.ObjectID]
		if ok && f.Value != 0 && !read[f.Entity] && !unread[f.Entity] && !f.OccurredAt.Before(p.Start) && f.OccurredAt.Before(p.End) {
			unread[f.Entity] = true
			at(k.charge, k.settle).unread++
		}
	}
	if len(by) == 0 {
		return nil
	}
	for _, f := range d.Facts(messages.MetricRevenueGross) {
		if s := charged[f.ObjectID]; s != nil && f.Kind == messages.KindAdditive && f.Currency == s.chargeCur {
			s.gross += f.Value
		}
	}
	out := make([]settlement, 0, len(by))
	for k, s := range by {
		s.rates = sortedRates(rates[k])
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b settlement) int {
		if c := strings.Compare(a.chargeCur, b.chargeCur); c != 0 {
			return c
		}
		return strings.Compare(a.settleCur, b.settleCur)
	})
	return out
}

// foreign reports whether a fact is in a settlement currency other than
// its charge's (dimension charge_currency).
func foreign(f messages.MetricEvent) bool {
	cc := f.Dimensions["charge_currency"]
	return cc != "" && f.Currency != "" && cc != f.Currency
}

// sortedRates orders exchange rates by value (parsed for ordering only).
func sortedRates(set map[string]bool) []string {
	rs := slices.Collect(maps.Keys(set))
	slices.SortFunc(rs, func(a, b string) int {
		x, _ := strconv.ParseFloat(a, 64)
		y, _ := strconv.ParseFloat(b, 64)
		return cmp.Or(cmp.Compare(x, y), strings.Compare(a, b))
	})
	return rs
}

// rateText shows the exchange rates Stripe used (informative only).
func (s settlement) rateText() string {
	switch len(s.rates) {
	case 0:
		return "not given"
	case 1:
		return "1 " + s.chargeCur + " = " + s.rates[0] + " " + s.settleCur
	}
	return fmt.Sprintf("1 %s = %s to %s %s (%d rates)", s.chargeCur, s.rates[0], s.rates[len(s.rates)-1], s.settleCur, len(s.rates))
}

// settledInto sums the net that charges in other currencies added to the
// cur balance over p.
func settledInto(ss []settlement, cur string) int64 {
	var n int64
	for _, s := range ss {
		if s.settleCur == cur {
			n += s.net()
		}
	}
	return n
}

// settlementTable is the Accounting report's settlement side: each
// currency pair's gross in the charge currency beside the settled amount,
// fees and net in the settlement currency (nil rows when every charge
// settled in its own currency).
func settlementTable(d *Data, ss []settlement) Table {
	t := Table{Title: "Settlement: charges settled in another currency", Period: d.Period.Label(),
		Head: []string{"Charges", "Gross (charge currency)", "Settled (settlement currency)", "Refunds (settlement currency)", "Disputes (settlement currency)", "Stripe fees (settlement currency)", "Net settled (settlement currency)", "Exchange rate (Stripe's, informative)"}}
	if len(ss) == 0 {
		return t
	}
	for _, s := range ss {
		t.Rows = append(t.Rows, Row{Cells: []string{
			fmt.Sprintf("%s charges settled in %s (%s in the period)", s.chargeCur, s.settleCur, plural(int64(s.charges), "charge")),
			money(s.gross, s.chargeCur) + " " + s.chargeCur,
			money(s.settled, s.settleCur) + " " + s.settleCur,
			signedMoney(s.refunds, s.settleCur) + " " + s.settleCur,
			signedMoney(s.disputes, s.settleCur) + " " + s.settleCur,
			deducted(s.fees, s.settleCur) + " " + s.settleCur,
			money(s.net(), s.settleCur) + " " + s.settleCur,
			s.rateText(),
		}})
	}
	t.Note = "Gross is in the charge's currency; the settled amount, fees and net are in the settlement currency, as Stripe's balance transactions record them. " +
		"Nothing is converted or added across currencies: the exchange rates are shown for information."
	for _, s := range ss {
		if s.unread > 0 {
			t.Note += fmt.Sprintf(" %s of %s charges settled in %s: the refunds count in %s with the other refunds; what they took off the %s balance is not read yet (it needs the Stripe API key), so the net settled leaves them out.",
				plural(int64(s.unread), "refund"), s.chargeCur, s.settleCur, s.chargeCur, s.settleCur)
		}
	}
	for _, s := range ss {
		if s.chargeCur == d.Tenant.Currency {
			t.Note += fmt.Sprintf(" The fees of %s charges settled in %s are in %s: net revenue in %s leaves them out.", s.chargeCur, s.settleCur, s.settleCur, s.chargeCur)
		}
	}
	for _, s := range ss {
		if s.settleCur == d.Tenant.Currency {
			t.Note += fmt.Sprintf(" The payouts reconciliation adds the %s net settled from %s charges to the %s balance.", s.settleCur, s.chargeCur, s.settleCur)
		}
	}
	return t
}
