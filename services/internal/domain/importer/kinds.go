package importer

import (
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bojanz/currency"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// spec is one kind of file: its columns and how a row becomes events.
type spec struct {
	required, optional []string
	// atLeastOne: the header must have one of these (channels).
	atLeastOne []string
	// metrics the kind publishes; index = bit in keyInfo.mask.
	metrics []string
	row     func(c *rowCtx)
}

func (s *spec) describe() string {
	parts := append([]string(nil), s.required...)
	for _, o := range s.optional {
		parts = append(parts, o+" (optional)")
	}
	return strings.Join(parts, ", ")
}

// ignored columns are accepted in every kind for people's notes.
var ignored = []string{"description", "notes"}

var specs = map[Kind]*spec{
	Expenses: {
		required: []string{"date", "category", "vendor", "amount"},
		optional: append([]string{"currency", "account_code"}, ignored...),
		metrics:  []string{messages.MetricExpense},
		row:      expenseRow,
	},
	Cash: {
		required: []string{"date", "account", "balance"},
		optional: append([]string{"currency"}, ignored...),
		metrics:  []string{messages.MetricCashBalance},
		row:      cashRow,
	},
	Targets: {
		required: []string{"month", "metric", "amount"},
		optional: append([]string{"currency"}, ignored...),
		metrics:  []string{messages.MetricTarget},
		row:      targetRow,
	},
	Channels: {
		required:   []string{"channel", "date"},
		optional:   append([]string{"visits", "leads", "conversions", "spend", "status", "currency"}, ignored...),
		atLeastOne: []string{"visits", "leads", "conversions", "spend"},
		metrics: []string{messages.MetricChannelVisits, messages.MetricChannelLeads,
			messages.MetricChannelConversions, messages.MetricChannelSpend},
		row: channelRow,
	},
	Pipeline: {
		required: []string{"deal", "stage", "amount"},
		optional: append([]string{"expected_close", "probability", "currency"}, ignored...),
		metrics:  []string{messages.MetricPipelineAmount, messages.MetricPipelineWeighted},
		row:      pipelineRow,
	},
}

func expenseRow(c *rowCtx) {
	day, ok := c.date("date")
	category := c.text("category", true)
	vendor := c.text("vendor", true)
	code := c.text("account_code", false)
	cur := c.currency()
	amount, amountOK := c.money("amount", cur, true)
	if !ok || !amountOK || c.failed() {
		return
	}
	base := fmt.Sprintf("expense/%s/%s/%s/%s", day.Format(time.DateOnly), lowerKey(vendor), lowerKey(category), lowerKey(code))
	h := hashKey(base)
	c.s.occ[h]++
	entity := fmt.Sprintf("%s#%d", base, c.s.occ[h])
	c.key(entity, "expense")
	c.monthSpan(day)
	c.event(messages.MetricExpense, entity, day, c.s.opts.Version, amount, cur, "", map[string]string{
		messages.DimCategory: category, messages.DimVendor: vendor, messages.DimAccountCode: code,
	})
}

func cashRow(c *rowCtx) {
	day, ok := c.date("date")
	account := c.text("account", true)
	cur := c.currency()
	balance, balanceOK := c.money("balance", cur, false)
	if balanceOK && balance < 0 {
		_, col := c.cell("balance")
		c.fail(col, "negative balance %s: a cash balance cannot be negative (record overdrafts and credit lines as expenses or leave the account out)", c.rec[col-1])
	}
	if !ok || !balanceOK || c.failed() {
		return
	}
	entity := "cash/" + lowerKey(account)
	if !c.key(entity+"@"+day.Format(time.DateOnly), "balance for account "+strconv.Quote(account)+" on "+day.Format(time.DateOnly)) {
		return
	}
	c.span(day, day.AddDate(0, 0, 1))
	// A later date always wins, then a later import of the same date.
	y, m, d := day.Date()
	dayNumber := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
	c.event(messages.MetricCashBalance, entity, day, dayNumber*1e13+c.s.opts.Version, balance, cur, "",
		map[string]string{messages.DimAccount: account})
}

// targetMetrics says which target metrics are money (the rest are counts).
var targetMetrics = map[string]bool{
	messages.TargetRevenue: true, messages.TargetNetRevenue: true, messages.TargetMRR: true,
	messages.TargetExpenses: true, messages.TargetBurn: true, messages.TargetPipeline: true,
	messages.TargetNewCustomers: false, messages.TargetVisits: false,
	messages.TargetLeads: false, messages.TargetConversions: false,
}

var targetMetricList = []string{messages.TargetRevenue, messages.TargetNetRevenue, messages.TargetMRR,
	messages.TargetExpenses, messages.TargetBurn, messages.TargetPipeline, messages.TargetNewCustomers,
	messages.TargetVisits, messages.TargetLeads, messages.TargetConversions}

func targetRow(c *rowCtx) {
	month, ok := c.month("month")
	metric, metricCol := c.cell("metric")
	metric = normName(metric)
	isMoney, known := targetMetrics[metric]
	if !known {
		c.fail(metricCol, "unknown target metric %q (want one of %s)", truncate(metric, 40), strings.Join(targetMetricList, ", "))
	}
	var value int64
	var cur, unit string
	valueOK := false
	if known && isMoney {
		cur = c.currency()
		value, valueOK = c.money("amount", cur, false)
	} else if known {
		if v, col := c.cell("currency"); v != "" {
			c.fail(col, "target %q is a count: leave currency blank", metric)
		}
		unit = messages.UnitCount
		value, valueOK = c.count("amount", true)
	}
	if valueOK && value < 0 {
		_, col := c.cell("amount")
		c.fail(col, "a target cannot be negative")
	}
	if !ok || !valueOK || c.failed() {
		return
	}
	key := month.Format("2006-01")
	entity := "target/" + key + "/" + metric
	if !c.key(entity, "target "+metric+" for "+key) {
		return
	}
	c.span(month, month.AddDate(0, 1, 0))
	c.event(messages.MetricTarget, entity, month, c.s.opts.Version, value, cur, unit,
		map[string]string{messages.DimMonth: key, messages.DimMetric: metric})
}

var channelStatuses = []string{messages.ChannelActive, messages.ChannelPaused, messages.ChannelPlanned, messages.ChannelStopped}

func channelRow(c *rowCtx) {
	channel := c.text("channel", true)
	day, ok := c.date("date")
	status, statusCol := c.cell("status")
	status = strings.ToLower(status)
	if status != "" && !contains(channelStatuses, status) {
		c.fail(statusCol, "unknown status %q (want one of %s, or blank)", truncate(status, 40), strings.Join(channelStatuses, ", "))
	}
	type figure struct {
		metric string
		value  int64
		cur    string
		unit   string
	}
	var figures []figure
	for _, f := range []struct{ col, metric string }{
		{"visits", messages.MetricChannelVisits},
		{"leads", messages.MetricChannelLeads},
		{"conversions", messages.MetricChannelConversions},
	} {
		if v, ok := c.count(f.col, false); ok {
			figures = append(figures, figure{metric: f.metric, value: v, unit: messages.UnitCount})
		}
	}
	cur := c.currency()
	if spend, ok := c.money("spend", cur, false); ok {
		if spend < 0 {
			_, col := c.cell("spend")
			c.fail(col, "spend cannot be negative")
		}
		figures = append(figures, figure{metric: messages.MetricChannelSpend, value: spend, cur: cur})
	}
	if !ok || c.failed() {
		return
	}
	entity := "channel/" + lowerKey(channel) + "/" + day.Format(time.DateOnly)
	if !c.key(entity, "row for channel "+strconv.Quote(channel)+" on "+day.Format(time.DateOnly)) {
		return
	}
	c.monthSpan(day)
	for _, f := range figures {
		c.event(f.metric, entity, day, c.s.opts.Version, f.value, f.cur, f.unit,
			map[string]string{messages.DimChannel: channel, messages.DimStatus: status})
	}
}

func pipelineRow(c *rowCtx) {
	deal := c.text("deal", true)
	stage := c.text("stage", true)
	cur := c.currency()
	amount, amountOK := c.money("amount", cur, false)
	if amountOK && amount < 0 {
		_, col := c.cell("amount")
		c.fail(col, "a deal amount cannot be negative")
	}
	closeMonth := ""
	if v, _ := c.cell("expected_close"); v != "" {
		if d, ok := c.date("expected_close"); ok {
			closeMonth = d.Format("2006-01")
		}
	}
	bp, hasProb, probOK := c.probability("probability")
	if !amountOK || !probOK || c.failed() {
		return
	}
	entity := "deal/" + lowerKey(deal)
	if !c.key(entity, "deal "+strconv.Quote(deal)) {
		return
	}
	status := dealStatus(stage)
	probability := ""
	if hasProb {
		probability = formatBasisPoints(bp)
	}
	dims := map[string]string{
		messages.DimDeal: deal, messages.DimStage: stage, messages.DimStatus: status,
		messages.DimCloseMonth: closeMonth, messages.DimProbability: probability,
	}
	at := c.s.opts.AsOf()
	c.event(messages.MetricPipelineAmount, entity, at, c.s.opts.Version, amount, cur, "", dims)
	switch {
	case hasProb:
	case status == messages.DealWon:
		bp, hasProb = 10000, true
	case status == messages.DealLost:
		bp, hasProb = 0, true
	}
	if hasProb {
		c.event(messages.MetricPipelineWeighted, entity, at, c.s.opts.Version, weighted(amount, bp), cur, "", dims)
	}
}

// dealStatus derives open, won or lost from a stage's words.
func dealStatus(stage string) string {
	s := strings.ToLower(stage)
	switch {
	case strings.Contains(s, "won"):
		return messages.DealWon
	case strings.Contains(s, "lost"):
		return messages.DealLost
	}
	return messages.DealOpen
}

// weighted is amount × bp / 10000, rounded half away from zero, exactly.
func weighted(amount, bp int64) int64 {
	p := new(big.Int).Mul(big.NewInt(amount), big.NewInt(bp))
	q, r := new(big.Int).QuoRem(p, big.NewInt(10000), new(big.Int))
	if r.Sign() != 0 && new(big.Int).Abs(new(big.Int).Mul(r, big.NewInt(2))).Cmp(big.NewInt(10000)) >= 0 {
		q.Add(q, big.NewInt(int64(p.Sign())))
	}
	return q.Int64() // |q| <= |amount|: fits
}

func formatBasisPoints(bp int64) string {
	if bp%100 == 0 {
		return strconv.FormatInt(bp/100, 10)
	}
	return strings.TrimRight(fmt.Sprintf("%d.%02d", bp/100, bp%100), "0")
}

// Cell parsers. Each reports its own problem and says whether the value is
// usable.

var (
	datePattern  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	monthPattern = regexp.MustCompile(`^\d{4}-\d{2}$`)
	// decimalPattern: digits with an optional fraction; no exponent, no
	// thousands separators, no symbols.
	decimalPattern = regexp.MustCompile(`^[+-]?\d+(\.\d+)?$`)
	countPattern   = regexp.MustCompile(`^\+?\d+$`)
	percentPattern = regexp.MustCompile(`^(\d{1,3})(\.(\d{1,2}))?\s*%?$`)
)

// date reads a YYYY-MM-DD cell as the start of that day in the tenant's
// time zone.
func (c *rowCtx) date(name string) (time.Time, bool) {
	v, col := c.cell(name)
	if col == 0 {
		return time.Time{}, false
	}
	if v == "" {
		c.fail(col, "%s is blank (want YYYY-MM-DD)", name)
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil || !datePattern.MatchString(v) {
		c.fail(col, "%q is not a date: want YYYY-MM-DD", truncate(v, 40))
		return time.Time{}, false
	}
	if t.Year() < 1970 || t.Year() > 2199 {
		c.fail(col, "%q is out of range (years 1970 to 2199)", v)
		return time.Time{}, false
	}
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, c.s.opts.Location), true
}

// month reads a YYYY-MM cell as the start of that month in the tenant's
// time zone.
func (c *rowCtx) month(name string) (time.Time, bool) {
	v, col := c.cell(name)
	if col == 0 {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01", v)
	if v == "" || err != nil || !monthPattern.MatchString(v) {
		c.fail(col, "%q is not a month: want YYYY-MM", truncate(v, 40))
		return time.Time{}, false
	}
	if t.Year() < 1970 || t.Year() > 2199 {
		c.fail(col, "%q is out of range (years 1970 to 2199)", v)
		return time.Time{}, false
	}
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, c.s.opts.Location), true
}

// currency returns the row's currency: its currency cell, else the
// tenant's. An unknown code is reported and the tenant's returned (so the
// amount is still checked).
func (c *rowCtx) currency() string {
	v, col := c.cell("currency")
	if v == "" {
		return c.s.opts.Currency
	}
	code := strings.ToUpper(v)
	if !validCurrency(code) {
		c.fail(col, "unknown currency %q (want an ISO 4217 code such as USD, EUR)", truncate(v, 40))
		return c.s.opts.Currency
	}
	return code
}

func validCurrency(code string) bool {
	return messages.ValidCurrency(code) && currency.IsValid(code)
}

// money reads a decimal amount in minor units of cur. Blank is reported
// when required, else (0, false).
func (c *rowCtx) money(name, cur string, required bool) (int64, bool) {
	v, col := c.cell(name)
	if col == 0 {
		return 0, false
	}
	if v == "" {
		if required || c.s.spec.isRequired(name) {
			c.fail(col, "%s is blank (required)", name)
		}
		return 0, false
	}
	d := v
	// A `;` file comes from a decimal-comma locale: "1234,50".
	if c.s.sep == ';' && strings.Count(d, ",") == 1 && !strings.Contains(d, ".") {
		d = strings.Replace(d, ",", ".", 1)
	}
	if !decimalPattern.MatchString(d) {
		c.fail(col, "%q is not an amount: want a decimal like 1234.50 (no letters, symbols or thousands separators)", truncate(v, 40))
		return 0, false
	}
	// A leading plus (bank exports write "+1234.50") is the only sign
	// beyond ParseAmount's minus that a CSV amount may have.
	m, err := tenants.ParseAmount(strings.TrimPrefix(d, "+"), cur)
	if err != nil {
		c.fail(col, "%v", err)
		return 0, false
	}
	return m.Amount, true
}

// count reads a whole non-negative number. Blank is reported when
// required, else (0, false).
func (c *rowCtx) count(name string, required bool) (int64, bool) {
	v, col := c.cell(name)
	if col == 0 {
		return 0, false
	}
	if v == "" {
		if required {
			c.fail(col, "%s is blank (required)", name)
		}
		return 0, false
	}
	if strings.HasPrefix(v, "-") {
		c.fail(col, "%s cannot be negative", name)
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(v, "+"), 10, 64)
	if !countPattern.MatchString(v) || err != nil {
		c.fail(col, "%q is not a whole number", truncate(v, 40))
		return 0, false
	}
	return n, true
}

// probability reads a percentage 0–100 ("40", "40%", "12.5") as basis
// points. It returns (bp, present, ok).
func (c *rowCtx) probability(name string) (int64, bool, bool) {
	v, col := c.cell(name)
	if col == 0 || v == "" {
		return 0, false, true
	}
	m := percentPattern.FindStringSubmatch(v)
	if m == nil {
		c.fail(col, "%q is not a probability: want a percentage from 0 to 100 such as 40 or 40%%", truncate(v, 40))
		return 0, false, false
	}
	whole, _ := strconv.ParseInt(m[1], 10, 64)
	frac := int64(0)
	if m[3] != "" {
		frac, _ = strconv.ParseInt((m[3] + "0")[:2], 10, 64)
	}
	bp := whole*100 + frac
	if bp > 10000 {
		c.fail(col, "probability %s is above 100%%", v)
		return 0, false, false
	}
	return bp, true, true
}

func (s *spec) isRequired(name string) bool { return contains(s.required, name) }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// lowerKey is the case- and space-insensitive form of a name in an entity
// key.
func lowerKey(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }
