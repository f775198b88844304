// Package stripemap translates Stripe events and objects (decoded with
// stripe-go v76, of every API version from 2020-03-02 on: see
// KnownVersion and versions.go) into Boardpack metric events. It is pure: no I/O,
// no clock. The stripe-collector calls Translate for each verified webhook;
// `reportctl stripe backfill` calls the per-object functions (Charge,
// Subscription, Dispute, InvoicePaid, Payout, CheckoutSession, Customer,
// Balance) for objects read through the Stripe API. Both paths share the
// same functions, so a fact has the same event id and content whichever
// path delivered it.
//
// # Figures
//
//   - revenue.gross (additive): a captured charge's amount_captured, once per
//     charge, at capture: charge.captured's created time (manual capture),
//     the charge's created time for charge.succeeded of a charge already
//     captured (automatic capture), or its balance transaction's created
//     time whenever that is expanded (the backfill expands it). Other
//     charge events (charge.refunded) do not say when a charge was
//     captured and give no gross. A late capture therefore lands in the
//     open period and leaves closed ones alone. invoice.paid is its own
//     metric (invoices.paid) and never adds to revenue: the invoice's
//     charge already did. An authorised but uncaptured charge yields
//     nothing. With the balance transaction expanded its fee is a
//     revenue.fees fact (type=charge), in the settlement currency. The
//     gross says whether the charge paid an invoice (dimension invoice)
//     or none (one_off=true: readmodel recognises it at capture). API
//     versions since 2025-03-31 no longer say (a charge lost its
//     invoice): the gross is then one_off=unless_linked, a one-off
//     unless an invoices.payment link names the charge or its payment
//     intent, which readmodel decides over the whole set of facts, so
//     the link may arrive before or after the charge.
//   - revenue.refunded (state per refund): each refund object (from
//     refund.created, refund.updated, refund.failed, charge.refund.updated,
//     or a charge's listed refunds) is its own entity, object = its charge:
//     its amount while requires_action, pending or succeeded, dated at the
//     refund's created time; 0 once failed or canceled (final), dated when
//     that was seen, so the money comes back in that period. Version is the
//     status's rank (requires_action < pending < succeeded < failed =
//     canceled + 2^40), so every event describing a refund in a status
//     gives the same fact. A charge.refunded whose refunds are not listed
//     (API versions since 2022-11-15 do not include them) gives the
//     charge's cumulative amount_refunded, less what was released without
//     being captured, as a state of the charge itself (version =
//     amount_refunded, at the event); readers drop it once any of the
//     charge's refunds is known (readmodel.PreferParts). Known gap: a
//     charge seen only through charge.refunded and one refund event
//     counts only its known refunds.
//   - revenue.disputed (additive): money a dispute moved, from its
//     balance_transactions (Stripe: "zero, one, or two balance
//     transactions that show funds withdrawn and reinstated"): the
//     dispute's amount when the funds are withdrawn (positive, at that
//     balance transaction's created time) and minus what is reinstated
//     (negative). Event ids are the dispute and the direction, so every
//     event that carries the dispute — and charge.dispute.funds_withdrawn
//     / funds_reinstated without balance transactions (then at the event's
//     time) — gives the same two facts at most. Inquiries (warning_*) move
//     nothing. Each balance transaction's fee (the dispute fee) is a
//     revenue.fees fact (type=dispute).
//   - disputes.at_stake (state per dispute): the amount while a dispute or
//     inquiry is open (needs_response, under_review, warning_needs_response,
//     warning_under_review; dimension inquiry=true for warning_*), 0 once
//     closed. Not money.
//   - disputes.won / disputes.lost (additive count): once per dispute, at
//     the event that closed it (dimension currency).
//   - revenue.fees (additive): a balance transaction's fee, in its
//     (settlement) currency, once per balance transaction and object, at
//     its created time: type=charge (dimension charge_currency) when a
//     charge is read with balance_transaction expanded (ChargeBalance: the
//     stripe-collector's enrichment, the backfill), type=dispute from a
//     dispute's balance transactions (dimension charge_currency: the
//     disputed charge's). A known zero is recorded too.
//   - revenue.settled (additive): a charge in the settlement currency when
//     it differs from the charge's (balance transaction amount, dimensions
//     charge_currency and exchange_rate); type=dispute for the funds a
//     dispute on such a charge withdrew (negative) or reinstated
//     (positive), from the dispute's balance transactions.
//   - revenue.fee_unknown (additive count): a captured charge whose balance
//     transaction Stripe would not return (FeeUnknown), once per charge.
//   - mrr (state per subscription): the sum over items of unit amount ×
//     quantity normalised to a month (day ×365/12, week ×52/12, year /12,
//     each divided by interval_count; transform_quantity packages rounded
//     "up" = ceil or "down" = floor; licensed tiered prices by quantity,
//     "volume" = every unit at the tier the quantity reaches plus its flat
//     amount, "graduated" = each unit at its own tier plus every reached
//     tier's flat amount), then discounts in Stripe's
//     order: each item's discounts, then the subscription's (discount and
//     discounts[], one discount once by id), each only on the items whose
//     product its coupon's applies_to names; forever coupons always,
//     repeating ones until their end, once coupons never (a one-off
//     reduction of one invoice is not recurring). Rounded half away from
//     zero once per subscription. A repeating coupon's end is a second
//     fact dated at the end, with the observation's version: MRR steps up
//     then (ChartMogul: an expiring discount is expansion) unless a later
//     observation superseded it. Metered items are not in the
//     subscription's fact: each is its own entity "<subscription>/<item>"
//     whose MRR is the usage billed on the last paid invoice (the line's
//     amount net of discounts and of included tax, normalised), as
//     ChartMogul does; the subscription's end sets it to 0. Since
//     2025-03-31.basil a line names its subscription item under
//     parent.subscription_item_details and its price under
//     pricing.price_details, as an id unless expanded (basil.go): a
//     price known by id alone says neither whether the item is metered
//     nor its interval, so that line's "<subscription>/<item>" is MRR
//     unknown, naming its event, until the enrichment reads the price
//     (TranslateWithPrices: the metered usage normalised, or 0 known for
//     a licensed item, whose MRR is its subscription's); a basil
//     subscription's end sets every item's to 0. A shape that
//     cannot be priced (an unknown billing_scheme, tiers_mode or interval,
//     tiers not expanded, a discount known only by id — basil webhooks
//     send ids; such a fact names its event (DimensionStripeEvent) and the
//     stripe-collector's enrichment translates the event again with the
//     discounts fetched with the tenant's key, TranslateWithDiscounts: the
//     same observation known, which readers prefer) is "MRR unknown for
//     subscription X": value 0 with
//     dimension mrr_unknown = the reason, which readers report apart
//     (readmodel.UnknownMRR, Movements.Unknown), never a zero figure and
//     never a guess. Tax is never MRR: inclusive tax rates (the item's,
//     else the subscription's defaults) are divided out after discounts;
//     a tax-inclusive price taxed by Stripe Tax is MRR unknown. active and past_due count
//     (a past-due customer still pays until canceled or unpaid); trialing
//     is 0 until it converts, and incomplete, unpaid, paused, canceled and
//     incomplete_expired are 0. Its currency is the subscription's, or its price's or plan's.
//   - invoices.paid (additive): amount_paid per invoice at paid_at.
//   - revenue.billed (state per invoice line, from invoice.paid and the
//     backfill's invoices): the line's amount net of its discount amounts
//     and of included tax, at the invoice's finalized_at (else created),
//     with dimensions period_start/period_end when the line has a service
//     period (readmodel recognises it straight-line by day over it; a
//     one-off line is earned when billed). Version = finalisation time.
//     A credit note (credit_note.created/updated/voided) gives a negative
//     line per credit note line, at its effective date, over the credited
//     line's period (from its invoice's lines when expanded, else
//     readmodel takes it from the credited line's own fact, named by
//     dimension invoice_line); voided = 0 from voided_at (else the
//     credit_note.voided event), the credit standing from its effective
//     date until then, so the reversal lands in the period it was voided.
//     Each line names the charge that paid its invoice and the invoice's
//     total, tax included (dimensions charge, invoice_total): readmodel
//     reduces the lines by a refund of that charge, in proportion; a
//     credit note line names the refund that paid it back (dimension
//     refund), which then reduces the lines only through the credit note.
//     API versions whose invoices no longer carry charge (2025-03-31 on:
//     invoice.payments) are linked by invoices.payment instead (below);
//     every line of a paid invoice carries invoice_total.
//   - invoices.payment (state per invoice payment, object its invoice,
//     at its paid_at, version 1): a paid InvoicePayment (basil.go), from
//     invoice_payment.paid, from an invoice's payments when expanded
//     (invoice.paid, invoice.payment_succeeded) and from the backfill's
//     GET /v1/invoice_payments: its amount paid, dimensions invoice and
//     payment_intent or charge. Also (ChargeInvoiceLink, entity the
//     charge, value 0: weighed as the invoice's total) from a charge
//     that the stripe-collector's enrichment reads again at 2023-10-16,
//     where it still names its invoice, when its basil webhook's gross
//     was one_off=unless_linked. Refunds and grosses name their payment
//     intent (dimension payment_intent); readmodel joins a refund to the
//     invoice its payment intent or charge paid through it, and a gross
//     it names is no one-off.
//   - revenue.tax (additive): an invoice's tax (tax, else the sum of
//     total_tax_amounts) at paid_at, once per invoice; and (state per
//     credit note, object its invoice) a credit note's tax (tax_amounts,
//     else its lines'), negative, at its effective date, 0 once voided.
//     Since 2025-03-31.basil those fields are total_taxes[] and the
//     lines' taxes[] (tax_behavior inclusive/exclusive), read in their
//     place (basil.go), for the lines' included tax as well.
//     readmodel.TaxCollected also takes off the tax share of refunds.
//   - invoices.failed (additive count): one per (invoice, attempt_count).
//   - payouts.paid / payouts.failed (state per payout, at arrival_date):
//     paid is the amount once paid and 0 once failed or canceled; failed
//     the amount once failed. Version is the status's rank (paid < failed
//     = canceled + 2^40): paid then failed counts once, as failed.
//   - checkout.completed / checkout.expired (additive count): per session;
//     completed at the session's created time, expired at expires_at.
//   - customers.new (additive count): per customer at its created time.
//   - cash.stripe_available and cash.stripe_pending (gauges per currency):
//     balance.available, its available and its pending amounts.
//
// Amounts are Boardpack minor units (ISO 4217 digits): Stripe's ISK
// amounts, two-decimal in its API, are divided by 100; UGX is zero-decimal
// in Stripe as in ISO and is kept as sent (see amount).
//
// Every metric event carries the object id (ObjectID), livemode, and
// Source=stripe. The Stripe event id is not the idempotency key (backfill
// reads objects, which have no event id); Translate's caller logs it.
//
// # Event ids
//
// EventID = "stripe_" + the first 32 hex digits of
// SHA-256(tenant | metric | key), where key is derived from the object, never
// from the delivery:
//
//   - one-per-object facts (revenue.gross, invoices.paid, payouts.*,
//     checkout.*, customers.new): the object id;
//   - invoices.failed: invoice id and attempt_count;
//   - state facts: entity, Version and Value;
//   - gauges: series (currency) and observation time.
//
// OccurredAt of one-per-object facts also comes from the object (created,
// paid_at, arrival_date, expires_at), so a webhook and a backfill of the
// same object produce byte-identical facts, and the aggregator stores them
// once. One exception, by design: the backfill reads objects at
// 2023-10-16 (reportctl), where a charge names its invoice, so its gross
// says invoice=… or one_off=true where a basil webhook's says
// one_off=unless_linked; the same event id, and the same figures
// whichever copy is stored (readmodel reads every copy). State facts delivered by webhook are versioned by the Stripe
// event's created time (except refunds, see above, and the creation and
// end of subscriptions and the opening of disputes, which use the object's
// own times so a backfill reproduces them exactly); a backfill of a state
// changed since is a fact of its own at the object's time, and the latest
// state — the figure the reports use — is the same either way.
//
// Subscription versions are created×16 + a lifecycle rank (incomplete <
// trialing < active < past_due < unpaid < paused < incomplete_expired <
// canceled), so two changes in the same second order as Stripe made them.
// Final states (a canceled or incomplete_expired subscription, a won, lost
// or otherwise closed dispute) add 2^40 to their version: nothing follows
// them, so they win over any other state whatever its timestamp.
package stripemap
