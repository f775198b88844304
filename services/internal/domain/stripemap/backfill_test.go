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
	hist, err := SubscriptionHistory(tenant, &sub)
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
		o["balance_transactions"] = []any{map[string]any{"id": "txn_1", "created": 1703000300}}
	}).Data.Raw, &d)
	dh := DisputeHistory(tenant, &d)
	contains(t, dh, open[0])
	if len(dh) != 2 || dh[1].Value != 1000 || dh[1].Version != terminal+1703000300 {
		t.Fatalf("lost dispute history = %+v", dh)
	}
}
