package report

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

func atoi(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }

// AccountingView is the bookkeeper's report: revenue recognition for the
// period, payouts reconciled against the Stripe balance, expenses by
// category mapped to the chart of accounts, month-over-month anomalies,
// which sources cover the books, and the milestones to break-even.
type AccountingView struct {
	Header
	Recognition Table
	// Accrual is recognised and deferred revenue beside cash and tax
	// collected; Waterfall is Stripe Revenue Recognition's waterfall.
	Accrual   Table
	Waterfall Table
	ByProduct Table
	// Settlement is the charges Stripe settled in another currency:
	// gross in the charge currency, settled amount, fees and net in the
	// settlement currency (no rows when there are none).
	Settlement   Table
	Payouts      Table
	Expenses     Table
	ExpenseChart *Chart
	Anomalies    Table
	Coverage     Table
	Milestones   []Action
}

func (*AccountingView) template() string { return "accounting" }

func init() {
	analysts[messages.RoleAccounting] = analyst{
		metrics: append([]string{messages.MetricRevenueBilled, messages.MetricInvoicesPayment, messages.MetricRevenueTax, messages.MetricPayoutsPaid, messages.MetricPayoutsFailed, messages.MetricPayoutsUnreconciled, messages.MetricInvoicesPaid,
			messages.MetricMRR, messages.MetricCustomersNew, messages.MetricCheckoutCompleted, messages.MetricCheckoutExpired,
			metricRevenueTarget, metricChannelSessions, metricChannelConversion, metricChannelSpend, metricPipelineValue,
			messages.MetricAWSLambdaFunction, messages.MetricAWSCloudFrontDistribution, messages.MetricAWSS3Bucket, messages.MetricAWSRoute53Records,
		}, append(financeMetrics, coverageMetrics()...)...),
		analyse: analyseAccounting,
	}
}

// chartOfAccounts maps expense categories (lower case) to a default
// small-business chart of accounts when the import gives no account code;
// unknown categories go to 6900.
var chartOfAccounts = map[string]string{
	"hosting": "6100 Hosting & cloud", "aws": "6100 Hosting & cloud", "cloud": "6100 Hosting & cloud",
	"software": "6110 Software subscriptions", "saas": "6110 Software subscriptions",
	"payroll": "6000 Payroll", "salaries": "6000 Payroll", "contractors": "6010 Contractors",
	"marketing": "6200 Advertising & marketing", "advertising": "6200 Advertising & marketing", "ads": "6200 Advertising & marketing",
	"rent": "6300 Rent", "office": "6310 Office", "travel": "6400 Travel", "meals": "6410 Meals",
	"legal": "6500 Professional fees", "accounting": "6500 Professional fees", "insurance": "6600 Insurance",
	"fees": "6700 Bank & payment fees", "bank": "6700 Bank & payment fees", "tax": "6800 Taxes & licences",
}

func coa(category string) string {
	if a, ok := chartOfAccounts[strings.ToLower(strings.TrimSpace(category))]; ok {
		return a
	}
	return "6900 Other expenses (unmapped)"
}

func analyseAccounting(d *Data) View {
	v := &AccountingView{Header: newHeader(d, "books")}
	cc := d.Tenant.Currency
	m := func(n int64) string { return money(n, cc) }
	cur, prev := d.finance(d.Period), d.finance(d.Prev)
	v.noteOther("Revenue", cur.gross)
	if n := cur.awsNote(cc); n != "" {
		v.Notes = append(v.Notes, n)
	}

	v.Accrual, v.Waterfall = d.recognised(cur, prev)
	// Cash basis: what Stripe moved in the period, not what was earned.
	v.Recognition = Table{Title: "Cash basis: charges, refunds, disputes and fees", Period: d.Period.Label() + " (prev. " + d.Prev.Short() + ")", Head: []string{"Line", d.Period.Short(), d.Prev.Short()}}
	if !cur.gross.Known {
		v.Recognition.Missing = srcStripe.missing(d)
	} else {
		fees := func(f finance) string {
			switch {
			case !d.Known(messages.MetricRevenueFees):
				return "not reported"
			case !f.chargeFees:
				return deducted(f.fees.V, cc) + " (dispute fees only)"
			}
			return deducted(f.fees.V, cc)
		}
		v.Recognition.Rows = []Row{
			{Cells: []string{"Gross charges", m(cur.gross.V), m(prev.gross.V)}},
			{Cells: []string{"Refunds", deducted(cur.refunds.V, cc), deducted(prev.refunds.V, cc)}},
			{Cells: []string{"Disputes: funds withdrawn", deducted(cur.withdrawn.V, cc), deducted(prev.withdrawn.V, cc)}},
			{Cells: []string{"Disputes: funds reinstated", deducted(-cur.reinstated.V, cc), deducted(-prev.reinstated.V, cc)}},
			{Cells: []string{"Processor fees", fees(cur), fees(prev)}},
			{Cells: []string{cur.netLabel(), m(cur.net.V), m(prev.net.V)}, Status: neutral},
		}
		v.Recognition.Note = fmt.Sprintf("%s in the period. Refunds and disputes count in the period they were issued; fees as Stripe reports them.",
			plural(d.Count(messages.MetricRevenueGross, d.Period.Start, d.Period.End).V, "charge"))
		if !cur.chargeFees {
			v.Recognition.Note += " Stripe's processing fees are not known (they need the tenant's Stripe API key): net revenue is before Stripe fees."
		}
		if n := d.feesNote(d.Period); n != "" {
			v.Recognition.Note += " " + n
		}
		if n := d.disputesNote(d.Period); n != "" {
			v.Recognition.Note += " " + n
		}
	}

	// Revenue by product (Stripe descriptions are data: escaped on render).
	v.ByProduct = Table{Title: "Revenue by product", Period: d.Period.Label(), Head: []string{"Product", "Gross"}, Empty: "No charges in the period."}
	if !cur.gross.Known {
		v.ByProduct.Missing = srcStripe.missing(d)
	} else {
		fs, _ := d.inCurrency(messages.MetricRevenueGross)
		by := map[string]int64{}
		for _, f := range fs {
			if !f.OccurredAt.Before(d.Period.Start) && f.OccurredAt.Before(d.Period.End) {
				name := f.Dimensions["product"]
				if name == "" {
					name = f.Dimensions["description"]
				}
				if name == "" {
					name = "(no description)"
				}
				by[name] += f.Value
			}
		}
		keys := slices.Sorted(maps.Keys(by))
		sort.SliceStable(keys, func(i, j int) bool { return by[keys[i]] > by[keys[j]] })
		for _, k := range keys {
			v.ByProduct.Rows = append(v.ByProduct.Rows, Row{Cells: []string{k, m(by[k])}})
		}
	}

	v.Settlement = settlementTable(d, d.settlements(d.Period))

	// Payouts reconciliation: opening balance + net movements − payouts
	// should equal the closing balance.
	v.Payouts = Table{Title: "Payouts reconciliation", Period: d.Period.Label(), Head: []string{"Line", "Amount"}}
	paid, failed := d.Moved(messages.MetricPayoutsPaid, d.Period.Start, d.Period.End), d.Moved(messages.MetricPayoutsFailed, d.Period.Start, d.Period.End)
	switch {
	case !cur.gross.Known:
		v.Payouts.Missing = srcStripe.missing(d)
	case !paid.Known && !d.Known(messages.MetricCashStripe):
		v.Payouts.Missing = &Missing{Source: "payout or balance data", HowTo: "subscribe the Stripe webhook to payout.paid, payout.failed and balance.available"}
	default:
		v.Payouts.Rows = []Row{
			{Cells: []string{cur.netLabel(), m(cur.net.V)}},
			{Cells: []string{"Payouts paid to the bank", m(paid.V)}},
			{Cells: []string{"Payouts failed", m(failed.V)}},
		}
		if failed.V > 0 {
			v.Payouts.Rows[2].Status = bad
		}
		// Each payout against the balance transactions Stripe paid out
		// with it (the stripe-collector's enrichment).
		recs, _ := d.inCurrency(messages.MetricPayoutsUnreconciled)
		states := readmodel.StatesAt(recs, minTime(d.Period.End, d.AsOf))
		for _, id := range slices.Sorted(maps.Keys(states)) {
			r := states[id]
			if r.OccurredAt.Before(d.Period.Start) {
				continue
			}
			label := "Payout " + id + " (" + dateIn(r.OccurredAt, d.Loc) + ")"
			if r.Value == 0 {
				v.Payouts.Rows = append(v.Payouts.Rows, Row{Cells: []string{label, "reconciled with " + plural(atoi(r.Dimensions["transactions"]), "balance transaction")}, Status: good})
				continue
			}
			v.Payouts.Rows = append(v.Payouts.Rows, Row{Cells: []string{label, signedMoney(r.Value, cc) + " not explained by its " +
				plural(atoi(r.Dimensions["transactions"]), "balance transaction")}, Status: warn})
		}
		if g, ok := d.payoutGap(cur); ok {
			st := good
			if g.diff != 0 {
				st = warn
			}
			balance := g.balanceLabel()
			v.Payouts.Rows = append(v.Payouts.Rows, Row{Cells: []string{balance + dateIn(d.Period.Start, d.Loc), m(g.open)}})
			formula := "Expected closing (opening + net − payouts)"
			if g.settledIn != 0 {
				v.Payouts.Rows = append(v.Payouts.Rows, Row{Cells: []string{"Net settled in " + cc + " from charges in other currencies", m(g.settledIn)}})
				formula = "Expected closing (opening + net + net settled from other currencies − payouts)"
			}
			v.Payouts.Rows = append(v.Payouts.Rows,
				Row{Cells: []string{formula, m(g.expected)}},
				Row{Cells: []string{balance + dateIn(g.end, d.Loc), m(g.close)}},
				Row{Cells: []string{"Unreconciled difference", signedMoney(g.diff, cc)}, Status: st})
			v.Payouts.Note = payoutsNote(cur, g)
		} else {
			v.Payouts.Note = "No Stripe balance reading yet: the closing balance cannot be reconciled."
		}
	}

	// Expenses by category.
	v.Expenses = Table{Title: "Expenses by category", Period: d.Period.Label(), Head: []string{"Category", "Account", "Amount", "Previous"}, Empty: "No expenses recorded in the period."}
	if !cur.expenses.Known {
		v.Expenses.Missing = srcExpenses.missing(d)
	} else {
		by := d.rowsBy(metricExpenses, messages.DimCategory, d.Period)
		pby := d.rowsBy(metricExpenses, messages.DimCategory, d.Prev)
		codes := map[string]string{}
		notAdded := map[string]int64{} // AWS rows Cost Explorer already counts
		ce := d.ceMonths()
		for _, f := range d.rows(metricExpenses, d.Period) {
			if c := f.Dimensions[messages.DimAccountCode]; c != "" {
				codes[f.Dimensions[messages.DimCategory]] = c
			}
			if d.doubleCounted(f, ce) {
				k := f.Dimensions[messages.DimCategory]
				if k == "" {
					k = "(uncategorised)"
				}
				notAdded[k] += f.Value
			}
		}
		chart, shares := breakdownChart("chart-expenses", "Expenses by category, "+d.Period.Label(), by, m)
		colour := map[string]string{}
		for i, s := range shares {
			colour[s.Label] = paletteHex[i]
		}
		keys := slices.Sorted(maps.Keys(by))
		sort.SliceStable(keys, func(i, j int) bool { return by[keys[i]] > by[keys[j]] })
		for _, k := range keys {
			account := coa(k)
			if c, ok := codes[k]; ok {
				account = c + " (from the import)"
			}
			amount := m(by[k])
			switch x := notAdded[k]; {
			case x == 0:
			case x == by[k]:
				amount += " (not added: Cost Explorer counted)"
			default:
				amount += " (" + m(x) + " not added: Cost Explorer counted)"
			}
			v.Expenses.Rows = append(v.Expenses.Rows, Row{Cells: []string{k, account, amount, m(pby[k])}, Swatch: colour[k]})
		}
		if len(by) > 0 {
			v.ExpenseChart = chart
			v.Charts = append(v.Charts, chart)
		}
	}

	// Anomalies month over month.
	v.Anomalies = Table{Title: "Anomalies", Period: d.Period.Short() + " vs " + d.Prev.Short() + " (changes over 50 % and at least " + m(minorUnits(cc, 100)) + ")", Head: []string{"Line", d.Period.Short(), d.Prev.Short(), "Change"}, Empty: "Nothing moved by more than 50 %, and the payouts reconcile."}
	check := func(label string, c, p int64, known, higherIsBetter bool) {
		if !known {
			return
		}
		if abs(c-p) >= minorUnits(cc, 100) && (p == 0 || abs(c-p)*2 > abs(p)) {
			ch := moneyDelta(c, p, higherIsBetter)
			row := Row{Cells: []string{label, m(c), m(p), ch.String()}}
			v.Anomalies.Rows = append(v.Anomalies.Rows, *row.mark(3, ch.Status))
		}
	}
	check("Gross charges", cur.gross.V, prev.gross.V, cur.gross.Known, true)
	check("Refunds", cur.refunds.V, prev.refunds.V, cur.gross.Known, false)
	check("Disputes", cur.disputes.V, prev.disputes.V, cur.gross.Known, false)
	check("AWS cost", cur.aws.V, prev.aws.V, cur.aws.Known, false)
	if cur.expenses.Known {
		by, pby := d.rowsBy(metricExpenses, messages.DimCategory, d.Period), d.rowsBy(metricExpenses, messages.DimCategory, d.Prev)
		for _, k := range union(by, pby) {
			check("Expenses: "+k, by[k], pby[k], true, false)
		}
	}
	// Reconciliation gaps are anomalies too, whatever their size last
	// period.
	if g, ok := d.payoutGap(cur); ok && g.diff != 0 {
		pg, _ := d.payoutGapIn(d.Prev, prev)
		row := Row{Cells: []string{"Payouts unreconciled (Stripe balance vs payouts)", signedMoney(g.diff, cc), signedMoney(pg.diff, cc), moneyDelta(abs(g.diff), abs(pg.diff), false).String()}}
		v.Anomalies.Rows = append([]Row{*row.mark(1, bad)}, v.Anomalies.Rows...)
	}
	if !cur.gross.Known && !cur.aws.Known && !cur.expenses.Known {
		v.Anomalies.Missing = &Missing{Source: "money data", HowTo: "connect Stripe and import expenses.csv"}
	}

	// Source coverage: only the sources that are missing or stale (the
	// operator's data-health notice has the steps to fix them).
	lim := d.Tenant.Limits()
	v.Coverage = Table{Title: "Data-source coverage", Period: "as of " + v.AsOf, Head: []string{"Source", "Last data", "Status"},
		Empty: fmt.Sprintf("All %d sources are connected and current.", len(allSources))}
	stale := map[string]staleSource{}
	for _, s := range d.staleSources(lim) {
		stale[s.src.name] = s
	}
	for _, s := range allSources {
		if st, ok := stale[s.name]; ok {
			row := Row{Cells: []string{s.name, dateIn(st.last, d.Loc), fmt.Sprintf("stale: nothing for %d days", st.days)}}
			v.Coverage.Rows = append(v.Coverage.Rows, *row.mark(2, warn))
		} else if !s.known(d) {
			row := Row{Cells: []string{s.name, "never", "missing"}}
			v.Coverage.Rows = append(v.Coverage.Rows, *row.mark(2, bad))
		}
	}

	// Milestones to break-even.
	by := func(days int) string { return dateIn(d.AsOf.AddDate(0, 0, days), d.Loc) }
	switch {
	case !cur.net.Known || !cur.costs.Known:
		v.Milestones = []Action{{Priority: "1", Title: "Complete the books: connect revenue and cost sources", Why: "break-even cannot be measured without both", By: by(30)}}
	case cur.profitable:
		v.Milestones = []Action{{Priority: "✓", Title: "Break-even reached in " + d.Period.Short(), Why: "net revenue " + m(cur.net.V) + " covers costs " + m(cur.costs.V) + breakEvenWhy(d), By: dateIn(d.AsOf, d.Loc)}}
	default:
		gap := cur.costs.V - cur.net.V
		v.Milestones = []Action{
			{Priority: "1", Title: "Close a quarter of the gap: +" + m(gap/4) + " net revenue a period", Why: "gap is " + m(gap) + " in " + d.Period.Short(), By: by(30)},
			{Priority: "2", Title: "Close half of the gap: +" + m(gap/2), Why: "costs " + m(cur.costs.V) + " vs net revenue " + m(cur.net.V), By: by(60)},
			{Priority: "3", Title: "Break even: net revenue ≥ " + m(cur.costs.V) + " a period", Why: "at today's costs" + breakEvenWhy(d), By: by(90)},
		}
	}
	return v
}

// byDim sums additive facts per dimension over p.
func byDim(fs []messages.MetricEvent, dim string, p Period) map[string]int64 {
	out := map[string]int64{}
	for _, f := range fs {
		if f.Kind == messages.KindAdditive && !f.OccurredAt.Before(p.Start) && f.OccurredAt.Before(p.End) {
			k := f.Dimensions[dim]
			if k == "" {
				k = "(uncategorised)"
			}
			out[k] += f.Value
		}
	}
	return out
}

func union(a, b map[string]int64) []string {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return slices.Sorted(maps.Keys(keys))
}

// minorUnits converts a whole amount of major units to minor units.
func minorUnits(code string, major int64) int64 {
	n := major
	if a, err := currencyDigits(code); err == nil {
		for i := 0; i < int(a); i++ {
			n *= 10
		}
	}
	return n
}

// payoutsNote explains what an unreconciled difference can be, from what
// the figures leave out.
func payoutsNote(cur finance, g gap) string {
	var parts []string
	if g.diff != 0 && !cur.chargeFees {
		parts = append(parts, "Net revenue is before Stripe's processing fees, which the Stripe balance has paid: without the tenant's Stripe API key they are not known, and the difference includes them.")
	}
	if !g.pending {
		parts = append(parts, "The balance is the available balance only: pending funds (charges not yet available) show as a difference.")
	}
	parts = append(parts, "Any other difference is adjustments Boardpack does not receive.")
	return strings.Join(parts, " ")
}
