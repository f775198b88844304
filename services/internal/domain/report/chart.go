package report

import (
	"fmt"
	"image/color"
	"sort"
	"strings"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// Charts are PNG (never SVG, which Gmail and Outlook drop), drawn with the
// standard library only, at twice the pixels they are shown at (sharp on
// high-density screens) on a transparent background (they sit on the
// page's colour in light and dark mode alike). Their text (title, scale,
// axis ends, legend) is HTML beside the image, so it stays readable with
// images off, and the alt text carries the numbers.
const (
	chartWidth  = 600
	chartHeight = 160
	// density is the image's pixels per displayed pixel.
	density = 2
)

var (
	colBar     = color.RGBA{0x1f, 0x6f, 0xeb, 0xff}
	colPrev    = translucent(0x94, 0xa3, 0xb8, 0xb0) // the legend's #94a3b8
	colAxis    = color.RGBA{0x80, 0x80, 0x80, 0xff}
	colGrid    = translucent(0x80, 0x80, 0x80, 0x50)
	colNeg     = color.RGBA{0xd1, 0x24, 0x2f, 0xff}
	colTarget  = color.RGBA{0xf5, 0x9e, 0x0b, 0xff}
	palette    = []color.RGBA{{0x1f, 0x6f, 0xeb, 0xff}, {0xf5, 0x9e, 0x0b, 0xff}, {0x10, 0xb9, 0x81, 0xff}, {0xd1, 0x24, 0x2f, 0xff}, {0x8b, 0x5c, 0xf6, 0xff}, {0x64, 0x74, 0x8b, 0xff}}
	paletteHex = []string{"#1f6feb", "#f59e0b", "#10b981", "#d1242f", "#8b5cf6", "#64748b"}
)

// translucent is the colour (r, g, b) at opacity a, as color.RGBA holds
// it: alpha-premultiplied. Written as RGBA{0x94, 0xa3, 0xb8, 0xb0}, a
// blue above its alpha, the previous period's bars came out of the PNG
// yellow-green (#d7ed0b) beside a slate legend.
func translucent(r, g, b, a uint8) color.RGBA {
	return color.RGBAModel.Convert(color.NRGBA{R: r, G: g, B: b, A: a}).(color.RGBA)
}

// point is one bar of a trend.
type point struct {
	Label string
	Value int64
}

// daily sums an additive metric (tenant currency or count) per day of p.
func (d *Data) daily(metric string, p Period) []point {
	fs, _ := d.inCurrency(metric)
	end := minTime(p.End, d.AsOf)
	var out []point
	for _, dv := range readmodel.Daily(fs, d.Loc, p.Start, p.End) {
		if !dv.Day.Before(end) && len(out) > 0 {
			break
		}
		out = append(out, point{Label: dv.Day.Format("2 Jan"), Value: dv.Value})
	}
	return out
}

// trend is what a bar chart shows: the current period's points, the
// previous period's beside them, and a target per point.
type trendSpec struct {
	cid, title string
	pts        []point
	prev       []point
	prevLabel  string
	// target is each point's target (nil: none); targetLabel names it.
	target      []int64
	targetLabel string
	format      func(int64) string
}

// trendChart draws one bar per point.
func trendChart(cid, title string, pts []point, format func(int64) string) *Chart {
	return drawTrend(trendSpec{cid: cid, title: title, pts: pts, format: format})
}

func drawTrend(tr trendSpec) *Chart {
	W, H := chartWidth*density, chartHeight*density
	img := newCanvas(W, H)
	var maxV, minV, sum int64
	maxAt := ""
	consider := func(v int64) { maxV, minV = max(maxV, v), min(minV, v) }
	for _, p := range tr.pts {
		if p.Value > maxV || maxAt == "" {
			maxAt = p.Label
		}
		consider(p.Value)
		sum += p.Value
	}
	highest := maxV
	for _, p := range tr.prev {
		consider(p.Value)
	}
	for _, t := range tr.target {
		consider(t)
	}
	top, bottom, left, right := 4*density, H-2*density, 0, W
	span := niceCeil(maxV) - minV
	if span <= 0 {
		span = 1
	}
	scaleTop := minV + span
	y := func(v int64) int { return bottom - int(float64(v-minV)*float64(bottom-top)/float64(span)) }
	for i := 1; i <= 4; i++ {
		gy := top + (bottom-top)*(4-i)/4
		img.fill(left, gy, right, gy+density/2, colGrid)
	}
	zero := y(0)
	if n := len(tr.pts); n > 0 {
		slot := float64(right-left) / float64(n)
		gap := int(slot * 0.2)
		for i, p := range tr.pts {
			x0 := left + int(float64(i)*slot) + gap/2
			x1 := left + int(float64(i+1)*slot) - gap/2
			if x1 <= x0 {
				x1 = x0 + 1
			}
			cx0 := x0
			if len(tr.prev) > 0 {
				mid := (x0 + x1) / 2
				if i < len(tr.prev) {
					bar(img, x0, mid, zero, y(tr.prev[i].Value), colPrev)
				}
				cx0 = mid
			}
			c := colBar
			if p.Value < 0 {
				c = colNeg
			}
			bar(img, cx0, x1, zero, y(p.Value), c)
			if i < len(tr.target) {
				ty := y(tr.target[i])
				// A dashed line across the slot: the target or pace.
				for x := x0 - gap/2; x < x1+gap/2; x += 6 * density {
					img.fill(x, ty-density, min(x+4*density, x1+gap/2), ty+density, colTarget)
				}
			}
		}
	}
	img.fill(left, zero, right, zero+density, colAxis)
	c := &Chart{CID: tr.cid, Title: tr.title, Width: chartWidth, Height: chartHeight, PNG: img.png()}
	c.YTop, c.YBottom = tr.format(scaleTop), tr.format(minV)
	if len(tr.pts) > 0 {
		c.XStart, c.XEnd = tr.pts[0].Label, tr.pts[len(tr.pts)-1].Label
		c.Caption = fmt.Sprintf("total %s · highest %s on %s", tr.format(sum), tr.format(highest), maxAt)
	}

	if len(tr.prev) > 0 {
		var ps int64
		for _, p := range tr.prev {
			ps += p.Value
		}
		c.Legend = append(c.Legend, LegendItem{Colour: "#94a3b8", Label: "previous: " + tr.prevLabel + " (total " + tr.format(ps) + ")"})
		c.Caption += " · previous " + tr.prevLabel + " total " + tr.format(ps)
	}
	if len(tr.target) > 0 {
		c.Legend = append(c.Legend, LegendItem{Colour: "#f59e0b", Label: "– – " + tr.targetLabel})
	}
	c.Legend = append([]LegendItem{{Colour: "#1f6feb", Label: "current"}}, c.Legend...)
	// The alt text carries the numbers: every point when there are few,
	// the summary otherwise.
	var vals []string
	if len(tr.pts) <= 12 {
		for i, p := range tr.pts {
			v := p.Label + " " + tr.format(p.Value)
			if i < len(tr.target) {
				v += " (target " + tr.format(tr.target[i]) + ")"
			}
			vals = append(vals, v)
		}
	}
	c.Alt = tr.title + ": " + c.Caption
	if len(vals) > 0 {
		c.Alt = tr.title + ": " + strings.Join(vals, ", ")
	}
	if len(tr.target) > 0 && len(vals) == 0 {
		c.Alt += " · " + tr.targetLabel
	}

	return c
}

// bar fills a bar from the zero line to y.
func bar(img *canvas, x0, x1, zero, y int, c color.RGBA) {
	if y < zero {
		img.fill(x0, y, x1, zero, c)
	} else {
		img.fill(x0, zero, x1, y, c)
	}
}

// niceCeil rounds a scale's top up to 1, 2 or 5 times a power of ten.
func niceCeil(v int64) int64 {
	if v <= 0 {
		return 0
	}
	p := int64(1)
	for p*10 <= v {
		p *= 10
	}
	for _, m := range []int64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return v
}

// share is one part of a breakdown.
type share struct {
	Label string
	Value int64
}

// breakdownChart draws one stacked bar of the parts (largest first, the
// tail folded into "other"), and returns the legend rows in the same
// colours.
func breakdownChart(cid, title string, parts map[string]int64, format func(int64) string) (*Chart, []share) {
	var ss []share
	var sum int64
	for k, v := range parts {
		if v > 0 {
			ss = append(ss, share{k, v})
			sum += v
		}
	}
	sort.Slice(ss, func(i, j int) bool {
		if ss[i].Value != ss[j].Value {
			return ss[i].Value > ss[j].Value
		}
		return ss[i].Label < ss[j].Label
	})
	if len(ss) > len(palette) {
		var rest int64
		for _, s := range ss[len(palette)-1:] {
			rest += s.Value
		}
		ss = append(ss[:len(palette)-1], share{"other", rest})
	}
	const h = 40
	W := chartWidth * density
	img := newCanvas(W, h*density)
	x := 0
	for i, s := range ss {
		w := int(float64(s.Value) * float64(W) / float64(max(sum, 1)))
		if i == len(ss)-1 {
			w = W - x
		}
		img.fill(x, 0, x+w, h*density, palette[i])
		x += w
	}
	if len(ss) == 0 {
		img.fill(0, 0, W, h*density, colGrid)
	}
	c := &Chart{CID: cid, Title: title, Width: chartWidth, Height: h, PNG: img.png()}
	var labels []string
	for _, s := range ss {
		labels = append(labels, fmt.Sprintf("%s %s", s.Label, format(s.Value)))
	}
	c.Caption = "total " + format(sum)
	c.Alt = title + ": " + strings.Join(labels, ", ")
	return c, ss
}

var severityOrder = map[string]int{
	messages.SeverityCritical: 0, messages.SeverityHigh: 1, messages.SeverityMedium: 2,
	messages.SeverityLow: 3, messages.SeverityInfo: 4,
}

func sortSeverity(fs []Shortfall) {
	sort.SliceStable(fs, func(i, j int) bool { return severityOrder[fs[i].Severity] < severityOrder[fs[j].Severity] })
}

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// stackedTrend draws one stacked bar per period (oldest first), one
// colour per series (largest overall first; the tail folded into
// "other"), and returns the series in colour order.
func stackedTrend(cid, title string, labels []string, series map[string][]int64, format func(int64) string) (*Chart, []share) {
	totals := map[string]int64{}
	for k, vs := range series {
		for _, v := range vs {
			totals[k] += v
		}
	}
	var ss []share
	for k, v := range totals {
		if v > 0 {
			ss = append(ss, share{k, v})
		}
	}
	sort.Slice(ss, func(i, j int) bool {
		if ss[i].Value != ss[j].Value {
			return ss[i].Value > ss[j].Value
		}
		return ss[i].Label < ss[j].Label
	})
	rows := make([][]int64, len(ss))
	for i, s := range ss {
		rows[i] = series[s.Label]
	}
	if len(ss) > len(palette) {
		other := make([]int64, len(labels))
		var rest int64
		for i, s := range ss[len(palette)-1:] {
			rest += s.Value
			for m, v := range rows[len(palette)-1+i] {
				other[m] += v
			}
		}
		ss = append(ss[:len(palette)-1], share{"other", rest})
		rows = append(rows[:len(palette)-1], other)
	}
	W, H := chartWidth*density, chartHeight*density
	img := newCanvas(W, H)
	stack := make([]int64, len(labels))
	var maxV int64
	for m := range labels {
		for _, r := range rows {
			if m < len(r) {
				stack[m] += r[m]
			}
		}
		maxV = max(maxV, stack[m])
	}
	top, bottom := 4*density, H-2*density
	span := niceCeil(maxV)
	if span == 0 {
		span = 1
	}
	for i := 1; i <= 4; i++ {
		gy := top + (bottom-top)*(4-i)/4
		img.fill(0, gy, W, gy+density/2, colGrid)
	}
	if n := len(labels); n > 0 {
		slot := float64(W) / float64(n)
		gap := int(slot * 0.3)
		for m := range labels {
			x0, x1 := int(float64(m)*slot)+gap/2, int(float64(m+1)*slot)-gap/2
			base := int64(0)
			for i, r := range rows {
				if m >= len(r) || r[m] <= 0 {
					continue
				}
				y0 := bottom - int(float64(base)*float64(bottom-top)/float64(span))
				y1 := bottom - int(float64(base+r[m])*float64(bottom-top)/float64(span))
				img.fill(x0, y1, x1, y0, palette[i])
				base += r[m]
			}
		}
	}
	img.fill(0, bottom, W, bottom+density, colAxis)
	c := &Chart{CID: cid, Title: title, Width: chartWidth, Height: chartHeight, PNG: img.png(), YTop: format(span), YBottom: format(0)}
	if len(labels) > 0 {
		c.XStart, c.XEnd = labels[0], labels[len(labels)-1]
	}
	var vals []string
	for m, l := range labels {
		vals = append(vals, l+" "+format(stack[m]))
	}
	for i, s := range ss {
		c.Legend = append(c.Legend, LegendItem{Colour: paletteHex[i], Label: s.Label})
	}
	c.Caption = "total by month: " + strings.Join(vals, ", ")
	var parts []string
	for i, s := range ss {
		var per []string
		for m := range labels {
			if m < len(rows[i]) {
				per = append(per, format(rows[i][m]))
			}
		}
		parts = append(parts, s.Label+" "+strings.Join(per, " → "))
	}
	c.Alt = title + ": " + strings.Join(vals, ", ") + ". By service, " + labels[0] + " to " + labels[len(labels)-1] + ": " + strings.Join(parts, "; ")
	return c, ss
}
