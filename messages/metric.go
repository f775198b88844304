package messages

import (
	"errors"
	"fmt"
)

// EventNameMetric is the metadata event name of a MetricEvent on TopicMetrics.
const EventNameMetric = "metric_event"

// Kind says how a MetricEvent combines with the other events of its metric.
// Each kind gives the same figures whatever the delivery order and however
// often an event is delivered.
type Kind string

const (
	// KindAdditive: Value is added to the period that contains OccurredAt
	// (a charge, a fee, a new customer).
	KindAdditive Kind = "additive"
	// KindState: Value is the state of Entity at Version (a subscription's
	// MRR, a charge's cumulative refunded amount, an imported row). Only the
	// highest (Version, EventID) counts; a period's figure is the change of
	// the entity's state over the period, a total is the sum of the latest
	// states.
	KindState Kind = "state"
	// KindGauge: Value is a reading of the series Entity observed at
	// OccurredAt (cash balance, cost month-to-date). The latest observation
	// at or before a moment is the value at that moment.
	KindGauge Kind = "gauge"
)

// Units for MetricEvent.Unit when the value is not money.
const (
	UnitCount        = "count"
	UnitMilliseconds = "ms"
	UnitBytes        = "bytes"
)

// MetricEvent is one fact about a tenant's business, published on
// TopicMetrics by the collectors (stripe-collector, aws-collector,
// `reportctl import`, `reportctl stripe backfill`) and consumed by the
// aggregator into the read model.
type MetricEvent struct {
	Header
	// Metric names the figure (see the Metric* constants).
	Metric string `json:"metric"`
	Kind   Kind   `json:"kind"`
	// Value is in minor units of Currency when Currency is set, otherwise
	// in Unit.
	Value    int64  `json:"value"`
	Currency string `json:"currency,omitempty"`
	Unit     string `json:"unit,omitempty"`
	// Entity is the entity (KindState) or series (KindGauge) the value
	// belongs to: a subscription id, a bank account, an AWS service.
	Entity string `json:"entity,omitempty"`
	// Version orders the states of one entity (KindState): any number that
	// only grows as the entity changes. The producer documents its rule
	// (stripemap: a charge's cumulative refunded amount; a subscription's
	// time and lifecycle rank). Ties are broken by OccurredAt, then EventID.
	Version int64 `json:"version,omitempty"`
	// Dimensions break a metric down (product, service, function, channel,
	// category). Keep them few and low-cardinality.
	Dimensions map[string]string `json:"dimensions,omitempty"`
	// ObjectID is the source object (ch_..., sub_...), for tracing.
	ObjectID string `json:"object_id,omitempty"`
	// Livemode is set for Stripe events.
	Livemode *bool `json:"livemode,omitempty"`
}

// Name is the stable event name used in metadata and logs.
func (MetricEvent) Name() string { return EventNameMetric }

// Validate returns every problem with the event at once.
func (e MetricEvent) Validate() error {
	errs := []error{e.Header.Validate()}
	if e.Metric == "" {
		errs = append(errs, errors.New("missing metric"))
	}
	switch e.Kind {
	case KindAdditive, KindGauge:
	case KindState:
		if e.Entity == "" {
			errs = append(errs, errors.New("state metric without entity"))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown kind %q", e.Kind))
	}
	if e.Kind == KindGauge && e.Entity == "" {
		errs = append(errs, errors.New("gauge metric without entity (series)"))
	}
	if e.Currency != "" && !ValidCurrency(e.Currency) {
		errs = append(errs, fmt.Errorf("invalid currency %q", e.Currency))
	}
	return errors.Join(errs...)
}

// The metric catalogue. Money metrics carry Currency; counts carry
// Unit=UnitCount. Collectors may add metrics; readers ignore unknown ones.
const (
	// MetricRevenueGross (additive): a captured charge's amount.
	MetricRevenueGross = "revenue.gross"
	// MetricRevenueRefunded (state per charge): the charge's cumulative
	// refunded amount.
	MetricRevenueRefunded = "revenue.refunded"
	// MetricRevenueFees (additive): processor fees where known.
	MetricRevenueFees = "revenue.fees"
	// MetricRevenueDisputed (additive): money a dispute moved, in the
	// dispute's currency: its amount when the funds are withdrawn
	// (positive), less what is reinstated (negative). Inquiries and
	// warnings move nothing. (Before this round it was a state per dispute
	// of the amount at stake; readers sum only the additive facts.)
	MetricRevenueDisputed = "revenue.disputed"
	// MetricDisputesAtStake (state per dispute): the amount in question
	// while a dispute or inquiry is open; 0 once closed. Not money moved.
	// Dimension "inquiry"="true" for warning_* statuses.
	MetricDisputesAtStake = "disputes.at_stake"
	// MetricDisputesWon / MetricDisputesLost (additive, count): disputes
	// closed won or lost, once per dispute.
	MetricDisputesWon  = "disputes.won"
	MetricDisputesLost = "disputes.lost"
	// MetricRevenueSettled (additive): a captured charge in the account's
	// settlement currency (its balance transaction's amount and currency)
	// when that differs from the charge's; dimensions charge_currency and
	// exchange_rate. Dimension type="dispute" (otherwise absent): the funds
	// a dispute on such a charge withdrew (negative) or reinstated.
	MetricRevenueSettled = "revenue.settled"
	// MetricRevenueFeeUnknown (additive, count): a captured charge whose
	// balance transaction Stripe did not return (bad or revoked key, 404):
	// its figure stands, its fee is unknown. Once per charge.
	MetricRevenueFeeUnknown = "revenue.fee_unknown"
	// MetricPayoutsUnreconciled (state per payout, at its arrival date): the
	// payout's amount less the net of the balance transactions Stripe says
	// it paid out; 0 means reconciled. Dimension transactions (their
	// count).
	MetricPayoutsUnreconciled = "payouts.unreconciled"
	// MetricRevenueBilled (state per invoice line, at the invoice's
	// finalisation): what the line bills, net of its discounts, without
	// tax. Entity is the line, ObjectID the invoice; dimensions
	// period_start and period_end (unix seconds) are the service period
	// it is recognised over, straight-line by day (none, or equal: a
	// one-off, recognised when billed). A credit note line is a negative
	// line of its own over the same period.
	MetricRevenueBilled = "revenue.billed"
	// MetricRevenueTax (additive): tax collected on a paid invoice, at
	// paid_at. Never revenue. A credit note's tax is a state of its own
	// (entity the credit note, ObjectID its invoice): negative, at its
	// effective date, 0 once voided; sums read only the additive facts.
	MetricRevenueTax = "revenue.tax"
	// MetricInvoicesPaid (additive): amount paid on invoices.
	MetricInvoicesPaid = "invoices.paid"
	// MetricInvoicesPayment (state per invoice payment, at its paid_at):
	// a payment that paid an invoice, for joining: Entity is the invoice
	// payment, ObjectID the invoice, Value the amount it paid; dimensions
	// invoice and payment_intent and/or charge name what paid it (Stripe
	// API versions since 2025-03-31.basil no longer name the charge on the
	// invoice). Readers join refunds of that payment to the invoice's
	// lines; it is no figure of its own (invoices.paid is).
	MetricInvoicesPayment = "invoices.payment"
	// MetricInvoicesFailed (additive, count): failed invoice payments.
	MetricInvoicesFailed = "invoices.failed"
	// MetricMRR (state per subscription): monthly recurring revenue,
	// normalised to a month, after discounts; 0 once cancelled. Entity is
	// the subscription, or "<subscription>/<item>" for a metered item
	// (its usage on the last finalised invoice; on Stripe API versions
	// since 2025-03-31.basil also any item whose invoice line named its
	// price by id only: unknown until the price is read, then the usage,
	// or 0 for a licensed item, which its subscription's events also
	// say, above every invoice's version). Dimension "customer"
	// names the subscription's customer; dimension "mrr_unknown" (with
	// Value 0) says the MRR could not be computed, and why: readers show
	// it as unknown, never as zero.
	MetricMRR = "mrr"
	// MetricCustomersNew (additive, count): customers created.
	MetricCustomersNew = "customers.new"
	// MetricPayoutsPaid (additive): payouts that reached the bank.
	MetricPayoutsPaid = "payouts.paid"
	// MetricPayoutsFailed (additive): payouts that failed.
	MetricPayoutsFailed = "payouts.failed"
	// MetricCheckoutCompleted (additive, count): completed checkout sessions.
	MetricCheckoutCompleted = "checkout.completed"
	// MetricCheckoutExpired (additive, count): abandoned checkout sessions.
	MetricCheckoutExpired = "checkout.expired"
	// MetricCashStripe (gauge per currency): Stripe available balance.
	MetricCashStripe = "cash.stripe_available"
	// MetricCashStripePending (gauge per currency): the Stripe balance's
	// pending funds (captured, not yet available), from the same
	// balance.available event; with MetricCashStripe it is the balance the
	// payouts reconciliation compares.
	MetricCashStripePending = "cash.stripe_pending"
)
