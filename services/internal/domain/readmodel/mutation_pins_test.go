package readmodel

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// The tests in this file pin behaviours that the order and equivalence
// properties cannot: those compare a fold with itself over other
// deliveries, so a fold that is wrong the same way every time passes them.

// halfOpenFixture is additive facts on both sides of [from, to) and one
// state fact inside it, each value a different power of ten, so a sum
// says exactly which facts it took: 1 at from, 10 just before to, 100 at
// to, 1000 just before from, 10000 a state inside.
func halfOpenFixture() (from, to time.Time, fs []messages.MetricEvent) {
	from = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	to = from.AddDate(0, 0, 2)
	dim := func(f messages.MetricEvent, p string) messages.MetricEvent {
		f.Dimensions = map[string]string{"product": p}
		return f
	}
	fs = []messages.MetricEvent{
		dim(ev("a", messages.KindAdditive, "", from, 0, 1), "pro"),
		dim(ev("b", messages.KindAdditive, "", to.Add(-time.Second), 0, 10), "pro"),
		dim(ev("c", messages.KindAdditive, "", to, 0, 100), "pro"),
		dim(ev("d", messages.KindAdditive, "", from.Add(-time.Second), 0, 1000), "pro"),
		dim(ev("e", messages.KindState, "x", from.Add(time.Hour), 1, 10000), "pro"),
	}
	return from, to, fs
}

// TestPeriodFoldsTakeAdditiveFactsOfTheHalfOpenPeriod: Sum, ByDimension
// and Daily take the additive facts with OccurredAt in [from, to) — the
// one at from, the one just before to — and neither the one at to, the
// one just before from, nor a state fact.
func TestPeriodFoldsTakeAdditiveFactsOfTheHalfOpenPeriod(t *testing.T) {
	from, to, fs := halfOpenFixture()
	const want = 1 + 10 // a and b
	if got := Sum(fs, from, to); got != want {
		t.Errorf("Sum = %d; want %d (a at from, b before to)", got, want)
	}
	if got := ByDimension(fs, "product", from, to); len(got) != 1 || got["pro"] != want {
		t.Errorf("ByDimension = %v; want map[pro:%d]", got, want)
	}
	// Daily: one entry per day of the period (two), a on the first, b on
	// the second; d, a second before from, is on the day before.
	days := Daily(fs, time.UTC, from, to)
	if len(days) != 2 || days[0].Value != 1 || days[1].Value != 10 || !days[0].Day.Equal(from) || !days[1].Day.Equal(from.AddDate(0, 0, 1)) {
		t.Errorf("Daily = %+v; want %v: 1, %v: 10", days, from, from.AddDate(0, 0, 1))
	}
	// A period that starts mid-day: the day's entry holds only what
	// happened from from on, not the fact earlier that day.
	mid := from.Add(12 * time.Hour)
	early := ev("f", messages.KindAdditive, "", from.Add(6*time.Hour), 0, 100000)
	if days := Daily(append(fs, early), time.UTC, mid, to); len(days) != 2 || days[0].Value != 0 || days[1].Value != 10 {
		t.Errorf("Daily from noon = %+v; want 0 on the first day (a and f are before noon), 10 on the second", days)
	}
}

// TestCarryIsCachedOnlyAsOfASettledBoundary: a carry may be cached as of
// a boundary SettleAfter + clockSkew old or older; one a second younger,
// or only SettleAfter old (a fact before it may still arrive on time, by
// a writer whose clock is behind), is built each time.
func TestCarryIsCachedOnlyAsOfASettledBoundary(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	age := SettleAfter + clockSkew
	for _, c := range []struct {
		boundary time.Time
		want     bool
	}{
		{now.Add(-age), true},
		{now.Add(-age - time.Second), true},
		{now.Add(-age + time.Second), false},
		{now.Add(-SettleAfter), false},
		{now, false},
	} {
		if got := settled(c.boundary, now); got != c.want {
			t.Errorf("settled(now - %v) = %v; want %v", now.Sub(c.boundary), got, c.want)
		}
	}
}

// TestDivHalfAwayRoundsHalvesAwayFromZero: an exact half rounds away from
// zero on both sides (a credit note's or a refund's negative shares round
// like the positive ones), anything less than a half toward it.
func TestDivHalfAwayRoundsHalvesAwayFromZero(t *testing.T) {
	for _, c := range []struct{ v, d, want int64 }{
		{7, 2, 4}, {-7, 2, -4}, // 3.5
		{5, 3, 2}, {-5, 3, -2}, // 1.67
		{4, 3, 1}, {-4, 3, -1}, // 1.33
		{6, 3, 2}, {-6, 3, -2},
		{0, 3, 0},
	} {
		if got := divHalfAway(c.v, c.d); got != c.want {
			t.Errorf("divHalfAway(%d, %d) = %d; want %d", c.v, c.d, got, c.want)
		}
	}
}

func mrrState(id, sub, customer string, at time.Time, v int64) messages.MetricEvent {
	return messages.MetricEvent{
		Header: messages.Header{EventID: id, TenantID: "jada", OccurredAt: at},
		Metric: messages.MetricMRR, Kind: messages.KindState, Entity: sub, ObjectID: sub,
		Version: at.Unix(), Value: v, Dimensions: map[string]string{DimensionCustomer: customer},
	}
}

// TestMRRMovementsFromAndToBelowZeroKeepTheRollForward: a customer whose
// MRR is below 0 (a subscription credited more than it costs) and rises
// above 0 is New by the whole rise, and one that falls from above 0 to
// below it churns the whole fall: start + movements = end either way.
func TestMRRMovementsFromAndToBelowZeroKeepTheRollForward(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	feb := jan.AddDate(0, 1, 0)
	facts := []messages.MetricEvent{
		mrrState("e1", "sub_credit", "cus_a", jan.Add(-time.Hour), -500),
		mrrState("e2", "sub_plan", "cus_a", jan.Add(time.Hour), 3000), // cus_a: -500 → 2500
		mrrState("e3", "sub_b", "cus_b", jan.Add(-time.Hour), 2000),
		mrrState("e4", "sub_b", "cus_b", jan.Add(2*time.Hour), -300), // cus_b: 2000 → -300
		mrrState("e5", "sub_r", "cus_r", jan.Add(-2*time.Hour), 1000),
		mrrState("e6", "sub_r", "cus_r", jan.Add(-time.Hour), -200), // cus_r churned below 0 before January
		mrrState("e7", "sub_r", "cus_r", jan.Add(3*time.Hour), 800), // and comes back: -200 → 800
	}
	m := MRRMovements(facts, jan, feb)
	if m.Start != -500+2000-200 || m.End != 2500-300+800 {
		t.Fatalf("start %d, end %d; want %d and %d", m.Start, m.End, -500+2000-200, 2500-300+800)
	}
	if m.New != 2500-(-500) || m.Churn != 2000-(-300) || m.Reactivation != 800-(-200) {
		t.Errorf("new %d, churn %d, reactivation %d; want %d, %d, %d", m.New, m.Churn, m.Reactivation, 3000, 2300, 1000)
	}
	if err := m.Check(); err != nil {
		t.Error(err)
	}
}

// TestMRRMovementsOfAMovedSubscriptionLeaveTheOldCustomerTheRest: a
// subscription moved from cus_a (who has another) to cus_b contracts
// cus_a by its MRR; when cus_a's last subscription is cancelled later,
// that is churn of what was left, not of what had moved.
func TestMRRMovementsOfAMovedSubscriptionLeaveTheOldCustomerTheRest(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	feb := jan.AddDate(0, 1, 0)
	facts := []messages.MetricEvent{
		mrrState("e1", "sub_1", "cus_a", jan.Add(-time.Hour), 1000),
		mrrState("e2", "sub_2", "cus_a", jan.Add(-time.Hour), 500),
		mrrState("e3", "sub_1", "cus_b", jan.Add(time.Hour), 1000),
		mrrState("e4", "sub_2", "cus_a", jan.Add(2*time.Hour), 0),
	}
	m := MRRMovements(facts, jan, feb)
	if m.Contraction != 1000 || m.New != 1000 || m.Churn != 500 || m.ChurnedCustomers != 1 || m.ContractionCustomers != 1 {
		t.Errorf("%+v; want contraction 1000 (sub_1 leaves cus_a), new 1000 (cus_b), churn 500 (cus_a's sub_2)", m)
	}
}

// TestMRRMovementsOfATrialThatPaysLaterIsNew: a subscription that starts
// at 0 (a trial) and is paid later is New, not a reactivation: the
// customer had never paid.
func TestMRRMovementsOfATrialThatPaysLaterIsNew(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mar := jan.AddDate(0, 2, 0)
	facts := []messages.MetricEvent{
		mrrState("e1", "sub_1", "cus_a", jan.Add(time.Hour), 0),
		mrrState("e2", "sub_1", "cus_a", jan.AddDate(0, 0, 14), 4900),
	}
	// One month in one Movements, and in MonthlyMRRMovements.
	ms := MonthlyMRRMovements(facts, time.UTC, jan, jan.AddDate(0, 1, 0))
	if len(ms) != 1 || ms[0].New != 4900 || ms[0].Reactivation != 0 || ms[0].NewCustomers != 1 {
		t.Errorf("%+v; want one month, new 4900 from one customer, no reactivation", ms)
	}
	if ms := MonthlyMRRMovements(facts, time.UTC, jan, mar); len(ms) != 2 || ms[1].Start != 4900 || ms[1].End != 4900 {
		t.Errorf("%+v; want January and February, February flat at 4900", ms)
	}
	// The carry as of February keeps the first paid state (the customer
	// had paid), not the trial's 0.
	carried := CarryFacts(facts, jan.AddDate(0, 1, 0))
	var paid bool
	for _, f := range carried {
		paid = paid || f.EventID == "e2"
		if f.EventID == "e1" {
			t.Errorf("carry keeps the trial's 0 state: %+v", carried)
		}
	}
	if !paid {
		t.Errorf("carry %+v; want e2 (the first paid state)", carried)
	}
}

// TestCreditWithoutAPeriodIsSpreadLikeTheLineItCredits: a credit note
// line that names the line it credits and has no period of its own (its
// invoice was not expanded) is spread over that line's period — the $100
// credit of TestAnnualPrepaymentIsRecognisedByDay, February taking back
// 59/365 of it ($16.16); one with a period of its own keeps it; one that
// names a line without a period, or no line, is earned when billed.
func TestCreditWithoutAPeriodIsSpreadLikeTheLineItCredits(t *testing.T) {
	la, _ := time.LoadLocation("America/Los_Angeles")
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, la)
	next := jan.AddDate(1, 0, 0)
	plan := billedLine("il_plan", jan.Add(9*time.Hour), jan, next, 120000)
	feb15 := time.Date(2026, 2, 15, 0, 0, 0, 0, la)
	credit := func(id, line string, start, end time.Time) messages.MetricEvent {
		f := billedLine(id, feb15, start, end, -10000)
		if f.Dimensions == nil {
			f.Dimensions = map[string]string{}
		}
		if line != "" {
			f.Dimensions[DimensionInvoiceLine] = line
		}
		return f
	}
	feb := func(facts ...messages.MetricEvent) int64 {
		return MonthlyRecognition(facts, la, jan, jan.AddDate(0, 2, 0))[1].Recognised
	}
	const planFeb = 19397 - 10192 // 28/365 of $1,200
	if got := feb(plan, credit("cnli_1", "il_plan", time.Time{}, time.Time{})); got != planFeb-1616 {
		t.Errorf("credit naming il_plan: February %d; want %d", got, planFeb-1616)
	}
	// Its own period (February only): all of it in February.
	if got := feb(plan, credit("cnli_2", "il_plan", jan.AddDate(0, 1, 0), jan.AddDate(0, 2, 0))); got != planFeb-10000 {
		t.Errorf("credit with its own period: February %d; want %d", got, planFeb-10000)
	}
	// The line it names has no period: earned at once.
	setup := billedLine("il_setup", jan.Add(9*time.Hour), time.Time{}, time.Time{}, 5000)
	if got := feb(plan, setup, credit("cnli_3", "il_setup", time.Time{}, time.Time{})); got != planFeb-10000 {
		t.Errorf("credit naming a line without a period: February %d; want %d", got, planFeb-10000)
	}
	// A credit line (it names a line) lends its period to no other credit.
	a := credit("cnli_4", "il_plan", jan, next)
	b := credit("cnli_5", "cnli_4", time.Time{}, time.Time{})
	if got := feb(a, b); got != -1616-10000 {
		t.Errorf("credit naming a credit line: February %d; want %d (cnli_4 spread, cnli_5 at once)", got, -1616-10000)
	}
	// Not a credit (names no line) and no period: at once, as before.
	if got := feb(plan, credit("cnli_6", "", time.Time{}, time.Time{})); got != planFeb-10000 {
		t.Errorf("credit naming no line: February %d; want %d", got, planFeb-10000)
	}
}

// TestWaterfallOfOneMonth: a period within one month is one column and
// one row; a year's line billed in it earns 31/365 in the column and the
// rest later.
func TestWaterfallOfOneMonth(t *testing.T) {
	la, _ := time.LoadLocation("America/Los_Angeles")
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, la)
	plan := billedLine("il_plan", jan.Add(9*time.Hour), jan, jan.AddDate(1, 0, 0), 120000)
	w := MonthlyWaterfall([]messages.MetricEvent{plan}, la, jan, jan.AddDate(0, 1, 0))
	if len(w.Months) != 1 || len(w.Rows) != 1 || len(w.Rows[0].Cells) != 1 {
		t.Fatalf("%+v; want one month, one row of one cell", w)
	}
	if r := w.Rows[0]; r.Billed != 120000 || r.Cells[0] != 10192 || r.Later != 120000-10192 {
		t.Errorf("row %+v; want billed 120000, January 10192, later %d", r, 120000-10192)
	}
	if w := MonthlyWaterfall([]messages.MetricEvent{plan}, la, jan, jan); len(w.Rows) != 0 {
		t.Errorf("empty period: %+v; want no rows", w)
	}
}

// TestListedRefundOnAnInvoiceWithACreditNoteReducesItsLines: an invoice
// with a credit note that a refund paid back: another refund of its
// charge, listed on its own, still reduces the lines ($110 of $1,320 is
// $100 of the line); the charge's cumulative figure cannot be told apart
// from the credited refund, so it is left to the credit note.
func TestListedRefundOnAnInvoiceWithACreditNoteReducesItsLines(t *testing.T) {
	la, _ := time.LoadLocation("America/Los_Angeles")
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, la)
	next := jan.AddDate(1, 0, 0)
	mar := time.Date(2026, 3, 1, 12, 0, 0, 0, la)
	plan := paidBy(billedLine("il_plan", jan.Add(9*time.Hour), jan, next, 120000), "ch_year", 132000)
	cn := billedLine("cnli_1", mar, jan, next, -10000)
	cn.ObjectID = plan.ObjectID
	cn.Dimensions[DimensionRefund] = "re_cn"
	march := func(facts ...messages.MetricEvent) int64 {
		return MonthlyRecognition(facts, la, jan, jan.AddDate(0, 3, 0))[2].Billed
	}
	listed := refundFact("re_2", "ch_year", mar, 3, 11000)
	if got := march(plan, cn, refundFact("re_cn", "ch_year", mar, 3, 11000), listed); got != -10000-10000 {
		t.Errorf("credit note and a listed refund: March billed %d; want %d", got, -20000)
	}
	cum := refundFact("ch_year", "ch_year", mar, 11000, 11000)
	cum.Dimensions = nil
	if got := march(plan, cn, cum); got != -10000 {
		t.Errorf("credit note and the cumulative refund: March billed %d; want -10000 (the credit note alone)", got)
	}
}

// TestRefundOfAPaymentThatPaidNothingReducesNothing: a basil payment
// link of 0 to an invoice whose lines are not known gives a refund of
// that payment no invoice to split over (and no division by 0).
func TestRefundOfAPaymentThatPaidNothingReducesNothing(t *testing.T) {
	jan := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	plan := billedLine("il_plan", jan, time.Time{}, time.Time{}, 5000)
	re := withPI(refundFact("re_1", "ch_1", jan.AddDate(0, 0, 3), 3, 2000), "pi_1")
	facts := []messages.MetricEvent{plan, link("inpay_1", "in_unknown", "pi_1", "", jan, 0), re}
	if ms := MonthlyRecognition(facts, time.UTC, jan, jan.AddDate(0, 1, 0)); ms[0].Billed != 5000 {
		t.Errorf("January billed %d; want 5000 (the refund reduces nothing)", ms[0].Billed)
	}
}

// TestChunkCarryFillsEachChunkUpToTheLimit: a carry part is cut into
// chunks whose facts, as a JSON array's elements, take at most
// carryChunkBytes, each chunk as full as the next fact allows: two facts
// that fill a chunk to the byte share it, one byte more splits them; one
// fact larger than a chunk is a chunk of its own; an empty part is one
// empty chunk.
func TestChunkCarryFillsEachChunkUpToTheLimit(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fact := func(id string, size int) messages.MetricEvent {
		f := ev(id, messages.KindState, id, at, 1, 1)
		f.Dimensions = map[string]string{"pad": ""}
		n := len(mustJSON(t, f))
		f.Dimensions["pad"] = strings.Repeat("x", size-n)
		if got := len(mustJSON(t, f)); got != size {
			t.Fatalf("fact of %d bytes; want %d", got, size)
		}
		return f
	}
	chunks := func(fs ...messages.MetricEvent) []int {
		out, err := chunkCarry(Carry{Facts: fs})
		if err != nil {
			t.Fatal(err)
		}
		var n []int
		for _, doc := range out {
			var c Carry
			if err := json.Unmarshal(doc, &c); err != nil {
				t.Fatal(err)
			}
			n = append(n, len(c.Facts))
		}
		return n
	}
	a := fact("a", 1000)
	// a, a comma, then b: exactly carryChunkBytes.
	if got := chunks(a, fact("b", carryChunkBytes-1000-1)); !slices.Equal(got, []int{2}) {
		t.Errorf("two facts filling a chunk: chunks of %v; want [2]", got)
	}
	if got := chunks(a, fact("b", carryChunkBytes-1000)); !slices.Equal(got, []int{1, 1}) {
		t.Errorf("two facts a byte over: chunks of %v; want [1 1]", got)
	}
	if got := chunks(fact("big", carryChunkBytes+10)); !slices.Equal(got, []int{1}) {
		t.Errorf("one fact over the limit: chunks of %v; want [1]", got)
	}
	// Three facts of a third each: the commas push the third out.
	third := carryChunkBytes / 3
	if got := chunks(fact("x", third), fact("y", third), fact("z", third)); !slices.Equal(got, []int{2, 1}) {
		t.Errorf("three thirds: chunks of %v; want [2 1]", got)
	}
	if got := chunks(); !slices.Equal(got, []int{0}) {
		t.Errorf("empty part: chunks of %v; want one empty chunk", got)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPreferPartsCountsOnlyStatesAsParts: a charge's cumulative refund
// gives way to its refunds' states, never to an additive fact of the same
// charge.
func TestPreferPartsCountsOnlyStatesAsParts(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cum := ev("e_cum", messages.KindState, "ch_1", at, 1, 500)
	cum.ObjectID = "ch_1"
	add := ev("e_add", messages.KindAdditive, "fee_1", at, 0, 30)
	add.ObjectID = "ch_1"
	if got := PreferParts([]messages.MetricEvent{cum, add}); len(got) != 2 {
		t.Errorf("PreferParts = %+v; want both (an additive fact is no part)", got)
	}
	part := ev("e_re", messages.KindState, "re_1", at, 1, 200)
	part.ObjectID = "ch_1"
	if got := PreferParts([]messages.MetricEvent{cum, add, part}); len(got) != 2 || got[0].EventID != "e_add" || got[1].EventID != "e_re" {
		t.Errorf("PreferParts = %+v; want e_add and e_re", got)
	}
}

// sourceOnly is a Source that is not a WindowSource.
type sourceOnly struct{ Source }

// TestFindingsOfAPlainSourceAreThoseFromTheBoundaryOn: from a Source that
// cannot read a time range, the observations before from are dropped
// (the carry stands for them); with a zero from, none is.
func TestFindingsOfAPlainSourceAreThoseFromTheBoundaryOn(t *testing.T) {
	ctx := context.Background()
	mem := NewMemory()
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i, id := range []string{"e1", "e2", "e3"} {
		f := messages.Finding{Header: messages.Header{EventID: id, TenantID: "jada", OccurredAt: t0.Add(time.Duration(i) * time.Hour), Source: messages.SourceAWS}, FindingID: "waf:E1", Severity: messages.SeverityHigh, Status: messages.FindingOpen}
		if _, err := mem.PutFinding(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	src := sourceOnly{mem}
	ids := func(from time.Time) []string {
		fs, err := findingsBetween(ctx, src, "jada", from, t0.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range fs {
			out = append(out, f.EventID)
		}
		slices.Sort(out)
		return out
	}
	if got := ids(t0.Add(time.Hour)); !slices.Equal(got, []string{"e2", "e3"}) {
		t.Errorf("from the second hour: %v; want [e2 e3]", got)
	}
	if got := ids(time.Time{}); !slices.Equal(got, []string{"e1", "e2", "e3"}) {
		t.Errorf("zero from: %v; want all three", got)
	}
}

// TestReadPrefersARefundsPartsOverTheChargesCumulativeFigure: a read
// drops a charge's cumulative refund once its refunds are known, and
// only for revenue.refunded: another metric's whole-object state stays.
func TestReadPrefersARefundsPartsOverTheChargesCumulativeFigure(t *testing.T) {
	ctx := context.Background()
	mem := NewMemory()
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	state := func(id, metric, entity, object string, v int64) messages.MetricEvent {
		return messages.MetricEvent{Header: messages.Header{EventID: id, TenantID: "jada", OccurredAt: at, Source: messages.SourceStripe}, Metric: metric, Kind: messages.KindState, Entity: entity, ObjectID: object, Version: 1, Value: v, Currency: "USD"}
	}
	for _, f := range []messages.MetricEvent{
		state("e_cum", messages.MetricRevenueRefunded, "ch_1", "ch_1", 700),
		state("e_re", messages.MetricRevenueRefunded, "re_1", "ch_1", 700),
		state("e_sub", messages.MetricMRR, "sub_1", "sub_1", 4900),
		state("e_item", messages.MetricMRR, "si_1", "sub_1", 100),
	} {
		if _, err := mem.PutFact(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Read(ctx, mem, "jada", at.Add(time.Hour), []string{messages.MetricRevenueRefunded, messages.MetricMRR}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := TotalAt(s.Facts(messages.MetricRevenueRefunded), at.Add(time.Hour)); got != 700 {
		t.Errorf("refunded %d; want 700 (the refund once)", got)
	}
	if got := TotalAt(s.Facts(messages.MetricMRR), at.Add(time.Hour)); got != 4900+100 {
		t.Errorf("mrr %d; want %d (both states)", got, 4900+100)
	}
}

// TestFindingTiesAtOneInstantBreakByEventID: two observations of a
// finding at the same instant: the state is the greater event id's (in
// any order), the carry keeps the lesser as first seen and the greater
// as latest; a finding seen once is carried once; open findings of one
// severity are listed by finding id.
func TestFindingTiesAtOneInstantBreakByEventID(t *testing.T) {
	at := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	obs := func(id, finding, status string) messages.Finding {
		return messages.Finding{Header: messages.Header{EventID: id, TenantID: "jada", OccurredAt: at, Source: messages.SourceAWS}, FindingID: finding, Severity: messages.SeverityHigh, Status: status}
	}
	a, b := obs("e1", "waf:E1", messages.FindingOpen), obs("e2", "waf:E1", messages.FindingResolved)
	once := obs("e3", "s3:logs", messages.FindingOpen)
	other := obs("e4", "ttl:www", messages.FindingOpen)
	for _, in := range [][]messages.Finding{{a, b, once, other}, {other, once, b, a}} {
		st := FindingStates(in)
		if len(st) != 3 || st[0].FindingID != "s3:logs" || st[1].FindingID != "ttl:www" || st[2].EventID != "e2" {
			t.Errorf("FindingStates = %+v; want s3:logs, ttl:www (open, by id), then waf:E1 as e2 (resolved)", st)
		}
		var ids []string
		for _, f := range CarryFindings(in) {
			ids = append(ids, f.EventID)
		}
		slices.Sort(ids)
		if !slices.Equal(ids, []string{"e1", "e2", "e3", "e4"}) {
			t.Errorf("CarryFindings = %v; want e1 (first), e2 (latest), e3 and e4 once each", ids)
		}
	}
}

// TestCarryDatedKeepsTheGreaterEventIDOfOneInstant: two facts of one
// currency and type at the same instant: the carry of a period-dated
// metric keeps the greater event id only, as Latest does.
func TestCarryDatedKeepsTheGreaterEventIDOfOneInstant(t *testing.T) {
	at := time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC)
	x, y := ev("e_a", messages.KindState, "day_1", at, 1, 10), ev("e_b", messages.KindState, "day_2", at, 1, 20)
	for _, in := range [][]messages.MetricEvent{{x, y}, {y, x}} {
		if got := CarryDated(in, at.AddDate(0, 1, 0)); len(got) != 1 || got[0].EventID != "e_b" {
			t.Errorf("CarryDated = %+v; want e_b alone", got)
		}
	}
}

// TestMemoryCountsWritesAndItemsRead: Memory counts every put per
// partition, a redelivery too, and every item a read returns, carry parts
// included — the figures the spread and bounded-read tests compare.
func TestMemoryCountsWritesAndItemsRead(t *testing.T) {
	ctx := context.Background()
	mem := NewMemory()
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	f := messages.MetricEvent{Header: messages.Header{EventID: "e_1", TenantID: "jada", OccurredAt: at, Source: messages.SourceStripe}, Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: 100, Currency: "USD"}
	g := f
	g.EventID, g.OccurredAt = "e_2", at.Add(time.Minute)
	for _, e := range []messages.MetricEvent{f, f, g} {
		if _, err := mem.PutFact(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	var writes int
	for _, n := range mem.PartitionWrites("jada") {
		writes += n
	}
	if w := mem.PartitionWrites("jada"); writes != 3 || len(w) > 2 {
		t.Errorf("partition writes %v; want 3 puts (e_1 twice)", w)
	}
	fs, err := mem.Facts(ctx, "jada", messages.MetricRevenueGross, time.Time{}, at.Add(time.Hour))
	if err != nil || len(fs) != 2 || mem.ItemsRead() != 2 {
		t.Fatalf("read %d facts (%v), items read %d; want 2 and 2", len(fs), err, mem.ItemsRead())
	}
	boundary := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	if err := mem.StoreCarry(ctx, "jada", boundary, "e1", map[string]Carry{"F:a": {}, "F:b": {}}); err != nil {
		t.Fatal(err)
	}
	if c, _ := mem.LoadCarry(ctx, "jada", boundary, "e1"); len(c) != 2 || mem.ItemsRead() != 2+2 {
		t.Errorf("carry %v, items read %d; want 2 parts and 4 items", c, mem.ItemsRead())
	}
}
