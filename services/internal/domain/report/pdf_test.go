package report

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/boardpack/boardpack/messages"
)

// pdfText extracts a PDF's text with poppler's pdftotext, the extractor
// most PDF viewers' "copy text" agrees with: a figure it reads is a figure
// a reader can find and copy.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext (poppler-utils) is not installed")
		}
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	path := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// pdfPageSize is the first page's size in points, read with pdfinfo.
func pdfInfo(t *testing.T, pdf []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdfinfo", path).Output()
	if err != nil {
		t.Fatalf("pdfinfo: %v", err)
	}
	return string(out)
}

// moneyFigure matches amounts ("$1,234.56", "−$20.00") and percentages
// ("12.5%").
var moneyFigure = regexp.MustCompile(`[−+-]?[$€£¥][0-9][0-9,]*(\.[0-9]+)?|[0-9]+(\.[0-9]+)? ?%`)

// visibleText is the text a reader of the HTML sees (no head, no hidden
// preheader, no alt attributes), whitespace collapsed: what the PDF must
// carry.
func visibleText(t *testing.T, doc string) string {
	t.Helper()
	root, err := html.Parse(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "head" || strings.Contains(attrOf(n, "style"), "display:none")) {
			return
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data + " ")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return strings.Join(strings.Fields(b.String()), " ")
}

func attrOf(n *html.Node, k string) string {
	for _, a := range n.Attr {
		if a.Key == k {
			return a.Val
		}
	}
	return ""
}

// TestPDFCarriesTheEmailsFigures: for every role, every money figure of
// the email's text part is in the PDF's extracted text, as the same
// string, the headings are there, and every page says "page X of Y".
func TestPDFCarriesTheEmailsFigures(t *testing.T) {
	tn := testTenant()
	src := fullData(tn.ID, fixtureEnd)
	for _, role := range messages.Roles {
		t.Run(role, func(t *testing.T) {
			r, err := Build(context.Background(), src, tn, monthDue(tn, role, 2026, time.October), fixtureNow)
			if err != nil {
				t.Fatal(err)
			}
			for _, paper := range []Paper{PaperA4, PaperLetter} {
				pdf, err := RenderPDF(r, PDFOptions{Paper: paper, Created: fixtureNow})
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
					t.Fatalf("not a PDF: %q", pdf[:min(16, len(pdf))])
				}
				text := pdfText(t, pdf)
				flat := strings.Join(strings.Fields(text), " ")
				figures := moneyFigure.FindAllString(visibleText(t, r.HTML), -1)
				if len(figures) < 5 {
					t.Fatalf("the text part has only %d money figures", len(figures))
				}
				for _, fig := range figures {
					if !strings.Contains(flat, fig) {
						t.Errorf("%s: figure %q of the email is not in the PDF text", paper, fig)
					}
				}
				for _, h := range regexp.MustCompile(`<h2[^>]*>([^<]+)</h2>`).FindAllStringSubmatch(r.HTML, -1) {
					if !strings.Contains(flat, strings.Join(strings.Fields(h[1]), " ")) {
						t.Errorf("%s: heading %q is not in the PDF", paper, h[1])
					}
				}
				pages := strings.Count(text, "\f")
				if pages < 2 {
					t.Errorf("%s: %d pages; a full report takes more than one", paper, pages)
				}
				for i := 1; i <= pages; i++ {
					want := "page " + strconv.Itoa(i) + " of " + strconv.Itoa(pages)
					if !strings.Contains(text, want) {
						t.Errorf("%s: %q missing", paper, want)
					}
				}
				if strings.Contains(flat, "Unsubscribe") || strings.Contains(text, "unsubscribe.boardpack.invalid") {
					t.Errorf("%s: the PDF carries the unsubscribe link", paper)
				}
				info := pdfInfo(t, pdf)
				wantSize := map[Paper]string{PaperA4: "595.28 x 841.89 pts (A4)", PaperLetter: "612 x 792 pts (letter)"}[paper]
				if !strings.Contains(info, wantSize) {
					t.Errorf("%s: page size: %s", paper, info)
				}
				if role == messages.RoleCEO && paper == PaperA4 && os.Getenv("BOARDPACK_PDF_OUT") != "" {
					_ = os.WriteFile(os.Getenv("BOARDPACK_PDF_OUT"), pdf, 0o644)
				}
			}
		})
	}
}

// TestPDFErrorsOnABrokenChart: a chart that is not a PNG fails the PDF with
// ErrPDF (the mailer then sends without it), and an unknown paper is
// refused.
func TestPDFErrorsOnABrokenChart(t *testing.T) {
	r := Rendered{Subject: "s", HTML: `<html><body><p>x</p><img src="cid:c1" width="600"></body></html>`, Images: []Image{{ContentID: "c1", PNG: []byte("not a png")}}}
	if _, err := RenderPDF(r, PDFOptions{}); !errors.Is(err, ErrPDF) {
		t.Errorf("broken chart: err = %v", err)
	}
	r.Images = nil
	if _, err := RenderPDF(r, PDFOptions{Paper: "A5"}); !errors.Is(err, ErrPDF) || !strings.Contains(err.Error(), "A5") {
		t.Errorf("paper A5: err = %v", err)
	}
	if pdf, err := RenderPDF(r, PDFOptions{}); err != nil || !strings.Contains(pdfText(t, pdf), "x") {
		t.Errorf("a chart the email lacks: %v", err)
	}
}

// TestPDFTextIsUTF8: the characters of the reports' figures outside
// cp1252 (minus sign, approximately, arrows, the swatch) come out of the
// PDF as themselves, and a long table wraps rather than running off the
// page.
func TestPDFTextIsUTF8(t *testing.T) {
	var rows strings.Builder
	for i := 0; i < 80; i++ {
		rows.WriteString(`<tr><td>Line ` + strconv.Itoa(i) + ` with a long description that has to wrap inside its column of the grid table</td><td style="text-align:right">−€1,234.5` + strconv.Itoa(i%10) + `</td></tr>`)
	}
	r := Rendered{Subject: "Ünïcode · test", HTML: `<html><body><h2>Totals ≈ ▲ ▼ ■ ≤ ≥ → ÷ × ¥ £</h2><p>Net −$20.00 · ≈ €5.00 – 87.5 %</p>` +
		`<table class="grid"><tr><th>Line</th><th>Amount</th></tr>` + rows.String() + `</table></body></html>`}
	pdf, err := RenderPDF(r, PDFOptions{})
	if err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, pdf)
	flat := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{"Totals ≈ ▲ ▼ ■ ≤ ≥ → ÷ × ¥ £", "Net −$20.00 · ≈ €5.00 – 87.5 %", "−€1,234.50", "−€1,234.59", "Line 79"} {
		if !strings.Contains(flat, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	if pages := strings.Count(text, "\f"); pages < 2 || !strings.Contains(text, "page 2 of "+strconv.Itoa(pages)) {
		t.Errorf("a long table on %d pages without page numbers", pages)
	}
	if strings.Count(flat, "Line Amount") < 2 {
		t.Error("the table's header row is not repeated on the next page")
	}
}
