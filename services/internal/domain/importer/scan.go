package importer

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/boardpack/boardpack/messages"
)

// errTooLarge is returned by limitedReader past its limit.
var errTooLarge = errors.New("input too large")

// limitedReader passes at most max bytes and then fails with errTooLarge
// if more input remains (a file of exactly max bytes is fine).
type limitedReader struct {
	r      io.Reader
	n, max int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n >= l.max {
		var one [1]byte
		for range 100 {
			k, err := l.r.Read(one[:])
			if k > 0 {
				return 0, errTooLarge
			}
			if err != nil {
				return 0, err
			}
		}
		return 0, io.ErrNoProgress
	}
	if rest := l.max - l.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	k, err := l.r.Read(p)
	l.n += int64(k)
	return k, err
}

const headSize = 64 << 10

// Scan reads a file row by row, validating every row and calling emit with
// each event of a valid row as long as no problem has been found so far.
// It returns a *ProblemsError listing every problem when the file is not
// valid; emit may then already have been called for the rows before the
// first problem, so a caller that must publish nothing of an invalid file
// scans once with a nil emit to validate, then again to publish. An error
// from emit stops the scan and is returned as is.
func Scan(r io.Reader, opts Options, emit func(messages.MetricEvent) error) (*Summary, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxProblems <= 0 {
		opts.MaxProblems = DefaultMaxProblems
	}
	s := &scanner{
		opts: opts,
		spec: specs[opts.Kind],
		emit: emit,
		sum:  &Summary{Kind: opts.Kind, keys: map[keyHash]keyInfo{}},
		occ:  map[keyHash]int32{},
	}
	lr := &limitedReader{r: r, max: opts.MaxBytes}
	err := s.scan(lr)
	s.sum.Bytes = lr.n
	if err != nil {
		return nil, err
	}
	if len(s.problems) > 0 || s.omitted > 0 {
		return nil, &ProblemsError{Problems: s.problems, Omitted: s.omitted}
	}
	s.sum.Digest = s.digest()
	return s.sum, nil
}

// keyHash identifies an entity key in memory: 16 bytes of SHA-256 instead
// of the key itself, so a file's key set stays small.
type keyHash [16]byte

func hashKey(s string) keyHash {
	sum := sha256.Sum256([]byte(s))
	return keyHash(sum[:16])
}

type keyInfo struct {
	line int32
	mask uint8
}

type scanner struct {
	opts Options
	spec *spec
	emit func(messages.MetricEvent) error

	sum      *Summary
	problems []Problem
	omitted  int
	// header
	names []string       // normalised header names by field index
	col   map[string]int // name -> 1-based column
	sep   rune
	// occ counts occurrences of an expense key (the occurrence index).
	occ map[keyHash]int32
	// lanes is an order-independent sum of the events' content hashes.
	lanes [4]uint64
}

func (s *scanner) problem(line, col int, format string, args ...any) {
	if len(s.problems) >= s.opts.MaxProblems {
		s.omitted++
		return
	}
	name := ""
	if col > 0 && col <= len(s.names) {
		name = s.names[col-1]
	}
	s.problems = append(s.problems, Problem{Line: line, Column: col, Name: name, Reason: fmt.Sprintf(format, args...)})
}

func (s *scanner) failed() bool { return len(s.problems) > 0 || s.omitted > 0 }

func (s *scanner) tooLarge(line int) {
	s.problem(line, 0, "the file is larger than %s (limit reached at this line): split it into smaller files", sizeString(s.opts.MaxBytes))
}

func (s *scanner) scan(lr *limitedReader) error {
	br := bufio.NewReaderSize(lr, headSize)
	head, err := br.Peek(headSize)
	switch {
	case err == nil, errors.Is(err, io.EOF):
	case errors.Is(err, errTooLarge):
		// The limit is smaller than the head: judge what we have.
	default:
		return fmt.Errorf("read file: %w", err)
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		s.problem(1, 0, "the file is UTF-16 encoded: save it as CSV UTF-8")
		return nil
	case bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")):
		_, _ = br.Discard(3)
		head = head[3:]
	}
	if len(bytes.TrimSpace(head)) == 0 {
		if errors.Is(err, errTooLarge) {
			s.tooLarge(1)
		} else {
			s.problem(0, 0, "empty file: expected a header row and at least one data row")
		}
		return nil
	}
	if bytes.IndexByte(head, 0) >= 0 || binaryData(firstLine(head)) {
		s.problem(1, 0, "not a CSV text file: it contains binary data (NUL bytes, or a header that is not UTF-8)")
		return nil
	}
	cr := csv.NewReader(br)
	s.sep = sniffSeparator(head)
	cr.Comma = s.sep
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true

	header, err := cr.Read()
	if err != nil {
		switch {
		case errors.Is(err, errTooLarge):
			s.tooLarge(1)
			return nil
		case errors.Is(err, io.EOF):
			s.problem(0, 0, "empty file: expected a header row and at least one data row")
			return nil
		}
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return fmt.Errorf("read file: %w", err)
		}
		s.problem(pe.Line, 0, "header: %v", pe.Err)
		return nil
	}
	s.header(header)

	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if errors.Is(err, errTooLarge) {
				line, _ := cr.FieldPos(0)
				s.tooLarge(line)
				break
			}
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return fmt.Errorf("read file: %w", err)
			}
			s.problem(pe.StartLine, 0, "%v (at line %d, byte %d); quote fields that contain quotes, separators or line breaks", pe.Err, pe.Line, pe.Column)
			continue
		}
		line, _ := cr.FieldPos(0)
		if allBlank(rec) {
			continue
		}
		if err := s.row(line, rec); err != nil {
			return err
		}
	}
	if s.sum.Rows == 0 && !s.failed() {
		s.problem(0, 0, "the file has a header but no data rows")
	}
	return nil
}

// header maps the header's names to columns and checks them against the
// kind's columns.
func (s *scanner) header(rec []string) {
	s.col = map[string]int{}
	s.names = make([]string, len(rec))
	known := map[string]bool{}
	for _, c := range s.spec.required {
		known[c] = true
	}
	for _, c := range s.spec.optional {
		known[c] = true
	}
	for i, raw := range rec {
		s.names[i] = normName(raw)
	}
	for i, name := range s.names {
		col := i + 1
		switch {
		case !utf8.ValidString(rec[i]) || strings.ContainsRune(rec[i], 0):
			s.problem(1, col, "column name is not UTF-8 text")
		case name == "":
			s.problem(1, col, "empty column name")
		case !known[name]:
			s.problem(1, col, "unknown column %q (%s columns: %s)", truncate(strings.TrimSpace(rec[i]), 40), s.opts.Kind, s.spec.describe())
		case s.col[name] != 0:
			s.problem(1, col, "duplicate column %q (also column %d)", name, s.col[name])
		default:
			s.col[name] = col
		}
	}
	for _, c := range s.spec.required {
		if s.col[c] == 0 {
			s.problem(1, 0, "missing required column %q (%s columns: %s)", c, s.opts.Kind, s.spec.describe())
		}
	}
	if len(s.spec.atLeastOne) > 0 {
		found := false
		for _, c := range s.spec.atLeastOne {
			found = found || s.col[c] != 0
		}
		if !found {
			s.problem(1, 0, "%s needs at least one of the columns %s", s.opts.Kind, strings.Join(s.spec.atLeastOne, ", "))
		}
	}
}

func (s *scanner) row(line int, rec []string) error {
	if len(rec) != len(s.names) {
		s.problem(line, 0, "%d fields, the header has %d", len(rec), len(s.names))
		return nil
	}
	before := len(s.problems) + s.omitted
	for i, v := range rec {
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			s.problem(line, i+1, "not UTF-8 text: save the file as CSV UTF-8")
		} else if len(v) > maxCell {
			s.problem(line, i+1, "longer than %d characters", maxCell)
		}
	}
	if len(s.problems)+s.omitted > before {
		return nil
	}
	s.sum.Rows++
	c := &rowCtx{s: s, line: line, rec: rec, problems: before}
	s.spec.row(c)
	if c.failed() {
		return nil
	}
	for i, e := range c.events {
		s.sum.Events++
		s.add(c.hashes[i])
		if s.emit != nil && !s.failed() {
			if err := s.emit(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// maxCell bounds a cell: no field of these files is longer.
const maxCell = 1000

// rowCtx is one data row being converted.
type rowCtx struct {
	s        *scanner
	line     int
	rec      []string
	problems int // problem count before the row
	events   []messages.MetricEvent
	hashes   [][32]byte
}

func (c *rowCtx) failed() bool { return len(c.s.problems)+c.s.omitted > c.problems }

// cell returns the trimmed value of a column and its 1-based number (0
// when the file has no such column).
func (c *rowCtx) cell(name string) (string, int) {
	col := c.s.col[name]
	if col == 0 {
		return "", 0
	}
	return strings.TrimSpace(c.rec[col-1]), col
}

func (c *rowCtx) fail(col int, format string, args ...any) {
	c.s.problem(c.line, col, format, args...)
}

// text returns a required text cell, reporting a blank one.
func (c *rowCtx) text(name string, required bool) string {
	v, col := c.cell(name)
	if v == "" && required && col != 0 {
		c.fail(col, "%s is blank (required)", name)
	}
	if len(v) > maxText {
		c.fail(col, "%s is longer than %d characters", name, maxText)
	}
	return v
}

const maxText = 200

// key registers an entity of the row, reporting a duplicate of a kind
// whose key must be unique within the file.
func (c *rowCtx) key(entity, what string) bool {
	h := hashKey(entity)
	if k, dup := c.s.sum.keys[h]; dup {
		c.fail(0, "duplicate %s (first on line %d)", what, k.line)
		return false
	}
	c.s.sum.keys[h] = keyInfo{line: int32(min(c.line, math.MaxInt32))}
	return true
}

// event adds one event of the row.
func (c *rowCtx) event(metric, entity string, at time.Time, version int64, value int64, cur, unit string, dims map[string]string) {
	o := c.s.opts
	e := messages.MetricEvent{
		Header: messages.Header{
			TenantID:   o.TenantID,
			OccurredAt: at.UTC(),
			Source:     messages.SourceImport,
		},
		Metric:     metric,
		Kind:       messages.KindState,
		Value:      value,
		Currency:   cur,
		Unit:       unit,
		Entity:     entity,
		Version:    version,
		Dimensions: dims,
	}
	if o.Kind == Cash {
		e.Kind = messages.KindGauge
	}
	h := contentHash(e, o.Kind != Pipeline)
	e.EventID = eventID(o, e, h, "")
	c.hashes = append(c.hashes, h)
	for i, m := range c.s.spec.metrics {
		if m == metric {
			h := hashKey(entity)
			k := c.s.sum.keys[h]
			k.mask |= 1 << i
			c.s.sum.keys[h] = k
		}
	}
	c.events = append(c.events, e)
}

// span widens the summary's [From, To).
func (c *rowCtx) span(from, to time.Time) {
	sum := c.s.sum
	if sum.From.IsZero() || from.Before(sum.From) {
		sum.From = from.UTC()
	}
	if to.After(sum.To) {
		sum.To = to.UTC()
	}
}

// monthSpan widens the summary's span to the month of day.
func (c *rowCtx) monthSpan(day time.Time) {
	first := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, day.Location())
	c.span(first, first.AddDate(0, 1, 0))
}

// add folds an event's content hash into the order-independent digest.
func (s *scanner) add(h [32]byte) {
	for i := range s.lanes {
		s.lanes[i] += binary.BigEndian.Uint64(h[i*8:])
	}
}

func (s *scanner) digest() string {
	var b [32]byte
	for i, l := range s.lanes {
		binary.BigEndian.PutUint64(b[i*8:], l)
	}
	return fmt.Sprintf("%s-%d", hex.EncodeToString(b[:]), s.sum.Events)
}

// contentHash hashes what an event says, without its version and event
// id, and without its time when the time is the import's own (pipeline).
func contentHash(e messages.MetricEvent, withTime bool) [32]byte {
	var scratch [256]byte
	b := scratch[:0]
	field := func(s string) {
		b = strconv.AppendInt(b, int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
	}
	field(e.TenantID)
	field(e.Metric)
	field(string(e.Kind))
	field(e.Entity)
	b = strconv.AppendInt(b, e.Value, 10)
	b = append(b, '|')
	field(e.Currency)
	field(e.Unit)
	if withTime {
		b = e.OccurredAt.UTC().AppendFormat(b, time.RFC3339Nano)
	}
	b = append(b, '|')
	var keys [8]string
	ks := keys[:0]
	for k := range e.Dimensions {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		field(k)
		field(e.Dimensions[k])
	}
	return sha256.Sum256(b)
}

// eventID derives the idempotency key from tenant, kind, content (hash c),
// time and version; salt distinguishes tombstones.
func eventID(o Options, e messages.MetricEvent, c [32]byte, salt string) string {
	var scratch [160]byte
	b := append(scratch[:0], o.Kind...)
	b = append(b, '|')
	b = append(b, salt...)
	b = append(b, '|')
	b = strconv.AppendInt(b, e.Version, 10)
	b = append(b, '|')
	b = strconv.AppendInt(b, e.OccurredAt.UnixNano(), 10)
	b = append(b, '|')
	b = append(b, c[:]...)
	sum := sha256.Sum256(b)
	return "imp_" + hex.EncodeToString(sum[:16])
}

// normName normalises a column name: lower case, trimmed, spaces and
// hyphens as underscores.
func normName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return '_'
		}
		return r
	}, s)
	for strings.Contains(s, "__") {
		s = strings.ReplaceAll(s, "__", "_")
	}
	return s
}

// sniffSeparator picks `;` when the header line has more semicolons than
// commas outside quotes, else `,`.
func sniffSeparator(head []byte) rune {
	commas, semis, quoted := 0, 0, false
	for _, b := range head {
		if b == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if b == '\n' {
			break
		}
		switch b {
		case ',':
			commas++
		case ';':
			semis++
		}
	}
	if semis > commas {
		return ';'
	}
	return ','
}

// binaryData reports whether the head of a file is not UTF-8 text
// (ignoring a rune cut at the end of the head). NUL bytes are valid UTF-8:
// the caller looks for them.
func binaryData(head []byte) bool {
	for i := 0; i < len(head); {
		r, n := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && n <= 1 {
			if len(head)-i < utf8.UTFMax && !utf8.FullRune(head[i:]) {
				return false
			}
			return true
		}
		i += n
	}
	return false
}

// firstLine is head up to its first line break (or all of it).
func firstLine(head []byte) []byte {
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		return head[:i]
	}
	return head
}

func allBlank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func sizeString(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
