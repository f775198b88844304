package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"
)

// sign builds a Stripe-Signature header the way Stripe does (t=..,v1=HMAC),
// written out here so the end-to-end test depends on the wire format, not
// on the library the collector uses.
func sign(payload []byte, secret string, at time.Time) string {
	ts := fmt.Sprint(at.Unix())
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(payload)))
	return fmt.Sprintf("t=%s,v1=%s", ts, hex.EncodeToString(mac.Sum(nil)))
}

// chargeEvent is a real charge.succeeded fixture, re-stamped as a fresh
// captured charge of amount cents.
func chargeEvent(t testing.TB, id string, amount int64, at time.Time) map[string]any {
	t.Helper()
	raw, err := os.ReadFile("../../deploy/demo/stripe/charge_succeeded.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ev["id"] = "evt_" + id
	ev["created"] = at.Unix()
	obj := ev["data"].(map[string]any)["object"].(map[string]any)
	obj["id"] = "ch_" + id
	obj["created"] = at.Unix()
	obj["amount"] = amount
	obj["amount_captured"] = amount
	obj["captured"] = true
	obj["paid"] = true
	obj["status"] = "succeeded"
	obj["currency"] = "usd"
	return ev
}
