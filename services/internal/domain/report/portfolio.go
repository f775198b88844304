package report

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/attention"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// A portfolio report is one role's picture of several businesses. It is
// built from the members' own analyses, never from a second computation:
// each member's Data is loaded with the same bounded read as its tenant
// report (load), over the same period in the member's own time zone
// (memberDue), and every figure shown for a business is the string its
// own report shows (the role's analyst and the one-function-per-figure
// code: targets, burn and runway, break-even, MRR movements, attention).
// Totals are per currency, from the same integer values; a conversion
// into the portfolio's reporting currency (fx.go) is labelled as such.
//
// A portfolio reads only its members: src is read for members' ids only,
// and a tenant passed in that p.Members does not list is refused.
//
// Choices, for a reader who wonders:
//
//   - A calendar period ("October", a week) is each member's own October
//     in its own time zone, so its figures equal its own report's; the
//     portfolio's labels and "as of" are in the portfolio's zone.
//   - "Needs attention" shows at most portfolioAttentionMax items, ranked
//     with attention.Rank across the businesses; each business's count
//     is what its own report lists (at most attention.Max).
//   - The agenda (and the CTO's engineering actions) keep at most
//     portfolioAgendaMax actions: the portfolio's attention items first,
//     then by priority and date.
//   - FX: the rate of the month in which the period starts (in the
//     portfolio's zone); a currency without that month's rate is left out
//     of the consolidated figures, and the card says so. Counts are never
//     converted.
//   - Wide comparisons are cards (one per business or currency, two
//     columns) with one side-by-side table of at most four columns: they
//     read on a 390 px phone without scrolling sideways.

// portfolioAttentionMax is how many items a portfolio's "Needs attention"
// shows: twice a tenant's, ranked across the businesses.
const portfolioAttentionMax = 2 * attention.Max

// portfolioAgendaMax bounds the portfolio's 30-day agenda and the CTO's
// engineering actions.
const portfolioAgendaMax = 10

// PortfolioView is a portfolio's report for one role. Which sections are
// filled depends on the role; each role has its own template.
type PortfolioView struct {
	Header
	// ledger is every member's ledger lines of the period (accounting
	// only), for the CSV attachment.
	ledger []LedgerLine
	// Businesses are the members' names, in the portfolio's order.
	Businesses []string
	// Glance compares the businesses side by side on a few figures.
	Glance *Table
	// Cards hold one card per business (per stack for the CTO).
	Cards []Card
	// Totals hold one card per currency; FX the consolidated total in the
	// portfolio's reporting currency, every figure labelled converted.
	Totals []Card
	FX     *Card
	// Ranked is the CFO's businesses by months of runway.
	Ranked *Table
	// Inventory and MissingKPIs are the CEO's asset inventory.
	Inventory   *Table
	MissingKPIs *Table
	// Expenses is Accounting's expenses by account across the portfolio.
	Expenses []*Table
	// Actions is the CTO's top engineering actions across the portfolio.
	Actions []Action
	// Agenda is the 30-day agenda; every action names its business.
	Agenda []Action
}

func (v *PortfolioView) template() string { return "portfolio_" + v.Role }

// Card is a titled list of figures: a business, a stack or a currency.
// Cards stack on a phone and never scroll sideways.
type Card struct {
	Title    string
	Subtitle string
	Lines    []Line
	Note     string
	Missing  *Missing
	// Table is an optional grid after the lines (at most four columns:
	// it must fit a phone).
	Table *Table
}

// Line is one figure of a Card.
type Line struct {
	Label  string
	Value  string
	Status string
	Note   string
}

// member is one business of the portfolio with its loaded data and its
// own report's view for the role.
type member struct {
	t tenants.Tenant
	d *Data
	v View
	// items are every attention item of the role for the business,
	// unranked; top are those its own report shows.
	items, top []attention.Item
}

// BuildPortfolio renders a portfolio's report for one role: members are
// the portfolio's tenants (in the portfolio's order), and src is read for
// those tenants only.
func BuildPortfolio(ctx context.Context, src Source, p tenants.Portfolio, members []tenants.Tenant, due messages.ReportDue, now time.Time) (Rendered, error) {
	v, err := AnalysePortfolio(ctx, src, p, members, due, now)
	if err != nil {
		return Rendered{}, err
	}
	r, err := Render(v)
	if err != nil || due.Role != messages.RoleAccounting || !Wants(p.Email, AttachCSV) {
		return r, err
	}
	// The accounting board pack carries every member's ledger lines, one
	// business per line's "business" column.
	data, err := LedgerCSV(v.ledger)
	if err != nil {
		return Rendered{}, err
	}
	r.Attachments = append(r.Attachments, Attachment{Filename: AttachmentName(due, "csv"), ContentType: ContentTypeCSV, Data: data})
	return r, nil
}

// AnalysePortfolio runs the role's portfolio analysis and returns its
// view model (reportctl report preview -o json).
func AnalysePortfolio(ctx context.Context, src Source, p tenants.Portfolio, members []tenants.Tenant, due messages.ReportDue, now time.Time) (*PortfolioView, error) {
	if err := checkPortfolio(p, members, due); err != nil {
		return nil, err
	}
	loc := portfolioLocation(p)
	per := Period{Start: due.PeriodStart, End: due.PeriodEnd, Kind: due.PeriodKind, Loc: loc}
	asOf := minTime(due.PeriodEnd, now)
	if asOf.Before(due.PeriodStart) {
		return nil, fmt.Errorf("%w: period [%s, %s) starts after now (%s)", ErrInvalid,
			due.PeriodStart.Format(time.RFC3339), due.PeriodEnd.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	metrics := portfolioMetrics()
	var ms []*member
	for _, t := range members {
		md := memberDue(t, due, loc)
		d, err := load(ctx, src, t, md, now, metrics, true)
		if err != nil {
			return nil, fmt.Errorf("portfolio %s: member %s: %w", p.ID, t.ID, err)
		}
		a := analysts[due.Role]
		mv := a.analyse(d)
		finish(d, mv)
		m := &member{t: t, d: d, v: mv, top: mv.header().Attention}
		for _, it := range evaluateRules(d) {
			if attention.ForRole(it.Rule, due.Role) {
				m.items = append(m.items, it)
			}
		}
		ms = append(ms, m)
	}

	v := &PortfolioView{Header: Header{
		TenantName: p.Name, Role: due.Role, RoleTitle: roleTitles[due.Role] + " portfolio",
		Period: per.Label(), AsOf: asOf.In(loc).Format("2 Jan 2006 15:04 MST"), Timezone: p.Timezone,
		ReportID: due.ReportID, UnsubscribeURL: UnsubscribePlaceholder, ViewURL: ViewPlaceholder,
	}}
	var currencies []string
	for _, m := range ms {
		v.Businesses = append(v.Businesses, m.t.Name)
		if !slices.Contains(currencies, m.t.Currency) {
			currencies = append(currencies, m.t.Currency)
		}
	}
	slices.Sort(currencies)
	v.Covers = v.Businesses
	v.Currency = "each business's own currency (" + strings.Join(currencies, ", ") + "), never summed across currencies"
	if asOf.Before(due.PeriodEnd) {
		v.Notes = append(v.Notes, fmt.Sprintf("The period has not ended: figures cover %s up to %s.", per.Start.In(loc).Format("2 Jan"), v.AsOf))
	}

	// Needs attention: each business's rules for the role, ranked across
	// the portfolio with the catalogue's Rank.
	var all []attention.Item
	v.NoData = true
	for _, m := range ms {
		all = append(all, m.items...)
		if !m.v.header().NoData {
			v.NoData = false
		}
	}
	if v.NoData {
		v.MissingSources = ms[0].v.header().MissingSources
	}
	v.Attention = attention.Rank(all, portfolioAttentionMax)
	if len(v.Attention) == 0 {
		v.AttentionNone = "Nothing crossed a threshold in " + per.Short() + " in any of the " + count(int64(len(ms))) + " businesses."
	}

	portfolioRoles[due.Role](v, ms, p, per)
	if due.Role == messages.RoleAccounting {
		for _, m := range ms {
			v.ledger = append(v.ledger, m.d.LedgerLines()...)
		}
	}
	if v.Agenda == nil {
		v.Agenda = portfolioAgenda(ms, v.Attention)
	}

	n := len(v.Attention)
	att := "nothing needs attention"
	switch {
	case n == 1:
		att = "1 needs attention"
	case n > 1:
		att = fmt.Sprintf("%d need attention", n)
	}
	v.Subject = fmt.Sprintf("%s · %s portfolio · %s: %s · %s", p.Name, roleTitles[due.Role], per.Short(), portfolioHeadline(v, ms), att)
	v.Preheader = v.AttentionNone
	if n > 0 {
		it := v.Attention[0]
		v.Preheader = it.Business + ": " + it.Title + ": " + it.Figure
	}
	return v, nil
}

func checkPortfolio(p tenants.Portfolio, members []tenants.Tenant, due messages.ReportDue) error {
	var errs []error
	if p.ID == "" || (due.PortfolioID != "" && due.PortfolioID != p.ID) {
		errs = append(errs, fmt.Errorf("portfolio %q does not match report portfolio %q", p.ID, due.PortfolioID))
	}
	if !messages.ValidRole(due.Role) {
		errs = append(errs, fmt.Errorf("unknown role %q", due.Role))
	}
	if due.PeriodStart.IsZero() || !due.PeriodEnd.After(due.PeriodStart) {
		errs = append(errs, fmt.Errorf("invalid period [%s, %s)", due.PeriodStart, due.PeriodEnd))
	}
	if len(members) == 0 {
		errs = append(errs, errors.New("portfolio has no members"))
	}
	if strings.ContainsAny(p.Name, "\r\n") {
		errs = append(errs, errors.New("portfolio name contains a line break"))
	}
	seen := map[string]bool{}
	for _, t := range members {
		if seen[t.ID] {
			errs = append(errs, fmt.Errorf("member %q listed twice", t.ID))
		}
		seen[t.ID] = true
		if len(p.Members) > 0 && !slices.Contains(p.Members, t.ID) {
			// The caller passed a tenant the portfolio does not hold:
			// reading it would break isolation.
			errs = append(errs, fmt.Errorf("tenant %q is not a member of portfolio %q", t.ID, p.ID))
		}
		if strings.ContainsAny(t.Name, "\r\n") {
			errs = append(errs, fmt.Errorf("tenant %q name contains a line break", t.ID))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
	}
	return nil
}

func portfolioLocation(p tenants.Portfolio) *time.Location {
	loc, err := time.LoadLocation(p.Timezone)
	if err != nil || p.Timezone == "" {
		return time.UTC
	}
	return loc
}

// memberDue is the member's own report due for the portfolio's period: a
// calendar period (a month, a week) is the same calendar dates in the
// member's time zone, so "October" is the member's October and every
// figure equals its own October report's; an interval stays the same
// instants.
func memberDue(t tenants.Tenant, due messages.ReportDue, ploc *time.Location) messages.ReportDue {
	loc := t.Location()
	start, end := due.PeriodStart, due.PeriodEnd
	wall := func(x time.Time) (time.Time, bool) {
		w := x.In(ploc)
		if w.Hour() != 0 || w.Minute() != 0 || w.Second() != 0 || w.Nanosecond() != 0 {
			return x, false
		}
		return time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, loc), true
	}
	if due.PeriodKind != messages.PeriodInterval {
		if s, ok := wall(start); ok {
			start = s
			if e, ok := wall(end); ok {
				end = e
			} else if due.PeriodKind != messages.PeriodMonthToDate {
				start = due.PeriodStart
			}
		}
	}
	md := due
	md.Header.TenantID = t.ID
	md.PortfolioID = ""
	md.PeriodStart, md.PeriodEnd = start.UTC(), end.UTC()
	md.ReportID = messages.ReportIDFor(t.ID, due.Role, md.PeriodStart, md.PeriodEnd)
	return md
}

// portfolioMetrics is what a member's Data holds: every role's metrics
// and the attention rules', so each section calls the same functions as
// the member's own report, over the same bounded read.
func portfolioMetrics() []string {
	var ms []string
	for _, role := range messages.Roles {
		ms = append(ms, analysts[role].metrics...)
	}
	return withAttention(ms)
}

// portfolioRoles are the five portfolio analyses.
var portfolioRoles = map[string]func(v *PortfolioView, ms []*member, p tenants.Portfolio, per Period){
	messages.RoleCEO:        portfolioCEO,
	messages.RoleCTO:        portfolioCTO,
	messages.RoleCFO:        portfolioCFO,
	messages.RoleCMO:        portfolioCMO,
	messages.RoleAccounting: portfolioAccounting,
}

// portfolioAgenda is the 30-day agenda across the businesses: each
// member's own agenda for the role (its items that need attention first),
// ranked by priority and date across the portfolio, each action naming
// its business. Items in the portfolio's "Needs attention" come first.
func portfolioAgenda(ms []*member, ranked []attention.Item) []Action {
	type cand struct {
		a     Action
		rank  int
		order int
		due   time.Time
	}
	inTop := map[string]int{}
	for i, it := range ranked {
		inTop[it.TenantID+"|"+it.Action] = i + 1
	}
	var cs []cand
	for _, m := range ms {
		items := m.top
		var own []Action
		switch mv := m.v.(type) {
		case *CEOView:
			own = mv.Agenda
		case *CTOView:
			own = agendaFrom(m.d, items, mv.Actions)
		case *CMOView:
			own = agendaFrom(m.d, items, mv.Milestones)
		case *AccountingView:
			own = agendaFrom(m.d, items, mv.Milestones)
		default:
			own = agendaFrom(m.d, items, nil)
		}
		for i, a := range own {
			if strings.HasPrefix(a.Title, "No engineering action forced") || strings.HasPrefix(a.Title, "Keep the course") {
				continue
			}
			a.Business = m.t.Name
			c := cand{a: a, order: i, rank: 1 << 20}
			if r, ok := inTop[m.t.ID+"|"+a.Title]; ok {
				c.rank = r
			}
			c.due, _ = time.ParseInLocation("2 Jan 2006", a.By, m.d.Loc)
			cs = append(cs, c)
		}
	}
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.rank != b.rank {
			return a.rank < b.rank
		}
		if pa, pb := priorityRank(a.a.Priority), priorityRank(b.a.Priority); pa != pb {
			return pa < pb
		}
		if !a.due.Equal(b.due) {
			return a.due.Before(b.due)
		}
		return a.order < b.order
	})
	var out []Action
	for _, c := range cs {
		if len(out) == portfolioAgendaMax {
			break
		}
		out = append(out, c.a)
	}
	if len(out) == 0 {
		out = []Action{{Priority: "P3", Business: "All businesses", Title: "Keep the course; review this report with each business's team", Why: "No rule fired this period"}}
	}
	return out
}

// priorityRank orders agenda priorities: P1 before P2, 30d before 60d.
func priorityRank(p string) int {
	switch p {
	case "P1", "1", "30d":
		return 1
	case "P2", "2", "60d":
		return 2
	case "P3", "3", "90d":
		return 3
	}
	return 4
}

// byCurrency groups the members by their currency, currencies sorted.
func byCurrency(ms []*member) ([]string, map[string][]*member) {
	out := map[string][]*member{}
	for _, m := range ms {
		out[m.t.Currency] = append(out[m.t.Currency], m)
	}
	return slices.Sorted(maps.Keys(out)), out
}

// sumFigure is one figure summed per currency over the members whose value is
// known; the others are named, never counted as zero.
type sumFigure struct {
	label string
	// value is the member's figure in its currency and whether it is known.
	value func(m *member) (int64, bool)
	// count: the figure is a count, not money (never converted); burn:
	// a negative sum is a profit and says so.
	count, burn bool
}

// totalsCards sums each figure per currency: one card per currency.
func totalsCards(ms []*member, per Period, figures []sumFigure) []Card {
	curs, groups := byCurrency(ms)
	var out []Card
	for _, cc := range curs {
		g := groups[cc]
		var names []string
		for _, m := range g {
			names = append(names, m.t.Name)
		}
		c := Card{Title: "Total in " + cc, Subtitle: plural(int64(len(g)), "business") + ": " + joinAnd(names)}
		c.Subtitle = strings.Replace(c.Subtitle, "businesss", "businesses", 1) + " · " + per.Label()
		for _, f := range figures {
			sum, known, missing := sumOf(g, f)
			l := Line{Label: f.label}
			switch {
			case !known:
				l.Value, l.Status = "unknown", unknown
				l.Note = "no business has this figure"
			default:
				l.Value = formatTotal(f, sum, cc)
				if len(missing) > 0 {
					l.Note = "without " + joinAnd(missing) + " (unknown, not counted as zero)"
				}
			}
			c.Lines = append(c.Lines, l)
		}
		out = append(out, c)
	}
	return out
}

func formatTotal(f sumFigure, n int64, cc string) string {
	switch {
	case f.count:
		return count(n)
	case f.burn:
		return burnText(n, cc)
	}
	return money(n, cc)
}

// burnText shows a burn as a burn and a negative one as a profit, never
// a negative burn.
func burnText(n int64, cc string) string {
	if n < 0 {
		return "profit " + money(-n, cc)
	}
	return "burn " + money(n, cc)
}

// sumOf sums a figure over members of one currency: known when at least
// one member knows it; missing names the others.
func sumOf(g []*member, f sumFigure) (int64, bool, []string) {
	var sum int64
	known := false
	var missing []string
	for _, m := range g {
		v, ok := f.value(m)
		if !ok {
			missing = append(missing, m.t.Name)
			continue
		}
		sum, known = sum+v, true
	}
	return sum, known, missing
}

// fxCard converts each figure's per-currency totals into the portfolio's
// reporting currency (nil without an fx block).
func fxCard(ms []*member, p tenants.Portfolio, per Period, figures []sumFigure) *Card {
	if p.FX == nil || p.FX.Currency == "" {
		return nil
	}
	month := per.Start.In(per.Loc).Format("2006-01")
	to := p.FX.Currency
	c := &Card{Title: "Consolidated in " + to, Subtitle: "converted at the portfolio's " + month + " rates; each business's figures above stay in its own currency"}
	curs, groups := byCurrency(ms)
	left := map[string]bool{}
	for _, f := range figures {
		if f.count {
			continue // counts are not money
		}
		var sum int64
		var parts []string
		any := false
		for _, cc := range curs {
			s, known, _ := sumOf(groups[cc], f)
			if !known {
				continue
			}
			if cc == to {
				sum, any = sum+s, true
				parts = append(parts, formatTotal(f, s, to)+" in "+to)
				continue
			}
			rate, ok := p.FX.Rates[month][cc]
			conv, err := convertMinor(s, cc, to, rate)
			if !ok || err != nil {
				left[cc] = true
				continue
			}
			sum, any = sum+conv, true
			parts = append(parts, fmt.Sprintf("≈ %s converted from %s at 1 %s = %s %s, %s rate", formatTotal(f, conv, to), formatTotal(f, s, cc), cc, rate, to, month))
		}
		l := Line{Label: f.label}
		if !any {
			l.Value, l.Status, l.Note = "unknown", unknown, "nothing to convert"
		} else {
			l.Value = "≈ " + formatTotal(f, sum, to)
			l.Note = "converted: " + strings.Join(parts, " + ")
		}
		c.Lines = append(c.Lines, l)
	}
	if len(left) > 0 {
		ls := slices.Sorted(maps.Keys(left))
		c.Note = fmt.Sprintf("Amounts in %s are left out of the conversion: the fx block has no %s rate for %s.", joinAnd(ls), month, joinAnd(ls))
	}
	return c
}

// kpiNamed returns the first KPI whose label starts with one of prefixes.
func kpiNamed(ks []KPI, prefixes ...string) KPI {
	for _, k := range ks {
		for _, p := range prefixes {
			if strings.HasPrefix(k.Label, p) {
				return k
			}
		}
	}
	return KPI{Value: "unknown", Status: unknown}
}

// kpiLine shows a KPI as its own report shows it: value, change, target.
func kpiLine(label string, k KPI) Line {
	l := Line{Label: label, Value: k.Value, Status: k.Status}
	var notes []string
	if k.Change != "" {
		notes = append(notes, k.Change+" vs "+strings.TrimSpace(k.Previous))
	}
	if k.Target != "" {
		notes = append(notes, "target "+k.Target)
	}
	if k.Note != "" && k.Missing == nil {
		notes = append(notes, k.Note)
	}
	if k.Missing != nil {
		notes = append(notes, "No "+k.Missing.Source+" yet")
	}
	l.Note = strings.Join(notes, "; ")
	return l
}

// memberNotes are the caveats of the member's own report that concern
// its figures (currencies left out), without the period notice the
// portfolio states once.
func memberNotes(m *member) string {
	var out []string
	for _, n := range m.v.header().Notes {
		if strings.HasPrefix(n, "The period has not ended") {
			continue
		}
		out = append(out, n)
	}
	return strings.Join(out, " ")
}

func portfolioHeadline(v *PortfolioView, ms []*member) string {
	curs, groups := byCurrency(ms)
	var parts []string
	switch v.Role {
	case messages.RoleCEO, messages.RoleAccounting:
		metric := "revenue"
		for _, cc := range curs {
			var sum int64
			known := false
			for _, m := range groups[cc] {
				f := m.d.finance(m.d.Period)
				if v.Role == messages.RoleAccounting {
					if f.net.Known {
						sum, known = sum+f.net.V, true
					}
					continue
				}
				if f.gross.Known {
					sum, known = sum+f.gross.V, true
				}
			}
			if known {
				parts = append(parts, compactMoney(sum, cc))
			}
		}
		if v.Role == messages.RoleAccounting {
			metric = "net revenue"
		}
		if len(parts) == 0 {
			return metric + " unknown"
		}
		return strings.Join(parts, " and ") + " " + metric
	case messages.RoleCFO:
		var worst *member
		var worstRw runwayFigures
		profitable := 0
		for _, m := range ms {
			rw := m.d.runway()
			if rw.profitable {
				profitable++
			}
			if rw.known && (worst == nil || rw.months < worstRw.months) {
				worst, worstRw = m, rw
			}
		}
		if worst != nil {
			return fmt.Sprintf("shortest runway %s (%s)", worstRw.text(), worst.t.Name)
		}
		if profitable == len(ms) {
			return "every business profitable"
		}
		return "runway unknown"
	case messages.RoleCTO:
		crit := 0
		for _, m := range ms {
			for _, f := range m.d.Findings() {
				if f.Severity == messages.SeverityCritical || f.Severity == messages.SeverityHigh {
					crit++
				}
			}
		}
		parts = append(parts, plural(int64(crit), "critical or high finding"))
		for _, cc := range curs {
			var sum int64
			known := false
			for _, m := range groups[cc] {
				if _, t := m.d.awsCostByService(m.d.Period); t.Known {
					sum, known = sum+t.V, true
				}
			}
			if known {
				parts = append(parts, compactMoney(sum, cc)+" AWS")
			}
		}
	case messages.RoleCMO:
		var n int64
		known := false
		for _, m := range ms {
			if nc := m.d.Sum(messages.MetricCustomersNew, m.d.Period.Start, m.d.Period.End); nc.Known {
				n, known = n+nc.V, true
			}
		}
		if known {
			parts = append(parts, count(n)+" new customers")
		}
	}
	if len(parts) == 0 {
		return "no data yet"
	}
	return strings.Join(parts, ", ")
}

// cmpRunway orders runways for the CFO's ranking: shortest first, then
// the profitable, then the unknown.
func cmpRunway(a, b runwayFigures) int {
	key := func(r runwayFigures) (int, float64) {
		switch {
		case r.known:
			return 0, r.months
		case r.profitable:
			return 1, 0
		}
		return 2, 0
	}
	ka, ma := key(a)
	kb, mb := key(b)
	if ka != kb {
		return cmp.Compare(ka, kb)
	}
	return cmp.Compare(ma, mb)
}
