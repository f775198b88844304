package report

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
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

// chartFill is one rectangle of a chart's expected picture, at 2x.
type chartFill struct {
	x0, y0, x1, y1 int
	c              color.RGBA
}

// picture is the PNG of a chartWidth×chartHeight chart at density made of
// fills, later ones over earlier ones, as image/png encodes it.
func picture(t *testing.T, fills []chartFill) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, chartWidth*density, chartHeight*density))
	for _, f := range fills {
		draw.Draw(img, image.Rect(f.x0, f.y0, f.x1, f.y1), &image.Uniform{f.c}, image.Point{}, draw.Src)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestMovementsChartPixels pins the movements chart's geometry. The
// 1200×320 image (600×160 at 2x) keeps 16 px above and below the bars and
// 8 px at each side: bars span rows 16 to 304 (288 px) and columns 8 to
// 1192 (1,184 px).
func TestMovementsChartPixels(t *testing.T) {
	newB, exp, contr, churn, react := palette[0], palette[2], palette[1], palette[3], palette[4]
	for _, tc := range []struct {
		name string
		mv   []readmodel.Movements
		want []chartFill
	}{
		{
			// The largest month up is August's $64.00 + $32.00 + $19.20 =
			// $115.20, down August's $25.60 + $43.52 = $69.12: 288 px for
			// 18,432 cents, 1 px per 64 cents; the axis sits 11,520/64 = 180
			// px under the top, at row 196. Three slots of 1,184/3 px each
			// lose 30 % (118 px) as a gap, 59 px each side: bars at columns
			// 67–343, 461–738 (8+394+59, 8+789−59) and 856–1133.
			name: "three months",
			mv: []readmodel.Movements{
				{New: 6400, Expansion: 3200, Reactivation: 1920, Contraction: 2560, Churn: 4352},
				{New: 3200, Reactivation: 640, Contraction: 1280},
				{New: 1280, Expansion: 1280, Churn: 640},
			},
			want: []chartFill{
				// August: new 100 px, expansion 50, reactivation 30 up from
				// the axis; contraction 40 and churn 68 down to the bottom.
				{67, 96, 343, 196, newB}, {67, 46, 343, 96, exp}, {67, 16, 343, 46, react},
				{67, 196, 343, 236, contr}, {67, 236, 343, 304, churn},
				// September: new 50, reactivation 10; contraction 20.
				{461, 146, 738, 196, newB}, {461, 136, 738, 146, react}, {461, 196, 738, 216, contr},
				// October: new 20, expansion 20; churn 10.
				{856, 176, 1133, 196, newB}, {856, 156, 1133, 176, exp}, {856, 196, 1133, 206, churn},
				// The axis, 2 px from the axis row down, over the bars.
				{8, 196, 1192, 198, colAxis},
			},
		},
		{
			// 2,368 months: slots of half a pixel and no gap, so a month's
			// bar would start where it ends; each is one pixel wide instead.
			// Every other month has $46.08 of new business (288 px at 16
			// cents a pixel, the full height: the axis at row 304), the
			// others nothing, and every column is still covered.
			name: "more months than pixels",
			mv: func() []readmodel.Movements {
				mv := make([]readmodel.Movements, 2368)
				for i := 0; i < len(mv); i += 2 {
					mv[i].New = 4608
				}
				return mv
			}(),
			want: []chartFill{{8, 16, 1192, 304, newB}, {8, 304, 1192, 306, colAxis}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := movementsChart("cid", "MRR", tc.mv, time.UTC, "USD")
			samePixels(t, c.PNG, picture(t, tc.want))
		})
	}
}
