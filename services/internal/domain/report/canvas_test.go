package report

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math/rand/v2"
	"testing"
)

// TestCanvasDecodesToTheFullColourPixels: a canvas filled with rectangles
// (some off its edges, some with their corners swapped, colours opaque,
// translucent and transparent, including the charts' own) decodes to the
// same pixels as the *image.RGBA the charts used to be drawn on, filled
// with draw.Draw and encoded by image/png: the indexed PNG changes the
// bytes, never the picture. Odd widths cover the 4-bit packing's last
// half byte; more than 16 colours cover the 8-bit form.
func TestCanvasDecodesToTheFullColourPixels(t *testing.T) {
	chartColours := append([]color.RGBA{colBar, colPrev, colAxis, colGrid, colNeg, colTarget, {}}, palette...)
	for _, tc := range []struct {
		name       string
		w, h       int
		fills      int
		extraHues  int
		wantIHDRBD byte
	}{
		{"chart colours, even width", 1200, 320, 60, 0, 4},
		{"chart colours, odd width", 37, 21, 40, 0, 4},
		{"one pixel", 1, 1, 3, 0, 4},
		{"more than 16 colours", 101, 33, 120, 40, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.w), uint64(tc.h)))
			colours := append([]color.RGBA(nil), chartColours...)
			for i := range tc.extraHues {
				a := uint8(rng.IntN(256))
				colours = append(colours, color.RGBA{uint8(i * 5), uint8(rng.IntN(256)), a / 2, a})
			}
			cv := newCanvas(tc.w, tc.h)
			ref := image.NewRGBA(image.Rect(0, 0, tc.w, tc.h))
			for range tc.fills {
				x0, x1 := rng.IntN(tc.w+20)-10, rng.IntN(tc.w+20)-10
				y0, y1 := rng.IntN(tc.h+20)-10, rng.IntN(tc.h+20)-10
				c := colours[rng.IntN(len(colours))]
				cv.fill(x0, y0, x1, y1, c)
				draw.Draw(ref, image.Rect(x0, y0, x1, y1), &image.Uniform{c}, image.Point{}, draw.Src)
			}
			got := cv.png()
			if bd := got[24]; bd != tc.wantIHDRBD { // IHDR's bit depth
				t.Errorf("bit depth %d, want %d", bd, tc.wantIHDRBD)
			}
			var want bytes.Buffer
			if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&want, ref); err != nil {
				t.Fatal(err)
			}
			samePixels(t, got, want.Bytes())
		})
	}
}

// TestCanvasFillClipsAndReplaces: a fill replaces what is under it (no
// blending) and stops at the canvas's edges.
func TestCanvasFillClipsAndReplaces(t *testing.T) {
	cv := newCanvas(4, 3)
	cv.fill(-5, -5, 2, 2, colBar)
	cv.fill(3, 1, 1, 9, colGrid) // corners swapped, past the bottom edge
	want := []color.RGBA{
		colBar, colBar, {}, {},
		colBar, colGrid, colGrid, {},
		{}, colGrid, colGrid, {},
	}
	for i, w := range want {
		if got := cv.palette[cv.pix[i]]; got != w {
			t.Errorf("pixel (%d,%d) = %v, want %v", i%4, i/4, got, w)
		}
	}
}

func samePixels(t *testing.T, got, want []byte) {
	t.Helper()
	g, err := png.Decode(bytes.NewReader(got))
	if err != nil {
		t.Fatalf("decode the canvas's PNG: %v", err)
	}
	w, err := png.Decode(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	if g.Bounds() != w.Bounds() {
		t.Fatalf("bounds %v, want %v", g.Bounds(), w.Bounds())
	}
	b := w.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			gc := color.NRGBAModel.Convert(g.At(x, y))
			wc := color.NRGBAModel.Convert(w.At(x, y))
			if gc != wc {
				t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, gc, wc)
			}
		}
	}
}

// TestCanvasBitDepth: 16 colours (the background among them) fit 4 bits a
// pixel, the 17th needs 8; both decode to their pixels.
func TestCanvasBitDepth(t *testing.T) {
	for _, tc := range []struct {
		colours int
		depth   byte
	}{{16, 4}, {17, 8}} {
		cv := newCanvas(tc.colours, 2)
		ref := image.NewRGBA(image.Rect(0, 0, tc.colours, 2))
		for i := 1; i < tc.colours; i++ {
			c := color.RGBA{uint8(i * 10), 0x40, 0x80, 0xff}
			cv.fill(i, 0, i+1, 2, c)
			draw.Draw(ref, image.Rect(i, 0, i+1, 2), &image.Uniform{c}, image.Point{}, draw.Src)
		}
		if len(cv.palette) != tc.colours {
			t.Fatalf("%d palette entries, want %d", len(cv.palette), tc.colours)
		}
		got := cv.png()
		if got[24] != tc.depth {
			t.Errorf("%d colours: bit depth %d, want %d", tc.colours, got[24], tc.depth)
		}
		var want bytes.Buffer
		if err := png.Encode(&want, ref); err != nil {
			t.Fatal(err)
		}
		samePixels(t, got, want.Bytes())
	}
}

// TestChartBarsAreTheirLegendColours: every legend swatch's colour is
// drawn in the chart, as the PNG decodes it (a viewer composes the
// unpremultiplied palette entry over the page). The previous period's
// bars were stored as a non-premultiplied colour in a premultiplied type
// and decoded as #d7ed0b beside a #94a3b8 swatch. Every chart colour is a
// valid premultiplied colour: no channel above its alpha.
func TestChartBarsAreTheirLegendColours(t *testing.T) {
	pts := []point{{"1 Oct", 500}, {"2 Oct", 900}, {"3 Oct", 300}}
	prev := []point{{"1 Sep", 700}, {"2 Sep", 400}, {"3 Sep", 800}}
	c := drawTrend(trendSpec{cid: "t", title: "t", pts: pts, prev: prev, prevLabel: "Sep 2026",
		target: []int64{600, 600, 600}, targetLabel: "target", format: func(v int64) string { return fmt.Sprint(v) }})
	img, err := png.Decode(bytes.NewReader(c.PNG))
	if err != nil {
		t.Fatal(err)
	}
	// #rrggbb -> alpha of every pixel. A translucent colour stored
	// premultiplied in 8 bits comes back within 1 per channel.
	drawn := map[string]uint8{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			n := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			if n.A != 0 {
				drawn[fmt.Sprintf("#%02x%02x%02x", n.R, n.G, n.B)] = n.A
			}
		}
	}
	if len(c.Legend) != 3 {
		t.Fatalf("legend %v, want current, previous and target", c.Legend)
	}
	for _, l := range c.Legend {
		if _, ok := near(drawn, l.Colour); !ok {
			t.Errorf("legend %q is %s, which the chart never draws (it draws %v)", l.Label, l.Colour, drawn)
		}
	}
	if a, _ := near(drawn, "#94a3b8"); a != 0xb0 {
		t.Errorf("previous bars' opacity %#x, want 0xb0", a)
	}
	for _, col := range append([]color.RGBA{colBar, colPrev, colAxis, colGrid, colNeg, colTarget}, palette...) {
		if col.R > col.A || col.G > col.A || col.B > col.A {
			t.Errorf("%v is not alpha-premultiplied", col)
		}
	}
}

// near finds a drawn colour within 1 per channel of hex.
func near(drawn map[string]uint8, hex string) (uint8, bool) {
	var r, g, b int64
	fmt.Sscanf(hex, "#%02x%02x%02x", &r, &g, &b)
	for h, a := range drawn {
		var r2, g2, b2 int64
		fmt.Sscanf(h, "#%02x%02x%02x", &r2, &g2, &b2)
		if abs(r-r2) <= 1 && abs(g-g2) <= 1 && abs(b-b2) <= 1 {
			return a, true
		}
	}
	return 0, false
}
