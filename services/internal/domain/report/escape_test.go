package report

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

func TestDataIsEscapedInHTML(t *testing.T) {
	tn := testTenant()
	src := fullData(tn.ID, fixtureEnd)
	for _, role := range messages.Roles {
		r, err := Build(context.Background(), src, tn, monthDue(tn, role, 2026, time.October), fixtureNow)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.ToLower(r.HTML), "<script") {
			t.Errorf("%s: the HTML contains an unescaped <script>", role)
		}
		if !strings.Contains(r.HTML, "&lt;script&gt;") {
			t.Errorf("%s: the tenant name is not in the HTML, escaped", role)
		}
	}
}

func TestMissingSourcesAreNamedNotZero(t *testing.T) {
	tn := testTenant()
	// One source connected (the pipeline) and every other missing: a
	// report without any data at all is the short no-data email.
	empty := &memSource{}
	for _, f := range fixtureSource().facts {
		if f.Metric == metricPipelineValue {
			empty.facts = append(empty.facts, f)
		}
	}
	want := map[string][]string{
		"ceo":        {"Revenue (gross) (Oct 2026): unknown", "No Stripe data", "No revenue source connected"},
		"cto":        {"No AWS data", "No AWS cost data", "Connect the AWS account"},
		"cfo":        {"unknown — No Stripe data", "No expense data yet.", "No cash balance"},
		"accounting": {"No Stripe data", "No expense data", "never"},
		"cmo":        {"No marketing channel data", "No checkout data", "New customers (Oct 2026): unknown"},
	}
	for role, phrases := range want {
		r, err := Build(context.Background(), empty, tn, monthDue(tn, role, 2026, time.October), fixtureNow)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range phrases {
			if !strings.Contains(r.Text, p) {
				t.Errorf("%s text lacks %q:\n%s", role, p, r.Text)
			}
		}
		if strings.Contains(r.Text, "$0.00") {
			t.Errorf("%s shows $0.00 with no data at all: unknown must not be zero", role)
		}
	}
}

func TestMoneyPerCurrency(t *testing.T) {
	for _, c := range []struct {
		minor int64
		code  string
		want  string
	}{
		{123456, "USD", "$1,234.56"},
		{123456, "JPY", "¥123,456"},
		{123456, "EUR", "€1,234.56"},
		{123456, "KWD", "KWD\u00a0123.456"},
		{-500, "USD", "−$5.00"},
		{0, "USD", "$0.00"},
	} {
		if got := money(c.minor, c.code); got != c.want {
			t.Errorf("money(%d, %s) = %q, want %q", c.minor, c.code, got, c.want)
		}
	}
}

func TestOtherCurrenciesAreNamedNotAdded(t *testing.T) {
	tn := testTenant()
	at := time.Date(2026, 10, 10, 18, 0, 0, 0, time.UTC)
	src := &memSource{facts: []messages.MetricEvent{
		{Header: messages.Header{EventID: "a", TenantID: tn.ID, OccurredAt: at, Source: "stripe"}, Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: 1000, Currency: "USD"},
		{Header: messages.Header{EventID: "b", TenantID: tn.ID, OccurredAt: at, Source: "stripe"}, Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: 99900, Currency: "EUR"},
	}}
	r, err := Build(context.Background(), src, tn, monthDue(tn, "ceo", 2026, time.October), fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "Revenue (gross) (Oct 2026): $10.00") || !strings.Contains(r.Text, "amounts in EUR are not included") {
		t.Fatalf("text:\n%s", r.Text)
	}
}

func TestInvalidRequests(t *testing.T) {
	tn := testTenant()
	d := monthDue(tn, "ceo", 2026, time.October)
	bad := tn
	bad.Name = "Evil\r\nBcc: x@example.com"
	if _, err := Build(context.Background(), &memSource{}, bad, d, fixtureNow); !errors.Is(err, ErrInvalid) {
		t.Errorf("CR/LF in the tenant name: %v, want ErrInvalid", err)
	}
	other := d
	other.TenantID = "someone-else"
	if _, err := Build(context.Background(), &memSource{}, tn, other, fixtureNow); !errors.Is(err, ErrInvalid) {
		t.Errorf("another tenant's report: %v, want ErrInvalid", err)
	}
	future := monthDue(tn, "ceo", 2027, time.March)
	if _, err := Build(context.Background(), &memSource{}, tn, future, fixtureNow); !errors.Is(err, ErrInvalid) {
		t.Errorf("a period in the future: %v, want ErrInvalid", err)
	}
}

func TestFiguresIndependentOfDeliveryOrder(t *testing.T) {
	tn := testTenant()
	src := fullData(tn.ID, fixtureEnd)
	rev := &memSource{findings: src.findings}
	for i := len(src.facts) - 1; i >= 0; i-- {
		rev.facts = append(rev.facts, src.facts[i])
	}
	rev.facts = append(rev.facts, src.facts[len(src.facts)-3000:]...) // redeliveries of October
	for _, role := range messages.Roles {
		a, err := Build(context.Background(), src, tn, monthDue(tn, role, 2026, time.October), fixtureNow)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Build(context.Background(), rev, tn, monthDue(tn, role, 2026, time.October), fixtureNow)
		if err != nil {
			t.Fatal(err)
		}
		if a.Text != b.Text {
			t.Errorf("%s: reversed and duplicated facts give another report:\n%s", role, firstDiff(a.Text, b.Text))
		}
	}
}
