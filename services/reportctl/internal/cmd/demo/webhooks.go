// Package demo is `reportctl demo webhooks`: a month of signed demo Stripe
// events (package stripemap builds them) posted to the stripe-collector, so
// a local run has figures without a Stripe account.
package demo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/boardpack/boardpack/services/internal/domain/stripemap"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/reportctl/internal/app"
)

// Command is `reportctl demo` and its verbs.
func Command(a *app.App) *cobra.Command {
	var tenantID, base, dir, month string
	c := &cobra.Command{
		Use:   "webhooks --tenant ID [--url URL] [--dir DIR] [--month YYYY-MM]",
		Short: "post a month of signed demo Stripe events for a tenant to the stripe-collector",
		Long: `Post a month of signed demo Stripe events for a tenant to the stripe-collector,
signed with the tenant's first webhook secret. By default the events span the
20 days before now; --month dates them inside that (past) calendar month, so a
report of that month has them. The same tenant and month give the same events
(posting them again changes nothing).`,
		Args: app.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return webhooks(cmd.Context(), a, tenantID, base, dir, month, true)
		},
	}
	f := c.Flags()
	f.StringVar(&tenantID, "tenant", "", "tenant id")
	f.StringVar(&base, "url", "http://127.0.0.1:8080", "stripe-collector base URL")
	f.StringVar(&dir, "dir", "deploy/demo/stripe", "directory of Stripe event fixtures")
	f.StringVar(&month, "month", "", "date the events inside this past calendar month YYYY-MM (default: the 20 days before now)")
	_ = c.MarkFlagDirname("dir")
	return app.Group("demo", "demo data for local runs", c, loadCommand(a))
}

// webhooks posts the demo events; verbose prints a line per event, else
// only the summary line.
func webhooks(ctx context.Context, a *app.App, tenantID, base, dir, month string, verbose bool) error {
	if tenantID == "" {
		return app.Usagef("--tenant is required")
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return app.Usagef("--url %q is not an http(s) URL", base)
	}
	now := time.Now()
	if month != "" {
		m, err := time.Parse("2006-01", month)
		if err != nil {
			return app.Usagef("--month %q is not YYYY-MM", month)
		}
		end := m.AddDate(0, 1, 0)
		if end.After(now) {
			return app.Usagef("--month %s is not over yet", month)
		}
		// The events span the 20 days before their "now": half a day
		// before the month ends keeps them inside it in any time zone.
		now = end.Add(-12 * time.Hour)
	}
	tenant, secret, err := a.TenantSecret(ctx, tenantID, func(t tenants.Tenant) (string, string) {
		if len(t.Stripe.WebhookSecrets) == 0 {
			return "", "stripe.webhook_secrets"
		}
		return t.Stripe.WebhookSecrets[0], ""
	})
	if err != nil {
		return err
	}
	fixtures, err := stripemap.LoadFixtures(dir)
	if err != nil {
		return err
	}
	events, err := stripemap.DemoEvents(fixtures, tenant.ID, now, tenant.Stripe.Livemode, tenant.Currency)
	if err != nil {
		return err
	}
	endpoint := strings.TrimRight(base, "/") + "/webhooks/stripe/" + url.PathEscape(tenant.ID)
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
		if verbose || status/100 != 2 {
			fmt.Fprintf(a.Stdout, "%d %-6s %-32s %s\n", status, mark, ev.Type, ev.ID)
		}
	}
	fmt.Fprintf(a.Stdout, "%s: posted %d demo Stripe events to %s, %d accepted, %d failed\n",
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
