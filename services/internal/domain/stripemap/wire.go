package stripemap

import (
	"encoding/json"
	"errors"

	"github.com/stripe/stripe-go/v76"

	"github.com/boardpack/boardpack/messages"
)

// The charge events (charge.succeeded, charge.captured, charge.refunded)
// are most of what a Stripe account sends. Their object is decoded into
// the few fields the translation reads (wireCharge), not into
// stripe.Charge: stripe-go's type decodes every nested object of a charge
// (payment method details, billing details, outcome, ...), each expandable
// field through its own UnmarshalJSON, which was most of the webhook's CPU
// time (BenchmarkVerifyTranslate, before and after, in the commit that
// added this file). The result is a stripe.Charge holding only those
// fields, so Charge and charge are unchanged and both paths give the same
// facts (the translation tests pin them). Every field charge,
// ChargeBalance and Refund read must be listed here.

type wireCharge struct {
	ID                 string          `json:"id"`
	Amount             int64           `json:"amount"`
	AmountCaptured     int64           `json:"amount_captured"`
	AmountRefunded     int64           `json:"amount_refunded"`
	Captured           bool            `json:"captured"`
	Created            int64           `json:"created"`
	Currency           stripe.Currency `json:"currency"`
	Livemode           bool            `json:"livemode"`
	BalanceTransaction *wireBalanceTx  `json:"balance_transaction"`
	Refunds            *wireRefundList `json:"refunds"`
	Invoice            *wireID         `json:"invoice"`
	PaymentIntent      *wireID         `json:"payment_intent"`
}

type wireRefundList struct {
	Data []*wireRefund `json:"data"`
}

type wireRefund struct {
	ID                        string              `json:"id"`
	Amount                    int64               `json:"amount"`
	Created                   int64               `json:"created"`
	Currency                  stripe.Currency     `json:"currency"`
	Status                    stripe.RefundStatus `json:"status"`
	Charge                    *wireID             `json:"charge"`
	PaymentIntent             *wireID             `json:"payment_intent"`
	BalanceTransaction        *wireBalanceTx      `json:"balance_transaction"`
	FailureBalanceTransaction *wireBalanceTx      `json:"failure_balance_transaction"`
}

// wireBalanceTx is an expandable balance transaction: an id, or the
// object (as stripe.BalanceTransaction.UnmarshalJSON reads it).
type wireBalanceTx struct {
	ID           string          `json:"id"`
	Amount       int64           `json:"amount"`
	Created      int64           `json:"created"`
	Currency     stripe.Currency `json:"currency"`
	ExchangeRate float64         `json:"exchange_rate"`
	Fee          int64           `json:"fee"`
}

func (b *wireBalanceTx) UnmarshalJSON(data []byte) error {
	if id, ok := expandedID(data); ok {
		*b = wireBalanceTx{ID: id}
		return nil
	}
	type plain wireBalanceTx
	return json.Unmarshal(data, (*plain)(b))
}

// wireID is an expandable object of which only the id is read.
type wireID struct {
	ID string `json:"id"`
}

func (w *wireID) UnmarshalJSON(data []byte) error {
	if id, ok := expandedID(data); ok {
		w.ID = id
		return nil
	}
	type plain wireID
	return json.Unmarshal(data, (*plain)(w))
}

// expandedID reads an unexpanded field, a JSON string, as stripe-go does.
func expandedID(data []byte) (string, bool) {
	if len(data) == 0 || data[0] != '"' {
		return "", false
	}
	var id string
	if err := json.Unmarshal(data, &id); err != nil {
		return "", false
	}
	return id, true
}

// Webhook is a verified webhook body decoded by DecodeWebhook: the event
// (its Data.Raw the object's bytes, a slice of the body) and, for a charge
// event, the charge already decoded.
type Webhook struct {
	Event  stripe.Event
	charge *stripe.Charge
}

// wireEvent is a Stripe event whose object is read as a charge in the
// same pass; for any other object the fields simply do not match (or the
// pass fails) and DecodeWebhook reads the body again, the general way.
type wireEvent struct {
	ID         string           `json:"id"`
	Object     string           `json:"object"`
	Type       stripe.EventType `json:"type"`
	Created    int64            `json:"created"`
	Livemode   bool             `json:"livemode"`
	APIVersion string           `json:"api_version"`
	Data       struct {
		Object wireCharge `json:"object"`
	} `json:"data"`
}

type envelope struct {
	ID         string           `json:"id"`
	Object     string           `json:"object"`
	Type       stripe.EventType `json:"type"`
	Created    int64            `json:"created"`
	Livemode   bool             `json:"livemode"`
	APIVersion string           `json:"api_version"`
	Data       struct {
		Object rawObject `json:"object"`
		// Read for a subscription update only (meteredSince).
		PreviousAttributes rawObject `json:"previous_attributes"`
	} `json:"data"`
}

// rawObject keeps the object's bytes without copying them: they are a
// slice of the body, which outlives the translation.
type rawObject []byte

func (r *rawObject) UnmarshalJSON(b []byte) error { *r = b; return nil }

// ErrNotEvent is returned by DecodeWebhook for a body that is not a
// Stripe event (no id, no type, no object, or not "object":"event").
var ErrNotEvent = errors.New("not a Stripe event")

// DecodeWebhook reads a verified webhook body as Translate needs it. A
// charge event (most of them) is decoded in one pass into the fields the
// translation reads; any other event into the envelope, its object left
// raw for Translate's typed decode.
func DecodeWebhook(body []byte) (Webhook, error) {
	var w wireEvent
	// A charge without an id (or no object at all) takes the general path,
	// which tells the two apart.
	if err := json.Unmarshal(body, &w); err == nil && isChargeEvent(w.Type) && w.ID != "" && w.Object == "event" && w.Data.Object.ID != "" {
		return Webhook{
			Event: stripe.Event{ID: w.ID, Object: w.Object, Type: w.Type, Created: w.Created, Livemode: w.Livemode,
				APIVersion: w.APIVersion, Data: &stripe.EventData{Raw: chargeRaw}},
			charge: w.Data.Object.stripe(),
		}, nil
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return Webhook{}, err
	}
	if env.ID == "" || env.Type == "" || env.Object != "event" || len(env.Data.Object) == 0 || env.Data.Object[0] != '{' {
		return Webhook{}, ErrNotEvent
	}
	data := &stripe.EventData{Raw: json.RawMessage(env.Data.Object)}
	if env.Type == stripe.EventTypeCustomerSubscriptionUpdated && len(env.Data.PreviousAttributes) > 0 && env.Data.PreviousAttributes[0] == '{' {
		if err := json.Unmarshal(env.Data.PreviousAttributes, &data.PreviousAttributes); err != nil {
			return Webhook{}, err
		}
	}
	return Webhook{Event: stripe.Event{ID: env.ID, Object: env.Object, Type: env.Type, Created: env.Created, Livemode: env.Livemode,
		APIVersion: env.APIVersion, Data: data}}, nil
}

// chargeRaw stands in for the object of an already decoded charge, so
// that Translate's "has an object" check holds; it is never decoded.
var chargeRaw = json.RawMessage("{}")

func isChargeEvent(t stripe.EventType) bool {
	return t == stripe.EventTypeChargeSucceeded || t == stripe.EventTypeChargeCaptured || t == stripe.EventTypeChargeRefunded
}

// TranslateWebhook is Translate for a body read by DecodeWebhook.
func TranslateWebhook(tenantID string, w Webhook) ([]messages.MetricEvent, error) {
	return translate(tenantID, w.Event, w.charge)
}

// decodeCharge decodes a charge event's object into the stripe.Charge
// fields the translation reads.
func decodeCharge(ev stripe.Event) (*stripe.Charge, error) {
	var w wireCharge
	if err := decode(ev, &w); err != nil {
		return nil, err
	}
	return w.stripe(), nil
}

func (w *wireCharge) stripe() *stripe.Charge {
	ch := &stripe.Charge{
		ID: w.ID, Amount: w.Amount, AmountCaptured: w.AmountCaptured, AmountRefunded: w.AmountRefunded,
		Captured: w.Captured, Created: w.Created, Currency: w.Currency, Livemode: w.Livemode,
		BalanceTransaction: w.BalanceTransaction.stripe(),
	}
	if w.Invoice != nil && w.Invoice.ID != "" {
		ch.Invoice = &stripe.Invoice{ID: w.Invoice.ID}
	}
	if w.PaymentIntent != nil && w.PaymentIntent.ID != "" {
		ch.PaymentIntent = &stripe.PaymentIntent{ID: w.PaymentIntent.ID}
	}
	if w.Refunds != nil {
		ch.Refunds = &stripe.RefundList{Data: make([]*stripe.Refund, len(w.Refunds.Data))}
		for i, r := range w.Refunds.Data {
			if r == nil {
				continue
			}
			re := &stripe.Refund{
				ID: r.ID, Amount: r.Amount, Created: r.Created, Currency: r.Currency, Status: r.Status,
				BalanceTransaction: r.BalanceTransaction.stripe(), FailureBalanceTransaction: r.FailureBalanceTransaction.stripe(),
			}
			if r.Charge != nil {
				re.Charge = &stripe.Charge{ID: r.Charge.ID}
			}
			if r.PaymentIntent != nil && r.PaymentIntent.ID != "" {
				re.PaymentIntent = &stripe.PaymentIntent{ID: r.PaymentIntent.ID}
			}
			ch.Refunds.Data[i] = re
		}
	}
	return ch
}

func (b *wireBalanceTx) stripe() *stripe.BalanceTransaction {
	if b == nil {
		return nil
	}
	return &stripe.BalanceTransaction{ID: b.ID, Amount: b.Amount, Created: b.Created, Currency: b.Currency, ExchangeRate: b.ExchangeRate, Fee: b.Fee}
}
