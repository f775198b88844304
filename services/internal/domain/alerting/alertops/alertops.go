// Package alertops is what the operator commands `reportctl alerts
// list|test|history` do, as functions a command calls and prints: the
// rules in force with their open episodes, a test alert marked as a test,
// and past episodes.
package alertops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/boardpack/boardpack/services/internal/domain/alerting"
	"github.com/boardpack/boardpack/services/internal/domain/alerting/episodes"
	"github.com/boardpack/boardpack/services/internal/domain/alerting/notify"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// Episodes is what the commands read (episodes.Store).
type Episodes interface {
	List(ctx context.Context, tenantID string) ([]episodes.State, error)
	History(ctx context.Context, tenantID string, limit int) ([]episodes.Record, error)
}

// RuleRow is one rule of one tenant with its open episodes.
type RuleRow struct {
	TenantID string
	Currency string
	Rule     alerting.Compiled
	Open     []episodes.State
	Pending  int
}

// List returns every rule in force for each tenant (defaults included),
// with its open episodes and notifications not yet sent.
func List(ctx context.Context, store Episodes, list []tenants.Tenant) ([]RuleRow, error) {
	var rows []RuleRow
	for _, t := range list {
		states, err := store.List(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		for _, r := range t.AlertRules() {
			row := RuleRow{TenantID: t.ID, Currency: t.Currency, Rule: r}
			for _, st := range states {
				if st.Rule != r.Name {
					continue
				}
				if st.Open {
					row.Open = append(row.Open, st)
				}
				row.Pending += len(st.Pending)
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// WriteList prints rows as a table, then each open episode.
func WriteList(w io.Writer, rows []RuleRow, tz func(tenantID string) *time.Location) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tRULE\tMETRIC\tCONDITION\tWINDOW\tREPEAT\tSEVERITY\tCHANNELS\tRECIPIENTS\tQUIET\tOPEN\tPENDING")
	for _, r := range rows {
		quiet := "-"
		if r.Rule.Quiet != nil {
			quiet = r.Rule.Quiet.String()
		}
		repeat := "-"
		if r.Rule.Repeat > 0 {
			repeat = r.Rule.Repeat.String()
		}
		f := notify.Alert{Currency: r.Currency, Rule: r.Rule}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", r.TenantID, r.Rule.Name, r.Rule.Metric,
			r.Rule.Condition, f.Format(r.Rule.Threshold), r.Rule.Window, repeat, r.Rule.Severity, strings.Join(r.Rule.Channels, ","),
			orDash(strings.Join(r.Rule.Recipients, ",")), quiet, len(r.Open), r.Pending)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		for _, st := range r.Open {
			loc := time.UTC
			if tz != nil {
				loc = tz(r.TenantID)
			}
			a := notify.Alert{Currency: r.Currency, Rule: r.Rule, Note: alerting.Notification{Value: st.Value, Currency: st.Currency}}
			fmt.Fprintf(w, "open: %s %s %s #%d since %s, value %s\n", r.TenantID, r.Rule.Name, orDash(st.Subject), st.Seq,
				st.OpenedAt.In(loc).Format("2006-01-02 15:04 MST"), a.Format(st.Value))
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ErrUnknownRule is returned by Test for a rule the tenant does not have.
var ErrUnknownRule = errors.New("unknown rule")

// Deliverer sends a notification (notify.Notifier).
type Deliverer interface {
	Deliver(ctx context.Context, t tenants.Tenant, rule alerting.Compiled, note alerting.Notification, test bool) error
}

// Test sends a test alert of the tenant's rule on its channels, marked as
// a test in subject and body, with the rule's threshold as the figure. It
// has its own notification id, so it never counts as, or blocks, a real
// alert, and it ignores quiet hours (an operator asked for it now).
func Test(ctx context.Context, d Deliverer, t tenants.Tenant, ruleName string, now time.Time) (alerting.Notification, error) {
	for _, r := range t.AlertRules() {
		if r.Name != ruleName {
			continue
		}
		note := alerting.Notification{ID: "test." + r.Name + "." + notify.RandomID(), Kind: alerting.KindFiring, Rule: r.Name,
			Subject: "test", Value: r.Threshold, Currency: t.Currency, At: now, Due: now, OpenedAt: now}
		return note, d.Deliver(ctx, t, r, note, true)
	}
	var names []string
	for _, r := range t.AlertRules() {
		names = append(names, r.Name)
	}
	return alerting.Notification{}, fmt.Errorf("%w %q for tenant %s (rules: %s)", ErrUnknownRule, ruleName, t.ID, strings.Join(names, ", "))
}

// History returns the tenant's past and current episodes, newest first.
func History(ctx context.Context, store Episodes, tenantID string, limit int) ([]episodes.Record, error) {
	return store.History(ctx, tenantID, limit)
}

// WriteHistory prints episodes as a table.
func WriteHistory(w io.Writer, recs []episodes.Record, loc *time.Location) error {
	if loc == nil {
		loc = time.UTC
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tRULE\tSUBJECT\tEPISODE\tOPENED\tCLOSED\tVALUE")
	for _, r := range recs {
		closed := "open"
		if !r.Open() {
			closed = r.ClosedAt.In(loc).Format("2006-01-02 15:04 MST")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%d %s\n", r.TenantID, r.Rule, orDash(r.Subject), r.Seq,
			r.OpenedAt.In(loc).Format("2006-01-02 15:04 MST"), closed, r.Value, r.Currency)
	}
	return tw.Flush()
}
