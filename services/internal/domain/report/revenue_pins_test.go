package report

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// TestRecognisedAndWaterfallPinned: three invoice lines, each earned
// straight-line by day over its service period in Los Angeles: August's
// month ($31.00 over Aug 1–Sep 1), a 30-day line from Sep 15 ($30.00: 16
// days in September, 14 in October) and a 365-day line from Oct 1
// ($365.00: $1.00 a day). The waterfall shows "–" before a row's month.
func TestRecognisedAndWaterfallPinned(t *testing.T) {
	tn := quietTenant()
	loc := tn.Location()
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, loc) }
	p := newPinFacts(tn.ID)
	line := func(id string, from, to time.Time, v int64) {
		p.add(from.Add(9*time.Hour), messages.SourceStripe, messages.MetricRevenueBilled, messages.KindState, v, "USD", state(id, 1,
			dims(readmodel.DimensionPeriodStart, fmt.Sprint(from.Unix()), readmodel.DimensionPeriodEnd, fmt.Sprint(to.Unix()))))
	}
	line("il_aug", day(2026, 8, 1), day(2026, 9, 1), 3100)
	line("il_sep", day(2026, 9, 15), day(2026, 10, 15), 3000)
	line("il_oct", day(2026, 10, 1), day(2027, 10, 1), 36500)
	due := monthDue(tn, messages.RoleAccounting, 2026, time.October)
	d, err := load(context.Background(), p.source(), tn, due, due.PeriodEnd.Add(time.Hour), withAttention(analysts[messages.RoleAccounting].metrics), false)
	if err != nil {
		t.Fatal(err)
	}
	acc, wf := d.recognised(d.finance(d.Period), d.finance(d.Prev))
	wantAcc := "Billed (invoice lines and one-off charges, net of discounts, credit notes, refunds and disputed funds, excluding invoice tax) | $365.00 | $30.00\n" +
		"Recognised revenue | $45.00 | $16.00\n" +
		"Deferred revenue at period end | $334.00 | $14.00\n" +
		"Cash collected (charges captured − refunds) | $0.00 | $0.00\n" +
		"Tax collected (not revenue, net of refunds and credit notes) | $0.00 | $0.00"
	if g := rowsText(acc.Rows); g != wantAcc {
		t.Errorf("accrual:\n%s\nwant:\n%s", g, wantAcc)
	}
	wantWF := "Billed in | Billed | Rec. Aug | Rec. Sep | Rec. Oct | Deferred to later months\n" +
		"Aug 2026 | $31.00 | $31.00 | $0.00 | $0.00 | $0.00\n" +
		"Sep 2026 | $30.00 | – | $16.00 | $14.00 | $0.00\n" +
		"Oct 2026 | $365.00 | – | – | $31.00 | $334.00"
	if g := joinHead(wf.Head) + "\n" + rowsText(wf.Rows); g != wantWF {
		t.Errorf("waterfall:\n%s\nwant:\n%s", g, wantWF)
	}
	if w := "Aug 2026 to 31 Oct 2026, USD; what each month billed, when it is recognised"; wf.Period != w {
		t.Errorf("waterfall period %q", wf.Period)
	}
	if b, r, def := d.recognisedIn(d.Period); b != 36500 || r != 4500 || def != 33400 {
		t.Errorf("recognisedIn = %d, %d, %d; want 36,500, 4,500, 33,400", b, r, def)
	}
	if (finance{gross: Num{V: 900}, refunds: Num{V: 250}}).cashCollected() != 650 {
		t.Error("cash collected is gross less refunds")
	}
}

func joinHead(h []string) string { return rowsText([]Row{{Cells: h}}) }
