package importer

// Tests that pin the edges the other tests leave loose: exact limits,
// boundary values, the digest's definition and the problem count once the
// cap is reached. Each was written against a mutant gremlins found alive.

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/boardpack/boardpack/messages"
)

// problemsOf scans in and returns its problems, failing when it is valid.
func problemsOf(t *testing.T, o Options, in string) *ProblemsError {
	t.Helper()
	_, err := Scan(strings.NewReader(in), o, nil)
	var pe *ProblemsError
	if !errors.As(err, &pe) {
		t.Fatalf("want problems, got %v", err)
	}
	return pe
}

// The limit holds for a reader that answers fewer bytes than asked (a
// network body does): a file of exactly the limit passes, one more row
// are refused.
func TestLimitHoldsForShortReads(t *testing.T) {
	exact := "date,account,balance\n2026-10-01,Checking,100\n2026-10-02,Checking,200\n"
	o := opts(Cash)
	o.MaxBytes = int64(len(exact))
	sum, err := Scan(iotest.HalfReader(strings.NewReader(exact)), o, nil)
	if err != nil {
		t.Fatalf("a file of exactly the limit: %v", err)
	}
	if sum.Bytes != int64(len(exact)) {
		t.Errorf("read %d bytes, the file has %d", sum.Bytes, len(exact))
	}
	over := exact + "2026-10-03,Checking,300\n"
	_, err = Scan(iotest.HalfReader(strings.NewReader(over)), o, nil)
	var pe *ProblemsError
	if !errors.As(err, &pe) || len(pe.Problems) != 1 {
		t.Fatalf("want the size problem alone, got %v", err)
	}
	if want := fmt.Sprintf("larger than %d bytes", len(exact)); !strings.Contains(pe.Problems[0].Reason, want) {
		t.Errorf("reason %q, want it to say %q", pe.Problems[0].Reason, want)
	}
}

// A limit of a whole number of MiB is named in MiB.
func TestLimitOfOneMiBIsNamedInMiB(t *testing.T) {
	o := opts(Expenses)
	o.MaxBytes = 1 << 20
	_, err := Scan(&rowSource{size: 1<<20 + 4096}, o, nil)
	var pe *ProblemsError
	if !errors.As(err, &pe) {
		t.Fatalf("want problems, got %v", err)
	}
	last := pe.Problems[len(pe.Problems)-1].Reason
	if !strings.Contains(last, "larger than 1 MiB (") {
		t.Errorf("reason %q, want it to name 1 MiB", last)
	}
}

// A cell may be 1000 characters (a note), a vendor 200; one more is refused.
func TestCellAndTextLengthLimits(t *testing.T) {
	row := func(vendor, note string) string {
		return "date,category,vendor,amount,notes\n2026-10-01,Rent," + vendor + ",10," + note + "\n"
	}
	ev, _ := mustParse(t, opts(Expenses), row(strings.Repeat("v", maxText), strings.Repeat("n", maxCell)))
	if len(ev) != 1 || ev[0].Dimensions[messages.DimVendor] != strings.Repeat("v", maxText) {
		t.Fatalf("events %+v", ev)
	}
	pe := problemsOf(t, opts(Expenses), row("Landlord", strings.Repeat("n", maxCell+1)))
	if got := pe.Lines(); len(got) != 1 || got[0] != "line 2, column 5 (notes): longer than 1000 characters" {
		t.Errorf("long note: %q", got)
	}
	pe = problemsOf(t, opts(Expenses), row(strings.Repeat("v", maxText+1), ""))
	if got := pe.Lines(); len(got) != 1 || got[0] != "line 2, column 3 (vendor): vendor is longer than 200 characters" {
		t.Errorf("long vendor: %q", got)
	}
}

// Once the cap is reached, problems are still counted one each: a row
// refused for its encoding is not also checked cell by cell, and a row
// refused for its value registers no key that a later row would then
// duplicate.
func TestProblemsBeyondTheCapAreCountedOnce(t *testing.T) {
	o := opts(Cash)
	o.MaxProblems = 1
	pe := problemsOf(t, o, "date,account,balance\nbad,Checking,1\n2026-10-01,Che\xffcking,x\n")
	if len(pe.Problems) != 1 || pe.Omitted != 1 {
		t.Errorf("encoding: %d problems, %d omitted; want 1 and 1 (the row's encoding only)", len(pe.Problems), pe.Omitted)
	}
	pe = problemsOf(t, o, "date,account,balance\nbad,Checking,1\n2026-10-01,Checking,-5\n2026-10-01,Checking,5\n")
	if len(pe.Problems) != 1 || pe.Omitted != 1 {
		t.Errorf("negative then corrected: %d problems, %d omitted; want 1 and 1 (the negative balance only)", len(pe.Problems), pe.Omitted)
	}
}

func TestSummaryCountsDataRows(t *testing.T) {
	in := "channel,date,visits,leads\nAds,2026-10-01,100,5\n\n,,,\nMail,2026-10-01,30,\n"
	ev, sum := mustParse(t, opts(Channels), in)
	if sum.Rows != 2 || sum.Events != 3 || len(ev) != 3 {
		t.Errorf("rows %d, events %d (%d emitted); want 2 rows (blank ones excluded) and 3 events", sum.Rows, sum.Events, len(ev))
	}
}

// The digest is the lane-wise sum of the events' content hashes, and
// the event count.
func TestDigestIsTheSumOfContentHashes(t *testing.T) {
	ev, sum := mustParse(t, opts(Expenses), "date,category,vendor,amount\n2026-10-01,Rent,Landlord,3000\n2026-10-03,Hosting,AWS,120\n")
	var lanes [4]uint64
	for _, e := range ev {
		h := contentHash(e, true)
		for i := range lanes {
			lanes[i] += binary.BigEndian.Uint64(h[8*i : 8*i+8])
		}
	}
	var b []byte
	for _, l := range lanes {
		b = binary.BigEndian.AppendUint64(b, l)
	}
	if want := hex.EncodeToString(b) + "-2"; sum.Digest != want {
		t.Errorf("digest %s, want %s", sum.Digest, want)
	}
}

// A pipeline snapshot's events are dated at the import, so its digest
// leaves the date out; a cash reading's date is content.
func TestDigestAndDates(t *testing.T) {
	pipeline := "deal,stage,amount,probability\nA,Lead,100,50\n"
	o := opts(Pipeline)
	ev1, sum1 := mustParse(t, o, pipeline)
	o.Version += 1000
	ev2, sum2 := mustParse(t, o, pipeline)
	if sum1.Digest != sum2.Digest {
		t.Errorf("pipeline digest changed with the version: %s, %s", sum1.Digest, sum2.Digest)
	}
	if ev1[0].OccurredAt.Equal(ev2[0].OccurredAt) || ev1[0].EventID == ev2[0].EventID {
		t.Errorf("the two imports should differ in time and event id: %+v %+v", ev1[0], ev2[0])
	}
	_, a := mustParse(t, opts(Cash), "date,account,balance\n2026-10-01,Checking,100\n2026-10-02,Checking,200\n")
	_, b := mustParse(t, opts(Cash), "date,account,balance\n2026-10-01,Checking,200\n2026-10-02,Checking,100\n")
	if a.Digest == b.Digest {
		t.Errorf("balances swapped between dates have the same digest %s", a.Digest)
	}
}

// One day outranks every import version (Unix milliseconds stay below
// 1e13 until 2286): a reading's version is its day times 1e13 plus the
// import version.
func TestCashVersionRanksDayThenImport(t *testing.T) {
	o := opts(Cash)
	ev, _ := mustParse(t, o, "date,account,balance\n2026-10-30,Checking,1\n2026-10-31,Checking,1\n")
	if d := ev[1].Version - ev[0].Version; d != 1e13 {
		t.Errorf("consecutive days differ by %d in version, want 1e13", d)
	}
	if r := ev[0].Version % 1e13; r != o.Version {
		t.Errorf("version %d carries import version %d, want %d", ev[0].Version, r, o.Version)
	}
}

// With as many semicolons as commas, the separator is the comma.
func TestSeparatorTieIsComma(t *testing.T) {
	pe := problemsOf(t, opts(Cash), "date;account,balance\n2026-10-01;Checking,1\n")
	if got := pe.Lines()[0]; !strings.HasPrefix(got, `line 1, column 1 (date;account): unknown column "date;account"`) {
		t.Errorf("first problem %q", got)
	}
}

func TestBinaryDetection(t *testing.T) {
	for _, tt := range []struct {
		head string
		want bool
	}{
		{"date,café", false},
		{"date,caf\xc3", false}, // a rune cut by the end of the head
		{"date,caf\xc3,x", true},
		{"\xff", true},
	} {
		if got := binaryData([]byte(tt.head)); got != tt.want {
			t.Errorf("binaryData(%q) = %v, want %v", tt.head, got, tt.want)
		}
	}
	// A NUL at the very start, and a file that starts with a blank line
	// and has a bad byte in a later row (only the header line is judged).
	pe := problemsOf(t, opts(Expenses), "\x00date,category,vendor,amount\n2026-10-01,Rent,Landlord,1\n")
	if got := pe.Lines(); len(got) != 1 || !strings.HasPrefix(got[0], "line 1: not a CSV text file") {
		t.Errorf("leading NUL: %q", got)
	}
	pe = problemsOf(t, opts(Expenses), "\ndate,category,vendor,amount\n2026-10-01,Rent,Land\xfflord,1\n")
	if got := pe.Lines(); len(got) != 1 || !strings.HasPrefix(got[0], "line 3, column 3 (vendor): not UTF-8 text") {
		t.Errorf("leading blank line: %q", got)
	}
}

// Names are cut at 40 bytes in messages, at a rune boundary; one of
// exactly 40 is whole.
func TestUnknownColumnNameTruncation(t *testing.T) {
	name := strings.Repeat("x", 40)
	pe := problemsOf(t, opts(Cash), "date,account,balance,"+name+"\n2026-10-01,A,1,z\n")
	if got := pe.Lines()[0]; !strings.Contains(got, `unknown column "`+name+`" (`) {
		t.Errorf("40 bytes: %q", got)
	}
	pe = problemsOf(t, opts(Cash), "date,account,balance,"+name+"y\n2026-10-01,A,1,z\n")
	if got := pe.Lines()[0]; !strings.Contains(got, `unknown column "`+name+`…" (`) {
		t.Errorf("41 bytes: %q", got)
	}
	// A two-byte rune across the cut is left out whole, never halved.
	cut := strings.Repeat("x", 39) + "é"
	pe = problemsOf(t, opts(Cash), "date,account,balance,"+cut+"y\n2026-10-01,A,1,z\n")
	if got := pe.Lines()[0]; !strings.Contains(got, `unknown column "`+cut[:39]+`…" (`) {
		t.Errorf("rune across the cut: %q", got)
	}
}

// Zero is a valid target, spend and deal amount (only negatives are
// refused), and it is published as zero.
func TestZeroIsAValue(t *testing.T) {
	ev, _ := mustParse(t, opts(Targets), "month,metric,amount\n2026-11,revenue,0\n")
	if len(ev) != 1 || ev[0].Value != 0 || ev[0].Currency != "USD" {
		t.Errorf("target: %+v", ev)
	}
	ev, _ = mustParse(t, opts(Channels), "channel,date,spend\nAds,2026-10-01,0\n")
	if len(ev) != 1 || ev[0].Metric != messages.MetricChannelSpend || ev[0].Value != 0 {
		t.Errorf("spend: %+v", ev)
	}
	ev, _ = mustParse(t, opts(Pipeline), "deal,stage,amount,probability\nA,Lead,0,50\n")
	if len(ev) != 2 || ev[0].Value != 0 || ev[1].Value != 0 {
		t.Errorf("deal: %+v", ev)
	}
}

// Probabilities: whole percentages print without decimals, 100 % is
// allowed and weighs the whole amount, 100.01 % is refused.
func TestProbabilityEdges(t *testing.T) {
	in := "deal,stage,amount,probability\nA,Lead,1000,50\nB,Lead,1000,100\nC,Lead,1000,0\nD,Lead,1000,7.05\nE,Lead,1000,12.5%\n"
	ev, _ := mustParse(t, opts(Pipeline), in)
	want := []struct {
		prob     string
		weighted int64
	}{{"50", 50000}, {"100", 100000}, {"0", 0}, {"7.05", 7050}, {"12.5", 12500}} // of 1000.00 in cents
	if len(ev) != 2*len(want) {
		t.Fatalf("%d events", len(ev))
	}
	for i, w := range want {
		amt, wt := ev[2*i], ev[2*i+1]
		if amt.Dimensions[messages.DimProbability] != w.prob || wt.Metric != messages.MetricPipelineWeighted || wt.Value != w.weighted {
			t.Errorf("deal %s: probability %q weighted %d, want %q and %d", amt.Dimensions[messages.DimDeal],
				amt.Dimensions[messages.DimProbability], wt.Value, w.prob, w.weighted)
		}
	}
	pe := problemsOf(t, opts(Pipeline), "deal,stage,amount,probability\nA,Lead,1000,100.01\n")
	if got := pe.Lines(); len(got) != 1 || got[0] != "line 2, column 4 (probability): probability 100.01 is above 100%" {
		t.Errorf("100.01: %q", got)
	}
}

// Years 1970 to 2199 inclusive, for dates and months.
func TestYearRange(t *testing.T) {
	ev, _ := mustParse(t, opts(Expenses), "date,category,vendor,amount\n1970-01-01,Rent,Landlord,1\n2199-12-31,Rent,Landlord,1\n")
	if len(ev) != 2 || !ev[0].OccurredAt.Equal(laDay("1970-01-01")) || !ev[1].OccurredAt.Equal(laDay("2199-12-31")) {
		t.Errorf("dates at the ends: %+v", ev)
	}
	pe := problemsOf(t, opts(Expenses), "date,category,vendor,amount\n1969-12-31,Rent,Landlord,1\n2200-01-01,Rent,Landlord,1\n")
	if got := pe.Lines(); len(got) != 2 || !strings.Contains(got[0], `"1969-12-31" is out of range`) || !strings.Contains(got[1], `"2200-01-01" is out of range`) {
		t.Errorf("dates beyond the ends: %q", got)
	}
	ev, _ = mustParse(t, opts(Targets), "month,metric,amount\n1970-01,revenue,1\n2199-12,revenue,1\n")
	if len(ev) != 2 || ev[0].Dimensions[messages.DimMonth] != "1970-01" || ev[1].Dimensions[messages.DimMonth] != "2199-12" {
		t.Errorf("months at the ends: %+v", ev)
	}
	pe = problemsOf(t, opts(Targets), "month,metric,amount\n1969-12,revenue,1\n2200-01,revenue,1\n")
	if got := pe.Lines(); len(got) != 2 || !strings.Contains(got[0], `"1969-12" is out of range`) || !strings.Contains(got[1], `"2200-01" is out of range`) {
		t.Errorf("months beyond the ends: %q", got)
	}
}
