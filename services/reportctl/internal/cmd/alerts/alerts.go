// Package alerts is `reportctl alerts list|history|test`: the alert rules
// in force per tenant with their open episodes, past episodes, and a test
// alert sent on a rule's channels, marked as a test (the work is in
// domain/alerting/alertops).
package alerts

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/spf13/cobra"

	"github.com/boardpack/boardpack/services/internal/domain/alerting"
	"github.com/boardpack/boardpack/services/internal/domain/alerting/alertops"
	"github.com/boardpack/boardpack/services/internal/domain/alerting/episodes"
	"github.com/boardpack/boardpack/services/internal/domain/alerting/notify"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/envconfig"
	"github.com/boardpack/boardpack/services/reportctl/internal/app"
)

// Now is the clock of `alerts test` (a variable so tests can fix it).
var Now = time.Now

// Command is `reportctl alerts` and its verbs.
func Command(a *app.App) *cobra.Command {
	return app.Group("alerts", "alert rules, open and past episodes, test alerts",
		listCommand(a), historyCommand(a), testCommand(a))
}

func episodeStore(cmd *cobra.Command, a *app.App) (episodes.Store, error) {
	cfg, err := a.AWS(cmd.Context())
	if err != nil {
		return episodes.Store{}, err
	}
	return episodes.Store{DB: dynamodb.NewFromConfig(cfg), Table: a.Names.Table}, nil
}

// tenantsFor is one tenant (--tenant) or every tenant.
func tenantsFor(cmd *cobra.Command, a *app.App, id string) ([]tenants.Tenant, error) {
	ctx := cmd.Context()
	if id != "" {
		t, err := a.LoadTenant(ctx, id)
		if err != nil {
			return nil, err
		}
		return []tenants.Tenant{t}, nil
	}
	store, err := a.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	return store.List(ctx)
}

// RuleRow is one rule in `alerts list -o json` (the output is a JSON
// array of RuleRow; the field names are stable).
type RuleRow struct {
	// Tenant is the tenant's id, or the portfolio's when Portfolio is set.
	Tenant    string `json:"tenant"`
	Portfolio bool   `json:"portfolio"`
	Rule      string `json:"rule"`
	Metric    string `json:"metric"`
	// Condition is above, below or change_pct.
	Condition string `json:"condition"`
	// Threshold is an integer in Unit: minor_units (of Currency),
	// basis_points (percentages, and every change_pct), count or hours.
	Threshold int64  `json:"threshold"`
	Unit      string `json:"unit"`
	// Currency is the owner's, that money thresholds and values are in.
	Currency      string   `json:"currency,omitempty"`
	WindowSeconds int64    `json:"window_seconds"`
	RepeatSeconds int64    `json:"repeat_seconds"`
	Severity      string   `json:"severity"`
	Channels      []string `json:"channels"`
	Recipients    []string `json:"recipients"`
	// QuietHours is "HH:MM-HH:MM" in Timezone; empty: none.
	QuietHours string `json:"quiet_hours,omitempty"`
	Timezone   string `json:"timezone"`
	// Open are the rule's open episodes.
	Open []OpenEpisode `json:"open"`
	// Pending counts notifications not yet sent (held, or to retry).
	Pending int `json:"pending"`
}

// OpenEpisode is one open episode of a rule in `alerts list -o json`.
type OpenEpisode struct {
	// Subject is what the episode is about (a dispute, a member); empty
	// for a rule over the whole tenant.
	Subject string `json:"subject,omitempty"`
	// Seq numbers the episodes of (rule, subject) from 1.
	Seq int `json:"seq"`
	// OpenedAt is RFC 3339, UTC.
	OpenedAt time.Time `json:"opened_at"`
	// Value is the latest value seen, in the rule's unit (Currency's
	// minor units for money).
	Value    int64  `json:"value"`
	Currency string `json:"currency,omitempty"`
}

func listCommand(a *app.App) *cobra.Command {
	var tenantID, portfolioID string
	var out app.Output
	c := &cobra.Command{
		Use:   "list",
		Short: "the rules in force per tenant (defaults included) with their open episodes",
		Args:  app.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if tenantID != "" && portfolioID != "" {
				return app.Usagef("--tenant and --portfolio are mutually exclusive")
			}
			var list []tenants.Tenant
			var err error
			if portfolioID != "" {
				list, err = portfolioAsOwner(cmd, a, portfolioID)
			} else {
				list, err = tenantsFor(cmd, a, tenantID)
			}
			if err != nil {
				return err
			}
			store, err := episodeStore(cmd, a)
			if err != nil {
				return err
			}
			rows, err := alertops.List(cmd.Context(), store, list)
			if err != nil {
				return err
			}
			zones := map[string]*time.Location{}
			for _, t := range list {
				zones[t.ID] = t.Location()
			}
			if out.JSON() {
				return app.WriteJSON(a.Stdout, jsonRows(rows, portfolioID != "", zones))
			}
			return alertops.WriteList(a.Stdout, rows, func(id string) *time.Location { return zones[id] })
		},
	}
	c.Flags().StringVar(&tenantID, "tenant", "", "only this tenant's rules")
	c.Flags().StringVar(&portfolioID, "portfolio", "", "this portfolio's rules (evaluated over each member's facts) instead")
	app.AddOutputFlag(c, &out)
	return c
}

// jsonRows are the rows of `alerts list -o json`.
func jsonRows(rows []alertops.RuleRow, portfolio bool, zones map[string]*time.Location) []RuleRow {
	out := make([]RuleRow, 0, len(rows))
	for _, r := range rows {
		unit := map[string]string{alerting.UnitMoney: "minor_units", alerting.UnitPercent: "basis_points",
			alerting.UnitCount: "count", alerting.UnitHours: "hours"}[r.Rule.Def.Unit]
		if r.Rule.Condition == alerting.ChangePct {
			unit = "basis_points"
		}
		j := RuleRow{Tenant: r.TenantID, Portfolio: portfolio, Rule: r.Rule.Name, Metric: r.Rule.Metric, Condition: r.Rule.Condition,
			Threshold: r.Rule.Threshold, Unit: unit, Currency: r.Currency,
			WindowSeconds: int64(r.Rule.Window / time.Second), RepeatSeconds: int64(r.Rule.Repeat / time.Second),
			Severity: r.Rule.Severity, Channels: nonNil(r.Rule.Channels), Recipients: nonNil(r.Rule.Recipients),
			Open: []OpenEpisode{}, Pending: r.Pending}
		if loc := zones[r.TenantID]; loc != nil {
			j.Timezone = loc.String()
		}
		if r.Rule.Quiet != nil {
			j.QuietHours = r.Rule.Quiet.String()
		}
		for _, st := range r.Open {
			j.Open = append(j.Open, OpenEpisode{Subject: st.Subject, Seq: st.Seq, OpenedAt: st.OpenedAt.UTC(), Value: st.Value, Currency: st.Currency})
		}
		out = append(out, j)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// portfolioAsOwner is the portfolio seen as the owner of its alerts (its
// id, zone and rules; money in its first member's currency). Portfolios
// have no default rules unless alerts.defaults is true.
func portfolioAsOwner(cmd *cobra.Command, a *app.App, id string) ([]tenants.Tenant, error) {
	ctx := cmd.Context()
	store, err := a.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	p, err := store.GetPortfolio(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("portfolio %s: %w", id, err)
	}
	var m tenants.Tenant
	if len(p.Members) > 0 {
		if m, err = store.Get(ctx, p.Members[0]); err != nil {
			return nil, err
		}
	}
	if p.Alerts == nil {
		p.Alerts = &tenants.Alerts{}
	}
	if p.Alerts.Defaults == nil {
		off := false
		p.Alerts.Defaults = &off
	}
	return []tenants.Tenant{p.AlertTenant(m)}, nil
}

func historyCommand(a *app.App) *cobra.Command {
	var tenantID string
	var limit int
	c := &cobra.Command{
		Use:   "history",
		Short: "past and open alert episodes, newest first",
		Args:  app.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 1 {
				return app.Usagef("--limit must be at least 1")
			}
			list, err := tenantsFor(cmd, a, tenantID)
			if err != nil {
				return err
			}
			store, err := episodeStore(cmd, a)
			if err != nil {
				return err
			}
			for _, t := range list {
				recs, err := alertops.History(cmd.Context(), store, t.ID, limit)
				if err != nil {
					return err
				}
				if err := alertops.WriteHistory(a.Stdout, recs, t.Location()); err != nil {
					return err
				}
			}
			return nil
		},
	}
	c.Flags().StringVar(&tenantID, "tenant", "", "only this tenant's episodes")
	c.Flags().IntVar(&limit, "limit", 50, "episodes per tenant at most")
	return c
}

// devUnsubscribeKey is the alerter's local-run key (services/alerter).
const devUnsubscribeKey = "local-dev-unsubscribe-key-change-me"

func testCommand(a *app.App) *cobra.Command {
	var tenantID, rule string
	c := &cobra.Command{
		Use:   "test",
		Short: "send a test alert of a tenant's rule on its channels, marked as a test",
		Long: "Sends a test alert of the rule on its channels (email through SES, Slack), marked as a test in the\n" +
			"subject and body, with the rule's threshold as the figure. It never counts as a real alert.\n" +
			"Links in it use BOARDPACK_ALERTER_PUBLIC_URL and BOARDPACK_ALERTER_UNSUBSCRIBE_KEY, as the alerter does.",
		Args: app.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if tenantID == "" || rule == "" {
				return app.Usagef("--tenant and --rule are required")
			}
			t, err := a.LoadTenant(cmd.Context(), tenantID)
			if err != nil {
				return err
			}
			var r envconfig.Reader
			publicURL := strings.TrimRight(r.String("BOARDPACK_ALERTER_PUBLIC_URL", "http://127.0.0.1:8085"), "/")
			key := r.Secret("BOARDPACK_ALERTER_UNSUBSCRIBE_KEY", devUnsubscribeKey)
			local := r.Bool("BOARDPACK_LOCAL", false)
			hosts := r.List("BOARDPACK_SLACK_ALLOWED_HOSTS", "")
			for i, h := range hosts {
				hosts[i] = strings.ToLower(strings.TrimSpace(h))
			}
			if err := r.Err(); err != nil {
				return err
			}
			if key == devUnsubscribeKey && !local {
				return errors.New("BOARDPACK_ALERTER_UNSUBSCRIBE_KEY must be set: the built-in development key is accepted only in the local run (BOARDPACK_LOCAL=true)")
			}
			cfg, err := a.AWS(cmd.Context())
			if err != nil {
				return err
			}
			db := dynamodb.NewFromConfig(cfg)
			n := &notify.Notifier{
				Sends: delivery.Store{DB: db, Table: a.Names.Table}, Dead: episodes.Store{DB: db, Table: a.Names.Table},
				SES: ses.NewFromConfig(cfg), Slack: notify.NewSlack(),
				Secrets: tenants.NewSecretResolver(cfg, time.Minute),
				Sender:  a.Sender, ConfigurationSet: a.Names.ConfigurationSet,
				AllowedHosts: hosts,
				PublicURL:    publicURL, UnsubscribeKey: []byte(key), UnsubscribeTTL: 90 * 24 * time.Hour,
				ClaimTTL: time.Minute, Log: slog.New(slog.NewTextHandler(a.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
			}
			note, err := alertops.Test(cmd.Context(), n, t, rule, Now())
			if errors.Is(err, alertops.ErrUnknownRule) {
				return app.Usagef("%v", err)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.Stdout, "test alert %s of rule %s sent for %s\n", note.ID, rule, t.ID)
			return nil
		},
	}
	c.Flags().StringVar(&tenantID, "tenant", "", "the tenant (required)")
	c.Flags().StringVar(&rule, "rule", "", "the rule's name, as `alerts list` shows it (required)")
	return c
}
