package report

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"sort"
	"strings"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// Charts are PNG (never SVG, which Gmail and Outlook drop), drawn with the
// standard library only. They carry no text: their title, scale and
// legend are HTML beside them, so they stay readable with images off.
const (
	chartWidth  = 600
	chartHeight = 160
)

var (
	colBar     = color.RGBA{0x1f, 0x6f, 0xeb, 0xff}
	colAxis    = color.RGBA{0x99, 0x99, 0x99, 0xff}
	colGrid    = color.RGBA{0xe5, 0xe7, 0xeb, 0xff}
	colNeg     = color.RGBA{0xd1, 0x24, 0x2f, 0xff}
	colBg      = color.RGBA{0xff, 0xff, 0xff, 0xff}
	palette    = []color.RGBA{{0x1f, 0x6f, 0xeb, 0xff}, {0xf5, 0x9e, 0x0b, 0xff}, {0x10, 0xb9, 0x81, 0xff}, {0xd1, 0x24, 0x2f, 0xff}, {0x8b, 0x5c, 0xf6, 0xff}, {0x64, 0x74, 0x8b, 0xff}}
	paletteHex = []string{"#1f6feb", "#f59e0b", "#10b981", "#d1242f", "#8b5cf6", "#64748b"}
)

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

// trendChart draws one bar per point.
func trendChart(cid, title string, pts []point, format func(int64) string) *Chart {
	img := image.NewRGBA(image.Rect(0, 0, chartWidth, chartHeight))
	draw.Draw(img, img.Bounds(), &image.Uniform{colBg}, image.Point{}, draw.Src)
	var maxV, minV, sum int64
	maxAt := ""
	for _, p := range pts {
		if p.Value > maxV || maxAt == "" {
			maxV, maxAt = max(p.Value, maxV), p.Label
		}
		minV = min(minV, p.Value)
		sum += p.Value
	}
	top, bottom, left, right := 8, chartHeight-8, 4, chartWidth-4
	span := maxV - minV
	if span == 0 {
		span = 1
	}
	zero := bottom - int(float64(-minV)*float64(bottom-top)/float64(span))
	for i := 1; i <= 3; i++ {
		y := top + (bottom-top)*i/4
		fill(img, left, y, right, y+1, colGrid)
	}
	if n := len(pts); n > 0 {
		slot := float64(right-left) / float64(n)
		gap := int(slot * 0.2)
		for i, p := range pts {
			x0 := left + int(float64(i)*slot) + gap/2
			x1 := left + int(float64(i+1)*slot) - gap/2
			if x1 <= x0 {
				x1 = x0 + 1
			}
			h := int(float64(abs(p.Value)) * float64(bottom-top) / float64(span))
			if p.Value >= 0 {
				fill(img, x0, zero-h, x1, zero, colBar)
			} else {
				fill(img, x0, zero, x1, zero+h, colNeg)
			}
		}
	}
	fill(img, left, zero, right, zero+1, colAxis)
	c := &Chart{CID: cid, Title: title, Width: chartWidth, Height: chartHeight, PNG: encodePNG(img)}
	if len(pts) > 0 {
		c.Caption = fmt.Sprintf("%s to %s · total %s · highest %s on %s", pts[0].Label, pts[len(pts)-1].Label, format(sum), format(maxV), maxAt)
	}
	c.Alt = title + ": " + c.Caption
	return c
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
	img := image.NewRGBA(image.Rect(0, 0, chartWidth, h))
	draw.Draw(img, img.Bounds(), &image.Uniform{colBg}, image.Point{}, draw.Src)
	x := 0
	for i, s := range ss {
		w := int(float64(s.Value) * chartWidth / float64(max(sum, 1)))
		if i == len(ss)-1 {
			w = chartWidth - x
		}
		fill(img, x, 0, x+w, h, palette[i])
		x += w
	}
	if len(ss) == 0 {
		fill(img, 0, 0, chartWidth, h, colGrid)
	}
	c := &Chart{CID: cid, Title: title, Width: chartWidth, Height: h, PNG: encodePNG(img)}
	var labels []string
	for _, s := range ss {
		labels = append(labels, fmt.Sprintf("%s %s", s.Label, format(s.Value)))
	}
	c.Caption = "total " + format(sum)
	c.Alt = title + ": " + strings.Join(labels, ", ")
	return c, ss
}

func fill(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	draw.Draw(img, image.Rect(x0, y0, x1, y1), &image.Uniform{c}, image.Point{}, draw.Src)
}

func encodePNG(img image.Image) []byte {
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	_ = enc.Encode(&b, img) // writing to a bytes.Buffer cannot fail
	return b.Bytes()
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

var _ = time.Second
