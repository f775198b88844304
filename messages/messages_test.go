package messages

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestHeaderValidateRefusesMissingTenant(t *testing.T) {
	h := Header{EventID: "e1", OccurredAt: time.Now(), Source: SourceStripe}
	if err := h.Validate(); !errors.Is(err, ErrMissingTenant) {
		t.Fatalf("Validate() = %v, want ErrMissingTenant", err)
	}
	h.TenantID = "Bad Tenant"
	if err := h.Validate(); err == nil {
		t.Fatal("Validate() accepted an invalid tenant id")
	}
	h.TenantID = "queen-of-san-diego"
	if err := h.Validate(); err != nil {
		t.Fatalf("Validate() = %v, want nil", err)
	}
}

func TestReportIDForIsDeterministicAndDistinct(t *testing.T) {
	start := time.Date(2026, 10, 1, 7, 0, 0, 0, time.UTC)
	end := time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC)
	a := ReportIDFor("jada", RoleCFO, start, end)
	if b := ReportIDFor("jada", RoleCFO, start.In(time.FixedZone("x", 3600)), end); a != b {
		t.Fatalf("same period in another zone gave %s and %s", a, b)
	}
	for _, other := range []string{
		ReportIDFor("jada", RoleCEO, start, end),
		ReportIDFor("jada2", RoleCFO, start, end),
		ReportIDFor("jada", RoleCFO, start, end.Add(time.Second)),
	} {
		if other == a {
			t.Fatalf("different report got the same id %s", a)
		}
	}
}

func TestMetricEventValidate(t *testing.T) {
	h := Header{EventID: "e1", TenantID: "jada", OccurredAt: time.Now(), Source: SourceStripe}
	cases := map[string]struct {
		ev MetricEvent
		ok bool
	}{
		"additive":             {MetricEvent{Header: h, Metric: MetricRevenueGross, Kind: KindAdditive, Value: 100, Currency: "USD"}, true},
		"state without entity": {MetricEvent{Header: h, Metric: MetricMRR, Kind: KindState}, false},
		"gauge without series": {MetricEvent{Header: h, Metric: MetricCashStripe, Kind: KindGauge}, false},
		"unknown kind":         {MetricEvent{Header: h, Metric: "x", Kind: "sum"}, false},
		"lower-case currency":  {MetricEvent{Header: h, Metric: "x", Kind: KindAdditive, Currency: "usd"}, false},
		"no tenant":            {MetricEvent{Header: Header{EventID: "e", OccurredAt: time.Now(), Source: "x"}, Metric: "x", Kind: KindAdditive}, false},
	}
	for name, c := range cases {
		if err := c.ev.Validate(); (err == nil) != c.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", name, err, c.ok)
		}
	}
}

func TestReportDueTestRecipient(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	due := ReportDue{
		Header:   Header{EventID: "e1", TenantID: "jada", OccurredAt: start, Source: SourceReportctl},
		ReportID: "rpt_1", Role: RoleCFO, PeriodStart: start, PeriodEnd: start.AddDate(0, 1, 0), PeriodKind: PeriodMonth, DueAt: start,
	}
	if err := due.Validate(); err != nil {
		t.Fatalf("no test recipient: %v", err)
	}
	for addr, ok := range map[string]bool{
		"ann@example.com":             true,
		"Ann <ann@example.com>":       false,
		"ann@example.com\r\nBcc: x@y": false,
		"not an address":              false,
	} {
		due.TestRecipient = addr
		if err := due.Validate(); (err == nil) != ok {
			t.Errorf("TestRecipient %q: Validate() = %v, want ok=%v", addr, err, ok)
		}
	}
	// Optional: a message without it has no such field.
	due.TestRecipient = ""
	b, _ := json.Marshal(due)
	if strings.Contains(string(b), "test_recipient") {
		t.Errorf("empty test_recipient is serialised: %s", b)
	}
}
