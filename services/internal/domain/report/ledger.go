package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// LedgerLine is one line of the accounting report's ledger CSV: money that
// moved in the period, signed as it moves the books (a charge is positive;
// refunds, disputes' withdrawn funds, fees and expenses are negative).
type LedgerLine struct {
	// Date is the day the money moved, in the business's time zone.
	Date time.Time
	// Business is the tenant's name (a portfolio's CSV has several).
	Business string
	// Source is where the fact came from (stripe, import, ...).
	Source      string
	Account     string
	Description string
	// Amount is in minor units of Currency.
	Amount   int64
	Currency string
}

// Accounts of the ledger lines that are not expenses.
const (
	accountSales    = "4000 Sales"
	accountRefunds  = "4010 Refunds"
	accountDisputes = "4020 Disputes"
	accountFees     = "6700 Bank & payment fees"
	// accountConversion clears Stripe's currency conversions: a charge in
	// one currency settled in another leaves the one and enters the other.
	accountConversion = "1090 Stripe currency conversion"
)

// LedgerLines are the period's ledger lines of one tenant, in every
// currency, by date: each charge; each charge's refunds in the period
// (the change of its cumulative refunded amount); money disputes withdrew
// or reinstated; processor fees; Stripe's currency conversions of charges
// (and their refunds' and disputes' funds) settled in another currency, two lines each
// on accountConversion; and the imported expense rows dated in the period,
// AWS rows whose month Cost Explorer covers left out as the report leaves
// them out. Lines in the tenant's currency add up to the report's gross
// charges, refunds, disputes, fees and expenses, with the fees of charges
// settled from other currencies (the Settlement table's) on their own
// lines.
//
// The portfolio accounting report passes every member's lines to
// LedgerCSV.
func (d *Data) LedgerLines() []LedgerLine {
	from, to := d.Period.Start, minTime(d.Period.End, d.AsOf.Add(time.Nanosecond))
	var out []LedgerLine
	line := func(f messages.MetricEvent, account, desc string, amount int64) {
		if amount == 0 {
			return
		}
		out = append(out, LedgerLine{Date: f.OccurredAt.In(d.Loc), Business: d.Tenant.Name, Source: f.Source,
			Account: account, Description: desc, Amount: amount, Currency: f.Currency})
	}
	inPeriod := func(f messages.MetricEvent) bool {
		return f.Kind == messages.KindAdditive && !f.OccurredAt.Before(d.Period.Start) && f.OccurredAt.Before(d.Period.End)
	}
	for _, f := range d.Facts(messages.MetricRevenueGross) {
		if inPeriod(f) {
			line(f, accountSales, chargeDescription(f), f.Value)
		}
	}
	// Refunds are a state per charge (its cumulative refunded amount): a
	// charge's line is what its total moved by in the period.
	byCharge := map[string][]messages.MetricEvent{}
	for _, f := range d.Facts(messages.MetricRevenueRefunded) {
		byCharge[f.Entity] = append(byCharge[f.Entity], f)
	}
	for _, fs := range byCharge {
		if moved := readmodel.Change(fs, from, to); moved != 0 {
			last := readmodel.StatesAt(fs, to)[fs[0].Entity]
			line(last, accountRefunds, "Refund of "+chargeDescription(last), -moved)
		}
	}
	for _, f := range d.Facts(messages.MetricRevenueDisputed) {
		if !inPeriod(f) || f.Dimensions["inquiry"] == "true" {
			continue
		}
		desc := "Dispute: funds withdrawn"
		if f.Value < 0 {
			desc = "Dispute: funds reinstated"
		}
		line(f, accountDisputes, desc, -f.Value)
	}
	for _, f := range d.Facts(messages.MetricRevenueFees) {
		if inPeriod(f) {
			desc := "Processor fee"
			if c := f.Dimensions["charge_currency"]; c != "" && c != f.Currency {
				desc += " (" + c + " charge settled in " + f.Currency + ")"
			}
			line(f, accountFees, desc, -f.Value)
		}
	}
	// Stripe's conversions, each as two lines of the clearing account: out
	// of the charge's currency, into the settlement currency (or back, for
	// a dispute's funds). The exchange rate is Stripe's, for information.
	grossOf := map[string]int64{}
	for _, f := range d.Facts(messages.MetricRevenueGross) {
		if f.Kind == messages.KindAdditive {
			grossOf[f.ObjectID+"|"+f.Currency] += f.Value
		}
	}
	disputed := map[string]int64{}
	for _, f := range d.Facts(messages.MetricRevenueDisputed) {
		disputed[f.Dimensions["dispute"]+"|"+f.Dimensions["funds"]+"|"+f.Currency] += f.Value
	}
	// A refund's amount in its (the charge's) currency: its largest state,
	// what left while it stood.
	refundOf := map[string]int64{}
	for _, f := range d.Facts(messages.MetricRevenueRefunded) {
		k := f.Entity + "|" + f.Currency
		refundOf[k] = max(refundOf[k], f.Value)
	}
	for _, f := range d.Facts(messages.MetricRevenueSettled) {
		cc := f.Dimensions["charge_currency"]
		if !inPeriod(f) || cc == "" || cc == f.Currency {
			continue
		}
		what, out := "charge "+f.ObjectID, -grossOf[f.ObjectID+"|"+cc]
		switch f.Dimensions["type"] {
		case "dispute":
			what, out = "dispute "+f.Dimensions["dispute"]+" (funds "+f.Dimensions["funds"]+")", disputed[f.Dimensions["dispute"]+"|"+f.Dimensions["funds"]+"|"+cc]
		case "refund":
			// Out: the refund's amount comes into the charge currency to be
			// paid back; returned (a failed refund): it goes back out.
			what, out = "refund "+f.Dimensions["refund"]+" (funds "+f.Dimensions["funds"]+")", refundOf[f.Dimensions["refund"]+"|"+cc]
			if f.Dimensions["funds"] == "returned" {
				out = -out
			}
		}
		desc := "Stripe conversion of " + what + ": " + cc + " to " + f.Currency
		if r := f.Dimensions["exchange_rate"]; r != "" {
			desc += " at " + r
		}
		line(f, accountConversion, desc, f.Value)
		from := f
		from.Currency = cc
		line(from, accountConversion, desc, out)
	}
	ce := d.ceMonths()
	for _, f := range readmodel.StatesAt(d.Facts(metricExpenses), to) {
		if f.OccurredAt.Before(d.Period.Start) || f.Dimensions[messages.DimRemoved] == "true" || d.doubleCounted(f, ce) {
			continue
		}
		account := coa(f.Dimensions[messages.DimCategory])
		if code := f.Dimensions[messages.DimAccountCode]; code != "" {
			account = code
		}
		desc := f.Dimensions[messages.DimVendor]
		if c := f.Dimensions[messages.DimCategory]; c != "" {
			desc += " (" + c + ")"
		}
		line(f, account, desc, -f.Value)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.Date.Equal(b.Date) {
			return a.Date.Before(b.Date)
		}
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if a.Description != b.Description {
			return a.Description < b.Description
		}
		return a.Amount < b.Amount
	})
	return out
}

func chargeDescription(f messages.MetricEvent) string {
	if p := f.Dimensions["product"]; p != "" {
		return p
	}
	if p := f.Dimensions["description"]; p != "" {
		return p
	}
	return "Charge " + f.Entity
}

// LedgerCSVHeader is the ledger CSV's first row.
var LedgerCSVHeader = []string{"date", "business", "source", "account", "description", "amount", "currency"}

// LedgerCSV writes ledger lines as CSV (RFC 4180, CRLF line ends, a header
// row): the amount as an exact decimal in major units ("-12.34", "1500"
// for JPY), never through a float. A text cell that a spreadsheet would
// read as a formula (starting with = + - @, a tab or a carriage return)
// is prefixed with ' (OWASP's CSV injection advice); the amount is exempt
// because it is always a plain decimal number written here.
func LedgerCSV(lines []LedgerLine) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	_ = w.Write(LedgerCSVHeader)
	var errs []error
	for i, l := range lines {
		amount, err := decimal(l.Amount, l.Currency)
		if err != nil {
			errs = append(errs, fmt.Errorf("ledger line %d: %w", i+1, err))
			continue
		}
		_ = w.Write([]string{l.Date.Format(time.DateOnly), safeCell(l.Business), safeCell(l.Source), safeCell(l.Account),
			safeCell(l.Description), amount, safeCell(l.Currency)})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, fmt.Errorf("ledger csv: %w", err)
	}
	return buf.Bytes(), nil
}

// safeCell defuses a cell a spreadsheet would evaluate.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

var plainDecimal = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// decimal writes minor units as a decimal in major units, exactly.
func decimal(minor int64, code string) (string, error) {
	if code == "" {
		return "", errors.New("amount without a currency")
	}
	digits, err := currencyDigits(code)
	if err != nil {
		return "", err
	}
	neg := minor < 0
	u := uint64(minor)
	if neg {
		u = uint64(-minor) // also right for math.MinInt64 (wraps to its magnitude)
	}
	s := strconv.FormatUint(u, 10)
	if digits > 0 {
		if len(s) <= int(digits) {
			s = strings.Repeat("0", int(digits)-len(s)+1) + s
		}
		s = s[:len(s)-int(digits)] + "." + s[len(s)-int(digits):]
	}
	if neg {
		s = "-" + s
	}
	if !plainDecimal.MatchString(s) {
		return "", fmt.Errorf("amount %d %s is not a decimal", minor, code)
	}
	return s, nil
}

// TenantLedger reads one tenant's ledger lines for due's period (a
// portfolio's due: the period and now are the portfolio report's), as the
// accounting report reads them: the portfolio accounting report calls it
// for each member and passes all the lines to LedgerCSV.
func TenantLedger(ctx context.Context, src Source, t tenants.Tenant, due messages.ReportDue, now time.Time) ([]LedgerLine, error) {
	due.TenantID, due.PortfolioID, due.Role = t.ID, "", messages.RoleAccounting
	if err := check(t, due); err != nil {
		return nil, err
	}
	d, err := load(ctx, src, t, due, now, financeMetrics, false)
	if err != nil {
		return nil, err
	}
	return d.LedgerLines(), nil
}
