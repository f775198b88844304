package report

import (
	"fmt"
	"image/color"
	"strings"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// mrrMonths is how many calendar months the movements table shows, ending
// with the report's.
const mrrMonths = 3

// movementKinds are ChartMogul's five MRR movements, in the order of its
// Chart Data table, with their chart colours.
var movementKinds = []struct {
	label string
	sign  int64 // +1 adds to MRR, -1 takes from it
	col   color.RGBA
	hex   string
	value func(readmodel.Movements) (int64, int)
}{
	{"New business", 1, palette[0], paletteHex[0], func(m readmodel.Movements) (int64, int) { return m.New, m.NewCustomers }},
	{"Expansion", 1, palette[2], paletteHex[2], func(m readmodel.Movements) (int64, int) { return m.Expansion, m.ExpansionCustomers }},
	{"Contraction", -1, palette[1], paletteHex[1], func(m readmodel.Movements) (int64, int) { return m.Contraction, m.ContractionCustomers }},
	{"Churn", -1, palette[3], paletteHex[3], func(m readmodel.Movements) (int64, int) { return m.Churn, m.ChurnedCustomers }},
	{"Reactivation", 1, palette[4], paletteHex[4], func(m readmodel.Movements) (int64, int) { return m.Reactivation, m.ReactivatedCustomers }},
}

// mrrMovements is the MRR movements table (one row per movement type, one
// column per month, each cell the amount and the customers behind it, as
// ChartMogul's Chart Data table shows them) and its chart, computed once
// for every role that shows them. Subscriptions whose MRR is unknown are
// named in the note, never counted as zero.
func (d *Data) mrrMovements() (*Table, *Chart) {
	cc := d.Tenant.Currency
	end := minTime(d.Period.End, d.AsOf)
	t := &Table{Title: "MRR movements", Head: []string{"Movement"}}
	if !d.Known(messages.MetricMRR) {
		t.Missing = srcStripe.missing(d)
		return t, nil
	}
	ms := months(end.Add(-time.Nanosecond), d.Loc, mrrMonths)
	facts, other := d.inCurrency(messages.MetricMRR)
	mv := readmodel.MonthlyMRRMovements(facts, d.Loc, ms[0].Start, end)
	t.Period = fmt.Sprintf("%s to %s, %s; per customer as ChartMogul counts them (customers in brackets)", ms[0].Short(), dateIn(end.Add(-time.Nanosecond), d.Loc), cc)
	for _, m := range mv {
		t.Head = append(t.Head, m.From.In(d.Loc).Format("Jan 2006"))
	}
	for _, k := range movementKinds {
		r := Row{Cells: []string{k.label}, Swatch: k.hex}
		for _, m := range mv {
			v, n := k.value(m)
			cell := money(v, cc)
			if k.sign < 0 && v != 0 {
				cell = deducted(v, cc)
			}
			r.Cells = append(r.Cells, fmt.Sprintf("%s (%d)", cell, n))
		}
		t.Rows = append(t.Rows, r)
	}
	var unknownMoved bool
	net, endRow := Row{Cells: []string{"Net new MRR"}}, Row{Cells: []string{"MRR at month end"}}
	for _, m := range mv {
		net.Cells = append(net.Cells, signedMoney(m.Net(), cc))
		endRow.Cells = append(endRow.Cells, money(m.End, cc))
		unknownMoved = unknownMoved || m.Unknown != 0
	}
	if unknownMoved {
		u := Row{Cells: []string{"Became unknown"}, Status: warn}
		for _, m := range mv {
			u.Cells = append(u.Cells, deducted(m.Unknown, cc))
		}
		t.Rows = append(t.Rows, u)
	}
	t.Rows = append(t.Rows, net, endRow)
	var notes []string
	// An item whose basil invoice line named its price by id only, which
	// nothing read (a tenant without a Stripe API key: a licensed item's
	// subscription says it is known, a metered item's usage stays
	// unknown), is said apart from a price shape Boardpack cannot value.
	var shapes, byID []string
	states := readmodel.StatesAt(facts, end)
	for _, s := range readmodel.UnknownMRR(facts, end) {
		if strings.HasSuffix(states[s].Dimensions[readmodel.DimensionMRRUnknown], readmodel.PriceByIDOnly) {
			byID = append(byID, s)
		} else {
			shapes = append(shapes, s)
		}
	}
	if len(shapes) > 0 {
		notes = append(notes, fmt.Sprintf("MRR unknown for %s (%s): a price shape Boardpack cannot value; not in these figures, not counted as zero.",
			plural(int64(len(shapes)), "subscription"), shownIDs(shapes)))
	}
	if len(byID) > 0 {
		notes = append(notes, fmt.Sprintf("MRR unknown for %s (%s): the invoice names the price by id only (Stripe API 2025-03-31.basil on), which Boardpack reads with the tenant's Stripe API key (stripe.api_key); not in these figures, not counted as zero.",
			plural(int64(len(byID)), "subscription item"), shownIDs(byID)))
	}
	if len(other) > 0 {
		notes = append(notes, "Subscriptions in "+joinAnd(other)+" are not in these figures (never summed across currencies).")
	}
	t.Note = strings.Join(notes, " ")
	return t, movementsChart("chart-mrr-movements", "MRR movements by month", mv, d.Loc, cc)
}

// shownIDs lists the first five ids and how many more there are.
func shownIDs(ids []string) string {
	shown := ids
	if len(shown) > 5 {
		shown = append(append([]string{}, shown[:5]...), fmt.Sprintf("and %d more", len(ids)-5))
	}
	return strings.Join(shown, ", ")
}

// movementsChart draws, per month, the movements that add MRR stacked up
// from the axis and those that take it away stacked down, in the table's
// colours.
func movementsChart(cid, title string, mv []readmodel.Movements, loc *time.Location, cc string) *Chart {
	// Drawn at 2x and shown at 1x, on a transparent background (the page's
	// colour, light or dark), like every chart.
	W, H := chartWidth*density, chartHeight*density
	img := newCanvas(W, H)
	var up, down int64 = 1, 0
	for _, m := range mv {
		up = max(up, m.New+m.Expansion+m.Reactivation)
		down = max(down, m.Contraction+m.Churn)
	}
	top, bottom, left, right := 8*density, H-8*density, 4*density, W-4*density
	scale := float64(bottom-top) / float64(up+down)
	zero := top + int(float64(up)*scale)
	if n := len(mv); n > 0 {
		slot := float64(right-left) / float64(n)
		gap := int(slot * 0.3)
		for i, m := range mv {
			x0 := left + int(float64(i)*slot) + gap/2
			x1 := max(left+int(float64(i+1)*slot)-gap/2, x0+1)
			yu, yd := zero, zero
			for _, k := range movementKinds {
				v, _ := k.value(m)
				h := int(float64(v) * scale)
				if k.sign > 0 {
					img.fill(x0, yu-h, x1, yu, k.col)
					yu -= h
				} else {
					img.fill(x0, yd, x1, yd+h, k.col)
					yd += h
				}
			}
		}
	}
	img.fill(left, zero, right, zero+density, colAxis)
	c := &Chart{CID: cid, Title: title, Width: chartWidth, Height: chartHeight, PNG: img.png()}
	var parts []string
	for _, m := range mv {
		parts = append(parts, fmt.Sprintf("%s net %s", m.From.In(loc).Format("Jan"), signedMoney(m.Net(), cc)))
	}
	c.Caption = strings.Join(parts, " · ") + " (up: new business, expansion, reactivation; down: contraction, churn)"
	c.Alt = title + ": " + c.Caption
	return c
}
