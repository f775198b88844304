package stripemap

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/stripe/stripe-go/v76"

	"github.com/boardpack/boardpack/messages"
)

// Invoice payments (API versions since 2025-03-31.basil).
//
// Stripe's changelog, 2025-03-31.basil, "Adds support for multiple
// (partial) payments on invoices": "Removed the payment_intent, charge,
// paid, and paid_out_of_band fields from the Invoice object. Removed the
// invoice field from the PaymentIntent and Charge objects." An invoice's
// payments are InvoicePayment objects instead (API reference, "The
// Invoice Payment object"):
//
//	{"id": "inpay_…", "object": "invoice_payment", "invoice": "in_…",
//	 "amount_paid": 2000 (null until paid), "amount_requested": 2000,
//	 "currency": "usd", "is_default": true, "livemode": false,
//	 "payment": {"type": "payment_intent" | "charge" | "payment_record",
//	             "payment_intent": "pi_…", "charge": "ch_…"},
//	 "status": "open" | "paid" | "canceled",
//	 "status_transitions": {"paid_at": …, "canceled_at": …}}
//
// payment.charge is "only surfaced if the charge object is not associated
// with a payment intent"; otherwise payment.payment_intent names it. Later
// previews (2025-11-17.preview) put charge and payment_intent at the top
// level of the object; both shapes are read. Invoice.payments is
// "includable" (the first few, only when expanded): webhooks never carry
// it, so the link comes from invoice_payment.paid ("to track when an
// attached payment transitions to the paid status", changelog
// 2025-05-28.basil) or from GET /v1/invoice_payments?invoice=… (the
// backfill). stripe-go v76 knows none of this: the minimal structs below
// are decoded from the raw payload.

// EventTypeInvoicePaymentPaid is sent when a payment attached to an
// invoice is paid (2025-05-28.basil on; stripe-go v76 has no constant).
const EventTypeInvoicePaymentPaid stripe.EventType = "invoice_payment.paid"

// MetricInvoicesPayment is the link from a payment to the invoice it paid
// (messages.MetricInvoicesPayment).
const MetricInvoicesPayment = messages.MetricInvoicesPayment

// InvoicePaymentObject is the part of an InvoicePayment the figures read.
type InvoicePaymentObject struct {
	ID         string          `json:"id"`
	Invoice    expandableID    `json:"invoice"`
	AmountPaid *int64          `json:"amount_paid"`
	Currency   stripe.Currency `json:"currency"`
	Livemode   bool            `json:"livemode"`
	Status     string          `json:"status"`
	Created    int64           `json:"created"`
	Payment    struct {
		Type          string       `json:"type"`
		PaymentIntent expandableID `json:"payment_intent"`
		Charge        expandableID `json:"charge"`
	} `json:"payment"`
	// The 2025-11-17.preview shape: the payment's ids at the top level.
	PaymentIntent     expandableID `json:"payment_intent"`
	Charge            expandableID `json:"charge"`
	StatusTransitions struct {
		PaidAt int64 `json:"paid_at"`
	} `json:"status_transitions"`
}

// expandableID is an id sent as a string or as its expanded object.
type expandableID string

func (e *expandableID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*e = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*e = expandableID(s)
	default:
		var o struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return fmt.Errorf("expandable id: %w", err)
		}
		*e = expandableID(o.ID)
	}
	return nil
}

// ids are the payment intent and the charge the payment names, whichever
// shape it came in.
func (p *InvoicePaymentObject) ids() (pi, ch string) {
	pi, ch = string(p.Payment.PaymentIntent), string(p.Payment.Charge)
	if pi == "" {
		pi = string(p.PaymentIntent)
	}
	if ch == "" {
		ch = string(p.Charge)
	}
	return pi, ch
}

// Dimensions of an invoices.payment link (and of the refunds it joins).
const (
	dimCharge        = "charge"
	dimPaymentIntent = "payment_intent"
	dimInvoice       = "invoice"
)

// InvoicePayment is the link a paid invoice payment makes between its
// payment and its invoice (invoices.payment, a state per invoice payment,
// object the invoice): its amount paid, at paid_at, with dimensions
// invoice and payment_intent or charge, whichever the payment names.
// readmodel joins a refund of that payment intent or charge to the
// invoice's lines through it. An open or canceled payment paid nothing
// and links nothing; nor does one without an invoice or a payment (a
// payment_record, outside Stripe, has no refunds here). Version 1: a paid
// invoice payment does not change, so every delivery gives one fact.
func InvoicePayment(tenantID string, p *InvoicePaymentObject) []messages.MetricEvent {
	pi, ch := p.ids()
	if p.Status != "paid" || p.ID == "" || p.Invoice == "" || (pi == "" && ch == "") {
		return nil
	}
	at := p.StatusTransitions.PaidAt
	if at == 0 {
		at = p.Created
	}
	cur := currency(p.Currency)
	var paid int64
	if p.AmountPaid != nil {
		paid = amount(*p.AmountPaid, cur)
	}
	e := state(tenantID, MetricInvoicesPayment, p.ID, string(p.Invoice), unix(at), p.Livemode, paid, 1, cur)
	e.Dimensions = map[string]string{dimInvoice: string(p.Invoice)}
	if pi != "" {
		e.Dimensions[dimPaymentIntent] = pi
	}
	if ch != "" {
		e.Dimensions[dimCharge] = ch
	}
	return []messages.MetricEvent{e}
}

// DecodeInvoicePayment decodes an InvoicePayment object (an
// invoice_payment.* event's, or one listed by the API).
func DecodeInvoicePayment(raw []byte) (*InvoicePaymentObject, error) {
	var p InvoicePaymentObject
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("%w: invoice payment: %w", ErrMalformed, err)
	}
	return &p, nil
}

// invoicePayments are the links of the payments an invoice lists in
// payments (when it is expanded: the API's, never a webhook's). A payment
// listed without its invoice is this invoice's.
func invoicePayments(tenantID string, raw []byte) ([]messages.MetricEvent, error) {
	var inv struct {
		ID       string `json:"id"`
		Payments *struct {
			Data []InvoicePaymentObject `json:"data"`
		} `json:"payments"`
	}
	if err := json.Unmarshal(raw, &inv); err != nil {
		return nil, fmt.Errorf("%w: invoice payments: %w", ErrMalformed, err)
	}
	if inv.Payments == nil {
		return nil, nil
	}
	var out []messages.MetricEvent
	for i := range inv.Payments.Data {
		p := &inv.Payments.Data[i]
		if p.Invoice == "" {
			p.Invoice = expandableID(inv.ID)
		}
		out = append(out, InvoicePayment(tenantID, p)...)
	}
	return out, nil
}

// paymentIntentOf is the id of a refund's or charge's payment intent.
func paymentIntentOf(pi *stripe.PaymentIntent) string {
	if pi == nil {
		return ""
	}
	return pi.ID
}

// creditNoteRefunds are the ids of a credit note's refunds[] (2025-03-31.basil
// on: [{"amount_refunded": …, "refund": "re_…" or the object, "type":
// "refund" | "payment_record_refund"}], replacing the deprecated refund).
func creditNoteRefunds(raw []byte) ([]string, error) {
	var cn struct {
		Refunds []struct {
			Refund expandableID `json:"refund"`
		} `json:"refunds"`
	}
	if err := json.Unmarshal(raw, &cn); err != nil {
		return nil, fmt.Errorf("%w: credit note refunds: %w", ErrMalformed, err)
	}
	var ids []string
	for _, r := range cn.Refunds {
		if r.Refund != "" {
			ids = append(ids, string(r.Refund))
		}
	}
	return ids, nil
}

// Taxes since 2025-03-31.basil (changelog "Replaces top-level tax-related
// properties with improved tax modeling on Invoices, Invoice Line Items,
// and Credit Note Line Items"): "tax_rates and tax_amounts are no longer
// available on the Invoice Line Item and Credit Note Line Item objects";
// "total_tax_amounts is no longer available on the Invoice object". Lines
// carry taxes[] ({"amount", "tax_behavior": "inclusive" | "exclusive",
// "taxable_amount", "type": "tax_rate_details", …}) and invoices and credit
// notes total_taxes[] of the same shape. invoiceTaxes and creditNoteTaxes
// put them where stripe-go v76 reads them (a line's Inclusive =
// tax_behavior "inclusive": that part is taken out of the line's
// revenue), only where the older field is empty, so every figure reads
// one shape.
type basilTax struct {
	Amount      int64  `json:"amount"`
	TaxBehavior string `json:"tax_behavior"`
}

type basilTaxed struct {
	TotalTaxes []basilTax `json:"total_taxes"`
	Lines      *struct {
		Data []struct {
			ID    string     `json:"id"`
			Taxes []basilTax `json:"taxes"`
		} `json:"data"`
	} `json:"lines"`
}

func decodeBasilTaxes(raw []byte) (*basilTaxed, error) {
	var t basilTaxed
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("%w: taxes: %w", ErrMalformed, err)
	}
	return &t, nil
}

// lineTaxes are each line's taxes[] by line id.
func (t *basilTaxed) lineTaxes() map[string][]basilTax {
	out := map[string][]basilTax{}
	if t.Lines != nil {
		for _, l := range t.Lines.Data {
			out[l.ID] = l.Taxes
		}
	}
	return out
}

// invoiceTaxes fills a basil invoice's total_tax_amounts and its lines'
// tax_amounts from total_taxes and taxes.
func invoiceTaxes(raw []byte, inv *stripe.Invoice) error {
	t, err := decodeBasilTaxes(raw)
	if err != nil {
		return err
	}
	if len(inv.TotalTaxAmounts) == 0 {
		for _, x := range t.TotalTaxes {
			// Included or not, all of it is tax collected.
			inv.TotalTaxAmounts = append(inv.TotalTaxAmounts, &stripe.InvoiceTotalTaxAmount{Amount: x.Amount})
		}
	}
	byLine := t.lineTaxes()
	if inv.Lines != nil {
		for _, l := range inv.Lines.Data {
			if l == nil || len(l.TaxAmounts) > 0 {
				continue
			}
			for _, x := range byLine[l.ID] {
				l.TaxAmounts = append(l.TaxAmounts, &stripe.InvoiceTotalTaxAmount{Amount: x.Amount, Inclusive: x.TaxBehavior == "inclusive"})
			}
		}
	}
	return nil
}

// creditNoteTaxes fills a basil credit note's tax_amounts and its lines'
// from total_taxes and taxes.
func creditNoteTaxes(raw []byte, cn *stripe.CreditNote) error {
	t, err := decodeBasilTaxes(raw)
	if err != nil {
		return err
	}
	if len(cn.TaxAmounts) == 0 {
		for _, x := range t.TotalTaxes {
			cn.TaxAmounts = append(cn.TaxAmounts, &stripe.CreditNoteTaxAmount{Amount: x.Amount}) // all of it tax given back
		}
	}
	byLine := t.lineTaxes()
	if cn.Lines != nil {
		for _, l := range cn.Lines.Data {
			if l == nil || len(l.TaxAmounts) > 0 {
				continue
			}
			for _, x := range byLine[l.ID] {
				l.TaxAmounts = append(l.TaxAmounts, &stripe.CreditNoteTaxAmount{Amount: x.Amount, Inclusive: x.TaxBehavior == "inclusive"})
			}
		}
	}
	return nil
}

// ChargeInvoiceLink is the invoices.payment link that a charge read at an
// API version still naming its invoice (before 2025-03-31.basil: the
// stripe-collector's enrichment reads charges with stripe-go v76, at
// 2023-10-16) makes to that invoice, for a charge whose basil webhook
// could not say (one_off=unless_linked) and a tenant whose endpoint sends
// no invoice_payment.paid: entity the charge, object the invoice, at the
// charge's created time, dimensions invoice, charge and payment_intent.
// Its value is 0: the charge does not say what it paid the invoice, so
// readmodel weighs it as the invoice's total, and a real invoice
// payment's amount adds to it. None for a charge that names no invoice.
func ChargeInvoiceLink(tenantID string, ch *stripe.Charge) []messages.MetricEvent {
	if ch == nil || ch.ID == "" || ch.Invoice == nil || ch.Invoice.ID == "" {
		return nil
	}
	e := state(tenantID, MetricInvoicesPayment, ch.ID, ch.Invoice.ID, unix(ch.Created), ch.Livemode, 0, 1, currency(ch.Currency))
	e.Dimensions = map[string]string{dimInvoice: ch.Invoice.ID, dimCharge: ch.ID}
	if pi := paymentIntentOf(ch.PaymentIntent); pi != "" {
		e.Dimensions[dimPaymentIntent] = pi
	}
	return []messages.MetricEvent{e}
}

// Invoice lines since 2025-03-31.basil (changelog "Adds parent to invoice
// line items" and "Replaces price with pricing on invoice line items"):
// a line no longer has price, plan, subscription_item, subscription nor
// proration at its top level. What generated it is
//
//	"parent": {"type": "subscription_item_details",
//	           "subscription_item_details": {"subscription": "sub_…",
//	               "subscription_item": "si_…", "proration": false, …}}
//
// (or "invoice_item_details" for an invoice item), and its price
//
//	"pricing": {"type": "price_details", "unit_amount_decimal": "2",
//	            "price_details": {"price": "price_…", "product": "prod_…"}}
//
// where price is an id unless expanded. The invoice's subscription is
// parent.subscription_details.subscription. basilLines puts what a
// figure reads where stripe-go v76 has it (the line's subscription item,
// subscription and, when expanded, price; the invoice's subscription),
// only where the older field is empty.
//
// A price known by id alone does not say whether the item is metered
// (recurring.usage_type) nor its interval: such a line's MRR is unknown
// (unpricedMRR), never $0, until the price is read (the
// stripe-collector's enrichment: TranslateWithPrices, with the tenant's
// API key) or, for a licensed item, its subscription's event says so
// (licensedItems; a tenant without a key has only that). Webhooks never
// expand it; the backfill reads invoices at 2023-10-16, whose lines carry
// the whole price.
type basilInvoice struct {
	Parent *struct {
		SubscriptionDetails *struct {
			Subscription expandableID `json:"subscription"`
		} `json:"subscription_details"`
	} `json:"parent"`
	Lines *struct {
		Data []basilLine `json:"data"`
	} `json:"lines"`
}

type basilLine struct {
	ID     string `json:"id"`
	Parent *struct {
		SubscriptionItemDetails *struct {
			Subscription     expandableID `json:"subscription"`
			SubscriptionItem expandableID `json:"subscription_item"`
		} `json:"subscription_item_details"`
	} `json:"parent"`
	Pricing *struct {
		PriceDetails *struct {
			Price basilPrice `json:"price"`
		} `json:"price_details"`
	} `json:"pricing"`
}

// basilPrice is pricing.price_details.price: an id, or the expanded
// price.
type basilPrice struct {
	ID    string
	Price *stripe.Price // nil unless expanded
}

func (p *basilPrice) UnmarshalJSON(b []byte) error {
	if id, ok := expandedID(b); ok {
		*p = basilPrice{ID: id}
		return nil
	}
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*p = basilPrice{}
		return nil
	}
	var pr stripe.Price
	if err := json.Unmarshal(b, &pr); err != nil {
		return fmt.Errorf("price: %w", err)
	}
	*p = basilPrice{ID: pr.ID, Price: &pr}
	return nil
}

// unpricedLine is a subscription item's line whose price came as an id.
type unpricedLine struct {
	line  *stripe.InvoiceLineItem
	price string
}

// basilLines fills inv's lines (and its subscription) from the basil
// shapes of raw and returns the subscription items' lines whose price is
// known only by id. A line that already has a price or plan (older versions) is left
// as it is.
func basilLines(raw []byte, inv *stripe.Invoice) ([]unpricedLine, error) {
	var b basilInvoice
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("%w: invoice lines: %w", ErrMalformed, err)
	}
	if inv.Subscription == nil && b.Parent != nil && b.Parent.SubscriptionDetails != nil && b.Parent.SubscriptionDetails.Subscription != "" {
		inv.Subscription = &stripe.Subscription{ID: string(b.Parent.SubscriptionDetails.Subscription)}
	}
	if inv.Lines == nil || b.Lines == nil {
		return nil, nil
	}
	byLine := map[string]*basilLine{}
	for i := range b.Lines.Data {
		byLine[b.Lines.Data[i].ID] = &b.Lines.Data[i]
	}
	var unpriced []unpricedLine
	for _, l := range inv.Lines.Data {
		if l == nil || l.Price != nil || l.Plan != nil {
			continue
		}
		bl := byLine[l.ID]
		if bl == nil || bl.Parent == nil || bl.Parent.SubscriptionItemDetails == nil {
			continue
		}
		d := bl.Parent.SubscriptionItemDetails
		if l.SubscriptionItem == nil && d.SubscriptionItem != "" {
			l.SubscriptionItem = &stripe.SubscriptionItem{ID: string(d.SubscriptionItem)}
		}
		if l.Subscription == nil && d.Subscription != "" {
			l.Subscription = &stripe.Subscription{ID: string(d.Subscription)}
		}
		if bl.Pricing == nil || bl.Pricing.PriceDetails == nil || bl.Pricing.PriceDetails.Price.ID == "" {
			continue
		}
		p := bl.Pricing.PriceDetails.Price
		if p.Price != nil {
			l.Price = p.Price
		} else {
			unpriced = append(unpriced, unpricedLine{line: l, price: p.ID})
		}
	}
	return unpriced, nil
}

// PriceByIDOnly ends the reason (DimensionMRRUnknown) of an MRR unknown
// because its invoice line named the price by id only (unpricedMRR):
// readers tell it from a price shape Boardpack cannot value, as reading
// the price (the enrichment, with the tenant's Stripe API key) makes it
// known.
const PriceByIDOnly = "known by id only (usage type and interval unread)"

// unpricedMRR is the MRR of the lines whose price came as an id only: a
// fact of each line's "<subscription>/<item>" saying its MRR is unknown
// (DimensionMRRUnknown, value 0), at the invoice's time with version (a
// webhook's: unknownVersion, below every known observation of the item;
// the enrichment's: meteredVersion), for the invoice's
// customer, naming the event
// (DimensionStripeEvent) when there is one. Its event id is its own, so
// that the known fact of the same observation — 0 too for a licensed
// item, whose MRR is its subscription's — is not taken for a duplicate.
func unpricedMRR(tenantID, evID string, inv *stripe.Invoice, lines []unpricedLine, version int64) []messages.MetricEvent {
	var out []messages.MetricEvent
	for _, u := range lines {
		l := u.line
		subID := lineSubscription(inv, l)
		if subID == "" || l.SubscriptionItem == nil || l.SubscriptionItem.ID == "" {
			continue
		}
		cur := lineCurrency(inv, l)
		entity := subID + "/" + l.SubscriptionItem.ID
		e := state(tenantID, messages.MetricMRR, entity, subID, unix(inv.Created), inv.Livemode, 0, version, cur)
		e.EventID = EventID(tenantID, messages.MetricMRR, entity, strconv.FormatInt(version, 10), DimensionMRRUnknown)
		e.Dimensions = map[string]string{DimensionMRRUnknown: fmt.Sprintf("%s: invoice line %s: price %s %s", ErrMRRUnknown, l.ID, u.price, PriceByIDOnly)}
		if inv.Customer != nil && inv.Customer.ID != "" {
			e.Dimensions["customer"] = inv.Customer.ID
		}
		if evID != "" {
			e.Dimensions[DimensionStripeEvent] = evID
		}
		out = append(out, e)
	}
	return out
}

// pricedMRR is the MRR of the lines priced after the fact (byID): a
// metered item's is MeteredMRR's; a licensed item's line is 0, known (its
// MRR is its subscription's), which ends the unknown of the same
// observation. A line still unpriced stays unknown.
func pricedMRR(tenantID, evID string, inv *stripe.Invoice, lines []unpricedLine, byID map[string]*stripe.Price) []messages.MetricEvent {
	var still []unpricedLine
	var facts []messages.MetricEvent
	for _, u := range lines {
		p := byID[u.price]
		if p == nil || p.Recurring == nil {
			still = append(still, u)
			continue
		}
		l := *u.line
		l.Price = p
		one := *inv
		one.Lines = &stripe.InvoiceLineItemList{Data: []*stripe.InvoiceLineItem{&l}}
		m := MeteredMRR(tenantID, &one)
		if len(m) == 0 && !metered(&stripe.SubscriptionItem{Price: p}) {
			if subID := lineSubscription(inv, &l); subID != "" && l.SubscriptionItem != nil && l.SubscriptionItem.ID != "" {
				e := state(tenantID, messages.MetricMRR, subID+"/"+l.SubscriptionItem.ID, subID, unix(inv.Created), inv.Livemode, 0, meteredVersion(inv), lineCurrency(inv, &l))
				if inv.Customer != nil && inv.Customer.ID != "" {
					e.Dimensions = map[string]string{"customer": inv.Customer.ID}
				}
				m = append(m, e)
			}
		}
		if len(m) == 0 {
			still = append(still, u) // metered, but its interval is not one MRR knows
			continue
		}
		facts = append(facts, m...)
	}
	// What the enrichment could not price (a price Stripe no longer has, a
	// metered interval MRR does not know) is its own observation of the
	// line, with the price's: above the webhook's unknown, and above an
	// earlier invoice's priced usage, which it leaves behind.
	// A webhook's translation (no prices read: byID nil) is below
	// everything known (unknownVersion).
	version := meteredVersion(inv)
	if byID == nil {
		version = unknownVersion(inv)
	}
	return append(facts, unpricedMRR(tenantID, evID, inv, still, version)...)
}

// UnexpandedPrices are the ids of the prices an invoice.paid event's
// lines name by id only (2025-03-31.basil on), sorted, once each.
func UnexpandedPrices(ev stripe.Event) []string {
	if ev.Type != stripe.EventTypeInvoicePaid || ev.Data == nil {
		return nil
	}
	var inv stripe.Invoice
	if decode(ev, &inv) != nil {
		return nil
	}
	lines, err := basilLines(ev.Data.Raw, &inv)
	if err != nil {
		return nil
	}
	var ids []string
	for _, u := range lines {
		ids = append(ids, u.price)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// TranslateWithPrices translates an invoice.paid event whose lines named
// their prices by id only with those prices taken from byID: the facts
// the event would have given with them expanded, at the same time and
// version, which readers prefer to the unknown facts (readmodel). A price
// missing from byID leaves its line's MRR unknown.
func TranslateWithPrices(tenantID string, ev stripe.Event, byID map[string]*stripe.Price) ([]messages.MetricEvent, error) {
	if ev.Type != stripe.EventTypeInvoicePaid {
		return nil, fmt.Errorf("%w: %s is not invoice.paid", ErrUnhandled, ev.Type)
	}
	return translateInvoicePaid(tenantID, ev, byID)
}
