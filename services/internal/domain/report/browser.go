package report

import (
	"html"
	"regexp"
	"strings"
)

// ViewPlaceholder stands for the report's signed "View in browser" link in
// the rendered HTML and text until the mailer puts in the signed one
// (WithViewLink).
const ViewPlaceholder = "https://view.boardpack.invalid/"

var (
	viewAnchor = regexp.MustCompile(` · <a href="` + regexp.QuoteMeta(ViewPlaceholder) + `"[^>]*>View in browser</a>`)
	viewLine   = regexp.MustCompile(`(?m)^View in browser: ` + regexp.QuoteMeta(ViewPlaceholder) + `\n`)
)

// WithViewLink puts the report's signed view link in; with url "" (no
// stored view) the link is left out altogether. ViewLink keeps the link once it is in (a later WithViewLink("") finds no
// placeholder and changes nothing).
func (r Rendered) WithViewLink(url string) Rendered {
	if url == "" {
		r.HTML = viewAnchor.ReplaceAllString(r.HTML, "")
		r.Text = viewLine.ReplaceAllString(r.Text, "")
		return r
	}
	if strings.Contains(r.HTML, ViewPlaceholder) || strings.Contains(r.Text, ViewPlaceholder) {
		r.ViewLink = url
	}
	r.HTML = strings.ReplaceAll(r.HTML, ViewPlaceholder, html.EscapeString(url))
	r.Text = strings.ReplaceAll(r.Text, ViewPlaceholder, url)
	return r
}

// viewPrint is the browser view's print stylesheet: the page's width, no
// grey surround, no dark scheme, rows and charts kept whole.
const viewPrint = `<style>
@media screen { body { padding: 0 !important; } }
@media print {
  @page { margin: 15mm; }
  html, body, .outer, .page { background-color: #ffffff !important; color: #111827 !important; }
  .page { max-width: none !important; width: 100% !important; }
  .brand, .pad, .footer { padding-left: 0 !important; padding-right: 0 !important; }
  h1, h2, p, td, th, .kpi-value, .neutral { color: #111827 !important; }
  h2 { page-break-after: avoid; break-after: avoid; }
  tr, img, .kpi { page-break-inside: avoid; break-inside: avoid; }
  .chart { max-width: 100% !important; }
  a { color: #111827 !important; text-decoration: none !important; }
}
</style>
`

// ViewPage is the report as the browser view serves it: the email's own
// HTML, its charts inlined as data: URIs, the view link left out (the page
// is the view), the unsubscribe link pointing at the generic unsubscribe
// page of unsubscribeBase (never a recipient's token: anyone holding the
// view link may open it), and a print stylesheet. The HTML is already
// fluid up to 640 px (responsive) and keeps its dark scheme on screen.
func ViewPage(r Rendered, unsubscribeBase string) string {
	r = r.WithViewLink("")
	page := r.HTMLWithDataURIs()
	page = strings.ReplaceAll(page, UnsubscribePlaceholder, html.EscapeString(strings.TrimRight(unsubscribeBase, "/")+"/unsubscribe"))
	if i := strings.Index(page, "</head>"); i >= 0 {
		page = page[:i] + viewPrint + page[i:]
	}
	return page
}

// WithoutImages is r without its charts, their alt text in their place:
// for a browser view too large to store with them.
func (r Rendered) WithoutImages(note string) Rendered {
	for _, img := range r.Images {
		re := regexp.MustCompile(`<img[^>]*src="cid:` + regexp.QuoteMeta(img.ContentID) + `"[^>]*>`)
		r.HTML = re.ReplaceAllString(r.HTML, `<p class="note">`+html.EscapeString(note)+`</p>`)
	}
	r.Images = nil
	return r
}
