package report

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/bojanz/currency"
)

// Header opens every role's email.
type Header struct {
	Subject    string
	TenantName string
	Role       string
	RoleTitle  string
	// Period is the report's period label; AsOf the moment its figures
	// describe, in the tenant's time zone.
	Period   string
	AsOf     string
	Timezone string
	ReportID string
	Currency string
	// Notes are caveats that apply to the whole report (currencies left
	// out, a period that has not ended).
	Notes []string
	// Charts holds the PNG images the view references, in order.
	Charts []*Chart
}

func (h *Header) header() *Header { return h }

// Missing says that a figure's source never delivered data, and how to
// add it.
type Missing struct {
	Source string
	HowTo  string
}

func (m *Missing) String() string { return "No " + m.Source + ": " + m.HowTo }

// KPI is a headline figure with its comparisons.
type KPI struct {
	Label    string
	Value    string
	Period   string
	Previous string
	Change   string
	Target   string
	// Status is good, bad, neutral or unknown (drives the colour).
	Status  string
	Note    string
	Missing *Missing
}

// Table is a titled grid of already formatted cells.
type Table struct {
	Title   string
	Period  string
	Head    []string
	Rows    []Row
	Note    string
	Missing *Missing
	// Empty is what to say when the source is known but has no rows.
	Empty string
}

// Row is one line of a Table; Status colours it (good, bad, warn, "").
type Row struct {
	Cells  []string
	Status string
	// Swatch is a chart colour key shown before the first cell ("#1f77b4").
	Swatch string
}

// Action is an item on an agenda.
type Action struct {
	Priority string
	Title    string
	Why      string
	By       string
}

// Check is a rule evaluated over the data.
type Check struct {
	Rule     string
	Result   string // PASS, FAIL or UNKNOWN
	Evidence string
}

// Chart is an inline image of the email.
type Chart struct {
	CID     string
	Title   string
	Alt     string
	Caption string
	Width   int
	Height  int
	PNG     []byte
}

// Statuses.
const (
	good    = "good"
	bad     = "bad"
	warn    = "warn"
	neutral = "neutral"
	unknown = "unknown"
)

var roleTitles = map[string]string{
	"ceo": "CEO", "cto": "CTO", "cfo": "CFO", "cmo": "CMO", "accounting": "Accounting",
}

func newHeader(d *Data, what string) Header {
	title := roleTitles[d.Due.Role]
	h := Header{
		TenantName: d.Tenant.Name,
		Role:       d.Due.Role,
		RoleTitle:  title,
		Period:     d.Period.Label(),
		AsOf:       d.AsOf.In(d.Loc).Format("2 Jan 2006 15:04 MST"),
		Timezone:   d.Tenant.Timezone,
		ReportID:   d.Due.ReportID,
		Currency:   d.Tenant.Currency,
	}
	h.Subject = fmt.Sprintf("%s · %s %s · %s", d.Tenant.Name, title, what, d.Period.Label())
	if d.AsOf.Before(d.Period.End) {
		h.Notes = append(h.Notes, fmt.Sprintf("The period has not ended: figures cover %s up to %s.",
			d.Period.Start.In(d.Loc).Format("2 Jan"), h.AsOf))
	}
	return h
}

// noteOther records currencies left out of a tenant-currency figure.
func (h *Header) noteOther(label string, n Num) {
	if len(n.Other) == 0 {
		return
	}
	h.Notes = append(h.Notes, fmt.Sprintf("%s: amounts in %s are not included (no conversion).", label, strings.Join(n.Other, ", ")))
}

var moneyFormatter = func() *currency.Formatter {
	f := currency.NewFormatter(currency.NewLocale("en"))
	return f
}()

// money formats minor units of code per the currency's digits and symbol.
func money(minor int64, code string) string {
	a, err := currency.NewAmountFromInt64(minor, code)
	if err != nil {
		return fmt.Sprintf("%d %s (minor units)", minor, code)
	}
	return moneyFormatter.Format(a)
}

// signedMoney shows a leading + for positive changes.
func signedMoney(minor int64, code string) string {
	s := money(minor, code)
	if minor > 0 {
		return "+" + s
	}
	return s
}

// deducted shows an amount taken off ("−$5.00"); a negative one is money
// given back ("+$5.00"), and zero has no sign: never "−-$5.00" or "−$0.00".
func deducted(minor int64, code string) string {
	switch {
	case minor > 0:
		return "−" + money(minor, code)
	case minor < 0:
		return "+" + money(-minor, code)
	}
	return money(0, code)
}

// count formats a whole number with thousands separators.
func count(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// pct formats num/den as a percentage with one decimal, or "n/a".
func pct(num, den int64) string {
	if den == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f %%", float64(num)*100/float64(den))
}

// change formats the relative change from prev to cur.
func change(cur, prev int64) string {
	if prev == 0 {
		if cur == 0 {
			return "no change"
		}
		return "new"
	}
	d := float64(cur-prev) * 100 / float64(abs(prev))
	return fmt.Sprintf("%+.1f %%", d)
}

func bytesIEC(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func dateIn(t time.Time, loc *time.Location) string { return t.In(loc).Format("2 Jan 2006") }

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func currencyDigits(code string) (uint8, error) {
	d, ok := currency.GetDigits(code)
	if !ok {
		return 0, fmt.Errorf("unknown currency %q", code)
	}
	return d, nil
}

// plural is "1 charge", "2 charges".
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return count(n) + " " + noun + "s"
}
