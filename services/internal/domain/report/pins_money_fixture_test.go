package report

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// The money pins build small books by hand, fact by fact, so that each
// figure in an assertion follows from a few facts written beside it.

// pinsTenant is a USD business in UTC (calendar months are UTC months)
// with no finance settings: each test sets the ones it needs.
func pinsTenant() tenants.Tenant {
	return tenants.Tenant{ID: "pins", Name: "Pins Ltd", Timezone: "UTC", Currency: "USD"}
}

// pinsBook accumulates facts for one tenant.
type pinsBook struct {
	tn    tenants.Tenant
	facts []messages.MetricEvent
}

func newPinsBook(tn tenants.Tenant) *pinsBook { return &pinsBook{tn: tn} }

// day is 12:00 UTC on the given day of 2026.
func day(month time.Month, d int) time.Time { return time.Date(2026, month, d, 12, 0, 0, 0, time.UTC) }

func (b *pinsBook) add(at time.Time, src string, e messages.MetricEvent) {
	e.Header = messages.Header{EventID: fmt.Sprintf("pin_%04d", len(b.facts)), TenantID: b.tn.ID, OccurredAt: at, Source: src}
	b.facts = append(b.facts, e)
}

// charge is a captured charge (revenue.gross) in cur.
func (b *pinsBook) charge(at time.Time, id string, minor int64, cur string) {
	b.add(at, messages.SourceStripe, messages.MetricEvent{Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: minor, Currency: cur, ObjectID: id})
}

// fee is a Stripe fee in cur with the given dimensions.
func (b *pinsBook) fee(at time.Time, minor int64, cur string, dims map[string]string) {
	b.add(at, messages.SourceStripe, messages.MetricEvent{Metric: messages.MetricRevenueFees, Kind: messages.KindAdditive, Value: minor, Currency: cur, Dimensions: dims})
}

// refund is the latest refunded total of a charge (a state).
func (b *pinsBook) refund(at time.Time, charge string, minor int64) {
	b.add(at, messages.SourceStripe, messages.MetricEvent{Metric: messages.MetricRevenueRefunded, Kind: messages.KindState, Entity: charge, ObjectID: charge, Version: at.Unix(), Value: minor, Currency: b.tn.Currency})
}

// disputed is dispute money moved: positive withdrawn, negative reinstated.
func (b *pinsBook) disputed(at time.Time, minor int64) {
	b.add(at, messages.SourceStripe, messages.MetricEvent{Metric: messages.MetricRevenueDisputed, Kind: messages.KindAdditive, Value: minor, Currency: b.tn.Currency})
}

// awsMTD is Cost Explorer's month-to-date cost of a service at a time.
func (b *pinsBook) awsMTD(at time.Time, svc string, minor int64) {
	month := at.UTC().Format("2006-01")
	b.add(at, messages.SourceAWS, messages.MetricEvent{Metric: messages.MetricAWSCostMonthToDate, Kind: messages.KindGauge, Entity: svc + "@" + month, Value: minor, Currency: b.tn.Currency,
		Dimensions: map[string]string{"service": svc, "month": month}})
}

// expense is an imported expense row.
func (b *pinsBook) expense(at time.Time, category, vendor string, minor int64) {
	b.add(at, messages.SourceImport, messages.MetricEvent{Metric: metricExpenses, Kind: messages.KindState, Version: 1,
		Entity: fmt.Sprintf("expense/%s/%s/%s/#%d", at.Format(time.DateOnly), vendor, category, len(b.facts)), Value: minor, Currency: b.tn.Currency,
		Dimensions: map[string]string{messages.DimCategory: category, messages.DimVendor: vendor}})
}

// stripeCash is the Stripe balance at a time; bank an imported bank balance.
func (b *pinsBook) stripeCash(at time.Time, minor int64) {
	b.add(at, messages.SourceStripe, messages.MetricEvent{Metric: messages.MetricCashStripe, Kind: messages.KindGauge, Entity: b.tn.Currency, Value: minor, Currency: b.tn.Currency})
}

func (b *pinsBook) bank(at time.Time, minor int64) {
	b.add(at, messages.SourceImport, messages.MetricEvent{Metric: metricCashBalance, Kind: messages.KindGauge, Entity: "cash/bank", Version: at.Unix(), Value: minor, Currency: b.tn.Currency,
		Dimensions: map[string]string{"account": "Bank"}})
}

// target is an imported revenue target for a month ("2026-10").
func (b *pinsBook) target(at time.Time, month string, minor int64) {
	b.add(at, messages.SourceImport, messages.MetricEvent{Metric: metricRevenueTarget, Kind: messages.KindState, Version: 1, Entity: "target/" + month + "/revenue", Value: minor, Currency: b.tn.Currency,
		Dimensions: map[string]string{messages.DimMonth: month, messages.DimMetric: messages.TargetRevenue}})
}

// pinsMetrics is every metric the money analyses read.
var pinsMetrics = append(append([]string{}, financeMetrics...),
	metricRevenueTarget, metricChannelSpend, messages.MetricCustomersNew, messages.MetricRevenueSettled)

// data loads the book for a report of [start, end) of kind, built at now.
func (b *pinsBook) data(t *testing.T, start, end time.Time, kind string, now time.Time) *Data {
	t.Helper()
	due := messages.ReportDue{Header: messages.Header{EventID: "due-pins", TenantID: b.tn.ID, OccurredAt: now, Source: messages.SourceScheduler},
		ReportID: messages.ReportIDFor(b.tn.ID, messages.RoleCFO, start, end), Role: messages.RoleCFO,
		PeriodStart: start.UTC(), PeriodEnd: end.UTC(), PeriodKind: kind, DueAt: end}
	src := &memSource{facts: append([]messages.MetricEvent(nil), b.facts...)} // a fresh index per load
	d, err := load(context.Background(), src, b.tn, due, now, pinsMetrics, false)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// month loads the book for a report of a 2026 calendar month, built at now.
func (b *pinsBook) month(t *testing.T, m time.Month, now time.Time) *Data {
	start := time.Date(2026, m, 1, 0, 0, 0, 0, b.tn.Location())
	return b.data(t, start, start.AddDate(0, 1, 0), messages.PeriodMonth, now)
}

// counted is a count fact (disputes won or lost, fee unknown) of a charge
// in cur, as stripemap writes it (the currency as a dimension).
func (b *pinsBook) counted(at time.Time, metric, charge, cur string) {
	b.add(at, messages.SourceStripe, messages.MetricEvent{Metric: metric, Kind: messages.KindAdditive, Value: 1, Unit: messages.UnitCount, ObjectID: charge,
		Dimensions: map[string]string{"currency": cur}})
}

// atStake is a dispute's amount at stake (0 once closed); inquiry marks
// an inquiry (warning_*).
func (b *pinsBook) atStake(at time.Time, dispute string, minor int64, inquiry bool) {
	e := messages.MetricEvent{Metric: messages.MetricDisputesAtStake, Kind: messages.KindState, Entity: dispute, Version: at.Unix(), Value: minor, Currency: b.tn.Currency}
	if inquiry {
		e.Dimensions = map[string]string{"inquiry": "true"}
	}
	b.add(at, messages.SourceStripe, e)
}

// settled is a charge's (or, with typ "dispute", a dispute's) amount in
// the settlement currency sc of a charge in cc, at Stripe's rate.
func (b *pinsBook) settled(at time.Time, charge string, minor int64, cc, sc, typ, rate string) {
	dims := map[string]string{"charge_currency": cc}
	if typ != "" {
		dims["type"] = typ
	}
	if rate != "" {
		dims["exchange_rate"] = rate
	}
	b.add(at, messages.SourceStripe, messages.MetricEvent{Metric: messages.MetricRevenueSettled, Kind: messages.KindAdditive, Value: minor, Currency: sc, ObjectID: charge, Dimensions: dims})
}
