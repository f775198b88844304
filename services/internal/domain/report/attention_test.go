package report

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/attention"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

func attentionOf(t *testing.T, tn tenants.Tenant, src Source, role string) *Header {
	t.Helper()
	v, err := Analyse(context.Background(), src, tn, monthDue(tn, role, 2026, time.October), fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	return v.header()
}

// TestNeedsAttentionFirst: the problems the issue found buried (revenue
// under target for months, a −$6,925.92 payout gap, a Lambda with 5,184
// errors) come first, ranked, with figure, threshold, period, why,
// action and date.
func TestNeedsAttentionFirst(t *testing.T) {
	tn := testTenant()
	want := map[string][]string{
		messages.RoleCEO: {
			"critical|3 security findings open|1 critical, 2 high; worst: Secret in Lambda environment <script> on us-west-2/api",
			"high|Payouts do not reconcile|−$6,925.92 unreconciled (69 % of net revenue)",
			"high|Lambda worker is failing|5,184 errors (0.3 % · 5,184 of 1,546,900)",
			"high|Customers cost more than they buy|CAC $116.25 vs average order $75.00",
			"high|Revenue below target in each of the last 6 months|$10,500.00, 87.5 % of target",
		},
		messages.RoleCFO: {
			"high|Payouts do not reconcile|−$6,925.92 unreconciled (69 % of net revenue)",
			"high|Customers cost more than they buy|CAC $116.25 vs average order $75.00",
			"high|Revenue below target in each of the last 6 months|$10,500.00, 87.5 % of target",
		},
		messages.RoleCTO: {
			"critical|3 security findings open|1 critical, 2 high; worst: Secret in Lambda environment <script> on us-west-2/api",
			"high|Lambda worker is failing|5,184 errors (0.3 % · 5,184 of 1,546,900)",
		},
		messages.RoleCMO: {
			"high|Customers cost more than they buy|CAC $116.25 vs average order $75.00",
			"high|Revenue below target in each of the last 6 months|$10,500.00, 87.5 % of target",
			"medium|Pipeline does not cover next month's target|$12,000.00 open, 80.0 % of November's target",
		},
		messages.RoleAccounting: {
			"high|Payouts do not reconcile|−$6,925.92 unreconciled (69 % of net revenue)",
		},
	}
	for _, role := range messages.Roles {
		h := attentionOf(t, tn, fixtureSource(), role)
		var got []string
		for _, it := range h.Attention {
			got = append(got, it.Severity+"|"+it.Title+"|"+it.Figure)
			if it.Threshold == "" || it.Period == "" || it.Why == "" || it.Action == "" || it.By == "" {
				t.Errorf("%s: %s lacks a field: %+v", role, it.Title, it)
			}
		}
		if strings.Join(got, "\n") != strings.Join(want[role], "\n") {
			t.Errorf("%s needs attention:\n%s\nwant:\n%s", role, strings.Join(got, "\n"), strings.Join(want[role], "\n"))
		}
	}
	// It opens the email: before the role's first section.
	r := buildFixture(t, messages.RoleCFO)
	if i, j := strings.Index(r.Text, "NEEDS ATTENTION"), strings.Index(r.Text, "BURN MODEL"); i < 0 || j < i {
		t.Errorf("needs attention at %d, burn model at %d: want it first", i, j)
	}
	if !strings.Contains(r.Text, "1. [HIGH] Payouts do not reconcile: −$6,925.92 unreconciled (69 % of net revenue) (threshold at most 1 % of net revenue; Oct 2026)") {
		t.Errorf("cfo text lacks the payout item:\n%.1500s", r.Text)
	}
}

// TestNeedsAttentionThresholdsOverride: a tenant's thresholds change what
// fires, and when nothing crosses one line says so.
func TestNeedsAttentionThresholdsOverride(t *testing.T) {
	tn := testTenant()
	tn.Thresholds = tenants.Thresholds{LambdaErrorPct: "1%", FindingSeverity: "critical"}
	h := attentionOf(t, tn, fixtureSource(), messages.RoleCTO)
	if len(h.Attention) != 1 || h.Attention[0].Title != "1 security findings open" {
		t.Errorf("cto with lambda_error_pct 1%% and finding_severity critical: %+v", h.Attention)
	}
	tn.Thresholds = tenants.Thresholds{LambdaErrorPct: "1%", FindingSeverity: "critical"}
	src := &memSource{}
	for _, f := range fixtureSource().facts {
		if f.Metric == messages.MetricAWSLambdaInvocations || f.Metric == messages.MetricAWSLambdaErrors || f.Metric == messages.MetricAWSLambdaFunction {
			src.facts = append(src.facts, f)
		}
	}
	h = attentionOf(t, tn, src, messages.RoleCTO)
	if len(h.Attention) != 0 || h.AttentionNone != "Nothing crossed a threshold in Oct 2026." {
		t.Errorf("nothing crossing: %+v / %q", h.Attention, h.AttentionNone)
	}
	if attention.SpecOf(attention.StaleSource).Title == "" {
		t.Error("stale source rule has no title")
	}
}

// TestStaleSource: Stripe silent since 20 Oct (11 days before the report) is named, with its last
// date.
func TestStaleSource(t *testing.T) {
	tn := testTenant()
	src := &memSource{}
	cut := time.Date(2026, 10, 22, 0, 0, 0, 0, time.UTC)
	for _, f := range fixtureSource().facts {
		if f.Source == messages.SourceStripe && !f.OccurredAt.Before(cut) {
			continue
		}
		src.facts = append(src.facts, f)
	}
	h := attentionOf(t, tn, src, messages.RoleAccounting)
	found := false
	for _, it := range h.Attention {
		if it.Rule == attention.StaleSource && it.Title == "No Stripe data for 11 days" && it.Figure == "last data 20 Oct 2026; also quiet: Stripe balance and checkout data" {
			found = true
		}
	}
	if !found {
		t.Errorf("no stale Stripe item: %+v", h.Attention)
	}
}

// TestRevenueRunStartsWithTheData: months before a tenant's first revenue
// have no data, not no revenue, so they do not lengthen a run of misses:
// with revenue only since 1 Sep the run is 2 months (below the default 3,
// so medium), since 1 Aug it is 3 (high), and a full history is capped
// at the months a report reads.
func TestRevenueRunStartsWithTheData(t *testing.T) {
	tn := testTenant()
	loc := tn.Location()
	for _, c := range []struct {
		since time.Time
		want  string
	}{
		{time.Date(2026, 9, 1, 0, 0, 0, 0, loc), "medium|Revenue below target in Oct 2026"},
		{time.Date(2026, 8, 1, 0, 0, 0, 0, loc), "high|Revenue below target 3 months running"},
		{time.Time{}, "high|Revenue below target in each of the last 6 months"},
	} {
		src := &memSource{}
		for _, f := range fixtureSource().facts {
			if f.Metric == messages.MetricRevenueGross && f.OccurredAt.Before(c.since) {
				continue
			}
			src.facts = append(src.facts, f)
		}
		var got []string
		for _, it := range attentionOf(t, tn, src, messages.RoleCFO).Attention {
			if it.Rule == attention.RevenueBelowTarget {
				got = append(got, it.Severity+"|"+it.Title)
			}
		}
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("revenue since %s: %v, want [%s]", c.since.Format(time.DateOnly), got, c.want)
		}
	}
}
