package report

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"sync"
)

// canvas is a chart's pixels as indices into the few colours it uses.
// Every chart is drawn by filling rectangles with opaque-or-not colours
// that replace what is under them (never blended), so a chart never has
// more colours than it has fills, and an indexed PNG of it decodes to the
// same pixels as the full-colour one at a quarter to an eighth of the
// bytes to compress (and no per-row filter search), which made PNG
// encoding the largest single cost of rendering a report.
type canvas struct {
	w, h int
	// pix is one palette index per pixel, row by row; index 0 is the
	// transparent background.
	pix     []uint8
	palette []color.RGBA
}

func newCanvas(w, h int) *canvas {
	return &canvas{w: w, h: h, pix: make([]uint8, w*h), palette: []color.RGBA{{}}}
}

// index returns c's palette index, adding it if it is new.
func (cv *canvas) index(c color.RGBA) uint8 {
	for i, p := range cv.palette {
		if p == c {
			return uint8(i)
		}
	}
	if len(cv.palette) == 256 {
		panic("report: a chart uses more than 256 colours")
	}
	cv.palette = append(cv.palette, c)
	return uint8(len(cv.palette) - 1)
}

// fill sets the rectangle between (x0, y0) and (x1, y1) to c, clipped to
// the canvas: what draw.Draw with draw.Src and a uniform colour does to an
// *image.RGBA (image.Rect orders the corners).
func (cv *canvas) fill(x0, y0, x1, y1 int, c color.RGBA) {
	r := image.Rect(x0, y0, x1, y1).Intersect(image.Rect(0, 0, cv.w, cv.h))
	if r.Empty() {
		return
	}
	ci := cv.index(c)
	row := cv.pix[r.Min.Y*cv.w+r.Min.X : r.Min.Y*cv.w+r.Max.X]
	for i := range row {
		row[i] = ci
	}
	for y := r.Min.Y + 1; y < r.Max.Y; y++ {
		copy(cv.pix[y*cv.w+r.Min.X:y*cv.w+r.Max.X], row)
	}
}

// png encodes the canvas as an indexed PNG: 4 bits a pixel when it uses at
// most 16 colours, 8 otherwise; rows unfiltered (filters rarely help
// indexed images); compressed at zlib's best speed, like the charts
// always were.
func (cv *canvas) png() []byte {
	depth := 8
	if len(cv.palette) <= 16 {
		depth = 4
	}
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(cv.w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(cv.h))
	ihdr[8], ihdr[9] = byte(depth), 3 // bit depth, colour type 3: indexed
	writeChunk(&out, "IHDR", ihdr[:])

	// The palette as PNG stores it: not alpha-premultiplied, converted as
	// image/png converts an *image.RGBA's pixels.
	plte := make([]byte, 0, 3*len(cv.palette))
	trns := make([]byte, 0, len(cv.palette))
	lastAlpha := -1
	for i, c := range cv.palette {
		n := color.NRGBAModel.Convert(c).(color.NRGBA)
		plte = append(plte, n.R, n.G, n.B)
		trns = append(trns, n.A)
		if n.A != 0xff {
			lastAlpha = i
		}
	}
	writeChunk(&out, "PLTE", plte)
	if lastAlpha >= 0 {
		writeChunk(&out, "tRNS", trns[:lastAlpha+1])
	}

	var z bytes.Buffer
	zw := zlibWriters.Get().(*zlib.Writer)
	defer zlibWriters.Put(zw)
	zw.Reset(&z)
	rowLen := cv.w
	if depth == 4 {
		rowLen = (cv.w + 1) / 2
	}
	line := make([]byte, 1+rowLen) // filter type 0 (none), then the row
	for y := 0; y < cv.h; y++ {
		src := cv.pix[y*cv.w : (y+1)*cv.w]
		if depth == 8 {
			copy(line[1:], src)
		} else {
			dst := line[1:]
			for i := range dst {
				b := src[2*i] << 4
				if 2*i+1 < len(src) {
					b |= src[2*i+1]
				}
				dst[i] = b
			}
		}
		_, _ = zw.Write(line) // writing to a bytes.Buffer cannot fail
	}
	_ = zw.Close()
	writeChunk(&out, "IDAT", z.Bytes())
	writeChunk(&out, "IEND", nil)
	return out.Bytes()
}

// zlibWriters keeps compressors between charts: a new one allocates and
// clears several hundred KiB of tables.
var zlibWriters = sync.Pool{New: func() any {
	zw, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed) // a valid level cannot fail
	return zw
}}

func writeChunk(w *bytes.Buffer, name string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	w.Write(n[:])
	w.WriteString(name)
	w.Write(data)
	crc := crc32.NewIEEE()
	crc.Write([]byte(name))
	crc.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	w.Write(n[:])
}
