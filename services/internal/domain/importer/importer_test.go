package importer

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

const v1 = int64(1764460800000) // 2025-11-30T00:00:00Z

func opts(kind Kind) Options {
	la, _ := time.LoadLocation("America/Los_Angeles")
	return Options{TenantID: "acme", Kind: kind, Currency: "USD", Location: la, Version: v1}
}

func mustParse(t *testing.T, o Options, in string) ([]messages.MetricEvent, *Summary) {
	t.Helper()
	ev, sum, err := Parse(strings.NewReader(in), o)
	if err != nil {
		var pe *ProblemsError
		if errors.As(err, &pe) {
			t.Fatalf("unexpected problems:\n%s", strings.Join(pe.Lines(), "\n"))
		}
		t.Fatal(err)
	}
	for _, e := range ev {
		if err := e.Validate(); err != nil {
			t.Fatalf("invalid event %+v: %v", e, err)
		}
	}
	return ev, sum
}

func laDay(s string) time.Time {
	la, _ := time.LoadLocation("America/Los_Angeles")
	d, _ := time.ParseInLocation(time.DateOnly, s, la)
	return d.UTC()
}

func TestParseKinds(t *testing.T) {
	type want struct {
		metric, entity string
		value          int64
		currency, unit string
		at             time.Time
		dims           map[string]string
	}
	asOf := time.UnixMilli(v1).UTC()
	tests := []struct {
		name string
		kind Kind
		in   string
		want []want
	}{
		{
			name: "expenses, any column order, optional columns, tenant currency, occurrence index",
			kind: Expenses,
			in: "Vendor,Amount,Date,Category,Account Code,Currency,Notes\n" +
				"AWS,1234.56,2026-10-03,Hosting,6100,,October bill\n" +
				"Café Nero,4.5,2026-10-04,Meals,,eur,\n" +
				"Café Nero,4.5,2026-10-04,Meals,,EUR,\n" +
				"Acme Refund,-20,2026-10-05,Hosting,6100,,\n",
			want: []want{
				{messages.MetricExpense, "expense/2026-10-03/aws/hosting/6100#1", 123456, "USD", "", laDay("2026-10-03"),
					map[string]string{"category": "Hosting", "vendor": "AWS", "account_code": "6100"}},
				{messages.MetricExpense, "expense/2026-10-04/café nero/meals/#1", 450, "EUR", "", laDay("2026-10-04"),
					map[string]string{"category": "Meals", "vendor": "Café Nero", "account_code": ""}},
				{messages.MetricExpense, "expense/2026-10-04/café nero/meals/#2", 450, "EUR", "", laDay("2026-10-04"),
					map[string]string{"category": "Meals", "vendor": "Café Nero", "account_code": ""}},
				{messages.MetricExpense, "expense/2026-10-05/acme refund/hosting/6100#1", -2000, "USD", "", laDay("2026-10-05"),
					map[string]string{"category": "Hosting", "vendor": "Acme Refund", "account_code": "6100"}},
			},
		},
		{
			name: "cash, semicolon and decimal comma, zero balance",
			kind: Cash,
			in:   "date;account;balance;currency\n2026-10-31;Checking;182400,10;\n2026-10-31;Savings;0;USD\n",
			want: []want{
				{messages.MetricCashBalance, "cash/checking", 18240010, "USD", "", laDay("2026-10-31"), map[string]string{"account": "Checking"}},
				{messages.MetricCashBalance, "cash/savings", 0, "USD", "", laDay("2026-10-31"), map[string]string{"account": "Savings"}},
			},
		},
		{
			name: "targets, money and count",
			kind: Targets,
			in:   "month,metric,amount\n2026-11,revenue,60000\n2026-11,New Customers,40\n",
			want: []want{
				{messages.MetricTarget, "target/2026-11/revenue", 6000000, "USD", "", laDay("2026-11-01"), map[string]string{"month": "2026-11", "metric": "revenue"}},
				{messages.MetricTarget, "target/2026-11/new_customers", 40, "", messages.UnitCount, laDay("2026-11-01"), map[string]string{"month": "2026-11", "metric": "new_customers"}},
			},
		},
		{
			name: "channels, blank cells publish nothing",
			kind: Channels,
			in:   "channel,date,visits,leads,conversions,spend,status\nGoogle Ads,2026-10-01,1200,40,6,350.00,Active\nNewsletter,2026-10-01,300,,2,,\n",
			want: []want{
				{messages.MetricChannelVisits, "channel/google ads/2026-10-01", 1200, "", messages.UnitCount, laDay("2026-10-01"), map[string]string{"channel": "Google Ads", "status": "active"}},
				{messages.MetricChannelLeads, "channel/google ads/2026-10-01", 40, "", messages.UnitCount, laDay("2026-10-01"), map[string]string{"channel": "Google Ads", "status": "active"}},
				{messages.MetricChannelConversions, "channel/google ads/2026-10-01", 6, "", messages.UnitCount, laDay("2026-10-01"), map[string]string{"channel": "Google Ads", "status": "active"}},
				{messages.MetricChannelSpend, "channel/google ads/2026-10-01", 35000, "USD", "", laDay("2026-10-01"), map[string]string{"channel": "Google Ads", "status": "active"}},
				{messages.MetricChannelVisits, "channel/newsletter/2026-10-01", 300, "", messages.UnitCount, laDay("2026-10-01"), map[string]string{"channel": "Newsletter", "status": ""}},
				{messages.MetricChannelConversions, "channel/newsletter/2026-10-01", 2, "", messages.UnitCount, laDay("2026-10-01"), map[string]string{"channel": "Newsletter", "status": ""}},
			},
		},
		{
			name: "pipeline, weighted rounding, won without probability, open without probability",
			kind: Pipeline,
			in: "deal,stage,expected_close,amount,probability\n" +
				"\"Harbor Tours, Inc.\",Proposal,2026-12-15,10000.01,33.3%\n" +
				"Yacht Club,Closed Won,,5000,\n" +
				"Marina,Discovery,,2000,\n",
			want: []want{
				{messages.MetricPipelineAmount, "deal/harbor tours, inc.", 1000001, "USD", "", asOf,
					map[string]string{"deal": "Harbor Tours, Inc.", "stage": "Proposal", "status": "open", "close_month": "2026-12", "probability": "33.3"}},
				{messages.MetricPipelineWeighted, "deal/harbor tours, inc.", 333000, "USD", "", asOf,
					map[string]string{"deal": "Harbor Tours, Inc.", "stage": "Proposal", "status": "open", "close_month": "2026-12", "probability": "33.3"}},
				{messages.MetricPipelineAmount, "deal/yacht club", 500000, "USD", "", asOf,
					map[string]string{"deal": "Yacht Club", "stage": "Closed Won", "status": "won", "close_month": "", "probability": ""}},
				{messages.MetricPipelineWeighted, "deal/yacht club", 500000, "USD", "", asOf,
					map[string]string{"deal": "Yacht Club", "stage": "Closed Won", "status": "won", "close_month": "", "probability": ""}},
				{messages.MetricPipelineAmount, "deal/marina", 200000, "USD", "", asOf,
					map[string]string{"deal": "Marina", "stage": "Discovery", "status": "open", "close_month": "", "probability": ""}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, sum := mustParse(t, opts(tt.kind), tt.in)
			if len(ev) != len(tt.want) {
				t.Fatalf("got %d events, want %d: %+v", len(ev), len(tt.want), ev)
			}
			if sum.Events != len(ev) {
				t.Errorf("summary events %d, got %d", sum.Events, len(ev))
			}
			for i, w := range tt.want {
				e := ev[i]
				got := want{e.Metric, e.Entity, e.Value, e.Currency, e.Unit, e.OccurredAt, e.Dimensions}
				if !reflect.DeepEqual(got, w) {
					t.Errorf("event %d:\n got %+v\nwant %+v", i, got, w)
				}
				if e.TenantID != "acme" || e.Source != messages.SourceImport || e.EventID == "" {
					t.Errorf("event %d header %+v", i, e.Header)
				}
			}
		})
	}
}

func TestWeighted(t *testing.T) {
	for _, tt := range []struct{ amount, bp, want int64 }{
		{10000, 5000, 5000}, {1, 5000, 1}, {1, 4999, 0}, {-1, 5000, -1}, {3, 3333, 1},
		{1 << 62, 10000, 1 << 62}, {1000001, 3330, 333000},
	} {
		if got := weighted(tt.amount, tt.bp); got != tt.want {
			t.Errorf("weighted(%d, %d) = %d, want %d", tt.amount, tt.bp, got, tt.want)
		}
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		in   string
		want []string // each a problem line prefix or substring, in order
	}{
		{"empty file", Expenses, "", []string{"file: empty file"}},
		{"only whitespace", Expenses, " \n\n", []string{"file: empty file"}},
		{"only a BOM", Cash, "\xEF\xBB\xBF", []string{"file: empty file"}},
		{"header only", Expenses, "date,category,vendor,amount\n", []string{"file: the file has a header but no data rows"}},
		{"header and blank rows", Expenses, "date,category,vendor,amount\n,,,\n\n", []string{"file: the file has a header but no data rows"}},
		{"unknown column", Cash, "date,account,balance,bank\n2026-10-01,A,1\n",
			[]string{`line 1, column 4 (bank): unknown column "bank"`, "line 2: 3 fields, the header has 4"}},
		{"missing required column", Expenses, "date,vendor,amount\n2026-10-01,AWS,1\n",
			[]string{`line 1: missing required column "category"`}},
		{"duplicate column", Cash, "date,account,Balance,balance\n2026-10-01,A,1,2\n",
			[]string{`line 1, column 4 (balance): duplicate column "balance" (also column 3)`}},
		{"channels without any figure column", Channels, "channel,date,status\nAds,2026-10-01,active\n",
			[]string{"line 1: channels needs at least one of the columns visits, leads, conversions, spend"}},
		{"bad dates", Expenses, "date,category,vendor,amount\n03/10/2026,Rent,Landlord,1\n2026-02-30,Rent,Landlord,1\n,Rent,Landlord,1\n1900-01-01,Rent,Landlord,1\n",
			[]string{`line 2, column 1 (date): "03/10/2026" is not a date`, `line 3, column 1 (date): "2026-02-30" is not a date`,
				"line 4, column 1 (date): date is blank", `line 5, column 1 (date): "1900-01-01" is out of range`}},
		{"bad month", Targets, "month,metric,amount\n2026-13,revenue,1\nNov 2026,revenue,1\n",
			[]string{`line 2, column 1 (month): "2026-13" is not a month`, `line 3, column 1 (month): "Nov 2026" is not a month`}},
		{"amount with letters", Expenses, "date,category,vendor,amount\n2026-10-01,Rent,Landlord,12a\n2026-10-01,Rent,Landlord,$12\n2026-10-01,Rent,Landlord,1e5\n2026-10-01,Rent,Landlord,\"1,200.00\"\n",
			[]string{`line 2, column 4 (amount): "12a" is not an amount`, `line 3, column 4 (amount): "$12" is not an amount`,
				`line 4, column 4 (amount): "1e5" is not an amount`, `line 5, column 4 (amount): "1,200.00" is not an amount`}},
		{"too many decimals", Expenses, "date,category,vendor,amount,currency\n2026-10-01,Rent,Landlord,1.234,USD\n2026-10-01,Rent,Landlord,1.5,JPY\n",
			[]string{`line 2, column 4 (amount): "1.234" has more than 2 decimals for USD`, `line 3, column 4 (amount): "1.5" has more than 0 decimals for JPY`}},
		{"negative balance", Cash, "date,account,balance\n2026-10-31,Checking,-50.00\n",
			[]string{"line 2, column 3 (balance): negative balance -50.00"}},
		{"negative counts and spend", Channels, "channel,date,visits,spend\nAds,2026-10-01,-3,-1\n",
			[]string{"line 2, column 3 (visits): visits cannot be negative", "line 2, column 4 (spend): spend cannot be negative"}},
		{"unknown currency", Expenses, "date,category,vendor,amount,currency\n2026-10-01,Rent,Landlord,10,XYZ\n2026-10-01,Rent,Landlord,10,dollars\n",
			[]string{`line 2, column 5 (currency): unknown currency "XYZ"`, `line 3, column 5 (currency): unknown currency "dollars"`}},
		{"binary junk", Expenses, "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", []string{"line 1: not a CSV text file"}},
		{"invalid utf-8 without NUL", Expenses, "date,category\xff\xfe,vendor,amount\n", []string{"line 1: not a CSV text file"}},
		{"utf-16", Expenses, "\xFF\xFEd\x00a\x00", []string{"line 1: the file is UTF-16 encoded"}},
		{"binary in a later row", Expenses, "date,category,vendor,amount\n2026-10-01,Rent,Land\xfflord,1\n",
			[]string{"line 2, column 3 (vendor): not UTF-8 text"}},
		{"bare quote", Cash, "date,account,balance\n2026-10-01,Che\"cking,1\n2026-10-02,Checking,1\n",
			[]string{"line 2: bare \" in non-quoted-field"}},
		{"field count", Cash, "date,account,balance\n2026-10-01,Checking\n",
			[]string{"line 2: 2 fields, the header has 3"}},
		{"duplicate balance", Cash, "date,account,balance\n2026-10-01,Checking,1\n2026-10-01,checking ,2\n",
			[]string{`line 3: duplicate balance for account "checking" on 2026-10-01 (first on line 2)`}},
		{"duplicate deal", Pipeline, "deal,stage,amount\nA,Lead,1\na,Lead,2\n", []string{`line 3: duplicate deal "a" (first on line 2)`}},
		{"duplicate target", Targets, "month,metric,amount\n2026-11,revenue,1\n2026-11,Revenue,2\n",
			[]string{"line 3: duplicate target revenue for 2026-11 (first on line 2)"}},
		{"bad target metric and count currency", Targets, "month,metric,amount,currency\n2026-11,profit,1,\n2026-11,leads,1.5,\n2026-11,visits,10,USD\n2026-11,mrr,-5,\n",
			[]string{`line 2, column 2 (metric): unknown target metric "profit"`, `line 3, column 3 (amount): "1.5" is not a whole number`,
				`line 4, column 4 (currency): target "visits" is a count`, "line 5, column 3 (amount): a target cannot be negative"}},
		{"bad status and probability", Pipeline, "deal,stage,amount,probability\nA,Lead,1,120\nB,Lead,1,0.5.5\nC,,1,\n",
			[]string{"line 2, column 4 (probability): probability 120 is above 100%", `line 3, column 4 (probability): "0.5.5" is not a probability`,
				"line 4, column 2 (stage): stage is blank (required)"}},
		{"bad channel status", Channels, "channel,date,visits,status\nAds,2026-10-01,1,running\n",
			[]string{`line 2, column 4 (status): unknown status "running"`}},
		{"quoted multi-line field keeps line numbers", Expenses, "date,category,vendor,amount\n2026-10-01,Rent,\"Land\nlord\",1\n2026-10-01,Rent,Landlord,x\n",
			[]string{`line 4, column 4 (amount): "x" is not an amount`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var emitted int
			sum, err := Scan(strings.NewReader(tt.in), opts(tt.kind), func(messages.MetricEvent) error { emitted++; return nil })
			var pe *ProblemsError
			if !errors.As(err, &pe) {
				t.Fatalf("want problems, got %v (summary %+v)", err, sum)
			}
			lines := pe.Lines()
			if len(lines) != len(tt.want) {
				t.Errorf("got %d problems, want %d:\n%s", len(lines), len(tt.want), strings.Join(lines, "\n"))
			}
			for i, w := range tt.want {
				if i < len(lines) && !strings.Contains(lines[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, lines[i], w)
				}
			}
			if sum != nil {
				t.Errorf("summary of an invalid file: %+v", sum)
			}
			_ = emitted
			ev, _, err := Parse(strings.NewReader(tt.in), opts(tt.kind))
			if err == nil || ev != nil {
				t.Errorf("Parse returned events %v, err %v", ev, err)
			}
		})
	}
}

func TestProblemsAreCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString("date,account,balance\n")
	for range 500 {
		b.WriteString("bad,Checking,1\n")
	}
	o := opts(Cash)
	o.MaxProblems = 10
	_, err := Scan(strings.NewReader(b.String()), o, nil)
	var pe *ProblemsError
	if !errors.As(err, &pe) || len(pe.Problems) != 10 || pe.Omitted != 490 {
		t.Fatalf("got %v", err)
	}
	if last := pe.Lines()[10]; last != "... and 490 more problems" {
		t.Errorf("last line %q", last)
	}
}

func TestLayoutDoesNotChangeContent(t *testing.T) {
	plain := "date,category,vendor,amount\n2026-10-03,Hosting,AWS,10.00\n2026-10-04,\"Meals; drinks\",Bar,4.5\n"
	variants := map[string]string{
		"bom crlf":      "\xEF\xBB\xBF" + strings.ReplaceAll(plain, "\n", "\r\n"),
		"semicolon":     "Date;Category;Vendor;Amount\n2026-10-03;Hosting;AWS;10,00\n2026-10-04;\"Meals; drinks\";Bar;4.50\n",
		"column order":  " AMOUNT , vendor,date,category\n10,AWS,2026-10-03,Hosting\n4.5,Bar,2026-10-04,Meals; drinks\n",
		"row order":     "date,category,vendor,amount\n2026-10-04,\"Meals; drinks\",Bar,4.5\n2026-10-03,Hosting,AWS,10.00\n\n",
		"quoted header": "\"date\",\"category\",\"vendor\",\"amount\"\n\"2026-10-03\",\"Hosting\",\"AWS\",\"10.00\"\n2026-10-04,\"Meals; drinks\",Bar,4.5\n",
	}
	base, baseSum := mustParse(t, opts(Expenses), plain)
	for name, in := range variants {
		t.Run(name, func(t *testing.T) {
			ev, sum := mustParse(t, opts(Expenses), in)
			if sum.Digest != baseSum.Digest {
				t.Errorf("digest %s, want %s", sum.Digest, baseSum.Digest)
			}
			if !sameEvents(ev, base) {
				t.Errorf("events differ:\n%+v\n%+v", ev, base)
			}
		})
	}
}

func sameEvents(a, b []messages.MetricEvent) bool {
	index := map[string]messages.MetricEvent{}
	for _, e := range a {
		index[e.EventID] = e
	}
	if len(index) != len(a) || len(a) != len(b) {
		return false
	}
	for _, e := range b {
		if !reflect.DeepEqual(index[e.EventID], e) {
			return false
		}
	}
	return true
}

// importFile is what `reportctl import` does: parse, tombstone against the
// ledger so far, and add everything to the ledger (a set keyed by event
// id, as the read model keeps it).
func importFile(t *testing.T, ledger map[string]messages.MetricEvent, o Options, in string) int {
	t.Helper()
	ev, sum := mustParse(t, o, in)
	facts := make([]messages.MetricEvent, 0, len(ledger))
	for _, f := range ledger {
		facts = append(facts, f)
	}
	added := 0
	for _, e := range append(ev, Tombstones(o, sum, facts)...) {
		if old, dup := ledger[e.EventID]; dup {
			if !reflect.DeepEqual(old, e) {
				t.Fatalf("event id %s reused for different content:\n%+v\n%+v", e.EventID, old, e)
			}
			continue
		}
		ledger[e.EventID] = e
		added++
	}
	return added
}

func factsOf(ledger map[string]messages.MetricEvent, metric string) []messages.MetricEvent {
	var out []messages.MetricEvent
	for _, f := range ledger {
		if f.Metric == metric {
			out = append(out, f)
		}
	}
	return out
}

func TestReimportAndCorrection(t *testing.T) {
	october := "date,category,vendor,amount\n" +
		"2026-10-01,Rent,Landlord,3000\n" +
		"2026-10-03,Hosting,AWS,120.00\n" +
		"2026-10-03,Hosting,AWS,120.00\n" +
		"2026-10-20,Payroll,Gusto,9000\n"
	// Corrected: AWS fixed to 125, the duplicate AWS row removed, the
	// payroll row moved to another date.
	corrected := "date,category,vendor,amount\n" +
		"2026-10-01,Rent,Landlord,3000\n" +
		"2026-10-03,Hosting,AWS,125.00\n" +
		"2026-10-21,Payroll,Gusto,9000\n"
	november := "date,category,vendor,amount\n2026-11-01,Rent,Landlord,3000\n"

	octFrom, octTo := laDay("2026-10-01"), laDay("2026-11-01")
	total := func(ledger map[string]messages.MetricEvent) int64 {
		return readmodel.Change(factsOf(ledger, messages.MetricExpense), octFrom, octTo)
	}
	ledger := map[string]messages.MetricEvent{}
	o := opts(Expenses)
	if n := importFile(t, ledger, o, october); n != 4 {
		t.Fatalf("first import added %d facts", n)
	}
	if got := total(ledger); got != 1224000 {
		t.Fatalf("october expenses %d", got)
	}
	// The same file again, under the same version: nothing new at all.
	if n := importFile(t, ledger, o, october); n != 0 {
		t.Fatalf("re-import added %d facts", n)
	}
	// November is outside October's scope: October is untouched.
	o.Version = v1 + 1000
	importFile(t, ledger, o, november)
	if got := total(ledger); got != 1224000 {
		t.Fatalf("october expenses after november import %d", got)
	}
	// The corrected file replaces and removes.
	o.Version = v1 + 2000
	importFile(t, ledger, o, corrected)
	if got := total(ledger); got != 1212500 {
		t.Fatalf("october expenses after correction %d, want 12125.00", got)
	}
	byCategory := map[string]int64{}
	for _, s := range readmodel.StatesAt(factsOf(ledger, messages.MetricExpense), octTo) {
		if !s.OccurredAt.Before(octFrom) {
			byCategory[s.Dimensions[messages.DimCategory]] += s.Value
		}
	}
	if want := map[string]int64{"Rent": 300000, "Hosting": 12500, "Payroll": 900000}; !reflect.DeepEqual(byCategory, want) {
		t.Errorf("by category %v, want %v", byCategory, want)
	}
	// Importing the original again (a new version) brings it back.
	o.Version = v1 + 3000
	importFile(t, ledger, o, october)
	if got := total(ledger); got != 1224000 {
		t.Fatalf("october expenses after restoring %d", got)
	}
	// November still there.
	if got := readmodel.Change(factsOf(ledger, messages.MetricExpense), octTo, laDay("2026-12-01")); got != 300000 {
		t.Errorf("november %d", got)
	}
}

func TestTombstonesLeaveLaterImportsAndOtherScopes(t *testing.T) {
	ledger := map[string]messages.MetricEvent{}
	o := opts(Pipeline)
	o.Version = v1 + 5000
	importFile(t, ledger, o, "deal,stage,amount,probability\nA,Lead,100,50\nB,Lead,200,50\n")
	// An older version arriving late (a slow concurrent import) must not
	// remove what the newer one wrote.
	old := opts(Pipeline)
	ev, sum := mustParse(t, old, "deal,stage,amount,probability\nA,Lead,100,50\n")
	_ = ev
	var facts []messages.MetricEvent
	for _, f := range ledger {
		facts = append(facts, f)
	}
	if ts := Tombstones(old, sum, facts); len(ts) != 0 {
		t.Errorf("tombstones over a later import: %+v", ts)
	}
	// A newer snapshot without B removes B from both metrics.
	o.Version = v1 + 6000
	importFile(t, ledger, o, "deal,stage,amount,probability\nA,Won,100,\n")
	now := time.UnixMilli(v1 + 7000)
	if got := readmodel.TotalAt(factsOf(ledger, messages.MetricPipelineAmount), now); got != 10000 {
		t.Errorf("pipeline amount %d", got)
	}
	if got := readmodel.TotalAt(factsOf(ledger, messages.MetricPipelineWeighted), now); got != 10000 {
		t.Errorf("weighted %d", got)
	}
	// As of the first snapshot, the pipeline is what it was.
	if got := readmodel.TotalAt(factsOf(ledger, messages.MetricPipelineAmount), time.UnixMilli(v1+5500)); got != 30000 {
		t.Errorf("pipeline as of the first snapshot %d", got)
	}
	// Removing the same deal again adds nothing.
	o.Version = v1 + 7000
	ev2, sum2 := mustParse(t, o, "deal,stage,amount\nA,Won,100\n")
	_ = ev2
	facts = facts[:0]
	for _, f := range ledger {
		facts = append(facts, f)
	}
	for _, ts := range Tombstones(o, sum2, facts) {
		if ts.Entity == "deal/b" {
			t.Errorf("removed twice: %+v", ts)
		}
	}
}

func TestChannelBlankCellRemovesOldFigure(t *testing.T) {
	ledger := map[string]messages.MetricEvent{}
	o := opts(Channels)
	importFile(t, ledger, o, "channel,date,visits,leads\nAds,2026-10-01,100,5\n")
	o.Version++
	importFile(t, ledger, o, "channel,date,visits,leads\nAds,2026-10-01,100,\n")
	from, to := laDay("2026-10-01"), laDay("2026-10-02")
	if got := readmodel.Change(factsOf(ledger, messages.MetricChannelLeads), from, to); got != 0 {
		t.Errorf("leads %d, want 0 (unknown now)", got)
	}
	if got := readmodel.Change(factsOf(ledger, messages.MetricChannelVisits), from, to); got != 100 {
		t.Errorf("visits %d", got)
	}
}

func TestCashReadings(t *testing.T) {
	ledger := map[string]messages.MetricEvent{}
	o := opts(Cash)
	o.Version = v1 + 9000
	// A later import of an earlier date must not beat a later date.
	importFile(t, ledger, o, "date,account,balance\n2026-10-31,Checking,1000\n2026-10-31,Savings,500\n")
	o.Version = v1 + 10000
	importFile(t, ledger, o, "date,account,balance\n2026-10-15,Checking,700\n")
	facts := factsOf(ledger, messages.MetricCashBalance)
	if got := readmodel.TotalAt(facts, laDay("2026-11-01")); got != 150000 {
		t.Errorf("cash end of october %d", got)
	}
	if got := readmodel.TotalAt(facts, laDay("2026-10-20")); got != 70000 {
		t.Errorf("cash on 2026-10-20 %d", got)
	}
	// A corrected reading of the same date replaces it.
	o.Version = v1 + 11000
	importFile(t, ledger, o, "date,account,balance\n2026-10-31,Checking,1200\n")
	if got := readmodel.TotalAt(factsOf(ledger, messages.MetricCashBalance), laDay("2026-11-01")); got != 170000 {
		t.Errorf("cash after correction %d", got)
	}
}

func TestOptionsValidated(t *testing.T) {
	_, err := Scan(strings.NewReader("x"), Options{TenantID: "Bad!", Kind: "sales", Currency: "usd"}, nil)
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"invalid tenant id", `unknown kind "sales"`, "invalid tenant currency", "version"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%v does not mention %q", err, w)
		}
	}
}
