package tenants

import (
	"testing"
	"time"
)

// A row's optional times: nil when unset, else the same instant in UTC.
func TestUTCPtr(t *testing.T) {
	if p := utcPtr(time.Time{}); p != nil {
		t.Fatalf("zero time = %v, want nil", p)
	}
	at := time.Date(2026, 12, 7, 9, 30, 0, 0, time.FixedZone("X", -8*3600))
	p := utcPtr(at)
	if p == nil || !p.Equal(at) || p.Location() != time.UTC {
		t.Fatalf("utcPtr(%v) = %v, want the same instant in UTC", at, p)
	}
}
