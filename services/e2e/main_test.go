// Package e2e runs the whole system as a user runs it (see package stack):
// the webhook-to-email path, the chaos suite and the system benchmarks.
package e2e

import (
	"strings"
	"testing"

	"github.com/boardpack/boardpack/services/internal/platform/mototest"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// header returns a header's value from a raw email.
func header(raw, name string) string {
	for _, line := range strings.Split(headerBlock(raw), "\n") {
		k, v, ok := strings.Cut(strings.TrimRight(line, "\r"), ":")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func headerBlock(raw string) string {
	if i := strings.Index(raw, "\r\n\r\n"); i >= 0 {
		return "\n" + raw[:i]
	}
	return raw
}
