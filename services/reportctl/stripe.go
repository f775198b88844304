package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/stripemap"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

func init() {
	register(command{
		name:    "stripe backfill",
		usage:   "--tenant ID [--since DATE] [--api-base URL] [--dry-run]",
		summary: "read Stripe history through the API and publish it as the webhooks would (same event ids)",
		run:     runStripeBackfill,
	})
	register(command{
		name:    "demo webhooks",
		usage:   "--tenant ID [--url URL] [--dir DIR]",
		summary: "post a month of signed demo Stripe events for a tenant to the stripe-collector",
		run:     runDemoWebhooks,
	})
}

func runDemoWebhooks(ctx context.Context, app *App, args []string) error {
	fs := newFlags("demo webhooks")
	tenantID := fs.String("tenant", "", "tenant id")
	base := fs.String("url", "http://127.0.0.1:8080", "stripe-collector base URL")
	dir := fs.String("dir", "deploy/demo/stripe", "directory of Stripe event fixtures")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *tenantID == "" {
		return fmt.Errorf("%w: --tenant is required", errUsage)
	}
	if u, err := url.Parse(*base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: --url %q is not an http(s) URL", errUsage, *base)
	}
	tenant, secret, err := tenantSecret(ctx, app, *tenantID, func(t tenants.Tenant) (string, string) {
		if len(t.Stripe.WebhookSecrets) == 0 {
			return "", "stripe.webhook_secrets"
		}
		return t.Stripe.WebhookSecrets[0], ""
	})
	if err != nil {
		return err
	}
	fixtures, err := stripemap.LoadFixtures(*dir)
	if err != nil {
		return err
	}
	now := time.Now()
	events, err := stripemap.DemoEvents(fixtures, tenant.ID, now, tenant.Stripe.Livemode, tenant.Currency)
	if err != nil {
		return err
	}
	endpoint := strings.TrimRight(*base, "/") + "/webhooks/stripe/" + url.PathEscape(tenant.ID)
	httpc := &http.Client{Timeout: 30 * time.Second}
	failed := 0
	for _, ev := range events {
		status, err := postSigned(ctx, httpc, endpoint, ev.Payload, stripemap.Sign(ev.Payload, secret, time.Now()))
		if err != nil {
			return fmt.Errorf("post %s to %s: %w", ev.Type, endpoint, err)
		}
		mark := "ok"
		if status/100 != 2 {
			mark, failed = "FAILED", failed+1
		}
		fmt.Fprintf(app.Stdout, "%d %-6s %-32s %s\n", status, mark, ev.Type, ev.ID)
	}
	fmt.Fprintf(app.Stdout, "%s: posted %d demo Stripe events to %s, %d accepted, %d failed\n",
		tenant.ID, len(events), endpoint, len(events)-failed, failed)
	if failed > 0 {
		return fmt.Errorf("%d of %d webhooks were not accepted", failed, len(events))
	}
	return nil
}

func postSigned(ctx context.Context, c *http.Client, endpoint string, body []byte, sig string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Stripe-Signature", sig)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}

// tenantSecret reads a tenant and resolves the secret reference pick
// chooses (pick returns the reference, or the name of the missing field).
func tenantSecret(ctx context.Context, app *App, id string, pick func(tenants.Tenant) (ref, missing string)) (tenants.Tenant, string, error) {
	store, err := app.Tenants(ctx)
	if err != nil {
		return tenants.Tenant{}, "", err
	}
	t, err := store.Get(ctx, id)
	if err != nil {
		if errors.Is(err, tenants.ErrNotFound) {
			return tenants.Tenant{}, "", fmt.Errorf("tenant %s is not applied (reportctl tenants apply -f FILE)", id)
		}
		return tenants.Tenant{}, "", err
	}
	ref, missing := pick(t)
	if missing != "" {
		return tenants.Tenant{}, "", fmt.Errorf("tenant %s: %s is not set", id, missing)
	}
	cfg, err := app.AWS(ctx)
	if err != nil {
		return tenants.Tenant{}, "", err
	}
	secret, err := tenants.NewSecretResolver(cfg, time.Minute).Resolve(ctx, ref)
	if err != nil {
		return tenants.Tenant{}, "", fmt.Errorf("tenant %s: %w", id, err)
	}
	return t, secret, nil
}

func runStripeBackfill(ctx context.Context, app *App, args []string) error {
	fs := newFlags("stripe backfill")
	tenantID := fs.String("tenant", "", "tenant id")
	sinceFlag := fs.String("since", "", "only objects created on or after DATE (YYYY-MM-DD or RFC 3339); default: all history")
	apiBase := fs.String("api-base", stripe.APIURL, "Stripe API base URL (stripe-mock for tests)")
	dryRun := fs.Bool("dry-run", false, "read and translate, print the counts, publish nothing")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *tenantID == "" {
		return fmt.Errorf("%w: --tenant is required", errUsage)
	}
	var since time.Time
	if *sinceFlag != "" {
		var err error
		if since, err = parseSince(*sinceFlag); err != nil {
			return fmt.Errorf("%w: --since: %v", errUsage, err)
		}
	}
	if u, err := url.Parse(*apiBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: --api-base %q is not an http(s) URL", errUsage, *apiBase)
	}
	tenant, key, err := tenantSecret(ctx, app, *tenantID, func(t tenants.Tenant) (string, string) {
		if t.Stripe.APIKey == "" {
			return "", "stripe.api_key (a reference to a restricted read-only key)"
		}
		return t.Stripe.APIKey, ""
	})
	if err != nil {
		return err
	}
	sc := stripeClient(key, *apiBase)
	facts, err := readHistory(ctx, sc, tenant.ID, since, time.Now())
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
		fmt.Fprintf(app.Stdout, "%-24s %d\n", m, counts[m])
	}
	if *dryRun {
		fmt.Fprintf(app.Stdout, "%s: %d metric events (dry run: nothing published)\n", tenant.ID, len(facts))
		return nil
	}
	pub, err := app.Publisher(ctx)
	if err != nil {
		return err
	}
	for i := 0; i < len(facts); i += 50 {
		batch := facts[i:min(i+50, len(facts))]
		events := make([]messages.Event, len(batch))
		for j := range batch {
			events[j] = batch[j]
		}
		if err := pub.Publish(ctx, messages.TopicMetrics, events...); err != nil {
			return fmt.Errorf("tenant %s: published %d of %d metric events, then: %w (running it again is safe)", tenant.ID, i, len(facts), err)
		}
	}
	fmt.Fprintf(app.Stdout, "%s: published %d metric events from Stripe history\n", tenant.ID, len(facts))
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
func readHistory(ctx context.Context, sc *client.API, tenantID string, since, now time.Time) ([]messages.MetricEvent, error) {
	var out []messages.MetricEvent
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
		out = append(out, stripemap.ChargeHistory(tenantID, cit.Charge())...)
	}
	if err := cit.Err(); err != nil {
		return nil, fmt.Errorf("list charges: %w", err)
	}

	sp := &stripe.SubscriptionListParams{Status: stripe.String("all")}
	list(&sp.ListParams)
	it := sc.Subscriptions.List(sp)
	for it.Next() {
		facts, err := stripemap.SubscriptionHistory(tenantID, it.Subscription())
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
		out = append(out, stripemap.DisputeHistory(tenantID, dit.Dispute())...)
	}
	if err := dit.Err(); err != nil {
		return nil, fmt.Errorf("list disputes: %w", err)
	}

	ip := &stripe.InvoiceListParams{CreatedRange: created(), Status: stripe.String(string(stripe.InvoiceStatusPaid))}
	list(&ip.ListParams)
	iit := sc.Invoices.List(ip)
	for iit.Next() {
		out = append(out, stripemap.InvoicePaid(tenantID, iit.Invoice())...)
	}
	if err := iit.Err(); err != nil {
		return nil, fmt.Errorf("list invoices: %w", err)
	}

	pp := &stripe.PayoutListParams{CreatedRange: created()}
	list(&pp.ListParams)
	pit := sc.Payouts.List(pp)
	for pit.Next() {
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
