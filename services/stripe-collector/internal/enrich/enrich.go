// Package enrich records Stripe's fee, net and settlement currency of
// captured charges and of refunds from their balance transactions, and the MRR of
// subscription events whose discounts came as ids only, off the webhook's
// critical path (see Enricher).
package enrich

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/domain/stripemap"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
)

// Enricher records Stripe's fee and net (and the settlement currency) of
// captured charges, off the webhook's critical path: webhooks carry only
// the balance transaction's id, so it reads each charge through the
// Stripe API with the tenant's restricted key (stripe.api_key),
// balance_transaction expanded.
//
// It is durable without a queue of its own: the to-do list is the ledger.
// Each pass reads, per tenant with a key, the charges' revenue.gross facts
// of the last Window and the revenue.fees / revenue.fee_unknown facts of
// the same charges; a charge with neither is fetched and its facts
// published (ids derive from the balance transaction, so a pass repeated
// after a crash publishes the same facts again, harmlessly). A Stripe
// outage or a crash loses nothing: the next pass retries until Stripe
// answers. A 404 marks the charge "fee unknown" (revenue.fee_unknown), its
// figure kept; a rejected key (401/403) is logged and counted once per
// tenant until it works again, and the tenant's charges wait.
//
// Refunds the same way: a refund (revenue.refunded naming the refund)
// without its balance transaction's fact (revenue.fees, type=refund) is
// read with balance_transaction and failure_balance_transaction expanded,
// and stripemap.RefundBalance's facts are published: its fee and, for a
// charge settled in another currency, what it took off that balance (or a
// failed refund gave back). A refund Stripe no longer has, or one that
// never moved money, is not asked for again.
//
// Discounts the same way: a subscription event whose discounts[] came as
// ids (API versions since 2025-03-31) gives an "MRR unknown" fact naming
// the event (stripemap.DimensionStripeEvent). A pass reads that event
// again, takes each discount from a cache or from the subscription read
// with discounts expanded, and publishes the facts the event gives with
// them: the same observation, known, which readers prefer to the unknown
// one. An event Stripe no longer has, or whose discount is gone from the
// subscription, stays unknown (counted, not fetched again).
//
// Metered prices the same way: a basil invoice.paid line names its price
// by id only (pricing.price_details.price), which does not say whether
// the item is metered nor its interval, so its MRR is unknown, naming the
// event. A pass reads that event again, takes each price from a cache or
// reads it (GET /v1/prices/{id}: a price's recurring interval and usage
// type never change), and publishes stripemap.TranslateWithPrices's
// known MRR facts: the metered usage normalised to a month, or 0 for a
// licensed item (its MRR is the subscription's). A price Stripe no longer
// has leaves the line unknown.
type Enricher struct {
	Tenants   tenantLister
	Facts     factReader
	Secrets   secretResolver
	Publisher publisher
	// Stripe returns an API client for a key (stripe-mock in tests).
	Stripe  func(key string) StripeAPI
	Log     *slog.Logger
	Metrics *EnrichMetrics
	// Window is how far back a pass looks for charges without a fee
	// (default 35 days); Batch bounds the fetches per tenant and pass
	// (default 100), within Stripe's rate limits.
	Window time.Duration
	Batch  int
	Now    func() time.Time

	mu      sync.Mutex
	revoked map[string]bool
	// discounts caches discounts by tenant and id (a discount's coupon,
	// start and end never change); given up marks events that cannot be
	// enriched (gone, or a discount removed since), not fetched again.
	discounts map[string]*stripe.Discount
	prices    map[string]*stripe.Price
	givenUp   map[string]bool
}

// maxCached bounds the discount cache; past it the cache starts afresh.
const maxCached = 10000

type secretResolver interface {
	Resolve(ctx context.Context, ref string) (string, error)
}

type publisher interface {
	Publish(ctx context.Context, topic string, events ...messages.Event) error
}

type tenantLister interface {
	List(ctx context.Context) ([]tenants.Tenant, error)
}

type factReader interface {
	Facts(ctx context.Context, tenantID, metric string, from, until time.Time) ([]messages.MetricEvent, error)
}

type chargeGetter interface {
	Get(id string, params *stripe.ChargeParams) (*stripe.Charge, error)
}

// StripeAPI is what the enrichment reads of Stripe.
type StripeAPI struct {
	Charges chargeGetter
	// PayoutTransactions lists the balance transactions paid out by a
	// payout.
	PayoutTransactions func(ctx context.Context, payoutID string) ([]*stripe.BalanceTransaction, error)
	// Event reads a webhook event again (Stripe keeps them 30 days).
	Event func(ctx context.Context, id string) (*stripe.Event, error)
	// SubscriptionDiscounts are a subscription's discounts and its
	// items', expanded with their coupons.
	SubscriptionDiscounts func(ctx context.Context, subscriptionID string) ([]*stripe.Discount, error)
	// Refund reads a refund with its balance transaction and failure
	// balance transaction expanded.
	Refund func(ctx context.Context, id string) (*stripe.Refund, error)
	// Price reads a price (its recurring interval and usage type).
	Price func(ctx context.Context, id string) (*stripe.Price, error)
}

// StripeClient is the production StripeAPI: the Stripe API at base.
func StripeClient(base string) func(key string) StripeAPI {
	return func(key string) StripeAPI {
		cfg := &stripe.BackendConfig{
			URL:               stripe.String(strings.TrimRight(base, "/")),
			MaxNetworkRetries: stripe.Int64(2),
			LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
		}
		api := stripe.GetBackendWithConfig(stripe.APIBackend, cfg)
		sc := client.New(key, &stripe.Backends{API: api, Connect: api, Uploads: api})
		return StripeAPI{Charges: sc.Charges, PayoutTransactions: func(ctx context.Context, payoutID string) ([]*stripe.BalanceTransaction, error) {
			p := &stripe.BalanceTransactionListParams{Payout: stripe.String(payoutID)}
			p.Context = ctx
			p.Limit = stripe.Int64(100)
			var out []*stripe.BalanceTransaction
			it := sc.BalanceTransactions.List(p)
			for it.Next() {
				out = append(out, it.BalanceTransaction())
			}
			return out, it.Err()
		}, Event: func(ctx context.Context, id string) (*stripe.Event, error) {
			p := &stripe.EventParams{}
			p.Context = ctx
			return sc.Events.Get(id, p)
		}, SubscriptionDiscounts: func(ctx context.Context, id string) ([]*stripe.Discount, error) {
			p := &stripe.SubscriptionParams{}
			p.Context = ctx
			p.AddExpand("discounts")
			p.AddExpand("items.data.discounts")
			sub, err := sc.Subscriptions.Get(id, p)
			if err != nil {
				return nil, err
			}
			out := append([]*stripe.Discount{sub.Discount}, sub.Discounts...)
			if sub.Items != nil {
				for _, it := range sub.Items.Data {
					if it != nil {
						out = append(out, it.Discounts...)
					}
				}
			}
			return out, nil
		}, Refund: func(ctx context.Context, id string) (*stripe.Refund, error) {
			p := &stripe.RefundParams{}
			p.Context = ctx
			p.AddExpand("balance_transaction")
			p.AddExpand("failure_balance_transaction")
			return sc.Refunds.Get(id, p)
		}, Price: func(ctx context.Context, id string) (*stripe.Price, error) {
			p := &stripe.PriceParams{}
			p.Context = ctx
			return sc.Prices.Get(id, p)
		}}
	}
}

// Run makes a pass every interval until ctx ends.
func (e *Enricher) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := e.Pass(ctx); err != nil && ctx.Err() == nil {
			e.Log.Warn("enrichment pass failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Pass enriches every tenant's charges that have no fee yet. A tenant's
// failure does not stop the others; they are joined in the error.
func (e *Enricher) Pass(ctx context.Context) error {
	ts, err := e.Tenants.List(ctx)
	if err != nil {
		return fmt.Errorf("list tenants: %w", err)
	}
	var errs []error
	for _, t := range ts {
		if t.Stripe.APIKey == "" {
			continue // figures stay "before Stripe fees"
		}
		if err := e.tenant(ctx, t); err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", t.ID, err))
		}
	}
	return errors.Join(errs...)
}

func (e *Enricher) tenant(ctx context.Context, t tenants.Tenant) error {
	now := time.Now()
	if e.Now != nil {
		now = e.Now()
	}
	window, batch := e.Window, e.Batch
	if window <= 0 {
		window = 35 * 24 * time.Hour
	}
	if batch <= 0 {
		batch = 100
	}
	from, until := now.Add(-window), now.Add(time.Hour)
	gross, err := e.Facts.Facts(ctx, t.ID, messages.MetricRevenueGross, from, until)
	if err != nil {
		return fmt.Errorf("read charges: %w", err)
	}
	done := map[string]bool{}
	// A fee is dated at its balance transaction, which may follow the
	// charge's revenue fact by a little: read a day more.
	for _, m := range []string{messages.MetricRevenueFees, messages.MetricRevenueFeeUnknown} {
		fs, err := e.Facts.Facts(ctx, t.ID, m, from.Add(-24*time.Hour), until.Add(24*time.Hour))
		if err != nil {
			return fmt.Errorf("read %s: %w", m, err)
		}
		for _, f := range fs {
			if t := f.Dimensions["type"]; t != "dispute" && t != "refund" {
				done[f.ObjectID] = true
			}
		}
	}
	var todo []messages.MetricEvent
	for _, g := range gross {
		if g.ObjectID != "" && !done[g.ObjectID] {
			done[g.ObjectID] = true
			todo = append(todo, g)
		}
	}
	payouts, err := e.unreconciledPayouts(ctx, t.ID, from, until)
	if err != nil {
		return err
	}
	unknownMRR, err := e.unknownMRREvents(ctx, t.ID, from, until)
	if err != nil {
		return err
	}
	refunds, err := e.unreadRefunds(ctx, t.ID, from, until)
	if err != nil {
		return err
	}
	if len(todo) == 0 && len(payouts) == 0 && len(unknownMRR) == 0 && len(refunds) == 0 {
		return nil
	}
	key, err := e.Secrets.Resolve(ctx, t.Stripe.APIKey)
	if err != nil {
		return fmt.Errorf("resolve stripe.api_key: %w", err)
	}
	api := e.Stripe(key)
	var out []messages.Event
	for _, g := range todo[:min(len(todo), batch)] {
		p := &stripe.ChargeParams{}
		p.Context = ctx
		p.AddExpand("balance_transaction")
		ch, err := api.Charges.Get(g.ObjectID, p)
		switch e.answer(t.ID, err, "balance transaction", "charge", g.ObjectID) {
		case keyRejected:
			return e.publish(ctx, t.ID, out) // the key is the problem: stop this tenant for now
		case notFound:
			out = append(out, e.unknown(t.ID, g, "not_found"))
			continue
		case retry:
			continue
		}
		facts := stripemap.ChargeBalance(t.ID, ch)
		if len(facts) == 0 {
			out = append(out, e.unknown(t.ID, g, "no_balance_transaction"))
			continue
		}
		for _, f := range facts {
			out = append(out, f)
		}
		// A basil webhook's charge could not say whether it paid an
		// invoice; read here at 2023-10-16 it does: its link tells a
		// one-off from an invoice's payment even without
		// invoice_payment.paid.
		if g.Dimensions[readmodel.DimensionOneOff] == readmodel.OneOffUnlessLinked {
			for _, f := range stripemap.ChargeInvoiceLink(t.ID, ch) {
				out = append(out, f)
			}
		}
		e.Metrics.enriched.WithLabelValues(t.ID).Inc()
	}
	for _, po := range payouts[:min(len(payouts), batch)] {
		bts, err := api.PayoutTransactions(ctx, po.Entity)
		switch e.answer(t.ID, err, "payout transactions", "payout", po.Entity) {
		case keyRejected:
			return e.publish(ctx, t.ID, out)
		case notFound:
			e.unavailable(t.ID, err, "payout transactions", "payout", po.Entity) // a payout Stripe just paid: retried
			continue
		case retry:
			continue
		}
		out = append(out, stripemap.PayoutReconciliation(t.ID, po, bts))
	}
	for _, r := range refunds[:min(len(refunds), batch)] {
		if api.Refund == nil {
			break
		}
		re, err := api.Refund(ctx, r.id)
		switch e.answer(t.ID, err, "refund balance transaction", "refund", r.id) {
		case keyRejected:
			return e.publish(ctx, t.ID, out)
		case notFound:
			e.giveUp(t.ID, refundKey(r.id), "refund_not_found")
			continue
		case retry:
			continue
		}
		if re.Currency == "" {
			re.Currency = stripe.Currency(strings.ToLower(r.currency))
		}
		if r.charge != "" { // the ledger's charge, which the refund's facts join
			re.Charge = &stripe.Charge{ID: r.charge}
		}
		facts := stripemap.RefundBalance(t.ID, re)
		got := map[string]bool{}
		for _, f := range facts {
			out = append(out, f)
			got[f.Dimensions["funds"]] = true
		}
		// A leg Stripe has no balance transaction for (a refund cancelled
		// before it moved money) is not asked for again.
		if (r.out && !got["out"]) || (r.returned && !got["returned"]) {
			e.giveUp(t.ID, refundKey(r.id), "refund_without_balance_transaction")
		}
	}
	for _, evID := range unknownMRR[:min(len(unknownMRR), batch)] {
		facts, missing, err := e.resolveMRR(ctx, t.ID, api, evID)
		if errors.Is(err, errNotSubscription) {
			e.giveUp(t.ID, evID, "discount_event_not_subscription")
			e.Log.Warn("mrr unknown: the event named is not a subscription's", "tenant", t.ID, "stripe_event", evID, "err", err)
			continue
		}
		switch e.answer(t.ID, err, "mrr input", "stripe_event", evID) {
		case keyRejected:
			return e.publish(ctx, t.ID, out)
		case notFound:
			e.giveUp(t.ID, evID, "discount_event_not_found")
			continue
		case retry:
			continue
		}
		known, left := 0, 0
		for _, f := range facts {
			if f.Metric != messages.MetricMRR {
				continue // the event's other facts are recorded already
			}
			if _, unknown := f.Dimensions[stripemap.DimensionMRRUnknown]; unknown {
				left++
				// An invoice line the enrichment could not price is its
				// own observation, above an earlier invoice's priced usage
				// (stripemap.TranslateWithPrices): it is recorded, so that
				// usage is not shown as the line's.
				if missing == "price_not_found" {
					out = append(out, f)
				}
				continue
			}
			out = append(out, f)
			known++
		}
		if known == 0 || left > 0 {
			e.giveUp(t.ID, evID, missing) // what is left stays unknown
		}
	}
	return e.publish(ctx, t.ID, out)
}

// unknownMRREvents are the webhook events of [from, until) whose MRR is
// unknown only because what it needs came as ids (a subscription's
// discounts, an invoice line's price), and that no known fact of the same
// entity and instant superseding it (as high a version: an invoice line's
// priced fact sits above its unknown, a subscription's at the same
// version) has replaced yet.
func (e *Enricher) unknownMRREvents(ctx context.Context, tenantID string, from, until time.Time) ([]string, error) {
	mrr, err := e.Facts.Facts(ctx, tenantID, messages.MetricMRR, from, until)
	if err != nil {
		return nil, fmt.Errorf("read mrr: %w", err)
	}
	type instant struct {
		entity string
		at     time.Time
	}
	known := map[instant]int64{} // highest known version
	for _, f := range mrr {
		if _, unknown := f.Dimensions[stripemap.DimensionMRRUnknown]; !unknown {
			k := instant{f.Entity, f.OccurredAt.UTC()}
			if v, ok := known[k]; !ok || f.Version > v {
				known[k] = f.Version
			}
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, f := range mrr {
		ev := f.Dimensions[stripemap.DimensionStripeEvent]
		v, replaced := known[instant{f.Entity, f.OccurredAt.UTC()}]
		if ev == "" || seen[ev] || e.givenUp[tenantID+"/"+ev] || (replaced && v >= f.Version) {
			continue
		}
		seen[ev] = true
		out = append(out, ev)
	}
	sort.Strings(out)
	return out, nil
}

// resolveMRR reads the event an unknown MRR names again and translates it
// with what it lacked: a subscription event's discounts, an invoice.paid
// event's prices; missing names what an MRR still unknown lacks.
func (e *Enricher) resolveMRR(ctx context.Context, tenantID string, api StripeAPI, evID string) (facts []messages.MetricEvent, missing string, err error) {
	if api.Event == nil {
		return nil, "", errors.New("stripe client cannot read events")
	}
	ev, err := api.Event(ctx, evID)
	if err != nil {
		return nil, "", err
	}
	if ev.Type == stripe.EventTypeInvoicePaid {
		facts, err = e.withPrices(ctx, tenantID, api, ev)
		return facts, "price_not_found", err
	}
	facts, err = e.withDiscounts(ctx, tenantID, api, evID, ev)
	return facts, "discount_not_found", err
}

// withPrices translates an invoice.paid event with the prices its lines
// named by id, from the cache or read. A price Stripe no longer has is
// left out (its line stays unknown); any other failure is the pass's.
func (e *Enricher) withPrices(ctx context.Context, tenantID string, api StripeAPI, ev *stripe.Event) ([]messages.MetricEvent, error) {
	if api.Price == nil {
		return nil, errors.New("stripe client cannot read prices")
	}
	byID := map[string]*stripe.Price{}
	for _, id := range stripemap.UnexpandedPrices(*ev) {
		e.mu.Lock()
		p := e.prices[tenantID+"/"+id]
		e.mu.Unlock()
		if p == nil {
			var err error
			p, err = api.Price(ctx, id)
			var se *stripe.Error
			if errors.As(err, &se) && se.HTTPStatusCode == http.StatusNotFound {
				continue
			}
			if err != nil {
				return nil, err
			}
			e.mu.Lock()
			if e.prices == nil || len(e.prices) > maxCached {
				e.prices = map[string]*stripe.Price{}
			}
			e.prices[tenantID+"/"+id] = p
			e.mu.Unlock()
		}
		byID[id] = p
	}
	return stripemap.TranslateWithPrices(tenantID, *ev, byID)
}

// withDiscounts translates a subscription event read again with its
// discounts, from the cache or read from the subscription.
func (e *Enricher) withDiscounts(ctx context.Context, tenantID string, api StripeAPI, evID string, ev *stripe.Event) ([]messages.MetricEvent, error) {
	if api.SubscriptionDiscounts == nil {
		return nil, errors.New("stripe client cannot read discounts")
	}
	var sub stripe.Subscription
	if !strings.HasPrefix(string(ev.Type), "customer.subscription.") || ev.Data == nil || json.Unmarshal(ev.Data.Raw, &sub) != nil || sub.ID == "" {
		return nil, fmt.Errorf("%w: event %s is %q", errNotSubscription, evID, ev.Type)
	}
	byID := map[string]*stripe.Discount{}
	var missing bool
	e.mu.Lock()
	for _, id := range stripemap.UnexpandedDiscounts(&sub) {
		if d := e.discounts[tenantID+"/"+id]; d != nil {
			byID[id] = d
		} else {
			missing = true
		}
	}
	e.mu.Unlock()
	if missing {
		ds, err := api.SubscriptionDiscounts(ctx, sub.ID)
		if err != nil {
			return nil, err
		}
		e.mu.Lock()
		if e.discounts == nil || len(e.discounts) > maxCached {
			e.discounts = map[string]*stripe.Discount{}
		}
		for _, d := range ds {
			if d != nil && d.ID != "" && d.Coupon != nil {
				e.discounts[tenantID+"/"+d.ID] = d
				byID[d.ID] = d
			}
		}
		e.mu.Unlock()
	}
	return stripemap.TranslateWithDiscounts(tenantID, *ev, byID)
}

// errNotSubscription is an event named by an MRR fact that is not a
// subscription's (a bad fact, or a test server's fixture).
var errNotSubscription = errors.New("not a subscription event")

// giveUp stops enriching an event that cannot be: its MRR stays unknown,
// and reports say so.
func (e *Enricher) giveUp(tenantID, evID, reason string) {
	e.Metrics.failures.WithLabelValues(tenantID, reason).Inc()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.givenUp == nil || len(e.givenUp) > maxCached {
		e.givenUp = map[string]bool{}
	}
	e.givenUp[tenantID+"/"+evID] = true
}

// stripeAnswer is what a read of Stripe came to.
type stripeAnswer int

const (
	answered    stripeAnswer = iota // the key works
	keyRejected                     // 401/403: logged and counted once per tenant
	notFound                        // 404: the caller decides
	retry                           // anything else: counted, logged, retried next pass
)

// answer sorts a Stripe read's error (what was read, and the object as a
// log attribute) and keeps the key's state: rejected, or working again.
func (e *Enricher) answer(tenantID string, err error, what, kind, id string) stripeAnswer {
	var se *stripe.Error
	switch {
	case err == nil:
		e.keyWorks(tenantID)
		return answered
	case errors.As(err, &se) && (se.HTTPStatusCode == http.StatusUnauthorized || se.HTTPStatusCode == http.StatusForbidden):
		e.keyRejected(tenantID, se)
		return keyRejected
	case errors.As(err, &se) && se.HTTPStatusCode == http.StatusNotFound:
		return notFound
	}
	e.unavailable(tenantID, err, what, kind, id)
	return retry
}

// unavailable counts and logs a read that is retried next pass.
func (e *Enricher) unavailable(tenantID string, err error, what, kind, id string) {
	e.Metrics.failures.WithLabelValues(tenantID, "stripe_unavailable").Inc()
	e.Log.Warn(what+" fetch failed; retried next pass", "tenant", tenantID, kind, id, "err", err)
}

// unreadRefund is a refund whose balance transactions are not read yet:
// out (it stood at an amount) and returned (it then failed or was
// cancelled), each wanted unless its fee fact is recorded.
type unreadRefund struct {
	id, charge, currency string
	out, returned        bool
}

func refundKey(id string) string { return "refund/" + id }

// unreadRefunds are the refunds of [from, until) (revenue.refunded facts
// naming a refund, not a charge's cumulative figure) whose balance
// transactions have no fact yet (revenue.fees, type=refund, per refund and
// direction).
func (e *Enricher) unreadRefunds(ctx context.Context, tenantID string, from, until time.Time) ([]unreadRefund, error) {
	states, err := e.Facts.Facts(ctx, tenantID, messages.MetricRevenueRefunded, from, until)
	if err != nil {
		return nil, fmt.Errorf("read refunds: %w", err)
	}
	fees, err := e.Facts.Facts(ctx, tenantID, messages.MetricRevenueFees, from.Add(-24*time.Hour), until.Add(24*time.Hour))
	if err != nil {
		return nil, fmt.Errorf("read refund fees: %w", err)
	}
	read := map[string]bool{}
	for _, f := range fees {
		if f.Dimensions["type"] == "refund" {
			read[f.Dimensions["refund"]+"|"+f.Dimensions["funds"]] = true
		}
	}
	byID := map[string]*unreadRefund{}
	latest := map[string]messages.MetricEvent{}
	for _, f := range states {
		if f.Kind != messages.KindState || f.Entity == "" || f.Entity == f.ObjectID {
			continue
		}
		r := byID[f.Entity]
		if r == nil {
			r = &unreadRefund{id: f.Entity, charge: f.ObjectID, currency: f.Currency}
			byID[f.Entity] = r
		}
		r.out = r.out || f.Value > 0
		if l, ok := latest[f.Entity]; !ok || f.Version > l.Version {
			latest[f.Entity] = f
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []unreadRefund
	for id, r := range byID {
		r.returned = r.out && latest[id].Value == 0
		if e.givenUp[tenantID+"/"+refundKey(id)] {
			continue
		}
		if (r.out && !read[id+"|out"]) || (r.returned && !read[id+"|returned"]) {
			out = append(out, *r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out, nil
}

// unreconciledPayouts are the paid payouts of [from, until) without a
// reconciliation yet.
func (e *Enricher) unreconciledPayouts(ctx context.Context, tenantID string, from, until time.Time) ([]messages.MetricEvent, error) {
	paid, err := e.Facts.Facts(ctx, tenantID, messages.MetricPayoutsPaid, from, until)
	if err != nil {
		return nil, fmt.Errorf("read payouts: %w", err)
	}
	rec, err := e.Facts.Facts(ctx, tenantID, messages.MetricPayoutsUnreconciled, from, until)
	if err != nil {
		return nil, fmt.Errorf("read payout reconciliations: %w", err)
	}
	done := map[string]bool{}
	for _, f := range rec {
		done[f.Entity] = true
	}
	var out []messages.MetricEvent
	for _, f := range readmodel.StatesAt(readmodel.Distinct(paid), until) {
		if f.Kind == messages.KindState && f.Value > 0 && !done[f.Entity] {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Entity < out[j].Entity })
	return out, nil
}

func (e *Enricher) unknown(tenantID string, g messages.MetricEvent, reason string) messages.MetricEvent {
	e.Metrics.failures.WithLabelValues(tenantID, reason).Inc()
	live := g.Livemode != nil && *g.Livemode
	return stripemap.FeeUnknown(tenantID, g.ObjectID, g.Currency, g.OccurredAt, live)
}

func (e *Enricher) publish(ctx context.Context, tenantID string, evs []messages.Event) error {
	if len(evs) == 0 {
		return nil
	}
	if err := e.Publisher.Publish(bus.WithCorrelationID(ctx, "enrich-"+tenantID), messages.TopicMetrics, evs...); err != nil {
		return fmt.Errorf("publish %d fee facts: %w", len(evs), err)
	}
	return nil
}

// keyRejected logs and counts a rejected key once until it works again.
func (e *Enricher) keyRejected(tenantID string, se *stripe.Error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.revoked == nil {
		e.revoked = map[string]bool{}
	}
	if e.revoked[tenantID] {
		return
	}
	e.revoked[tenantID] = true
	e.Metrics.keyRejected.WithLabelValues(tenantID).Set(1)
	e.Log.Error("stripe api key rejected: fees are unknown until stripe.api_key is fixed", "tenant", tenantID, "status", se.HTTPStatusCode, "code", string(se.Code))
}

func (e *Enricher) keyWorks(tenantID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.revoked[tenantID] {
		delete(e.revoked, tenantID)
		e.Metrics.keyRejected.WithLabelValues(tenantID).Set(0)
		e.Log.Info("stripe api key accepted again", "tenant", tenantID)
	}
}

// Interval is how often the enrichment passes over the tenants.
const Interval = 5 * time.Minute

// newEnricher is the production enrichment: tenants and facts from the
// table, keys through the secret resolver, the Stripe API, the metrics
// publisher.
// New is the production Enricher: the table through readmodel and tenants,
// secrets through SSM/Secrets Manager, the Stripe API at stripe.APIURL.
func New(awsCfg aws.Config, table string, pub publisher, log *slog.Logger, reg prometheus.Registerer) *Enricher {
	db := dynamodb.NewFromConfig(awsCfg)
	return &Enricher{
		Tenants:   tenants.Store{DB: db, Table: table},
		Facts:     readmodel.Store{DB: db, Table: table},
		Secrets:   tenants.NewSecretResolver(awsCfg, time.Minute),
		Publisher: pub,
		Stripe:    StripeClient(stripe.APIURL),
		Log:       log.With("component", "enrichment"),
		Metrics:   NewEnrichMetrics(reg),
	}
}

// EnrichMetrics are the enrichment's series, per tenant.
type EnrichMetrics struct {
	enriched    *prometheus.CounterVec
	failures    *prometheus.CounterVec
	keyRejected *prometheus.GaugeVec
}

// NewEnrichMetrics registers the enrichment's series on reg.
func NewEnrichMetrics(reg prometheus.Registerer) *EnrichMetrics {
	m := &EnrichMetrics{
		enriched: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boardpack_stripe_charges_enriched_total",
			Help: "Charges whose fee and net were read from their balance transaction.",
		}, []string{"tenant"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "boardpack_stripe_enrichment_failures_total",
			Help: "Balance-transaction reads that failed, by reason (not_found and no_balance_transaction mark the fee unknown; stripe_unavailable is retried).",
		}, []string{"tenant", "reason"}),
		keyRejected: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "boardpack_stripe_api_key_rejected",
			Help: "1 while Stripe rejects the tenant's stripe.api_key (401/403).",
		}, []string{"tenant"}),
	}
	reg.MustRegister(m.enriched, m.failures, m.keyRejected)
	return m
}
