package readmodel

import (
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// Revenue recognition, the way Stripe Revenue Recognition presents it:
// every invoice line (messages.MetricRevenueBilled) is billed when the
// invoice is finalised and recognised straight-line by day over its
// service period, in the tenant's time zone; what is billed and not yet
// recognised is deferred. A line billed after its period began (in
// arrears, or a late invoice) catches up in the month it is billed, so a
// closed month never changes. For every month:
//
//	recognised to date + deferred at the end = billed to date
//
// holds by construction, in any delivery order (lines are states, folded
// with StatesAt).
//
// Refunds reduce the lines they belong to. Stripe Revenue Recognition
// ("Revenue Recognition with refunds and disputes"): "When a refund or
// dispute is made, cash is returned to the customer. Prior recognized
// revenue is offset by contra revenue in the refund or dispute account.
// Deferred revenue that hasn't been recognized is cleared." Its chart of
// accounts (methodology, Refunds, contra revenue): "Portion of the
// refunded amount previously recognized. For example, if you issue a 120
// USD refund on an annual subscription during the second month, 20 USD
// for the first 2 months is contra revenue. The remaining 100 USD is
// adjusted" out of deferred revenue. (Which invoice a refund's payment
// paid: the lines' charge, or since Stripe's 2025-03-31.basil an invoice
// payment link, messages.MetricInvoicesPayment, naming its charge or
// payment intent; see refundsOfLines.) A refund of an invoice's charge that
// no credit note accounts for (revenue.refunded, object = the charge) is
// therefore a negative line of its own for each line of that invoice,
// billed at the refund's date over the line's service period: the
// catch-up in the refund's month is the contra revenue, the rest leaves
// the deferred balance. Its share of a line is the refund's share of the
// invoice's total (Stripe Tax: "splitting the refund between the net
// amount and tax based on the original tax rate"), so the tax part of a
// refund never reduces revenue. A refund that a credit note names
// (DimensionRefund) reduces the lines through the credit note alone. A
// failed or cancelled refund is 0 from when it failed, like its cash.
//
// A dispute is the same to revenue: the funds withdrawn from the balance
// (revenue.disputed, positive, object = the charge) take back the
// charge's invoice lines in proportion, as a refund of that amount would,
// and funds reinstated (a dispute won) give them back from the
// reinstatement's date, as a refund that failed does. An inquiry moves
// no funds and recognises nothing back. (Stripe Revenue Recognition books
// the contra revenue in a disputes account; here it is in recognised
// revenue, which is net of refunds and disputes alike.)
//
// A charge that pays no invoice (revenue.gross with DimensionOneOff) is
// billed and earned at capture, in full: Stripe Revenue Recognition
// recognises one-time payments at once. A charge that pays an invoice is
// billed by the invoice's lines, never twice. Since 2025-03-31.basil a
// charge no longer names its invoice: its gross is OneOffUnlessLinked,
// and only an invoice payment link (or a copy of the gross naming its
// invoice) tells it paid one. Grosses stored before that value existed
// carry no DimensionOneOff and are never one-offs: a basil one-off
// charge stored then is missed, never counted twice.

// Dimensions of a billed line.
const (
	DimensionPeriodStart = "period_start"
	DimensionPeriodEnd   = "period_end"
	// DimensionCharge names the charge that paid a line's invoice (and a
	// refund's charge); DimensionInvoiceTotal is that invoice's total, tax
	// included, which a refund of the charge is a share of.
	DimensionCharge       = "charge"
	DimensionInvoiceTotal = "invoice_total"
	// DimensionRefund names the refund a credit note line was paid back
	// by (refunds, comma-separated, since 2025-03-31.basil: a credit note
	// may be paid back by several): those refunds reduce the lines through
	// the credit note, once.
	DimensionRefund = "refund"
	// DimensionInvoiceLine names the line a credit note line credits: a
	// credit without a period of its own takes that line's.
	DimensionInvoiceLine = "invoice_line"
	// DimensionInvoice names the invoice a charge's gross says it paid
	// (API versions before 2025-03-31.basil): its lines bill it.
	DimensionInvoice = "invoice"
	// DimensionOneOff marks a charge's gross (revenue.gross) as paying no
	// invoice (OneOff): it is billed and earned at capture. Either way an
	// invoice payment link naming the charge or its payment intent says
	// it paid that invoice after all.
	DimensionOneOff = "one_off"
	// OneOff (the charge named no invoice: API versions before
	// 2025-03-31.basil, and the backfill's) and OneOffUnlessLinked (the
	// charge cannot say: basil removed a charge's invoice, so it is a
	// one-off unless a link names it) are DimensionOneOff's values.
	OneOff             = "true"
	OneOffUnlessLinked = "unless_linked"
)

// OneOffCandidate reports whether f is a charge's gross that readmodel
// recognises at capture unless an invoice payment link (or another copy
// of the gross naming an invoice) says it paid an invoice.
func OneOffCandidate(f messages.MetricEvent) bool {
	if f.Metric != messages.MetricRevenueGross || f.Kind != messages.KindAdditive || f.ObjectID == "" {
		return false
	}
	v := f.Dimensions[DimensionOneOff]
	return v == OneOff || v == OneOffUnlessLinked
}

// Recognition is one month of the revenue schedule (minor units).
type Recognition struct {
	From, To time.Time
	// Billed is what was billed in the month; Recognised what was earned
	// in it, whenever billed; DeferredEnd what was billed up to To and is
	// earned later.
	Billed, Recognised, DeferredEnd int64
}

// MonthlyRecognition is the schedule for each calendar month in loc that
// overlaps [from, to).
//
// facts are revenue.billed lines, the revenue.refunded and
// revenue.disputed facts that may reduce them, the invoices.payment links that say which invoice a
// refunded payment paid (API versions since 2025-03-31.basil) and the
// revenue.gross of one-off charges (DimensionOneOff); other facts are
// ignored.
func MonthlyRecognition(facts []messages.MetricEvent, loc *time.Location, from, to time.Time) []Recognition {
	bounds := MonthBounds(loc, from, to)
	if len(bounds) < 2 {
		return nil
	}
	facts = recognitionLines(facts)
	out := make([]Recognition, len(bounds)-1)
	prevBilled, prevRec := billedTo(facts, loc, bounds[0])
	for i := range out {
		b, r := billedTo(facts, loc, bounds[i+1])
		out[i] = Recognition{From: bounds[i], To: bounds[i+1], Billed: b - prevBilled, Recognised: r - prevRec, DeferredEnd: b - r}
		prevBilled, prevRec = b, r
	}
	return out
}

// billedTo is what was billed before t and how much of it was earned by t.
func billedTo(facts []messages.MetricEvent, loc *time.Location, t time.Time) (billed, recognised int64) {
	for _, f := range StatesAt(facts, t) {
		billed += f.Value
		recognised += earned(f, loc, t)
	}
	return billed, recognised
}

// earned is how much of a line billed before t is recognised by t: its
// value × the days of its period elapsed by t / the days of its period,
// counted as calendar days in loc, rounded half away from zero.
func earned(f messages.MetricEvent, loc *time.Location, t time.Time) int64 {
	if !f.OccurredAt.Before(t) {
		return 0
	}
	s, e, ok := servicePeriod(f)
	if !ok {
		return f.Value
	}
	total := days(s, e, loc)
	if total <= 0 {
		return f.Value
	}
	el := days(s, t, loc)
	switch {
	case el <= 0:
		return 0
	case el >= total:
		return f.Value
	}
	return divHalfAway(f.Value*el, total)
}

// servicePeriod is a line's service period, when it has one. A period
// that ends before it starts has no days (earned treats it as none).
func servicePeriod(f messages.MetricEvent) (time.Time, time.Time, bool) {
	s, err1 := strconv.ParseInt(f.Dimensions[DimensionPeriodStart], 10, 64)
	e, err2 := strconv.ParseInt(f.Dimensions[DimensionPeriodEnd], 10, 64)
	if err1 != nil || err2 != nil {
		return time.Time{}, time.Time{}, false
	}
	return time.Unix(s, 0), time.Unix(e, 0), true
}

// days counts the calendar days in loc from a's date to b's date.
func days(a, b time.Time, loc *time.Location) int64 {
	ay, am, ad := a.In(loc).Date()
	by, bm, bd := b.In(loc).Date()
	return int64(time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC).Sub(time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
}

// split divides v between parts in proportion to their weights out of
// total, rounded half away from zero on the running total: the first k
// shares add up to v × (the first k weights) / total, rounded once, so
// the shares of weights that make up total add up to v exactly. Weights
// adding up to 0 (an invoice whose lines cancel out) have no proportion:
// every share is 0, and v reduces nothing.
func split(v int64, weights []int64, total int64) []int64 {
	out := make([]int64, len(weights))
	if total == 0 {
		return out
	}
	var run, taken int64
	for i, w := range weights {
		run += w
		out[i] = divHalfAway(v*run, total) - taken
		taken += out[i]
	}
	return out
}

// lineValues are the lines' values, in order.
func lineValues(lines []messages.MetricEvent) []int64 {
	out := make([]int64, len(lines))
	for i, l := range lines {
		out[i] = l.Value
	}
	return out
}

func divHalfAway(v, d int64) int64 {
	q, r := v/d, v%d
	if r < 0 {
		r = -r
	}
	if r*2 >= d {
		if v < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}

// Waterfall is Stripe Revenue Recognition's waterfall over the months
// that overlap [from, to): one row per month billed, what each row's lines
// earn in each month (Cells, one per month, zero before it was billed
// except the catch-up of a late line in its billing month), and what they
// earn after the last month (Later).
type Waterfall struct {
	Months []time.Time // month starts
	Rows   []WaterfallRow
}

// WaterfallRow is the lines billed in one month.
type WaterfallRow struct {
	Billed int64
	Cells  []int64
	Later  int64
}

// MonthlyWaterfall builds the waterfall of the lines billed in [from, to)
// (facts as MonthlyRecognition's: a refund is a row of the month it was
// made).
func MonthlyWaterfall(facts []messages.MetricEvent, loc *time.Location, from, to time.Time) Waterfall {
	bounds := MonthBounds(loc, from, to)
	if len(bounds) < 2 {
		return Waterfall{}
	}
	facts = recognitionLines(facts)
	w := Waterfall{Months: bounds[:len(bounds)-1], Rows: make([]WaterfallRow, len(bounds)-1)}
	for i := range w.Rows {
		w.Rows[i].Cells = make([]int64, len(bounds)-1)
	}
	// A row is what changed in its month: a line's first state there, or
	// a later state (a refund that failed, a voided credit note) that
	// replaces an earlier one from then on. So the rows' billed are the
	// schedule's, month by month, and a closed row never changes.
	n := len(bounds)
	at := make([]map[string]messages.MetricEvent, n)
	entities := map[string]bool{}
	for k, b := range bounds {
		at[k] = StatesAt(facts, b)
		for e := range at[k] {
			entities[e] = true
		}
	}
	value := func(f messages.MetricEvent, ok bool) int64 {
		if !ok {
			return 0
		}
		return f.Value
	}
	earnedBy := func(f messages.MetricEvent, ok bool, t time.Time) int64 {
		if !ok {
			return 0
		}
		return earned(f, loc, t)
	}
	for e := range entities {
		for i := 0; i+1 < n; i++ {
			old, hadOld := at[i][e]
			cur, hasCur := at[i+1][e]
			if !hasCur || (hadOld && old.EventID == cur.EventID) {
				continue
			}
			r := &w.Rows[i]
			billed := value(cur, hasCur) - value(old, hadOld)
			r.Billed += billed
			var done int64 // what the change earned by the previous column
			for c := i; c+1 < n; c++ {
				by := earnedBy(cur, hasCur, bounds[c+1]) - earnedBy(old, hadOld, bounds[c+1])
				r.Cells[c] += by - done
				done = by
			}
			r.Later += billed - done
		}
	}
	return w
}

// recognitionLines are the billed lines among facts, and the negative
// lines the refunds among them imply (see the top of this file).
func recognitionLines(facts []messages.MetricEvent) []messages.MetricEvent {
	var lines, links, refunds, disputes, oneOff []messages.MetricEvent
	invoiced := map[string]bool{} // charges a copy of whose gross names their invoice
	for _, f := range facts {
		switch f.Metric {
		case messages.MetricRevenueBilled:
			lines = append(lines, f)
		case messages.MetricInvoicesPayment:
			links = append(links, f)
		case messages.MetricRevenueRefunded:
			refunds = append(refunds, f)
		case messages.MetricRevenueDisputed:
			disputes = append(disputes, f)
		case messages.MetricRevenueGross:
			if OneOffCandidate(f) {
				oneOff = append(oneOff, f)
			} else if f.Dimensions[DimensionInvoice] != "" && f.ObjectID != "" {
				invoiced[f.ObjectID] = true
			}
		}
	}
	// A one-off charge (it paid no invoice) bills its amount at capture,
	// earned at once, as Stripe Revenue Recognition recognises one-time
	// payments; a refund of it is a share of that amount. A charge that an
	// invoice payment link names (by itself or its payment intent) paid
	// that invoice, whatever its own object said (a charge read in a
	// basil shape names no invoice): its lines bill it. So does one of
	// which another copy of the gross (the same event id, read in a shape
	// that names the invoice: the backfill's, after basil webhooks) names
	// an invoice. Both are read over the whole set of facts, so the order
	// the charge and its link arrive in does not matter.
	linked := map[string]bool{}
	for _, l := range links {
		if c := l.Dimensions[DimensionCharge]; c != "" {
			linked["charge:"+c] = true
		}
		if pi := l.Dimensions[DimensionPaymentIntent]; pi != "" {
			linked["pi:"+pi] = true
		}
	}
	for _, f := range Distinct(oneOff) {
		if invoiced[f.ObjectID] || linked["charge:"+f.ObjectID] || (f.Dimensions[DimensionPaymentIntent] != "" && linked["pi:"+f.Dimensions[DimensionPaymentIntent]]) {
			continue
		}
		lines = append(lines, messages.MetricEvent{
			Header:     messages.Header{EventID: f.EventID, TenantID: f.TenantID, OccurredAt: f.OccurredAt, Source: f.Source},
			Metric:     messages.MetricRevenueBilled,
			Kind:       messages.KindState,
			Entity:     f.ObjectID,
			ObjectID:   f.ObjectID,
			Version:    1,
			Value:      f.Value,
			Currency:   f.Currency,
			Dimensions: map[string]string{DimensionCharge: f.ObjectID, DimensionInvoiceTotal: strconv.FormatInt(f.Value, 10)},
		})
	}
	lines = creditPeriods(lines)
	if len(refunds) == 0 && len(disputes) == 0 {
		return lines
	}
	// Disputes join after PreferParts: a dispute's state names its charge
	// without being one of the charge's refunds, so it must not displace
	// the charge's cumulative refund.
	takeBacks := append(PreferParts(refunds), disputeStates(disputes)...)
	return append(lines, refundLines(append(slices.Clip(lines), links...), takeBacks)...)
}

// disputeStates turns the funds a dispute moved (revenue.disputed, one
// additive fact per direction) into the states of a refund of the
// dispute's charge: entity "dispute/<id>", what is withdrawn and not yet
// reinstated from each movement's date on (never below 0), versions in
// date order. A dispute known only by its charge (no dimension dispute)
// is its own entity per charge.
func disputeStates(disputes []messages.MetricEvent) []messages.MetricEvent {
	byDispute := map[string][]messages.MetricEvent{}
	var ids []string
	for _, f := range Distinct(disputes) {
		if f.Kind != messages.KindAdditive || f.ObjectID == "" || f.Value == 0 {
			continue
		}
		id := f.Dimensions["dispute"]
		if id == "" {
			id = "charge:" + f.ObjectID
		}
		if byDispute[id] == nil {
			ids = append(ids, id)
		}
		byDispute[id] = append(byDispute[id], f)
	}
	sort.Strings(ids)
	var out []messages.MetricEvent
	for _, id := range ids {
		moves := byDispute[id]
		sort.SliceStable(moves, func(i, j int) bool {
			if !moves[i].OccurredAt.Equal(moves[j].OccurredAt) {
				return moves[i].OccurredAt.Before(moves[j].OccurredAt)
			}
			return moves[i].Value > moves[j].Value // withdrawn before reinstated
		})
		var held int64
		for i, m := range moves {
			held += m.Value
			dims := map[string]string{DimensionCharge: m.ObjectID}
			if pi := m.Dimensions[DimensionPaymentIntent]; pi != "" {
				dims[DimensionPaymentIntent] = pi
			}
			out = append(out, messages.MetricEvent{
				Header:     messages.Header{EventID: m.EventID, TenantID: m.TenantID, OccurredAt: m.OccurredAt, Source: m.Source},
				Metric:     messages.MetricRevenueRefunded,
				Kind:       messages.KindState,
				Entity:     "dispute/" + id,
				ObjectID:   m.ObjectID,
				Version:    int64(i + 1),
				Value:      max(held, 0),
				Currency:   m.Currency,
				Dimensions: dims,
			})
		}
	}
	return out
}

// creditPeriods gives a credit note line without a service period (its
// invoice was not expanded, as in webhooks) the period of the line it
// credits, so the credit is spread like that line, whichever path
// delivered it.
func creditPeriods(lines []messages.MetricEvent) []messages.MetricEvent {
	periods := map[string][2]string{}
	for _, f := range lines {
		if s, e := f.Dimensions[DimensionPeriodStart], f.Dimensions[DimensionPeriodEnd]; s != "" && e != "" && f.Dimensions[DimensionInvoiceLine] == "" {
			periods[f.Entity] = [2]string{s, e}
		}
	}
	var out []messages.MetricEvent
	for i, f := range lines {
		credited := f.Dimensions[DimensionInvoiceLine]
		p, ok := periods[credited]
		if credited == "" || !ok || f.Dimensions[DimensionPeriodStart] != "" {
			if out != nil {
				out = append(out, f)
			}
			continue
		}
		if out == nil {
			out = append(make([]messages.MetricEvent, 0, len(lines)), lines[:i]...)
		}
		dims := make(map[string]string, len(f.Dimensions)+2)
		for k, v := range f.Dimensions {
			dims[k] = v
		}
		dims[DimensionPeriodStart], dims[DimensionPeriodEnd] = p[0], p[1]
		f.Dimensions = dims
		out = append(out, f)
	}
	if out == nil {
		return lines
	}
	return out
}

// refundLines turns each refund state into one state per line of the
// invoice its charge paid: entity "<refund>/<line>", the refund's version
// and date, minus its share of the line. Shares are rounded on the
// running total (lines in entity order), so they add up to the refund's
// net share of the invoice exactly.
func refundLines(lines, refunds []messages.MetricEvent) []messages.MetricEvent {
	var out []messages.MetricEvent
	for _, p := range refundsOfLines(lines, refunds) {
		r := p.refund
		shares := split(p.refunded, lineValues(p.lines), p.total)
		for i, l := range p.lines {
			share := shares[i]
			f := messages.MetricEvent{
				Header:   messages.Header{EventID: r.EventID + "/" + l.Entity, TenantID: r.TenantID, OccurredAt: r.OccurredAt, Source: r.Source},
				Metric:   messages.MetricRevenueBilled,
				Kind:     messages.KindState,
				Entity:   r.Entity + "/" + l.Entity,
				ObjectID: l.ObjectID,
				Version:  r.Version,
				Value:    -share,
				Currency: l.Currency,
			}
			if s, e := l.Dimensions[DimensionPeriodStart], l.Dimensions[DimensionPeriodEnd]; s != "" && e != "" {
				f.Dimensions = map[string]string{DimensionPeriodStart: s, DimensionPeriodEnd: e}
			}
			out = append(out, f)
		}
	}
	return out
}

// refundOfLines is a refund state that reduces an invoice's lines: the
// lines (latest states, in the refund's currency, entity order), the
// invoice's total (tax included) and how much of it the refund returns
// (0 once the refund failed).
type refundOfLines struct {
	refund          messages.MetricEvent
	invoice         string
	lines           []messages.MetricEvent
	total, refunded int64
}

// chargeOf is the charge a refund state belongs to: the one it names, or
// (a charge's cumulative refund) its object.
func chargeOf(r messages.MetricEvent) string {
	if c := r.Dimensions[DimensionCharge]; c != "" {
		return c
	}
	return r.ObjectID
}

// DimensionPaymentIntent names a refund's payment intent, and the payment
// intent an invoice payment link (messages.MetricInvoicesPayment) says
// paid its invoice.
const DimensionPaymentIntent = "payment_intent"

// refundsOfLines pairs each refund state with the lines of the invoice
// its payment paid. The invoice is known from its lines (dimension
// charge: API versions up to 2025-03-31, and one-off charges) or from an
// invoice payment link (messages.MetricInvoicesPayment among lines: the
// charge or payment intent that paid it, since 2025-03-31.basil); both
// naming the same invoice count once. A payment that paid several
// invoices (basil: one payment intent may be attached to more than one)
// splits its refund between them in proportion to what it paid each
// (the links' values; the invoice's total when only its lines name it),
// rounded on the running total in invoice order; an invoice whose lines
// are not known keeps its share, which then reduces nothing. A refund that a credit
// note names reduces the lines through the credit note instead, and so
// does a charge's cumulative refund on an invoice that has such a credit
// note (the two cannot be told apart).
func refundsOfLines(lines, refunds []messages.MetricEvent) []refundOfLines {
	type paid struct {
		invoice string
		weight  int64
		skip    bool // its share reduces nothing here
	}
	byInvoice := map[string][]messages.MetricEvent{}
	byPayment := map[string]map[string]int64{} // "charge:"/"pi:" + id -> invoice -> weight (0: its total)
	link := func(key, invoice string, weight int64) {
		if byPayment[key] == nil {
			byPayment[key] = map[string]int64{}
		}
		byPayment[key][invoice] += weight
	}
	credited := map[string]bool{}        // refunds a credit note accounts for
	creditedInvoice := map[string]bool{} // invoices with such a credit note
	var billed, links []messages.MetricEvent
	for _, f := range lines {
		if f.Metric == messages.MetricInvoicesPayment {
			links = append(links, f)
			continue
		}
		billed = append(billed, f)
		if rs := f.Dimensions[DimensionRefund]; rs != "" {
			for _, r := range strings.Split(rs, ",") {
				credited[r] = true
			}
			creditedInvoice[f.ObjectID] = true
		}
	}
	for _, f := range StatesAt(billed, time.Unix(1<<62, 0)) {
		if f.Dimensions[DimensionInvoiceTotal] == "" || f.Dimensions[DimensionRefund] != "" {
			continue
		}
		byInvoice[f.ObjectID] = append(byInvoice[f.ObjectID], f)
		if c := f.Dimensions[DimensionCharge]; c != "" {
			if _, ok := byPayment["charge:"+c][f.ObjectID]; !ok {
				link("charge:"+c, f.ObjectID, 0)
			}
		}
	}
	for _, l := range StatesAt(links, time.Unix(1<<62, 0)) {
		inv := l.ObjectID
		if c := l.Dimensions[DimensionCharge]; c != "" {
			link("charge:"+c, inv, max(l.Value, 0))
		}
		if pi := l.Dimensions[DimensionPaymentIntent]; pi != "" {
			link("pi:"+pi, inv, max(l.Value, 0))
		}
	}
	for _, ls := range byInvoice {
		sort.Slice(ls, func(i, j int) bool { return ls[i].Entity < ls[j].Entity })
	}
	total := func(inv string) int64 {
		ls := byInvoice[inv]
		if len(ls) == 0 {
			return 0
		}
		t, err := strconv.ParseInt(ls[0].Dimensions[DimensionInvoiceTotal], 10, 64)
		if err != nil {
			return 0
		}
		return t
	}
	var out []refundOfLines
	for _, r := range refunds {
		if r.Kind != messages.KindState || credited[r.Entity] {
			continue
		}
		// A charge's cumulative refund (entity = the charge) when its
		// refunds are not listed; otherwise the refund names its charge.
		cumulative := r.Entity == r.ObjectID
		// The invoices its payment paid, once each, with what it paid
		// each (a link's weight wins over a line's 0).
		weights := map[string]int64{}
		for inv, w := range byPayment["charge:"+chargeOf(r)] {
			weights[inv] = max(weights[inv], w)
		}
		if pi := r.Dimensions[DimensionPaymentIntent]; pi != "" {
			for inv, w := range byPayment["pi:"+pi] {
				weights[inv] = max(weights[inv], w)
			}
		}
		var invs []paid
		var sum int64
		for inv, w := range weights {
			t := total(inv)
			if w <= 0 {
				w = t
			}
			if w <= 0 {
				continue
			}
			// An invoice whose lines are not known keeps its share of the
			// split, which reduces nothing (no lines, a total of 0); one
			// where a cumulative figure cannot be told apart from a
			// refund a credit note of the invoice already accounts for
			// keeps it too, left to the credit note.
			invs = append(invs, paid{inv, w, cumulative && creditedInvoice[inv]})
			sum += w
		}
		sort.Slice(invs, func(i, j int) bool { return invs[i].invoice < invs[j].invoice })
		weightsOf := make([]int64, len(invs))
		for i, p := range invs {
			weightsOf[i] = p.weight
		}
		shares := split(max(r.Value, 0), weightsOf, sum)
		for i, p := range invs {
			if p.skip {
				continue
			}
			share := shares[i]
			t := total(p.invoice)
			var mine []messages.MetricEvent
			for _, l := range byInvoice[p.invoice] {
				if l.Currency == r.Currency {
					mine = append(mine, l)
				}
			}
			out = append(out, refundOfLines{refund: r, invoice: p.invoice, lines: mine, total: t, refunded: min(share, t)})
		}
	}
	return out
}

// UnlinkedInvoices are the paid invoices billed in [from, to) (lines with
// DimensionInvoiceTotal above 0) whose lines name no charge and that no
// invoice payment link (messages.MetricInvoicesPayment) names: on Stripe
// API versions since 2025-03-31.basil an invoice names no charge, and
// without invoice_payment.paid (an endpoint not subscribed to it, or
// facts stored before the link existed) nothing says what paid it. A
// refund of that payment then reduces none of its lines, and the charge
// that paid it, which cannot say either (OneOffUnlessLinked), counts as
// a one-off. Nothing guesses the payment; readers report these invoices
// (a backfill links them). An invoice paid out of band or from the
// customer's balance names no payment either, and is listed too. Sorted.
func UnlinkedInvoices(facts []messages.MetricEvent, from, to time.Time) []string {
	var lines []messages.MetricEvent
	linked := map[string]bool{}
	for _, f := range facts {
		switch f.Metric {
		case messages.MetricRevenueBilled:
			if f.Dimensions[DimensionInvoiceTotal] != "" && f.Dimensions[DimensionInvoiceLine] == "" && f.Dimensions[DimensionRefund] == "" {
				lines = append(lines, f)
			}
		case messages.MetricInvoicesPayment:
			linked[f.ObjectID] = true
		}
	}
	paid := map[string]bool{}
	for _, f := range StatesAt(lines, time.Unix(1<<62, 0)) {
		inv := f.ObjectID
		total, err := strconv.ParseInt(f.Dimensions[DimensionInvoiceTotal], 10, 64)
		if err != nil || total <= 0 || linked[inv] {
			continue
		}
		if f.Dimensions[DimensionCharge] != "" {
			linked[inv] = true
			delete(paid, inv)
			continue
		}
		if !f.OccurredAt.Before(from) && f.OccurredAt.Before(to) {
			paid[inv] = true
		}
	}
	return slices.Sorted(maps.Keys(paid))
}
