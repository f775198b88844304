package premailer

import (
	"github.com/PuerkitoBio/goquery"
	"github.com/vanng822/css"
)

type styleRule struct {
	specificity *specificity
	selector    string
	styles      []*css.CSSStyleDeclaration
	// matcher is selector compiled (see compile).
	matcher goquery.Matcher
}
