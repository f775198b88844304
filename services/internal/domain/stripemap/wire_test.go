package stripemap

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/boardpack/boardpack/messages"
)

// The minimal charge decode (wire.go) gives the same facts as decoding
// the whole stripe.Charge, for the charge fixtures and for the shapes that
// matter: expanded and unexpanded balance transactions, listed refunds
// with their charge as an id or an object, a failed refund with its
// failure balance transaction, nulls.
func TestWireChargeAgreesWithStripeCharge(t *testing.T) {
	bt := map[string]any{"id": "txn_1", "object": "balance_transaction", "amount": 3900, "created": 1700000100,
		"currency": "eur", "exchange_rate": 0.93, "fee": 151, "net": 3749}
	edits := map[string]func(obj map[string]any){
		"as is":               nil,
		"balance tx id":       func(o map[string]any) { o["balance_transaction"] = "txn_1" },
		"balance tx expanded": func(o map[string]any) { o["balance_transaction"] = bt },
		"balance tx null":     func(o map[string]any) { o["balance_transaction"] = nil },
		"refunds null":        func(o map[string]any) { o["refunds"] = nil },
		"invoice id":          func(o map[string]any) { o["invoice"] = "in_1" },
		"invoice expanded":    func(o map[string]any) { o["invoice"] = map[string]any{"id": "in_1", "object": "invoice"} },
		"invoice null":        func(o map[string]any) { o["invoice"] = nil },
		"refunds listed": func(o map[string]any) {
			o["amount_refunded"] = 1500
			o["refunds"] = map[string]any{"object": "list", "data": []any{
				map[string]any{"id": "re_1", "amount": 1000, "created": 1700000200, "currency": "usd", "status": "succeeded", "charge": "ch_x"},
				map[string]any{"id": "re_2", "amount": 500, "created": 1700000300, "status": "failed",
					"charge": map[string]any{"id": "ch_y", "object": "charge"}, "failure_balance_transaction": map[string]any{"id": "txn_f", "created": 1700000400}},
				map[string]any{"id": "re_3", "amount": 200, "created": 1700000300, "status": "canceled", "failure_balance_transaction": "txn_g"},
				nil,
			}}
		},
	}
	for _, file := range []string{"charge_succeeded.json", "charge_refunded.json"} {
		for name, edit := range edits {
			ev := loadEvent(t, file, func(o map[string]any) {
				o["captured"] = true
				if edit != nil {
					edit(o)
				}
			})
			var full stripe.Charge
			if err := json.Unmarshal(ev.Data.Raw, &full); err != nil {
				t.Fatal(err)
			}
			wire, err := decodeCharge(ev)
			if err != nil {
				t.Fatalf("%s %s: %v", file, name, err)
			}
			at, captured := time.Unix(1700000500, 0).UTC(), time.Unix(1700000000, 0).UTC()
			want := charge("acme", &full, at, captured, true)
			got := charge("acme", wire, at, captured, true)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s:\n got %+v\nwant %+v", file, name, got, want)
			}
			if len(want) == 0 {
				t.Errorf("%s %s: no facts, the case proves nothing", file, name)
			}
		}
	}
}

// DecodeWebhook and TranslateWebhook, the webhook's one pass, give what
// Translate gives for the same body, for every fixture and the malformed
// shapes of a charge event.
func TestDecodeWebhookAgreesWithTranslate(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	bodies := map[string][]byte{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bodies[filepath.Base(f)] = raw
	}
	charge := bodies["charge_succeeded.json"]
	var env map[string]any
	if err := json.Unmarshal(charge, &env); err != nil {
		t.Fatal(err)
	}
	for name, obj := range map[string]any{"object empty": map[string]any{}, "object a string": "ch_1", "object null": nil, "amount a string": map[string]any{"id": "ch_1", "amount": "x", "captured": true}} {
		env["data"] = map[string]any{"object": obj}
		bodies[name], _ = json.Marshal(env)
	}
	for name, body := range bodies {
		// The webhook's decode before the one pass: the envelope with the
		// object raw, then Translate's typed decode.
		var env struct {
			ID, Object string
			APIVersion string `json:"api_version"`
			Type       stripe.EventType
			Created    int64
			Livemode   bool
			Data       struct{ Object json.RawMessage }
		}
		wantErr := json.Unmarshal(body, &env)
		if wantErr == nil && (env.ID == "" || env.Type == "" || env.Object != "event" || len(env.Data.Object) == 0 || env.Data.Object[0] != '{') {
			wantErr = ErrNotEvent
		}
		var want []messages.MetricEvent
		if wantErr == nil {
			want, wantErr = Translate("acme", stripe.Event{ID: env.ID, Object: env.Object, Type: env.Type, Created: env.Created,
				Livemode: env.Livemode, APIVersion: env.APIVersion, Data: &stripe.EventData{Raw: env.Data.Object}})
		}
		w, gotErr := DecodeWebhook(body)
		var got []messages.MetricEvent
		if gotErr == nil {
			got, gotErr = TranslateWebhook("acme", w)
		}
		if (gotErr == nil) != (wantErr == nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v (%v)\nwant %+v (%v)", name, got, gotErr, want, wantErr)
		}
	}
}
