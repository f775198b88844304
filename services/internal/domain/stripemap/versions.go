package stripemap

import (
	"regexp"
)

// OldestVersion is the oldest Stripe API version whose event shapes
// Translate is written and tested for. Translate reads every version from
// it to the newest by the fields an object carries, not by its version
// string:
//
//   - charges list their refunds up to 2022-11-15 and not since: listed
//     refunds are facts of their own, otherwise the cumulative
//     amount_refunded stands in (see Charge);
//   - subscriptions carry plan (2020-03-02) or price (2020-08-27 on) on
//     their items, and their currency on the subscription or only on the
//     price or plan (see Subscription); since 2025-03-31.basil the current
//     period is on the items and discounts are a list, neither of which a
//     figure reads;
//   - invoices moved their subscription under parent.subscription_details
//     and their charges and payment intents under payments (2025-03-31.basil):
//     invoices.paid reads only amount_paid, currency and
//     status_transitions.paid_at, present in every version; what paid an
//     invoice comes from its invoice payments then (invoice_payment.paid,
//     basil.go), and refunds and charges name their payment intent;
//   - invoice lines moved their subscription item and subscription under
//     parent.subscription_item_details and their price under
//     pricing.price_details, an id unless expanded (2025-03-31.basil):
//     metered MRR reads them there, and a price known by id only is MRR
//     unknown until the stripe-collector's enrichment reads it (basil.go);
//   - disputes, refunds, payouts, checkout sessions, customers and the
//     balance keep the fields read in every version.
const OldestVersion = "2020-03-02"

// versionRE is a Stripe API version: a date, and since 2024-09-30 a
// release name ("2025-03-31.basil").
var versionRE = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})(\.[a-z]+)?$`)

// KnownVersion reports whether Translate reads events of API version v:
// every version from OldestVersion on, including ones newer than this
// code (Stripe adds fields; a figure's fields are kept or handled above).
func KnownVersion(v string) bool {
	m := versionRE.FindStringSubmatch(v)
	return m != nil && m[1] >= OldestVersion
}
