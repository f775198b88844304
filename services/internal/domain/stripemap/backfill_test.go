package stripemap

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// contains fails unless from holds want under the same key with the same
// content (what the aggregator would store).
func contains(t *testing.T, from []messages.MetricEvent, want messages.MetricEvent) {
	t.Helper()
	wj, _ := json.Marshal(want)
	for _, e := range from {
		if readmodel.FactKey(e) == readmodel.FactKey(want) {
			if ej, _ := json.Marshal(e); string(ej) != string(wj) {
				t.Fatalf("same key, different content:\n%s\n%s", ej, wj)
			}
			return
		}
	}
	t.Fatalf("backfill lacks %+v", want)
}

func TestHistoryMatchesWebhooks(t *testing.T) {
	// A charge refunded by a refund at the event's time.
	ev := loadEvent(t, "charge_refunded.json", func(o map[string]any) {
		captured(o)
		o["amount_refunded"] = 40
		o["refunds"] = map[string]any{"object": "list", "data": []any{
			map[string]any{"id": "re_1", "amount": 40, "created": 1703000002, "status": "succeeded"},
		}}
	})
	web, err := Translate(tenant, ev)
	if err != nil {
		t.Fatal(err)
	}
	var ch stripe.Charge
	_ = json.Unmarshal(ev.Data.Raw, &ch)
	back := ChargeHistory(tenant, &ch)
	for _, e := range web {
		contains(t, back, e)
	}

	// A subscription created, then deleted.
	created, _ := Translate(tenant, loadEvent(t, "customer_subscription_created.json", nil))
	delEv := loadEvent(t, "customer_subscription_deleted.json", nil)
	deleted, _ := Translate(tenant, delEv)
	var sub stripe.Subscription
	_ = json.Unmarshal(delEv.Data.Raw, &sub)
	hist, err := SubscriptionHistory(tenant, &sub, nil)
	if err != nil {
		t.Fatal(err)
	}
	contains(t, hist, created[0])
	contains(t, hist, deleted[0])
	if got := readmodel.TotalAt(hist, time.Unix(1703000000, 0)); got != 2000 {
		t.Errorf("MRR before the end = %d, want 2000", got)
	}
	if got := readmodel.TotalAt(hist, time.Unix(1703000001, 0)); got != 0 {
		t.Errorf("MRR after the end = %d, want 0", got)
	}

	// A dispute opened, then lost.
	open, _ := Translate(tenant, loadEvent(t, "charge_dispute_created.json", nil))
	var d stripe.Dispute
	_ = json.Unmarshal(loadEvent(t, "charge_dispute_created.json", func(o map[string]any) {
		o["status"] = "lost"
		o["balance_transactions"] = []any{map[string]any{"id": "txn_1", "created": 1703000300, "amount": -1000, "fee": 1500, "currency": "usd"}}
	}).Data.Raw, &d)
	dh := DisputeHistory(tenant, &d)
	contains(t, dh, open[0])
	got := facts(dh)
	want := []fact{
		{messages.MetricDisputesAtStake, messages.KindState, 1000, "USD", "", d.ID, 1234567890, 1234567890, "ch_1OPoueJN5vQBdWExHvNS496R"},
		{messages.MetricDisputesAtStake, messages.KindState, 0, "USD", "", d.ID, terminal + 1703000300, 1703000300, "ch_1OPoueJN5vQBdWExHvNS496R"},
		{messages.MetricRevenueDisputed, messages.KindAdditive, 1000, "USD", "", "", 0, 1703000300, "ch_1OPoueJN5vQBdWExHvNS496R"},
		{messages.MetricRevenueFees, messages.KindAdditive, 1500, "USD", "", "", 0, 1703000300, "ch_1OPoueJN5vQBdWExHvNS496R"},
		{messages.MetricDisputesLost, messages.KindAdditive, 1, "", messages.UnitCount, "", 0, 1703000300, "ch_1OPoueJN5vQBdWExHvNS496R"},
	}
	if len(got) != len(want) {
		t.Fatalf("lost dispute history = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("lost dispute history fact %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}
