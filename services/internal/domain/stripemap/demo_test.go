package stripemap

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

func TestDemoEvents(t *testing.T) {
	f, err := LoadFixtures(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	evs, err := DemoEvents(f, tenant, now, false, "USD")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) < 20 {
		t.Fatalf("only %d demo events", len(evs))
	}
	by := map[string][]messages.MetricEvent{}
	ids := map[string]bool{}
	var last int64
	for _, de := range evs {
		if ids[de.ID] {
			t.Fatalf("duplicate event id %s", de.ID)
		}
		ids[de.ID] = true
		// Signed demo events verify like real ones.
		header := Sign(de.Payload, "whsec_demo", now)
		ev, err := webhook.ConstructEventWithOptions(de.Payload, header, "whsec_demo", webhook.ConstructEventOptions{IgnoreTolerance: true})
		if err != nil {
			t.Fatalf("%s: %v", de.Type, err)
		}
		if ev.Created < last {
			t.Errorf("%s out of order", de.ID)
		}
		last = ev.Created
		facts, err := Translate(tenant, ev)
		if err != nil {
			t.Fatalf("%s: %v", de.Type, err)
		}
		if len(facts) == 0 {
			t.Errorf("%s (%s) yields no figure", de.ID, de.Type)
		}
		for _, e := range facts {
			by[e.Metric] = append(by[e.Metric], e)
		}
	}
	end := now.Add(time.Hour)
	start := now.AddDate(0, -1, 0)
	gross := readmodel.Sum(by[messages.MetricRevenueGross], start, end)
	refunded := readmodel.TotalAt(by[messages.MetricRevenueRefunded], end)
	if gross <= 0 || refunded <= 0 || refunded >= gross {
		t.Errorf("gross %d, refunded %d", gross, refunded)
	}
	if n := len(by[messages.MetricRevenueRefunded]); n != 2 {
		t.Errorf("%d refund states, want 2 (one partial, one full)", n)
	}
	if mrr := readmodel.TotalAt(by[messages.MetricMRR], end); mrr <= 0 {
		t.Errorf("MRR %d", mrr)
	}
	for _, m := range []string{messages.MetricCustomersNew, messages.MetricCheckoutCompleted, messages.MetricCheckoutExpired,
		messages.MetricPayoutsPaid, messages.MetricInvoicesPaid, messages.MetricInvoicesFailed, messages.MetricCashStripe} {
		if len(by[m]) == 0 {
			t.Errorf("no %s", m)
		}
	}

	// Another tenant, or another moment, gets other ids and figures.
	other, _ := DemoEvents(f, "queen-of-san-diego", now, false, "USD")
	later, _ := DemoEvents(f, tenant, now.Add(time.Minute), false, "USD")
	again, _ := DemoEvents(f, tenant, now, false, "USD")
	if other[0].ID == evs[0].ID || later[0].ID == evs[0].ID {
		t.Error("demo ids are not distinct per tenant and time")
	}
	if string(again[3].Payload) != string(evs[3].Payload) {
		t.Error("same tenant and time gave different events")
	}
	var ch stripe.Event
	_ = json.Unmarshal(evs[0].Payload, &ch)
	if ch.Livemode {
		t.Error("livemode not applied")
	}
	// A EUR tenant's demo is in EUR throughout.
	eur, err := DemoEvents(f, tenant, now, true, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range eur {
		ev, _ := webhook.ConstructEventWithOptions(de.Payload, Sign(de.Payload, "s", now), "s", webhook.ConstructEventOptions{IgnoreTolerance: true})
		facts, err := Translate(tenant, ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range facts {
			if (e.Currency != "" && e.Currency != "EUR") || !*e.Livemode {
				t.Errorf("%s: %s in %s, livemode %v", de.Type, e.Metric, e.Currency, *e.Livemode)
			}
		}
	}
}
