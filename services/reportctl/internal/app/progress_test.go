package app

import (
	"bytes"
	"strings"
	"testing"
)

func TestProgressDrawsOnlyOnATerminal(t *testing.T) {
	var off, on bytes.Buffer
	quiet := (&App{Stderr: &off}).Progress("import", 3)
	loud := (&App{Stderr: &on, Terminal: true}).Progress("import", 3)
	for _, p := range []*Progress{quiet, loud} {
		p.Add(1)
		p.Add(2)
		p.Done()
		p.Done()
	}
	if off.Len() != 0 {
		t.Errorf("progress off a terminal wrote %q", off.String())
	}
	if got := on.String(); !strings.Contains(got, "import: 3/3 (100%)") || !strings.HasSuffix(got, "\r\033[K") {
		t.Errorf("progress on a terminal wrote %q", got)
	}
}
