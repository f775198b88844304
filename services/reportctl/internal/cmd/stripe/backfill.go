// Package stripe is `reportctl stripe backfill`: a tenant's Stripe history
// read through the API and published as the webhooks would have
// (translation in package stripemap).
package stripe

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/stripemap"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/reportctl/internal/app"
)

// Command is `reportctl stripe` and its verbs.
func Command(a *app.App) *cobra.Command {
	var tenantID, sinceFlag, apiBase string
	var dryRun bool
	backfill := &cobra.Command{
		Use:   "backfill --tenant ID [--since DATE] [--api-base URL] [--dry-run]",
		Short: "read Stripe history through the API and publish it as the webhooks would (same event ids)",
		Long: `Read a tenant's Stripe history (charges, subscriptions, disputes, paid
invoices, payouts, checkout sessions, customers, balance) through the API with
the tenant's stripe.api_key and publish it as metric events with the same ids
the webhooks produce, so running it twice, or after the webhooks, changes
nothing. Progress goes to stderr on a terminal.`,
		Args: app.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return backfill(cmd.Context(), a, tenantID, sinceFlag, apiBase, dryRun)
		},
	}
	f := backfill.Flags()
	f.StringVar(&tenantID, "tenant", "", "tenant id")
	f.StringVar(&sinceFlag, "since", "", "only objects created on or after DATE (YYYY-MM-DD or RFC 3339); default: all history")
	f.StringVar(&apiBase, "api-base", stripe.APIURL, "Stripe API base URL (stripe-mock for tests)")
	f.BoolVar(&dryRun, "dry-run", false, "read and translate, print the counts, publish nothing")
	return app.Group("stripe", "Stripe history", backfill)
}

func backfill(ctx context.Context, a *app.App, tenantID, sinceFlag, apiBase string, dryRun bool) error {
	if tenantID == "" {
		return app.Usagef("--tenant is required")
	}
	var since time.Time
	if sinceFlag != "" {
		var err error
		if since, err = parseSince(sinceFlag); err != nil {
			return app.Usagef("--since: %v", err)
		}
	}
	if u, err := url.Parse(apiBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return app.Usagef("--api-base %q is not an http(s) URL", apiBase)
	}
	tenant, key, err := a.TenantSecret(ctx, tenantID, func(t tenants.Tenant) (string, string) {
		if t.Stripe.APIKey == "" {
			return "", "stripe.api_key (a reference to a restricted read-only key)"
		}
		return t.Stripe.APIKey, ""
	})
	if err != nil {
		return err
	}
	sc := stripeClient(key, apiBase)
	reading := a.Progress(tenant.ID+": reading Stripe history", 0)
	facts, err := readHistory(ctx, sc, tenant.ID, since, time.Now(), reading.Add)
	reading.Done()
	if err != nil {
		return fmt.Errorf("tenant %s: %w", tenant.ID, err)
	}
	counts := map[string]int{}
	for _, f := range facts {
		counts[f.Metric]++
	}
	metrics := make([]string, 0, len(counts))
	for m := range counts {
		metrics = append(metrics, m)
	}
	sort.Strings(metrics)
	for _, m := range metrics {
		fmt.Fprintf(a.Stdout, "%-24s %d\n", m, counts[m])
	}
	if dryRun {
		fmt.Fprintf(a.Stdout, "%s: %d metric events (dry run: nothing published)\n", tenant.ID, len(facts))
		return nil
	}
	pub, err := a.Publisher(ctx)
	if err != nil {
		return err
	}
	publishing := a.Progress(tenant.ID+": publishing", len(facts))
	defer publishing.Done()
	for i := 0; i < len(facts); i += 50 {
		batch := facts[i:min(i+50, len(facts))]
		events := make([]messages.Event, len(batch))
		for j := range batch {
			events[j] = batch[j]
		}
		if err := pub.Publish(ctx, messages.TopicMetrics, events...); err != nil {
			return fmt.Errorf("tenant %s: published %d of %d metric events, then: %w (running it again is safe)", tenant.ID, i, len(facts), err)
		}
		publishing.Add(len(batch))
	}
	publishing.Done()
	fmt.Fprintf(a.Stdout, "%s: published %d metric events from Stripe history\n", tenant.ID, len(facts))
	return nil
}

func parseSince(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not YYYY-MM-DD or RFC 3339", s)
}

func stripeClient(key, apiBase string) *client.API {
	cfg := &stripe.BackendConfig{
		URL:               stripe.String(strings.TrimRight(apiBase, "/")),
		MaxNetworkRetries: stripe.Int64(3),
		// Errors are returned and reported once, by the command.
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	}
	api := stripe.GetBackendWithConfig(stripe.APIBackend, cfg)
	return client.New(key, &stripe.Backends{API: api, Connect: api, Uploads: api})
}

// readHistory lists the tenant's objects and translates each as its
// webhooks would have been (package stripemap). Subscriptions are read
// whatever their creation date: an old subscription still paying is part
// of today's MRR.
func readHistory(ctx context.Context, sc *client.API, tenantID string, since, now time.Time, progress func(int)) ([]messages.MetricEvent, error) {
	var out []messages.MetricEvent
	if progress == nil {
		progress = func(int) {}
	}
	created := func() *stripe.RangeQueryParams {
		if since.IsZero() {
			return nil
		}
		return &stripe.RangeQueryParams{GreaterThanOrEqual: since.Unix()}
	}
	list := func(p *stripe.ListParams) {
		p.Context = ctx
		p.Limit = stripe.Int64(100)
	}

	cp := &stripe.ChargeListParams{CreatedRange: created()}
	list(&cp.ListParams)
	cp.AddExpand("data.refunds")
	// The balance transaction dates the capture and carries the fee.
	cp.AddExpand("data.balance_transaction")
	cit := sc.Charges.List(cp)
	for cit.Next() {
		progress(1)
		out = append(out, stripemap.ChargeHistory(tenantID, cit.Charge())...)
	}
	if err := cit.Err(); err != nil {
		return nil, fmt.Errorf("list charges: %w", err)
	}

	// Refunds as objects of their own, each at its own date and status
	// (a charge lists at most its first refunds).
	rp := &stripe.RefundListParams{CreatedRange: created()}
	list(&rp.ListParams)
	rit := sc.Refunds.List(rp)
	for rit.Next() {
		progress(1)
		re := rit.Refund()
		out = append(out, stripemap.Refund(tenantID, re, time.Unix(re.Created, 0).UTC())...)
	}
	if err := rit.Err(); err != nil {
		return nil, fmt.Errorf("list refunds: %w", err)
	}

	sp := &stripe.SubscriptionListParams{Status: stripe.String("all")}
	list(&sp.ListParams)
	// Discounts are ids unless expanded: an id alone is MRR unknown.
	sp.AddExpand("data.discounts")
	it := sc.Subscriptions.List(sp)
	for it.Next() {
		progress(1)
		sub := it.Subscription()
		// The subscription's state per invoice: its history, not today's
		// object stamped with an old date (stripemap.SubscriptionHistory).
		ip := &stripe.InvoiceListParams{Subscription: stripe.String(sub.ID), Status: stripe.String(string(stripe.InvoiceStatusPaid))}
		list(&ip.ListParams)
		ip.AddExpand("data.discounts")
		var invs []*stripe.Invoice
		iit := sc.Invoices.List(ip)
		for iit.Next() {
			invs = append(invs, iit.Invoice())
		}
		if err := iit.Err(); err != nil {
			return nil, fmt.Errorf("list invoices of subscription %s: %w", sub.ID, err)
		}
		facts, err := stripemap.SubscriptionHistory(tenantID, sub, invs)
		if err != nil {
			return nil, err
		}
		out = append(out, facts...)
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}

	dp := &stripe.DisputeListParams{CreatedRange: created()}
	list(&dp.ListParams)
	dit := sc.Disputes.List(dp)
	for dit.Next() {
		progress(1)
		out = append(out, stripemap.DisputeHistory(tenantID, dit.Dispute())...)
	}
	if err := dit.Err(); err != nil {
		return nil, fmt.Errorf("list disputes: %w", err)
	}

	ip := &stripe.InvoiceListParams{CreatedRange: created(), Status: stripe.String(string(stripe.InvoiceStatusPaid))}
	list(&ip.ListParams)
	iit := sc.Invoices.List(ip)
	for iit.Next() {
		progress(1)
		out = append(out, stripemap.InvoicePaid(tenantID, iit.Invoice())...)
	}
	if err := iit.Err(); err != nil {
		return nil, fmt.Errorf("list invoices: %w", err)
	}

	pp := &stripe.PayoutListParams{CreatedRange: created()}
	list(&pp.ListParams)
	pit := sc.Payouts.List(pp)
	for pit.Next() {
		progress(1)
		out = append(out, stripemap.Payout(tenantID, pit.Payout())...)
	}
	if err := pit.Err(); err != nil {
		return nil, fmt.Errorf("list payouts: %w", err)
	}

	// Filtered here rather than by the API: stripe-mock's older spec
	// refuses `created` on this list.
	csp := &stripe.CheckoutSessionListParams{}
	list(&csp.ListParams)
	csit := sc.CheckoutSessions.List(csp)
	for csit.Next() {
		progress(1)
		if cs := csit.CheckoutSession(); cs.Created >= since.Unix() || since.IsZero() {
			out = append(out, stripemap.CheckoutSession(tenantID, cs)...)
		}
	}
	if err := csit.Err(); err != nil {
		return nil, fmt.Errorf("list checkout sessions: %w", err)
	}

	cup := &stripe.CustomerListParams{CreatedRange: created()}
	list(&cup.ListParams)
	cuit := sc.Customers.List(cup)
	for cuit.Next() {
		progress(1)
		out = append(out, stripemap.Customer(tenantID, cuit.Customer())...)
	}
	if err := cuit.Err(); err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}

	bp := &stripe.BalanceParams{}
	bp.Context = ctx
	bal, err := sc.Balance.Get(bp)
	if err != nil {
		return nil, fmt.Errorf("get balance: %w", err)
	}
	out = append(out, stripemap.BalanceNow(tenantID, bal, now)...)

	for i := range out {
		if err := out[i].Validate(); err != nil {
			return nil, fmt.Errorf("%s %s: %w", out[i].Metric, out[i].ObjectID, err)
		}
	}
	return out, nil
}
