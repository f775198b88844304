// Package importer turns a tenant's spreadsheets (CSV files of expenses,
// cash balances, monthly targets, marketing channels and the sales
// pipeline) into metric events (messages.MetricEvent). It is pure: no I/O
// beyond the io.Reader it is given, no AWS; `reportctl import` does the
// publishing.
//
// # The file
//
// A header row, then one row per record. Columns in any order, named as
// documented per kind (case-insensitive, trimmed; spaces and hyphens count
// as underscores, so "Account Code" is account_code). UTF-8 with or
// without a byte-order mark; `,` or `;` as separator (sniffed from the
// header: the more frequent of the two outside quotes); RFC 4180 quoting.
// Blank lines and rows whose cells are all empty are skipped. Dates are
// YYYY-MM-DD, months YYYY-MM, in the tenant's calendar (time zone).
// Amounts are decimals ("1234.50", "-20") in the row's currency column,
// else the tenant's currency, with at most the currency's decimals, parsed
// to integer minor units without floats; in a `;`-separated file a single
// decimal comma ("1234,50") is accepted too. No thousands separators, no
// currency symbols, no exponents. Counts are whole numbers. A blank
// optional cell is unknown and publishes nothing (never a zero).
//
// Validation reads the whole stream and reports every problem with its
// line, column and reason (see Problem); a caller publishes nothing unless
// Scan returned no problems. The stream is read once, row by row, and never
// held whole: memory is the row being read plus one key per row (for
// duplicate detection and tombstones), and the input is cut at
// Options.MaxBytes (DefaultMaxBytes).
//
// # Idempotency and corrections
//
// Each row is an entity state (messages.KindState; cash balances are
// gauges) whose Entity is the row's natural key: expenses date, vendor,
// category, account code and an occurrence index for identical keys;
// cash account and date; targets month and metric; channels channel and
// date; pipeline the deal. Version is the import version, chosen by the
// caller (Options.Version, Unix milliseconds, strictly increasing per
// tenant and kind), and the EventID is derived from tenant, kind, metric,
// entity, content and version. Hence:
//
//   - Importing the same content again (Summary.Digest unchanged, whatever
//     the row order or separator) under the same version yields exactly
//     the same events: the read model keeps them once, nothing changes.
//   - A corrected file gets a new, higher version: every row it contains
//     becomes the entity's latest state, so a corrected amount replaces the
//     old one (readmodel.StatesAt picks the highest Version).
//   - A row missing from a corrected file is removed by a tombstone (Value
//     0, Dimensions["removed"]="true", see Tombstones) when it lies inside
//     the file's scope: for expenses, channels and targets the calendar
//     months (in the tenant's time zone) from the month of its first date
//     to the month of its last date, for pipeline the whole pipeline (a
//     pipeline file is a complete snapshot). Rows outside the scope are
//     kept, so importing October and then November adds November without
//     touching October; but a file of October 16–31 replaces all of
//     October: import a month as one file (or ask the caller not to
//     remove anything, `reportctl import --keep-missing`). Cash balances are readings and are never removed by
//     omission: correct a wrong balance by importing the right one for the
//     same account and date.
package importer

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// Kind is the kind of spreadsheet.
type Kind string

// The kinds of spreadsheet.
const (
	Expenses Kind = "expenses"
	Cash     Kind = "cash"
	Targets  Kind = "targets"
	Channels Kind = "channels"
	Pipeline Kind = "pipeline"
)

// Kinds lists every kind, in documentation order.
var Kinds = []Kind{Expenses, Cash, Targets, Channels, Pipeline}

// ParseKind returns the kind named s.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == strings.ToLower(strings.TrimSpace(s)) {
			return k, nil
		}
	}
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return "", fmt.Errorf("unknown kind %q (want one of %s)", s, strings.Join(names, ", "))
}

// Metrics returns the metrics a kind publishes (what to read back for
// tombstones).
func (k Kind) Metrics() []string {
	if s, ok := specs[k]; ok {
		return s.metrics
	}
	return nil
}

// Columns returns the kind's required and optional column names.
func (k Kind) Columns() (required, optional []string) {
	s, ok := specs[k]
	if !ok {
		return nil, nil
	}
	return s.required, s.optional
}

// DefaultMaxBytes bounds a file: larger files are refused (split them).
// At one SNS publish per event, 20 MiB (about 250,000 expense rows) is
// already an hour of publishing on an emulator.
const DefaultMaxBytes = 20 << 20

// DefaultMaxProblems bounds how many problems are kept; the rest are
// counted.
const DefaultMaxProblems = 200

// Options says whose file it is and how to read it.
type Options struct {
	TenantID string
	Kind     Kind
	// Currency is the tenant's currency, used when a row has no currency
	// column or a blank one.
	Currency string
	// Location is the tenant's time zone; dates are its calendar days.
	// Nil means UTC.
	Location *time.Location
	// Version is the import version: Unix milliseconds, strictly
	// increasing per tenant and kind; the same content imported again must
	// reuse its version to produce the very same events.
	Version int64
	// MaxBytes bounds the input (DefaultMaxBytes when 0).
	MaxBytes int64
	// MaxProblems bounds the problems kept (DefaultMaxProblems when 0).
	MaxProblems int
}

// AsOf is the import time the version stands for: the "as of" of a
// pipeline snapshot.
func (o Options) AsOf() time.Time { return time.UnixMilli(o.Version).UTC() }

func (o Options) validate() error {
	var errs []error
	if !messages.ValidTenantID(o.TenantID) {
		errs = append(errs, fmt.Errorf("invalid tenant id %q", o.TenantID))
	}
	if _, ok := specs[o.Kind]; !ok {
		_, err := ParseKind(string(o.Kind))
		errs = append(errs, err)
	}
	if !validCurrency(o.Currency) {
		errs = append(errs, fmt.Errorf("invalid tenant currency %q", o.Currency))
	}
	if o.Version <= 0 {
		errs = append(errs, errors.New("version must be positive (Unix milliseconds)"))
	}
	return errors.Join(errs...)
}

// Problem is one thing wrong with the file.
type Problem struct {
	// Line is the 1-based line of the file (the header is line 1); 0 for
	// the file as a whole.
	Line int
	// Column is the 1-based column (field) number, 0 when the problem is
	// the whole line; Name is the column's header name.
	Column int
	Name   string
	Reason string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d", p.Line)
	} else {
		b.WriteString("file")
	}
	if p.Column > 0 {
		fmt.Fprintf(&b, ", column %d", p.Column)
		if p.Name != "" {
			fmt.Fprintf(&b, " (%s)", p.Name)
		}
	}
	b.WriteString(": ")
	b.WriteString(p.Reason)
	return b.String()
}

// ProblemsError is every problem found in a file. Nothing of such a file
// may be published.
type ProblemsError struct {
	Problems []Problem
	// Omitted counts problems beyond Options.MaxProblems.
	Omitted int
}

func (e *ProblemsError) Error() string {
	n := len(e.Problems) + e.Omitted
	if n == 1 {
		return "1 problem: " + e.Problems[0].String()
	}
	return fmt.Sprintf("%d problems, the first: %s", n, e.Problems[0])
}

// Lines returns one line per problem, and a last line counting the
// omitted ones.
func (e *ProblemsError) Lines() []string {
	out := make([]string, 0, len(e.Problems)+1)
	for _, p := range e.Problems {
		out = append(out, p.String())
	}
	if e.Omitted > 0 {
		out = append(out, fmt.Sprintf("... and %d more problems", e.Omitted))
	}
	return out
}

// Summary describes a valid file.
type Summary struct {
	Kind Kind
	// Rows counts data rows (blank rows excluded); Events the events they
	// make.
	Rows, Events int
	// Bytes is how much of the input was read.
	Bytes int64
	// Digest identifies the content independently of row order, layout and
	// version: two files with the same Digest produce the same events
	// under the same version.
	Digest string
	// From and To bound the calendar months of the rows' dates, [From,
	// To) (the scope of a dated kind); zero for pipeline.
	From, To time.Time

	// keys: entity (hashed, to keep memory small) -> first line and a bit
	// per metric present.
	keys map[keyHash]keyInfo
}

// Has reports whether the file has a row for the entity with a value of
// metric.
func (s *Summary) Has(metric, entity string) bool {
	k, ok := s.keys[hashKey(entity)]
	if !ok {
		return false
	}
	mask := k.mask
	for i, m := range s.Kind.Metrics() {
		if m == metric {
			return mask&(1<<i) != 0
		}
	}
	return false
}

// Parse reads a whole file and returns its events, or a *ProblemsError
// listing everything wrong with it (and no events). It holds every event
// in memory: callers with large files use Scan twice instead.
func Parse(r io.Reader, opts Options) ([]messages.MetricEvent, *Summary, error) {
	var events []messages.MetricEvent
	sum, err := Scan(r, opts, func(e messages.MetricEvent) error {
		events = append(events, e)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return events, sum, nil
}
