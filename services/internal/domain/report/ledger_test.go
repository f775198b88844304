package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

func TestLedgerCSVColumnsAmountsAndInjection(t *testing.T) {
	day := time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC)
	lines := []LedgerLine{
		{Date: day, Business: "Queen", Source: "stripe", Account: accountSales, Description: "Harbor cruise", Amount: 123456, Currency: "USD"},
		{Date: day, Business: "Queen", Source: "stripe", Account: accountRefunds, Description: "Refund", Amount: -5, Currency: "USD"},
		{Date: day, Business: "=cmd|' /C calc'!A0", Source: "import", Account: "+6100", Description: "-2+3", Amount: 1500, Currency: "JPY"},
		{Date: day, Business: "@SUM(A1:A9)", Source: "\tstripe", Account: "\r6100", Description: "=HYPERLINK(\"http://x\")", Amount: -1234, Currency: "KWD"},
		{Date: day, Business: "Quote \"and\", comma", Source: "import", Account: "6900", Description: "line\nbreak", Amount: 0, Currency: "EUR"},
	}
	out, err := LedgerCSV(lines)
	if err != nil {
		t.Fatal(err)
	}
	// encoding/csv with UseCRLF drops a lone CR inside a field; the cell
	// still starts with the quote mark.
	if !bytes.Contains(out, []byte(",\"'6100\",")) {
		t.Errorf("the CR cell is not escaped: %q", out)
	}
	if !bytes.Contains(out, []byte("\r\n")) {
		t.Error("rows do not end in CRLF")
	}
	rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, out)
	}
	want := [][]string{
		{"date", "business", "source", "account", "description", "amount", "currency"},
		{"2026-10-03", "Queen", "stripe", "4000 Sales", "Harbor cruise", "1234.56", "USD"},
		{"2026-10-03", "Queen", "stripe", "4010 Refunds", "Refund", "-0.05", "USD"},
		{"2026-10-03", "'=cmd|' /C calc'!A0", "import", "'+6100", "'-2+3", "1500", "JPY"},
		{"2026-10-03", "'@SUM(A1:A9)", "'\tstripe", "'6100", "'=HYPERLINK(\"http://x\")", "-1.234", "KWD"},
		{"2026-10-03", "Quote \"and\", comma", "import", "6900", "line\nbreak", "0.00", "EUR"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d:\n%s", len(rows), len(want), out)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %q, want %q", i, rows[i], want[i])
		}
	}
	if _, err := LedgerCSV([]LedgerLine{{Date: day, Amount: 1, Currency: "XXQ"}}); err == nil || !strings.Contains(err.Error(), "ledger line 1") {
		t.Errorf("unknown currency: err = %v", err)
	}
	if _, err := LedgerCSV([]LedgerLine{{Date: day, Amount: 1}}); err == nil {
		t.Error("a line without a currency was written")
	}
}

func TestDecimalIsExact(t *testing.T) {
	for _, c := range []struct {
		minor int64
		code  string
		want  string
	}{
		{0, "USD", "0.00"}, {1, "USD", "0.01"}, {-1, "USD", "-0.01"}, {100, "USD", "1.00"}, {-123456789012345678, "USD", "-1234567890123456.78"},
		{9007199254740993, "USD", "90071992547409.93"}, // beyond float64's exact integers
		{-7, "JPY", "-7"}, {1, "KWD", "0.001"}, {-9223372036854775808, "JPY", "-9223372036854775808"},
	} {
		got, err := decimal(c.minor, c.code)
		if err != nil || got != c.want {
			t.Errorf("decimal(%d, %s) = %q, %v; want %q", c.minor, c.code, got, err, c.want)
		}
	}
}

// TestLedgerLinesEqualTheReport: the CSV's lines add up to the very
// figures of the accounting report (one value per figure), and the
// accounting email carries the CSV unless attachments are off.
func TestLedgerLinesEqualTheReport(t *testing.T) {
	tn := testTenant()
	src := fullData(tn.ID, fixtureEnd)
	due := monthDue(tn, messages.RoleAccounting, 2026, time.October)
	_, d, err := analyse(context.Background(), src, tn, due, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	f := d.finance(d.Period)
	by := map[string]int64{}
	var expenses int64
	for _, l := range d.LedgerLines() {
		if l.Currency != "USD" {
			continue
		}
		if l.Date.Before(d.Period.Start) || !l.Date.Before(d.Period.End) {
			t.Errorf("line outside the period: %+v", l)
		}
		switch l.Account {
		case accountSales, accountRefunds, accountDisputes, accountFees:
			by[l.Account] += l.Amount
		default:
			expenses += l.Amount
		}
	}
	for account, want := range map[string]int64{accountSales: f.gross.V, accountRefunds: -f.refunds.V, accountDisputes: -f.disputes.V, accountFees: -f.fees.V} {
		if by[account] != want {
			t.Errorf("%s: lines add up to %d, the report says %d", account, by[account], want)
		}
	}
	if expenses != -f.expenses.V || expenses == 0 {
		t.Errorf("expense lines add up to %d, the report says %d", expenses, -f.expenses.V)
	}

	// What the portfolio accounting report reads per member is the same.
	member, err := TenantLedger(context.Background(), src, tn, due, fixtureNow)
	if err != nil || len(member) != len(d.LedgerLines()) || len(member) == 0 {
		t.Errorf("TenantLedger: %d lines (%v), the report has %d", len(member), err, len(d.LedgerLines()))
	}
	r, err := Build(context.Background(), src, tn, due, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Attachments) != 1 || r.Attachments[0].ContentType != ContentTypeCSV || r.Attachments[0].Filename != "queen-accounting-2026-10.csv" {
		t.Fatalf("attachments: %+v", names(r.Attachments))
	}
	if !bytes.HasPrefix(r.Attachments[0].Data, []byte("date,business,source,account,description,amount,currency\r\n")) {
		t.Errorf("csv starts %q", r.Attachments[0].Data[:60])
	}
	off := tn
	off.Email.Attachments = &[]string{}
	if r, _ := Build(context.Background(), src, off, due, fixtureNow); len(r.Attachments) != 0 {
		t.Errorf("attachments: [] still attaches %v", names(r.Attachments))
	}
	pdfOnly := tn
	pdfOnly.Email.Attachments = &[]string{AttachPDF}
	if r, _ := Build(context.Background(), src, pdfOnly, due, fixtureNow); len(r.Attachments) != 0 {
		t.Errorf("attachments: [pdf] attaches the CSV: %v", names(r.Attachments))
	}
	ceo, err := Build(context.Background(), src, tn, monthDue(tn, messages.RoleCEO, 2026, time.October), fixtureNow)
	if err != nil || len(ceo.Attachments) != 0 {
		t.Errorf("the CEO report carries %v (%v)", names(ceo.Attachments), err)
	}
}

func names(as []Attachment) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Filename)
	}
	return out
}
