package readmodel

import (
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// disputeFunds is a dispute's revenue.disputed fact as stripemap records
// it: object the charge, positive when the funds are withdrawn, negative
// when reinstated.
func disputeFunds(dispute, charge, dir string, at time.Time, v int64) messages.MetricEvent {
	return messages.MetricEvent{
		Header: messages.Header{EventID: "e_" + dispute + "_" + dir, TenantID: "jada", OccurredAt: at, Source: messages.SourceStripe},
		Metric: messages.MetricRevenueDisputed, Kind: messages.KindAdditive, ObjectID: charge, Value: v, Currency: "USD",
		Dimensions: map[string]string{"dispute": dispute, "funds": dir},
	}
}

// TestDisputesTakeBackRecognisedRevenue: a dispute's withdrawn funds take
// back the disputed charge's invoice lines as a refund of that amount
// would (Stripe Revenue Recognition: "Prior recognized revenue is offset
// by contra revenue in the ... dispute account. Deferred revenue that
// hasn't been recognized is cleared"), net of the invoice's tax; funds
// reinstated give them back from the reinstatement on, and the months
// closed in between keep their figures.
func TestDisputesTakeBackRecognisedRevenue(t *testing.T) {
	la, _ := time.LoadLocation("America/Los_Angeles")
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, la)
	next := jan.AddDate(1, 0, 0)
	// $1,200 a year plus 10 % tax: the charge is $1,320.
	plan := paidBy(billedLine("il_plan", jan.Add(9*time.Hour), jan, next, 120000), "ch_year", 132000)
	mar := time.Date(2026, 3, 1, 12, 0, 0, 0, la)
	withdrawn := disputeFunds("dp_1", "ch_year", "withdrawn", mar, 132000)

	// The whole charge is disputed on 1 March: Jan + Feb ($193.97) are
	// taken back in March and nothing stays deferred, as for a refund.
	ms := MonthlyRecognition([]messages.MetricEvent{plan, withdrawn}, la, jan, jan.AddDate(0, 4, 0))
	want := []Recognition{
		{Billed: 120000, Recognised: 10192, DeferredEnd: 120000 - 10192},
		{Billed: 0, Recognised: 19397 - 10192, DeferredEnd: 120000 - 19397},
		{Billed: -120000, Recognised: -19397, DeferredEnd: 0},
		{Billed: 0, Recognised: 0, DeferredEnd: 0},
	}
	for i, w := range want {
		w.From, w.To = ms[i].From, ms[i].To
		if ms[i] != w {
			t.Errorf("disputed, month %d: %+v; want %+v", i, ms[i], w)
		}
	}

	// The dispute is won and the funds reinstated on 10 May: May catches
	// up Jan–May (151/365 of $1,200 by 1 June is $496.44) and the rest is
	// deferred again; March and April keep what they showed.
	may := time.Date(2026, 5, 10, 0, 0, 0, 0, la)
	reinstated := disputeFunds("dp_1", "ch_year", "reinstated", may, -132000)
	ms = MonthlyRecognition([]messages.MetricEvent{reinstated, plan, withdrawn, withdrawn}, la, jan, jan.AddDate(0, 6, 0))
	if m := ms[2]; m.Billed != -120000 || m.Recognised != -19397 {
		t.Errorf("March, before the reinstatement: %+v", m)
	}
	if m := ms[3]; m.Billed != 0 || m.Recognised != 0 || m.DeferredEnd != 0 {
		t.Errorf("April, disputed: %+v; want nothing billed, recognised or deferred", m)
	}
	byJune := divHalfAway(120000*151, 365)
	if m := ms[4]; m.Billed != 120000 || m.Recognised != byJune || m.DeferredEnd != 120000-byJune {
		t.Errorf("May, reinstated: %+v; want billed 120000, recognised %d, deferred %d", m, byJune, 120000-byJune)
	}

	// A quarter of the charge disputed ($330 with its tax): a quarter of
	// the line, $300, as the quarter refund in
	// TestRefundsReduceTheLinesTheyBelongTo.
	part := disputeFunds("dp_2", "ch_year", "withdrawn", mar, 33000)
	ms = MonthlyRecognition([]messages.MetricEvent{part, plan}, la, jan, jan.AddDate(0, 3, 0))
	if m := ms[2]; m.Billed != -30000 || m.Recognised != 29589-19397-7397 || m.DeferredEnd != (120000-29589)-(30000-7397) {
		t.Errorf("quarter disputed, March %+v", m)
	}

	// A dispute joins a refund of the same charge without displacing the
	// charge's cumulative refund (entity = the charge): both come off.
	cumulative := refundFact("ch_year", "ch_year", mar, 3, 33000)
	ms = MonthlyRecognition([]messages.MetricEvent{plan, cumulative, part}, la, jan, jan.AddDate(0, 3, 0))
	if m := ms[2]; m.Billed != -60000 {
		t.Errorf("refund and dispute of a quarter each: March billed %d; want -60000", m.Billed)
	}

	// A dispute of a charge that paid no known invoice, and movements
	// that move nothing, bill nothing.
	other := disputeFunds("dp_3", "ch_other", "withdrawn", mar, 5000)
	zero := disputeFunds("dp_4", "ch_year", "withdrawn", mar, 0)
	ms = MonthlyRecognition([]messages.MetricEvent{plan, other, zero}, la, jan, jan.AddDate(0, 3, 0))
	if m := ms[2]; m.Billed != 0 || m.Recognised != 29589-19397 {
		t.Errorf("unrelated dispute: March %+v", m)
	}
}

// TestDisputeOfABasilPaymentIntent: on API versions since
// 2025-03-31.basil an invoice names no charge and its payment link may
// name only the payment intent; a dispute naming that payment intent
// takes back the invoice's lines (a quarter of the $1,320 charge: $300
// of the $1,200 line), and without the link it takes back nothing.
func TestDisputeOfABasilPaymentIntent(t *testing.T) {
	la, _ := time.LoadLocation("America/Los_Angeles")
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, la)
	mar := time.Date(2026, 3, 1, 12, 0, 0, 0, la)
	line := ofInvoice(billedLine("il_plan", jan.Add(9*time.Hour), jan, jan.AddDate(1, 0, 0), 120000), "in_basil", 132000)
	paid := link("inpay_1", "in_basil", "pi_1", "", jan.Add(10*time.Hour), 132000)
	dispute := withPI(disputeFunds("dp_1", "ch_1", "withdrawn", mar, 33000), "pi_1")
	ms := MonthlyRecognition([]messages.MetricEvent{dispute, line, paid}, la, jan, jan.AddDate(0, 3, 0))
	if m := ms[2]; m.Billed != -30000 {
		t.Errorf("March with the link: billed %d; want -30000", m.Billed)
	}
	ms = MonthlyRecognition([]messages.MetricEvent{dispute, line}, la, jan, jan.AddDate(0, 3, 0))
	if m := ms[2]; m.Billed != 0 {
		t.Errorf("March without the link: billed %d; want 0", m.Billed)
	}
}

// TestDisputeStates: the states a dispute's movements imply, in date
// order whatever the delivery order, never below 0, one entity per
// dispute (per charge when the dispute is not named).
func TestDisputeStates(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	w := disputeFunds("dp_1", "ch_1", "withdrawn", at, 1000)
	r := disputeFunds("dp_1", "ch_1", "reinstated", at.Add(time.Hour), -1200)
	anon := disputeFunds("", "ch_2", "withdrawn", at, 700)
	anon.Dimensions = map[string]string{DimensionPaymentIntent: "pi_2"}
	got := disputeStates([]messages.MetricEvent{r, anon, w, r})
	if len(got) != 3 {
		t.Fatalf("%d states, want 3: %+v", len(got), got)
	}
	for i, c := range []struct {
		entity  string
		version int64
		value   int64
		at      time.Time
	}{{"dispute/charge:ch_2", 1, 700, at}, {"dispute/dp_1", 1, 1000, at}, {"dispute/dp_1", 2, 0, at.Add(time.Hour)}} {
		g := got[i]
		if g.Entity != c.entity || g.Version != c.version || g.Value != c.value || !g.OccurredAt.Equal(c.at) || g.Kind != messages.KindState || g.ObjectID == "" {
			t.Errorf("state %d: %s v%d = %d at %s; want %s v%d = %d at %s", i, g.Entity, g.Version, g.Value, g.OccurredAt, c.entity, c.version, c.value, c.at)
		}
	}
	if got[0].Dimensions[DimensionPaymentIntent] != "pi_2" || got[0].Dimensions[DimensionCharge] != "ch_2" {
		t.Errorf("dims %v, want the charge and payment intent", got[0].Dimensions)
	}
	// The same instant: withdrawn comes first.
	r2 := disputeFunds("dp_5", "ch_5", "reinstated", at, -1000)
	w2 := disputeFunds("dp_5", "ch_5", "withdrawn", at, 1000)
	if g := disputeStates([]messages.MetricEvent{r2, w2}); len(g) != 2 || g[0].Value != 1000 || g[1].Value != 0 {
		t.Errorf("same-instant movements: %+v", g)
	}
}
