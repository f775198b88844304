package premailer

// This file is Boardpack's, not go-premailer's: the reports' stylesheet
// is the same for every report, so it is parsed, sorted and its selectors
// compiled once (per distinct set of style elements), not per report.
// Parsing and sorting it was a tenth of rendering a report.

import (
	"strings"
	"sync"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"github.com/vanng822/css"
	"golang.org/x/net/html"
)

// compiled is what a document's style elements come to: the rules to
// inline, most specific last, and the CSS left in a style element. It is
// never changed once made, so documents may share it.
type compiled struct {
	rules       []*styleRule
	hasLeftover bool
	leftoverCSS string
}

// maxCompiled bounds the cache: a document with style elements of its own
// is compiled every time once it is full.
const maxCompiled = 32

var (
	compiledMu    sync.Mutex
	compiledCache = map[string]*compiled{}
)

// compile returns the compiled form of the style elements' texts, in
// document order.
func compile(sheets []string) *compiled {
	key := strings.Join(sheets, "\x00") + "\x00" + string(rune('0'+min(len(sheets), 9)))
	compiledMu.Lock()
	c, ok := compiledCache[key]
	compiledMu.Unlock()
	if ok {
		return c
	}
	pr := &premailer{rules: make([]*styleRule, 0), leftover: make([]*css.CSSRule, 0)}
	for _, text := range sheets {
		pr.allRules = append(pr.allRules, css.Parse(text).GetCSSRuleList())
	}
	pr.sortRules()
	for _, r := range pr.rules {
		r.matcher = compileMatcher(r.selector)
	}
	c = &compiled{rules: pr.rules, hasLeftover: len(pr.leftover) > 0}
	if c.hasLeftover {
		c.leftoverCSS = pr.leftoverCSS()
	}
	compiledMu.Lock()
	if len(compiledCache) < maxCompiled {
		compiledCache[key] = c
	}
	compiledMu.Unlock()
	return c
}

// compileMatcher is goquery's Find's: a selector that does not compile
// matches nothing.
func compileMatcher(selector string) goquery.Matcher {
	s, err := cascadia.Compile(selector)
	if err != nil {
		return noMatch{}
	}
	return s
}

type noMatch struct{}

func (noMatch) Match(*html.Node) bool            { return false }
func (noMatch) MatchAll(*html.Node) []*html.Node { return nil }
func (noMatch) Filter([]*html.Node) []*html.Node { return nil }
