package report

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The PDF of a report is drawn from the report's own rendered HTML and its
// PNG charts (Rendered.HTML, Rendered.Images), not from the view model:
// every figure in the PDF is the very string of the email, and any report
// (every role, the portfolio reports, the data-health notice) gets a PDF
// without code of its own. The walker reads what the renderer wrote:
// headings, paragraphs, lists, the grid tables (class "grid"), the KPI
// tiles (inline blocks, laid out in columns), the charts by Content-ID, and
// the inline styles that go-premailer put on every element (font size,
// weight, colour, alignment, display:none).
//
// Text is set in the Go fonts (golang.org/x/image/font/gofont, BSD
// licence, shipped as a Go module): embedded as UTF-8 subsets, so "−",
// "€", "≈", "·" and "▲" come out as themselves and pdftotext reads the same
// strings as the email. The few characters they lack are mapped to a
// stand-in (pdfStandIns).
//
// The content box is 180 × 245 mm on every paper size: it fits A4 (210 ×
// 297) and US Letter (215.9 × 279.4) with margins of at least 15 mm, so the
// same report breaks into the same pages on both.

// Paper is a PDF's page size.
type Paper string

// The paper sizes a PDF is printed on.
const (
	PaperA4     Paper = "A4"
	PaperLetter Paper = "Letter"
)

const (
	pdfContentW = 180.0
	pdfContentH = 245.0
	pdfTop      = 15.0
	// pdfPxMM maps the email's CSS pixels to millimetres: the email's
	// content column (608 px: 640 less its padding) fills the content box.
	pdfPxMM = pdfContentW / 608
	// pdfPtPerPx maps CSS font pixels to points (14 px body text: 10 pt).
	pdfPtPerPx = 0.72
)

// pdfStandIns replaces the characters the Go fonts have no glyph for.
var pdfStandIns = strings.NewReplacer("✓", "√", "\u00a0", " ", "\u200b", "")

// ErrPDF marks a report whose PDF could not be drawn.
var ErrPDF = errors.New("pdf")

// PDFOptions choose the paper and the document's dates.
type PDFOptions struct {
	Paper Paper
	// Created is the document's creation date (the report's build time);
	// zero means now.
	Created time.Time
}

// RenderPDF draws r as a PDF (A4 unless o says otherwise), with "page X of
// Y" on every page.
func RenderPDF(r Rendered, o PDFOptions) (out []byte, err error) {
	defer func() {
		// fpdf reports most errors through Error(), a few by panicking
		// on input it cannot parse: neither may stop the email.
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("%w: %v", ErrPDF, p)
		}
	}()
	if o.Paper == "" {
		o.Paper = PaperA4
	}
	if o.Paper != PaperA4 && o.Paper != PaperLetter {
		return nil, fmt.Errorf("%w: unknown paper %q (A4 or Letter)", ErrPDF, o.Paper)
	}
	doc, err := html.Parse(strings.NewReader(r.HTML))
	if err != nil {
		return nil, fmt.Errorf("%w: parse html: %w", ErrPDF, err)
	}
	var w pdfWalker
	w.images = map[string][]byte{}
	for _, img := range r.Images {
		w.images[img.ContentID] = img.PNG
	}
	w.walk(doc, pdfStyle{size: 10, color: [3]int{17, 24, 39}})
	w.flush()

	f := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", SizeStr: string(o.Paper)})
	pw, _ := f.GetPageSize()
	left := (pw - pdfContentW) / 2
	f.SetMargins(left, pdfTop, left)
	f.SetAutoPageBreak(false, 0)
	f.AddUTF8FontFromBytes("go", "", goregular.TTF)
	f.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	f.SetTitle(r.Subject, true)
	f.SetCreator("Boardpack", true)
	f.SetProducer("Boardpack", true)
	f.SetLang("en")
	created := o.Created
	if created.IsZero() {
		created = time.Now()
	}
	f.SetCreationDate(created.UTC())
	f.SetModificationDate(created.UTC())
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(func() {
		f.SetFont("go", "", 8)
		f.SetTextColor(75, 85, 99)
		f.SetXY(left, pdfTop+pdfContentH+4)
		f.CellFormat(pdfContentW, 4, pdfStandIns.Replace(r.Subject), "", 0, "L", false, 0, "")
		f.SetXY(left, pdfTop+pdfContentH+8)
		f.CellFormat(pdfContentW, 4, fmt.Sprintf("page %d of {nb}", f.PageNo()), "", 0, "R", false, 0, "")
	})
	f.AddPage()
	p := &pdfPainter{f: f, left: left, bottom: pdfTop + pdfContentH}
	for _, b := range w.blocks {
		p.block(b)
		if f.Err() {
			break
		}
	}
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPDF, err)
	}
	return buf.Bytes(), nil
}

// pdfStyle is what the inline style of an element and its ancestors says.
type pdfStyle struct {
	size  float64 // points
	bold  bool
	color [3]int
	right bool
	rule  bool // border-bottom under a heading
}

// pdfRun is text in one style.
type pdfRun struct {
	text string
	st   pdfStyle
}

// pdfBlock is one thing on the page: a paragraph (runs), an image, or a
// table (rows of cells of runs).
type pdfBlock struct {
	runs    []pdfRun
	st      pdfStyle // the block's own style (alignment, heading rule)
	heading int
	img     []byte
	imgW    float64 // mm
	rows    [][]pdfCell
	grid    bool // a data table (rules between rows), not KPI tiles
	header  bool // the first row is a header, repeated after a page break
	bullet  bool
}

type pdfCell struct {
	runs   []pdfRun
	right  bool
	header bool
}

type pdfWalker struct {
	images map[string][]byte
	blocks []pdfBlock
	cur    []pdfRun
	curSt  pdfStyle
	// cell collects a table cell's runs instead of a paragraph's.
	cell *[]pdfRun
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, c string) bool {
	for _, f := range strings.Fields(attr(n, "class")) {
		if f == c {
			return true
		}
	}
	return false
}

// styled applies n's tag and inline style to st; hidden reports
// display:none.
func styled(n *html.Node, st pdfStyle) (pdfStyle, bool) {
	st.rule = false
	switch n.DataAtom {
	case atom.Strong, atom.B, atom.Th, atom.H1, atom.H2, atom.H3:
		st.bold = true
	}
	for _, decl := range strings.Split(attr(n, "style"), ";") {
		k, v, ok := strings.Cut(decl, ":")
		if !ok {
			continue
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.ToLower(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "!important")))
		v = strings.TrimSpace(v)
		switch k {
		case "display":
			if v == "none" {
				return st, true
			}
		case "font-size":
			if px, err := strconv.ParseFloat(strings.TrimSuffix(v, "px"), 64); err == nil && px > 0 {
				st.size = px * pdfPtPerPx
			}
		case "font-weight":
			st.bold = v == "bold" || v == "700" || v == "800" || v == "900"
		case "color":
			if c, ok := hexColour(v); ok {
				st.color = c
			}
		case "text-align":
			st.right = v == "right"
		case "border-bottom":
			st.rule = !strings.HasPrefix(v, "0") && v != "none"
		}
	}
	if attr(n, "align") == "right" {
		st.right = true
	}
	return st, false
}

func hexColour(v string) ([3]int, bool) {
	v = strings.TrimPrefix(v, "#")
	if len(v) == 3 {
		v = string([]byte{v[0], v[0], v[1], v[1], v[2], v[2]})
	}
	if len(v) != 6 {
		return [3]int{}, false
	}
	n, err := strconv.ParseUint(v, 16, 32)
	if err != nil {
		return [3]int{}, false
	}
	return [3]int{int(n >> 16 & 0xff), int(n >> 8 & 0xff), int(n & 0xff)}, true
}

func isBlock(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.H1, atom.H2, atom.H3, atom.H4, atom.Ul, atom.Ol, atom.Li, atom.Table, atom.Tr, atom.Td, atom.Th, atom.Tbody, atom.Thead, atom.Body, atom.Html:
		return true
	}
	return false
}

func (w *pdfWalker) text(s string, st pdfStyle) {
	s = pdfStandIns.Replace(s)
	// HTML whitespace collapses to one space, kept at either end: it
	// separates this text from its neighbours.
	var b strings.Builder
	space := false
	for _, c := range s {
		if unicode.IsSpace(c) {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(c)
	}
	if space {
		b.WriteByte(' ')
	}
	if b.Len() == 0 || (b.String() == " " && len(w.target()) == 0) {
		return
	}
	w.add(pdfRun{text: b.String(), st: st})
}

func (w *pdfWalker) target() []pdfRun {
	if w.cell != nil {
		return *w.cell
	}
	return w.cur
}

func (w *pdfWalker) add(r pdfRun) {
	if w.cell != nil {
		*w.cell = append(*w.cell, r)
		return
	}
	w.cur = append(w.cur, r)
}

// flush ends the paragraph being collected.
func (w *pdfWalker) flush() {
	if w.cell != nil {
		return
	}
	if blank(w.cur) {
		w.cur = nil
		return
	}
	w.blocks = append(w.blocks, pdfBlock{runs: w.cur, st: w.curSt})
	w.cur = nil
}

func blank(rs []pdfRun) bool {
	for _, r := range rs {
		if strings.TrimSpace(r.text) != "" {
			return false
		}
	}
	return true
}

func (w *pdfWalker) walk(n *html.Node, st pdfStyle) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data, st)
		return
	case html.ElementNode:
	case html.DocumentNode:
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			w.walk(c, st)
		}
		return
	default:
		return
	}
	switch n.DataAtom {
	case atom.Head, atom.Style, atom.Script, atom.Title:
		return
	}
	st, hidden := styled(n, st)
	if hidden {
		return
	}
	switch n.DataAtom {
	case atom.Br:
		w.add(pdfRun{text: "\n", st: st})
		return
	case atom.A:
		// The unsubscribe link is the recipient's and the view link is the
		// email's way to the page: neither means anything in a file.
		if href := attr(n, "href"); href == UnsubscribePlaceholder || href == ViewPlaceholder {
			return
		}
	case atom.Img:
		w.image(n)
		return
	case atom.Table:
		if w.cell == nil && (hasClass(n, "grid") || multiCell(n)) {
			w.flush()
			w.table(n, st, hasClass(n, "grid"))
			return
		}
	case atom.Div:
		if w.cell == nil && inlineBlocks(n) {
			w.flush()
			w.tiles(n, st)
			return
		}
	}
	block := isBlock(n.DataAtom)
	if block {
		w.flush()
		w.curSt = st
	}
	if n.DataAtom == atom.Li && w.cell == nil {
		w.add(pdfRun{text: "• ", st: st})
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c, st)
	}
	if block {
		if h := heading(n.DataAtom); h > 0 && w.cell == nil && !blank(w.cur) {
			w.blocks = append(w.blocks, pdfBlock{runs: w.cur, st: st, heading: h})
			w.cur = nil
			return
		}
		w.curSt = st
		w.flush()
	}
}

func heading(a atom.Atom) int {
	switch a {
	case atom.H1:
		return 1
	case atom.H2:
		return 2
	case atom.H3, atom.H4:
		return 3
	}
	return 0
}

func (w *pdfWalker) image(n *html.Node) {
	src := attr(n, "src")
	cid, ok := strings.CutPrefix(src, "cid:")
	data := w.images[cid]
	if !ok || data == nil {
		// An image the email does not carry: its alt text stands in.
		if alt := attr(n, "alt"); alt != "" {
			w.flush()
			w.blocks = append(w.blocks, pdfBlock{runs: []pdfRun{{text: "[" + alt + "]", st: pdfStyle{size: 8.5, color: [3]int{75, 85, 99}}}}})
		}
		return
	}
	width := 600.0
	if px, err := strconv.ParseFloat(attr(n, "width"), 64); err == nil && px > 0 {
		width = px
	}
	w.flush()
	w.blocks = append(w.blocks, pdfBlock{img: data, imgW: math.Min(width*pdfPxMM, pdfContentW)})
}

// cellRuns collects the inline content of n (a table cell or tile).
func (w *pdfWalker) cellRuns(n *html.Node, st pdfStyle) []pdfRun {
	var runs []pdfRun
	saved := w.cell
	w.cell = &runs
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c, st)
	}
	w.cell = saved
	return trimRuns(runs)
}

func trimRuns(rs []pdfRun) []pdfRun {
	for len(rs) > 0 && strings.TrimSpace(rs[0].text) == "" {
		rs = rs[1:]
	}
	for len(rs) > 0 && strings.TrimSpace(rs[len(rs)-1].text) == "" {
		rs = rs[:len(rs)-1]
	}
	return rs
}

// multiCell reports a layout table that sets cells side by side (a
// chart's axis labels), not one that only frames the page.
func multiCell(n *html.Node) bool {
	var cells func(*html.Node) bool
	cells = func(n *html.Node) bool {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.DataAtom == atom.Tr {
				k := 0
				for td := c.FirstChild; td != nil; td = td.NextSibling {
					if td.DataAtom == atom.Td || td.DataAtom == atom.Th {
						k++
					}
				}
				if k > 1 {
					return true
				}
			} else if c.DataAtom == atom.Tbody || c.DataAtom == atom.Thead {
				if cells(c) {
					return true
				}
			}
		}
		return false
	}
	return cells(n)
}

func (w *pdfWalker) table(n *html.Node, st pdfStyle, grid bool) {
	b := pdfBlock{grid: grid}
	var rows func(*html.Node)
	rows = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			if c.DataAtom != atom.Tr {
				rows(c)
				continue
			}
			rst, _ := styled(c, st)
			var row []pdfCell
			allHead := true
			for td := c.FirstChild; td != nil; td = td.NextSibling {
				if td.Type != html.ElementNode || (td.DataAtom != atom.Td && td.DataAtom != atom.Th) {
					continue
				}
				cst, hidden := styled(td, rst)
				if hidden {
					continue
				}
				if td.DataAtom != atom.Th {
					allHead = false
				}
				row = append(row, pdfCell{runs: w.cellRuns(td, cst), right: cst.right, header: td.DataAtom == atom.Th})
			}
			if len(row) == 0 {
				continue
			}
			if allHead && len(b.rows) == 0 {
				b.header = true
			}
			b.rows = append(b.rows, row)
		}
	}
	rows(n)
	if len(b.rows) > 0 {
		w.blocks = append(w.blocks, b)
	}
}

// inlineBlocks reports a container of inline-block tiles (the KPIs).
func inlineBlocks(n *html.Node) bool {
	found := false
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.TextNode && strings.TrimSpace(c.Data) == "":
		case c.Type == html.ElementNode && strings.Contains(strings.ReplaceAll(attr(c, "style"), " ", ""), "display:inline-block"):
			found = true
		default:
			return false
		}
	}
	return found
}

// tiles lays inline-block tiles out in as many columns as fit the email's
// column at their width.
func (w *pdfWalker) tiles(n *html.Node, st pdfStyle) {
	var cells []pdfCell
	cols := 1
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		cst, hidden := styled(c, st)
		if hidden {
			continue
		}
		if px, err := strconv.ParseFloat(attr(c, "width"), 64); err == nil && px > 0 {
			cols = max(cols, int(608/px))
		}
		cells = append(cells, pdfCell{runs: w.cellRuns(c, cst)})
	}
	b := pdfBlock{}
	for i := 0; i < len(cells); i += cols {
		row := cells[i:min(i+cols, len(cells))]
		for len(row) < cols {
			row = append(row, pdfCell{})
		}
		b.rows = append(b.rows, row)
	}
	if len(b.rows) > 0 {
		w.blocks = append(w.blocks, b)
	}
}

// pdfPainter puts blocks on pages.
type pdfPainter struct {
	f      *fpdf.Fpdf
	left   float64
	bottom float64
}

const pdfLeading = 1.3

func lineHeight(size float64) float64 { return size * pdfLeading * 25.4 / 72 }

// pdfWord is a word (with its trailing space) in one style, or a line
// break.
type pdfWord struct {
	text  string
	st    pdfStyle
	w     float64
	brk   bool
	space bool
}

func (p *pdfPainter) font(st pdfStyle) {
	style := ""
	if st.bold {
		style = "B"
	}
	p.f.SetFont("go", style, st.size)
	p.f.SetTextColor(st.color[0], st.color[1], st.color[2])
}

func (p *pdfPainter) words(runs []pdfRun) []pdfWord {
	var out []pdfWord
	for _, r := range runs {
		p.font(r.st)
		if r.text == "\n" {
			out = append(out, pdfWord{brk: true, st: r.st})
			continue
		}
		for i, part := range strings.Split(r.text, " ") {
			if i > 0 && (len(out) == 0 || !out[len(out)-1].space) {
				out = append(out, pdfWord{text: " ", st: r.st, w: p.f.GetStringWidth(" "), space: true})
			}
			if part != "" {
				out = append(out, pdfWord{text: part, st: r.st, w: p.f.GetStringWidth(part)})
			}
		}
	}
	return out
}

// pdfLine is one laid-out line: its words and height.
type pdfLine struct {
	words []pdfWord
	w, h  float64
}

// layout breaks words into lines of at most width mm; a word wider than a
// line is broken between characters.
func (p *pdfPainter) layout(words []pdfWord, width float64) []pdfLine {
	var lines []pdfLine
	var cur pdfLine
	end := func() {
		for len(cur.words) > 0 && cur.words[len(cur.words)-1].space {
			cur.w -= cur.words[len(cur.words)-1].w
			cur.words = cur.words[:len(cur.words)-1]
		}
		lines = append(lines, cur)
		cur = pdfLine{}
	}
	for _, wd := range words {
		h := lineHeight(wd.st.size)
		if wd.brk {
			cur.h = math.Max(cur.h, h)
			end()
			continue
		}
		if wd.space && len(cur.words) == 0 {
			continue
		}
		if cur.w+wd.w > width && len(cur.words) > 0 && !wd.space {
			end()
		}
		for wd.w > width && !wd.space {
			// Break an over-long word at the last rune that fits.
			p.font(wd.st)
			rs := []rune(wd.text)
			n := 1
			for n < len(rs) && p.f.GetStringWidth(string(rs[:n+1])) <= width {
				n++
			}
			head := pdfWord{text: string(rs[:n]), st: wd.st, w: p.f.GetStringWidth(string(rs[:n]))}
			cur.words, cur.w, cur.h = append(cur.words, head), cur.w+head.w, math.Max(cur.h, h)
			end()
			wd.text = string(rs[n:])
			wd.w = p.f.GetStringWidth(wd.text)
		}
		cur.words = append(cur.words, wd)
		cur.w += wd.w
		cur.h = math.Max(cur.h, h)
	}
	if len(cur.words) > 0 {
		end()
	}
	return lines
}

func height(lines []pdfLine) float64 {
	h := 0.0
	for _, l := range lines {
		h += l.h
	}
	return h
}

// draw writes lines from (x, y) in a box width wide.
func (p *pdfPainter) draw(lines []pdfLine, x, y, width float64, right bool) {
	for _, l := range lines {
		lx := x
		if right {
			lx = x + width - l.w
		}
		for _, wd := range l.words {
			if !wd.space {
				p.font(wd.st)
				// The baseline sits at 80% of the line's height.
				p.f.Text(lx, y+l.h*0.78, wd.text)
			}
			lx += wd.w
		}
		y += l.h
	}
}

func (p *pdfPainter) room(h float64) bool { return p.f.GetY()+h <= p.bottom }

func (p *pdfPainter) newPage() {
	p.f.AddPage()
	p.f.SetY(pdfTop)
}

func (p *pdfPainter) block(b pdfBlock) {
	switch {
	case b.img != nil:
		p.image(b)
	case b.rows != nil:
		p.table(b)
	default:
		p.paragraph(b)
	}
}

func (p *pdfPainter) paragraph(b pdfBlock) {
	lines := p.layout(p.words(b.runs), pdfContentW)
	h := height(lines)
	before, after := 0.0, 1.6
	switch b.heading {
	case 1:
		after = 1.5
	case 2:
		before, after = 4, 2.5
	}
	// A heading keeps its first line of content on its page.
	need := h
	if b.heading > 0 {
		need += 12
	}
	if p.f.GetY() > pdfTop && !p.room(before+need) {
		p.newPage()
		before = 0
	}
	y := p.f.GetY() + before
	if h > p.bottom-y {
		// A paragraph longer than the page: line by line.
		for _, l := range lines {
			if y+l.h > p.bottom {
				p.newPage()
				y = pdfTop
			}
			p.draw([]pdfLine{l}, p.left, y, pdfContentW, b.st.right)
			y += l.h
		}
		p.f.SetY(y + after)
		return
	}
	p.draw(lines, p.left, y, pdfContentW, b.st.right)
	y += h
	if b.heading == 2 || b.st.rule {
		p.f.SetDrawColor(229, 231, 235)
		p.f.SetLineWidth(0.3)
		p.f.Line(p.left, y+0.8, p.left+pdfContentW, y+0.8)
		y += 0.8
	}
	p.f.SetY(y + after)
}

func (p *pdfPainter) image(b pdfBlock) {
	flat, bounds, err := onWhite(b.img)
	if err != nil {
		p.f.SetError(fmt.Errorf("chart image: %w", err))
		return
	}
	b.img = flat
	w := b.imgW
	h := w * float64(bounds.Dy()) / float64(bounds.Dx())
	if !p.room(h + 1.5) {
		p.newPage()
	}
	name := fmt.Sprintf("img%d", len(b.img)) + strconv.FormatUint(uint64(crc(b.img)), 16)
	p.f.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(b.img))
	y := p.f.GetY()
	p.f.ImageOptions(name, p.left, y, w, h, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	p.f.SetY(y + h + 1.5)
}

// onWhite flattens a chart (drawn on a transparent background for the
// email's light and dark schemes) onto the paper's white: an opaque PNG,
// which every PDF reader and printer draws the same.
func onWhite(data []byte) ([]byte, image.Rectangle, error) {
	src, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, image.Rectangle{}, err
	}
	b := src.Bounds()
	if pm, ok := src.(*image.Paletted); ok && b.Min == (image.Point{}) && pm.Stride == b.Dx() {
		// The charts' own form (indexed, see canvas): flatten each
		// palette colour, not each pixel, exactly as draw.Draw flattens
		// that colour's pixels, and keep the indices.
		cv := &canvas{w: b.Dx(), h: b.Dy(), pix: pm.Pix, palette: make([]color.RGBA, len(pm.Palette))}
		one := image.Rect(0, 0, 1, 1)
		for i := range pm.Palette {
			px := image.NewRGBA(one)
			draw.Draw(px, one, image.White, image.Point{}, draw.Src)
			draw.Draw(px, one, &image.Paletted{Pix: []uint8{uint8(i)}, Stride: 1, Rect: one, Palette: pm.Palette}, image.Point{}, draw.Over)
			cv.palette[i] = px.RGBAAt(0, 0)
		}
		return cv.png(), b, nil
	}
	dst := image.NewRGBA(b)
	draw.Draw(dst, b, image.White, image.Point{}, draw.Src)
	draw.Draw(dst, b, src, b.Min, draw.Over)
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&out, dst); err != nil {
		return nil, b, err
	}
	return out.Bytes(), b, nil
}

func crc(b []byte) uint32 {
	var h uint32 = 2166136261
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}

const pdfCellPad = 1.0

// table lays a grid or tiles out in columns sized to their content, every
// row kept whole on a page, a header row repeated after a page break.
func (p *pdfPainter) table(b pdfBlock) {
	ncol := 0
	for _, r := range b.rows {
		ncol = max(ncol, len(r))
	}
	words := make([][][]pdfWord, len(b.rows))
	natural, minimum := make([]float64, ncol), make([]float64, ncol)
	for i, r := range b.rows {
		words[i] = make([][]pdfWord, len(r))
		for j, c := range r {
			ws := p.words(c.runs)
			words[i][j] = ws
			lineW, widest := 0.0, 0.0
			for _, wd := range ws {
				if wd.brk {
					lineW = 0
					continue
				}
				lineW += wd.w
				natural[j] = math.Max(natural[j], lineW)
				widest = math.Max(widest, wd.w)
			}
			minimum[j] = math.Max(minimum[j], math.Min(widest, pdfContentW/float64(ncol)*1.5))
		}
	}
	widths := columnWidths(natural, minimum, pdfContentW-2*pdfCellPad*float64(ncol), !b.grid)
	layoutRow := func(i int) ([][]pdfLine, float64) {
		cells := make([][]pdfLine, len(b.rows[i]))
		h := 0.0
		for j := range b.rows[i] {
			cells[j] = p.layout(words[i][j], widths[j])
			h = math.Max(h, height(cells[j]))
		}
		return cells, h + 2*pdfCellPad + 0.6
	}
	drawRow := func(i int, cells [][]pdfLine, h float64) {
		y := p.f.GetY()
		x := p.left
		for j, lines := range cells {
			p.draw(lines, x+pdfCellPad, y+pdfCellPad+0.3, widths[j], b.rows[i][j].right)
			x += widths[j] + 2*pdfCellPad
		}
		if b.grid {
			p.f.SetDrawColor(229, 231, 235)
			if b.header && i == 0 {
				p.f.SetDrawColor(209, 213, 219)
			}
			p.f.SetLineWidth(0.25)
			p.f.Line(p.left, y+h, p.left+pdfContentW, y+h)
		}
		p.f.SetY(y + h)
	}
	var head [][]pdfLine
	var headH float64
	if b.header {
		head, headH = layoutRow(0)
	}
	first := true
	for i := range b.rows {
		cells, h := layoutRow(i)
		need := h
		if first && b.header && i == 0 && len(b.rows) > 1 {
			_, h1 := layoutRow(1)
			need += h1
		}
		if !p.room(need) && p.f.GetY() > pdfTop {
			p.newPage()
			if b.header && i > 0 {
				drawRow(0, head, headH)
			}
		}
		drawRow(i, cells, h)
		first = false
	}
	p.f.SetY(p.f.GetY() + 2)
}

// columnWidths shares total among columns: each gets its natural width if
// all fit (the rest shared in proportion, as a 100%-wide HTML table does),
// else at least its widest word and the rest in proportion to what it
// lacks. even gives every column the same width (tiles).
func columnWidths(natural, minimum []float64, total float64, even bool) []float64 {
	n := len(natural)
	out := make([]float64, n)
	if even {
		for i := range out {
			out[i] = total / float64(n)
		}
		return out
	}
	sumN, sumM := 0.0, 0.0
	for i := range natural {
		natural[i] = math.Max(natural[i], 1)
		sumN += natural[i]
		sumM += minimum[i]
	}
	switch {
	case sumN <= total:
		for i := range out {
			out[i] = natural[i] + (total-sumN)*natural[i]/sumN
		}
	case sumM >= total:
		for i := range out {
			out[i] = total * math.Max(minimum[i], 1) / math.Max(sumM, 1)
		}
	default:
		lack := sumN - sumM
		for i := range out {
			out[i] = minimum[i] + (total-sumM)*(natural[i]-minimum[i])/lack
		}
	}
	return out
}
