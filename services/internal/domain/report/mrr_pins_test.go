package report

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// TestMRRMovementsUnknownAndOtherCurrencies: a subscription whose MRR
// becomes unknown leaves the figures on its own row (not as churn); more
// than five unknown subscriptions are named five and "and N more"; a
// subscription in another currency is named, not added.
func TestMRRMovementsUnknownAndOtherCurrencies(t *testing.T) {
	tn := quietTenant()
	loc := tn.Location()
	at := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 9, 0, 0, 0, loc) }
	p := newPinFacts(tn.ID)
	sub := func(when time.Time, id, cust string, v int64, cc string, unknown bool) {
		kv := []string{readmodel.DimensionCustomer, cust}
		if unknown {
			kv = append(kv, readmodel.DimensionMRRUnknown, "per_outcome")
		}
		p.add(when, messages.SourceStripe, messages.MetricMRR, messages.KindState, v, cc, state(id, when.Unix(), dims(kv...)))
	}
	sub(at(time.August, 5), "sub_a", "cus_a", 10000, "USD", false)
	sub(at(time.September, 10), "sub_b", "cus_b", 5000, "USD", false)
	sub(at(time.September, 20), "sub_a", "cus_a", 0, "USD", true)
	for i := 0; i < 6; i++ {
		sub(at(time.October, 3+i), fmt.Sprintf("sub_u%d", i), fmt.Sprintf("cus_u%d", i), 0, "USD", true)
	}
	sub(at(time.October, 12), "sub_b", "cus_b", 3000, "USD", false) // a downgrade
	sub(at(time.October, 4), "sub_eur", "cus_eur", 9900, "EUR", false)
	due := monthDue(tn, messages.RoleCEO, 2026, time.October)
	d, err := load(context.Background(), p.source(), tn, due, due.PeriodEnd.Add(time.Hour), withAttention([]string{messages.MetricMRR}), false)
	if err != nil {
		t.Fatal(err)
	}
	tab, chart := d.mrrMovements()
	want := strings.Join([]string{
		"Movement | Aug 2026 | Sep 2026 | Oct 2026",
		"New business | $100.00 (1) | $50.00 (1) | $0.00 (0)",
		"Expansion | $0.00 (0) | $0.00 (0) | $0.00 (0)",
		"Contraction | $0.00 (0) | $0.00 (0) | −$20.00 (1)",
		"Churn | $0.00 (0) | $0.00 (0) | $0.00 (0)",
		"Reactivation | $0.00 (0) | $0.00 (0) | $0.00 (0)",
		// sub_a's $100.00 leaves the figures in September as unknown, not
		// as churn; the net new MRR is the movements' (readmodel.Movements).
		"Became unknown | $0.00 | −$100.00 | $0.00",
		"Net new MRR | +$100.00 | +$50.00 | −$20.00",
		"MRR at month end | $100.00 | $50.00 | $30.00",
	}, "\n")
	if g := strings.Join(tab.Head, " | ") + "\n" + rowsText(tab.Rows); g != want {
		t.Errorf("movements:\n%s\nwant:\n%s", g, want)
	}
	if w := "MRR unknown for 7 subscriptions (sub_a, sub_u0, sub_u1, sub_u2, sub_u3, and 2 more): a price shape Boardpack cannot value; not in these figures, not counted as zero. Subscriptions in EUR are not in these figures (never summed across currencies)."; tab.Note != w {
		t.Errorf("note %q\nwant %q", tab.Note, w)
	}
	if w := "Aug net +$100.00 · Sep net +$50.00 · Oct net −$20.00 (up: new business, expansion, reactivation; down: contraction, churn)"; chart.Caption != w {
		t.Errorf("caption %q", chart.Caption)
	}
	if w := "Aug 2026 to 31 Oct 2026, USD; per customer as ChartMogul counts them (customers in brackets)"; tab.Period != w {
		t.Errorf("period %q, want %q", tab.Period, w)
	}
	// Five unknown are named all; none makes no note.
	if g := mrrNoteFor(t, 5); !strings.Contains(g, "(sub_u0, sub_u1, sub_u2, sub_u3, sub_u4):") {
		t.Errorf("five unknown: %q", g)
	}
	if g := mrrNoteFor(t, 0); g != "" {
		t.Errorf("none unknown: note %q", g)
	}
}

func mrrNoteFor(t *testing.T, unknown int) string {
	t.Helper()
	tn := quietTenant()
	p := newPinFacts(tn.ID)
	at := time.Date(2026, 10, 2, 9, 0, 0, 0, tn.Location())
	p.add(at, messages.SourceStripe, messages.MetricMRR, messages.KindState, 1000, "USD", state("sub_k", 1, dims(readmodel.DimensionCustomer, "cus_k")))
	for i := 0; i < unknown; i++ {
		p.add(at, messages.SourceStripe, messages.MetricMRR, messages.KindState, 0, "USD", state(fmt.Sprintf("sub_u%d", i), 1, dims(readmodel.DimensionCustomer, "cus_u", readmodel.DimensionMRRUnknown, "x")))
	}
	due := monthDue(tn, messages.RoleCEO, 2026, time.October)
	d, err := load(context.Background(), p.source(), tn, due, due.PeriodEnd, []string{messages.MetricMRR}, false)
	if err != nil {
		t.Fatal(err)
	}
	tab, _ := d.mrrMovements()
	return tab.Note
}
