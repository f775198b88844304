package main

import (
	"context"
	"testing"
	"time"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// failingAccounts refuses the tenants it names, like an AssumeRole denied.
type failingAccounts struct {
	fail map[string]error
	next accountSource
}

func (f failingAccounts) For(ctx context.Context, t tenants.Tenant) (Account, []string, error) {
	if err := f.fail[t.ID]; err != nil {
		return nil, nil, err
	}
	return f.next.For(ctx, t)
}

func TestCostIsReadOncePerInterval(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	svc := &Service{CostInterval: 6 * time.Hour}
	if !svc.costDue("a", now) {
		t.Fatal("first pass must read cost")
	}
	svc.costDone("a", now)
	if svc.costDue("a", now.Add(time.Hour)) || !svc.costDue("a", now.Add(6*time.Hour)) || !svc.costDue("b", now) {
		t.Fatal("cost interval not honoured per tenant")
	}
}

func TestParsePercentBP(t *testing.T) {
	for in, want := range map[string]int64{"5": 500, "2.5": 250, "0.01%": 1, "100": 10000} {
		if got, err := parsePercentBP(in); err != nil || got != want {
			t.Errorf("parsePercentBP(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "-1", "101"} {
		if _, err := parsePercentBP(bad); err == nil {
			t.Errorf("parsePercentBP(%q) accepted", bad)
		}
	}
}
