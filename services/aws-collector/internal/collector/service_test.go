package collector

import (
	"testing"
	"time"
)

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
