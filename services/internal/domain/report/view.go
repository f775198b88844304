package report

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/bojanz/currency"

	"github.com/boardpack/boardpack/services/internal/domain/attention"
)

// Header opens every role's email.
type Header struct {
	Subject string
	// Preheader is the inbox preview line: the most pressing item.
	Preheader  string
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
	// Attention is what needs attention first, ranked (at most five);
	// AttentionNone the line shown when nothing crossed a threshold.
	Attention     []attention.Item
	AttentionNone string
	// NoData: no source ever delivered anything; the email is a short
	// note naming MissingSources.
	NoData         bool
	MissingSources []string
	// Covers names the businesses a portfolio's report covers (empty for a
	// tenant's), so even its no-data note says what it is about.
	Covers []string
	// UnsubscribeURL is the visible unsubscribe link; the mailer replaces
	// UnsubscribePlaceholder with each recipient's signed link.
	UnsubscribeURL string
	// ViewURL is the "View in browser" link; the mailer replaces
	// ViewPlaceholder with the report's signed link (browser.go).
	ViewURL string
}

// UnsubscribePlaceholder stands for the recipient's unsubscribe link in
// the rendered HTML and text until the mailer puts in the signed one.
const UnsubscribePlaceholder = "https://unsubscribe.boardpack.invalid/"

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
	// ChangeStatus colours the change's arrow: good or bad for this
	// metric, whichever way it moved.
	ChangeStatus string
	Target       string
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

// numericCell matches a cell that is a figure ("$1,234.56", "−12.5 %",
// "▲ +3.4 %", "490 ms", "5.4 GiB"): such columns are right-aligned and do
// not wrap; any other text wraps, so a narrow screen never scrolls.
var numericCell = regexp.MustCompile(`^[▲▼ ]*[−+-]?[$€£¥]?[\d,.]+ ?(%|ms|[KMGTPE]?i?B)?$|^(n/a|unknown|no change|new|—|-|)$`)

// NumCol reports whether column i holds figures only.
func (t Table) NumCol(i int) bool {
	if i == 0 {
		return false
	}
	figures := 0
	for _, r := range t.Rows {
		if i >= len(r.Cells) {
			continue
		}
		c := strings.TrimSpace(r.Cells[i])
		if !numericCell.MatchString(c) {
			return false
		}
		if numericCell.FindStringSubmatch(c)[2] == "" && c != "" {
			figures++
		}
	}
	return figures > 0
}

// Row is one line of a Table. Only the offending cell is coloured: Marks
// holds a status per cell (set with mark); a Row with only Status colours
// its last cell.
type Row struct {
	Cells  []string
	Status string
	Marks  []string
	// Swatch is a chart colour key shown before the first cell ("#1f77b4").
	Swatch string
}

// mark colours cell i with status st (good, bad, warn, neutral) and
// records st as the row's status.
func (r *Row) mark(i int, st string) *Row {
	if len(r.Marks) < len(r.Cells) {
		r.Marks = append(r.Marks, make([]string, len(r.Cells)-len(r.Marks))...)
	}
	if i >= 0 && i < len(r.Marks) {
		r.Marks[i] = st
	}
	if st != "" && (r.Status == "" || st == bad) {
		r.Status = st
	}
	return r
}

// ClassOf is the status class of cell i ("" for an uncoloured cell).
func (r Row) ClassOf(i int) string {
	if r.Marks != nil {
		if i < len(r.Marks) {
			return r.Marks[i]
		}
		return ""
	}
	if i == len(r.Cells)-1 && i > 0 {
		return r.Status
	}
	return ""
}

// setDelta shows a change with its arrow and colour.
func (k *KPI) setDelta(d Delta) {
	k.Change, k.ChangeStatus = d.String(), d.Status
}

// Action is an item on an agenda.
type Action struct {
	Priority string
	// Business names the business in a portfolio's agenda ("" in a
	// tenant's own report).
	Business string
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

// Chart is an inline image of the email. Its scale (YTop, YBottom), its
// axis ends (XStart, XEnd) and its legend are HTML beside the image.
type Chart struct {
	CID     string
	Title   string
	Alt     string
	Caption string
	YTop    string
	YBottom string
	XStart  string
	XEnd    string
	Legend  []LegendItem
	Width   int
	Height  int
	PNG     []byte
}

// LegendItem is one series of a chart.
type LegendItem struct {
	Colour, Label string
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

// money formats minor units of code per the currency's digits and symbol,
// with a typographic minus and no sign on zero.
func money(minor int64, code string) string {
	if minor < 0 {
		return minusSign + money(-minor, code)
	}
	a, err := currency.NewAmountFromInt64(minor, code)
	if err != nil {
		return fmt.Sprintf("%d %s (minor units)", minor, code)
	}
	return moneyFormatter.Format(a)
}

// signedMoney shows a leading + for positive changes and a minus sign
// for negative ones; zero has no sign.
func signedMoney(minor int64, code string) string {
	if minor > 0 {
		return "+" + money(minor, code)
	}
	return money(minor, code)
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
		return minusSign + b.String()
	}
	return b.String()
}

// pct formats num/den as a percentage (see rate).
func pct(num, den int64) string { return rate(num, den) }

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
