package report

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"sync"
	texttemplate "text/template"

	"github.com/boardpack/boardpack/messages"
	"github.com/vanng822/go-premailer/premailer"
)

//go:embed templates
var templateFS embed.FS

var funcs = map[string]any{
	"upper": strings.ToUpper,
	"inc":   func(i int) int { return i + 1 },
	"pad": func(s string, n int) string {
		if r := n - len([]rune(s)); r > 0 {
			return s + strings.Repeat(" ", r)
		}
		return s
	},
	"join":   strings.Join,
	"slice1": func(k KPI) []KPI { return []KPI{k} },
}

// One template set per role and format: each role's body is its own
// template, sharing only the layout and the partials. They are parsed on
// the first render, not at start: a service that links the report package
// and sends nothing yet (the mailer at idle) neither runs the parser nor
// keeps the trees.
type templateSets struct {
	html map[string]*htmltemplate.Template
	text map[string]*texttemplate.Template
}

var parsedTemplates = sync.OnceValues(parseTemplates)

func parseTemplates() (templateSets, error) {
	ts := templateSets{html: map[string]*htmltemplate.Template{}, text: map[string]*texttemplate.Template{}}
	add := func(name string, partials ...string) error {
		h, err := htmltemplate.New("layout.html").Funcs(funcs).ParseFS(templateFS, templateFiles("html", name, partials)...)
		if err != nil {
			return fmt.Errorf("parse %s html: %w", name, err)
		}
		t, err := texttemplate.New("layout.txt").Funcs(funcs).ParseFS(templateFS, templateFiles("txt", name, partials)...)
		if err != nil {
			return fmt.Errorf("parse %s text: %w", name, err)
		}
		ts.html[name], ts.text[name] = h, t
		return nil
	}
	for _, role := range messages.Roles {
		if err := add(role); err != nil {
			return ts, err
		}
		// Portfolio templates: the tenant layout and partials, then the
		// portfolio's partials (which redefine "attention" and "actions"
		// to name each business) and the role's body.
		if err := add("portfolio_"+role, "portfolio_partials"); err != nil {
			return ts, err
		}
	}
	return ts, nil
}

// templateFiles lists a set's files: the layout, the partials, extra
// partials, then the body.
func templateFiles(ext, name string, partials []string) []string {
	files := []string{"templates/layout." + ext, "templates/partials." + ext}
	for _, p := range partials {
		files = append(files, "templates/"+p+"."+ext)
	}
	return append(files, "templates/"+name+"."+ext)
}

// Render writes a view's email: subject, HTML with CSS inlined, text, and
// the charts as inline images.
func Render(v View) (Rendered, error) {
	h := v.header()
	if strings.ContainsAny(h.Subject, "\r\n") {
		return Rendered{}, fmt.Errorf("%w: subject contains a line break", ErrInvalid)
	}
	sets, err := parsedTemplates()
	if err != nil {
		return Rendered{}, err
	}
	hs, ok := sets.html[v.template()]
	if !ok {
		return Rendered{}, fmt.Errorf("%w: no template for %q", ErrInvalid, v.template())
	}
	var hb, tb bytes.Buffer
	if err := hs.Execute(&hb, v); err != nil {
		return Rendered{}, fmt.Errorf("render %s html: %w", v.template(), err)
	}
	if err := sets.text[v.template()].Execute(&tb, v); err != nil {
		return Rendered{}, fmt.Errorf("render %s text: %w", v.template(), err)
	}
	inlined, err := inlineCSS(hb.String())
	if err != nil {
		return Rendered{}, err
	}
	r := Rendered{Subject: h.Subject, HTML: inlined, Text: tidyText(tb.String()),
		Preheader: h.Preheader, Attention: h.Attention}
	for _, c := range h.Charts {
		r.Images = append(r.Images, Image{ContentID: c.CID, PNG: c.PNG})
	}
	return r, nil
}

// inlineCSS moves the stylesheet into style attributes: Gmail and Outlook
// drop or mangle <style> blocks.
func inlineCSS(doc string) (string, error) {
	p, err := premailer.NewPremailerFromString(doc, &premailer.Options{CssToAttributes: true})
	if err != nil {
		return "", fmt.Errorf("inline css: %w", err)
	}
	out, err := p.Transform()
	if err != nil {
		return "", fmt.Errorf("inline css: %w", err)
	}
	return out, nil
}

// tidyText trims trailing spaces and collapses runs of blank lines left by
// template actions.
func tidyText(s string) string {
	lines := strings.Split(s, "\n")
	var out []string
	blank := 0
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n")) + "\n"
}

// HTMLWithDataURIs returns the HTML with every cid: image replaced by a
// data: URI, for previews in a browser (mail clients resolve cid:).
func (r Rendered) HTMLWithDataURIs() string {
	html := r.HTML
	for _, img := range r.Images {
		html = strings.ReplaceAll(html, `"cid:`+img.ContentID+`"`, `"data:image/png;base64,`+b64(img.PNG)+`"`)
	}
	return html
}
