package tenants_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// portfolioFile is two tenants and a portfolio of them, with entry's lines
// spliced into the portfolio.
func portfolioFile(entry string) string {
	return `tenants:
  - {id: alpha, name: Alpha, timezone: UTC, currency: USD, stripe: {webhook_secrets: [whsec_x]}, email: {from: "A <a@example.com>"}}
  - {id: beta, name: Beta, timezone: UTC, currency: EUR, stripe: {webhook_secrets: [whsec_x]}, email: {from: "B <b@example.com>"}}
portfolios:
  - id: holding
    name: Holding
    timezone: America/Los_Angeles
    email: {from: "Holding <board@example.com>", reply_to: owner@example.com, bcc_audit: [audit@example.com]}
    recipients: {ceo: [ceo@example.com]}
    schedules: [{role: ceo, cron: "0 8 1 * *", period: previous_month}]
` + entry
}

var allow = tenants.Policy{AllowLiteralSecrets: true}

func parseWith(src string) (tenants.File, error) {
	f, err := tenants.DecodeForTest(strings.NewReader(src))
	if err != nil {
		return f, err
	}
	return f, f.ValidateWith(allow)
}

func TestPortfolioValid(t *testing.T) {
	f, err := parseWith(portfolioFile(`    members: [alpha, beta]
    fx: {currency: USD, rates: {"2026-11": {EUR: "1.0842"}}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Portfolios) != 1 || len(f.Portfolios[0].Members) != 2 || f.Portfolios[0].FX.Rates["2026-11"]["EUR"] != "1.0842" {
		t.Fatalf("parsed %+v", f.Portfolios)
	}
}

// TestPortfolioValidationNamesPortfolioAndField: each refusal names the
// portfolio and the field.
func TestPortfolioValidationNamesPortfolioAndField(t *testing.T) {
	cases := map[string]struct{ entry, want string }{
		"unknown member":    {"    members: [alpha, gamma]\n", `portfolio holding: members[1]: "gamma" is not a tenant of this file`},
		"duplicate member":  {"    members: [alpha, alpha]\n", `portfolio holding: members[1]: "alpha" is listed twice`},
		"no members":        {"    members: []\n", `portfolio holding: members: at least one tenant id is required`},
		"members absent":    {"", `portfolio holding: members: at least one tenant id is required`},
		"bad fx currency":   {"    members: [alpha]\n    fx: {currency: usd}\n", `portfolio holding: fx.currency: "usd" is not an ISO 4217 code`},
		"bad month key":     {"    members: [alpha]\n    fx: {currency: USD, rates: {\"2026-13\": {EUR: \"1.1\"}}}\n", `portfolio holding: fx.rates.2026-13: "2026-13" is not a month (YYYY-MM)`},
		"month key format":  {"    members: [alpha]\n    fx: {currency: USD, rates: {\"2026/11\": {EUR: \"1.1\"}}}\n", `portfolio holding: fx.rates.2026/11: "2026/11" is not a month`},
		"zero rate":         {"    members: [alpha]\n    fx: {currency: USD, rates: {\"2026-11\": {EUR: \"0.000\"}}}\n", `portfolio holding: fx.rates.2026-11.EUR: "0.000" is not a positive decimal rate`},
		"negative rate":     {"    members: [alpha]\n    fx: {currency: USD, rates: {\"2026-11\": {EUR: \"-1.1\"}}}\n", `portfolio holding: fx.rates.2026-11.EUR: "-1.1" is not a positive decimal rate`},
		"float-ish rate":    {"    members: [alpha]\n    fx: {currency: USD, rates: {\"2026-11\": {EUR: \"1e3\"}}}\n", `portfolio holding: fx.rates.2026-11.EUR: "1e3" is not a positive decimal rate`},
		"self rate":         {"    members: [alpha]\n    fx: {currency: USD, rates: {\"2026-11\": {USD: \"1\"}}}\n", `portfolio holding: fx.rates.2026-11.USD: a rate for the reporting currency USD itself`},
		"bad rate currency": {"    members: [alpha]\n    fx: {currency: USD, rates: {\"2026-11\": {XYZ: \"1.1\"}}}\n", `portfolio holding: fx.rates.2026-11.XYZ: "XYZ" is not an ISO 4217 code`},
		"attachments":       {"    members: [alpha]\n    email: {from: \"H <h@example.com>\", attachments: [pdf, docx]}\n", `portfolio holding: email.attachments[1]: "docx" is not one of pdf, csv`},
		"operator":          {"    members: [alpha]\n    email: {from: \"H <h@example.com>\", operator: not-an-address}\n", `portfolio holding: email.operator: "not-an-address" is not an email address`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			src := portfolioFile(c.entry)
			if strings.Contains(c.entry, "email:") {
				src = strings.Replace(src, `    email: {from: "Holding <board@example.com>", reply_to: owner@example.com, bcc_audit: [audit@example.com]}`+"\n", "", 1)
			}
			_, err := parseWith(src)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

// TestPortfolioFieldRefusals edits the parsed portfolio field by field, so
// the refusals of the fields the YAML fixture sets are covered too.
func TestPortfolioFieldRefusals(t *testing.T) {
	base, err := parseWith(portfolioFile("    members: [alpha, beta]\n"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		edit func(*tenants.File)
		want string
	}{
		"bad id":                {func(f *tenants.File) { f.Portfolios[0].ID = "Hold Ing" }, `portfolio Hold Ing: id: "Hold Ing" must be`},
		"no name":               {func(f *tenants.File) { f.Portfolios[0].Name = " " }, "portfolio holding: name: required"},
		"crlf name":             {func(f *tenants.File) { f.Portfolios[0].Name = "H\r\nBcc: x" }, "portfolio holding: name: must not contain line breaks"},
		"bad timezone":          {func(f *tenants.File) { f.Portfolios[0].Timezone = "Mars/Base" }, `portfolio holding: timezone: "Mars/Base" is not an IANA time zone`},
		"local timezone":        {func(f *tenants.File) { f.Portfolios[0].Timezone = "Local" }, `portfolio holding: timezone: "Local"`},
		"bad from":              {func(f *tenants.File) { f.Portfolios[0].Email.From = "board@example.com" }, `portfolio holding: email.from: "board@example.com" needs a display name`},
		"crlf from":             {func(f *tenants.File) { f.Portfolios[0].Email.From = "H <h@example.com>\r\nBcc: x@evil.example" }, "portfolio holding: email.from"},
		"bad reply_to":          {func(f *tenants.File) { f.Portfolios[0].Email.ReplyTo = "nope" }, `portfolio holding: email.reply_to: "nope" is not an email address`},
		"bad bcc":               {func(f *tenants.File) { f.Portfolios[0].Email.BCCAudit = []string{"ok@example.com", "x"} }, `portfolio holding: email.bcc_audit[1]: "x" is not an email address`},
		"unknown role":          {func(f *tenants.File) { f.Portfolios[0].Recipients["cxo"] = []string{"a@example.com"} }, "portfolio holding: recipients.cxo: unknown role"},
		"bad recipient":         {func(f *tenants.File) { f.Portfolios[0].Recipients["ceo"] = []string{"x"} }, `portfolio holding: recipients.ceo[0]: "x" is not an email address`},
		"bad schedule cron":     {func(f *tenants.File) { f.Portfolios[0].Schedules[0].Cron = "61 * * * *" }, `portfolio holding: schedules[0].cron: "61 * * * *" is not a valid cron expression`},
		"seconds field":         {func(f *tenants.File) { f.Portfolios[0].Schedules[0].Cron = "*/5 * * * * *" }, `portfolio holding: schedules[0].cron: "*/5 * * * * *" has a seconds field`},
		"bad schedule role":     {func(f *tenants.File) { f.Portfolios[0].Schedules[0].Role = "cxo" }, `portfolio holding: schedules[0].role: "cxo"`},
		"bad period":            {func(f *tenants.File) { f.Portfolios[0].Schedules[0].Period = "fortnight" }, `portfolio holding: schedules[0].period: "fortnight"`},
		"duplicate id":          {func(f *tenants.File) { f.Portfolios = append(f.Portfolios, f.Portfolios[0]) }, "portfolio holding: id: duplicate"},
		"clashes with tenant":   {func(f *tenants.File) { f.Portfolios[0].ID = "beta" }, "portfolio beta: id: the same as tenant beta's"},
		"tenant attachments":    {func(f *tenants.File) { f.Tenants[1].Email.Attachments = &[]string{"pdf", "pdf"} }, `tenant beta: email.attachments[1]: "pdf" is listed twice`},
		"tenant bad attachment": {func(f *tenants.File) { f.Tenants[0].Email.Attachments = &[]string{"xlsx"} }, `tenant alpha: email.attachments[0]: "xlsx" is not one of pdf, csv`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f := clone(t, base)
			c.edit(&f)
			err := f.ValidateWith(allow)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
}

// TestPortfolioErrorsAllAtOnce: every problem of every portfolio is
// reported in one go.
func TestPortfolioErrorsAllAtOnce(t *testing.T) {
	f, err := parseWith(portfolioFile("    members: [alpha, beta]\n"))
	if err != nil {
		t.Fatal(err)
	}
	f.Portfolios[0].Members = []string{"gamma"}
	f.Portfolios[0].Timezone = "Mars/Base"
	second := clone(t, f).Portfolios[0]
	second.ID, second.Members, second.Email.From = "group", nil, ""
	f.Portfolios = append(f.Portfolios, second)
	err = f.ValidateWith(allow)
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) != 5 {
		t.Fatalf("want 5 problems, got %v", err)
	}
	for _, want := range []string{"portfolio holding: members[0]", "portfolio holding: timezone", "portfolio group: members:", "portfolio group: email.from", "portfolio group: timezone"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
}

// TestAttachmentsAccepted: pdf, csv and the empty list (attachments off)
// are accepted; absent means both.
func TestAttachmentsAccepted(t *testing.T) {
	f, err := parseWith(portfolioFile("    members: [alpha]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, list := range [][]string{{}, {"pdf"}, {"csv", "pdf"}} {
		f.Tenants[0].Email.Attachments = &list
		f.Portfolios[0].Email.Attachments = &list
		if err := f.ValidateWith(allow); err != nil {
			t.Fatalf("%v: %v", list, err)
		}
	}
	if !(tenants.Email{}).Attaches(tenants.AttachmentPDF) {
		t.Fatal("absent attachments must mean every kind")
	}
	if (tenants.Email{Attachments: &[]string{}}).Attaches(tenants.AttachmentPDF) {
		t.Fatal("attachments: [] must turn the PDF off")
	}
}

func clone(t *testing.T, f tenants.File) tenants.File {
	t.Helper()
	var b strings.Builder
	if err := f.Encode(&b); err != nil {
		t.Fatal(err)
	}
	out, err := tenants.DecodeForTest(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return out
}
