package importer

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/boardpack/boardpack/messages"
)

// rowSource generates an expenses file of size bytes without ever holding
// it: a header, then rows until size is reached. served counts the bytes
// actually read.
type rowSource struct {
	size, served int64
	line         int
	pending      []byte
}

func (r *rowSource) Read(p []byte) (int, error) {
	if r.served >= r.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.served < r.size {
		if len(r.pending) == 0 {
			if r.line == 0 {
				r.pending = []byte("date,category,vendor,amount,account_code\n")
			} else {
				r.pending = fmt.Appendf(nil, "2026-%02d-%02d,Hosting,Vendor %d,%d.%02d,6100\n",
					r.line%12+1, r.line%28+1, r.line%997, r.line%5000, r.line%100)
			}
			r.line++
		}
		k := copy(p[n:], r.pending)
		if rest := r.size - r.served; int64(k) > rest {
			k = int(rest)
		}
		r.pending = r.pending[k:]
		n += k
		r.served += int64(k)
	}
	return n, nil
}

// A 50 MB file is refused at the limit, with its line, having read no
// more than the limit and a buffer: it is streamed, never loaded whole.
func TestFileOverTheLimitIsRefusedWhileStreaming(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 20 MiB")
	}
	src := &rowSource{size: 50 << 20}
	emitted := 0
	_, err := Scan(src, opts(Expenses), func(messages.MetricEvent) error { emitted++; return nil })
	var pe *ProblemsError
	if !errors.As(err, &pe) || len(pe.Problems) != 1 {
		t.Fatalf("want one problem, got %v", err)
	}
	p := pe.Problems[0]
	if !strings.Contains(p.Reason, "larger than 20 MiB") || p.Line < 100000 {
		t.Errorf("problem %+v", p)
	}
	if src.served > DefaultMaxBytes+headSize+1 {
		t.Errorf("read %d bytes of a %d-byte limit", src.served, DefaultMaxBytes)
	}
	t.Logf("%s; %d events emitted before the limit (a caller validates first)", p, emitted)
}

// A file just under a raised limit is fine; the limit counts bytes read
// and a file of exactly the limit passes.
func TestLimitIsExact(t *testing.T) {
	src := &rowSource{size: 1 << 20}
	o := opts(Expenses)
	o.MaxBytes = 1 << 20
	sum, err := Scan(src, o, nil)
	if err != nil {
		// The generated file is cut mid-row at exactly 1 MiB, so the last
		// row may be short; accept only that.
		var pe *ProblemsError
		if !errors.As(err, &pe) || len(pe.Problems) != 1 || strings.Contains(pe.Problems[0].Reason, "larger") {
			t.Fatalf("%v", err)
		}
		return
	}
	if sum.Bytes != 1<<20 || sum.Rows < 20000 {
		t.Errorf("summary %+v", sum)
	}
}

func BenchmarkScanExpenses(b *testing.B) {
	const size = 4 << 20
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Scan(&rowSource{size: size}, opts(Expenses), nil); err != nil {
			var pe *ProblemsError
			// The generated file is cut mid-row; a short last row is fine.
			if !errors.As(err, &pe) || len(pe.Problems) > 1 {
				b.Fatal(err)
			}
		}
	}
}
