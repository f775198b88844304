package messages

// Spreadsheet metrics, published on TopicMetrics by `reportctl import`
// (Source=SourceImport) from CSV files of five kinds: expenses, cash,
// targets, channels and pipeline.
//
// Conventions shared by every imported metric:
//
//   - Every imported row is an entity state (KindState), except cash
//     balances, which are readings (KindGauge). Entity is the row's natural
//     key, so a corrected re-import replaces the row instead of adding to
//     it; a reader never parses Entity: Dimensions carry the parts.
//   - Version is the import version (Unix milliseconds of the import,
//     strictly increasing per tenant and kind), so the latest import wins
//     (readmodel.StatesAt). Importing the same content again reuses the
//     version, so it produces the very same events (same EventID, same
//     content): nothing changes.
//   - Dates are the tenant's calendar: a row dated 2026-10-03 has
//     OccurredAt = 2026-10-03 00:00 in the tenant's time zone (in UTC); a
//     month row has OccurredAt = the month's first day 00:00 there. So a
//     period's figure of a dated metric is readmodel.Change over the period
//     (or the sum of the latest states of the entities whose OccurredAt is
//     in the period).
//   - A row removed from a corrected file is removed from the figures by a
//     tombstone: a state with Value 0 and Dimensions[DimRemoved]="true" at
//     the row's OccurredAt (see package services/internal/domain/importer for the
//     scope of a file).
//   - Money values carry Currency (the row's currency column, else the
//     tenant's currency); counts carry Unit=UnitCount. A blank cell is
//     "unknown" and publishes nothing, never a zero.
const (
	// MetricExpense (state per expense row, money): one expense from
	// expenses.csv; positive is a cost, negative a credit note or refund.
	// Entity "expense/<date>/<vendor>/<category>/<account_code>#<n>" where
	// n counts identical keys within the file (1, 2, ...). OccurredAt = the
	// expense date. Dimensions category, vendor, account_code (may be "").
	// Expenses in a period: sum of the latest states dated in the period.
	MetricExpense = "expense.amount"

	// MetricCashBalance (gauge per bank account, money): the account's
	// balance at the end of the balance date, from cash.csv. Entity
	// "cash/<account>" (lower case); OccurredAt = the balance date;
	// Dimensions account (as written). Version = the date's day number
	// times 10^13 plus the import version, so a later date always wins and
	// a corrected reading of the same date replaces the earlier one. Never
	// negative. Cash at a moment: sum of each account's latest reading
	// (per currency: accounts may differ).
	MetricCashBalance = "cash.balance"

	// MetricTarget (state per month and target metric): a monthly target
	// from targets.csv. Entity "target/<YYYY-MM>/<metric>"; OccurredAt = the
	// month's first day; Dimensions month (YYYY-MM) and metric (one of the
	// Target* names). Money targets carry Currency, count targets
	// Unit=UnitCount.
	MetricTarget = "target"

	// MetricChannelVisits, MetricChannelLeads, MetricChannelConversions
	// (state per channel and day, count) and MetricChannelSpend (state per
	// channel and day, money): one row of channels.csv. Entity
	// "channel/<channel>/<date>" (channel lower case); OccurredAt = the
	// date; Dimensions channel (as written, first spelling seen) and status
	// (ChannelStatus*, "" when the file has no status). A blank cell
	// publishes nothing for that metric: unknown, not zero.
	MetricChannelVisits      = "channel.visits"
	MetricChannelLeads       = "channel.leads"
	MetricChannelConversions = "channel.conversions"
	MetricChannelSpend       = "channel.spend"

	// MetricPipelineAmount (state per deal, money): a deal's amount from
	// pipeline.csv, a snapshot of the whole pipeline. Entity
	// "deal/<deal>" (lower case); OccurredAt = the import time (the
	// snapshot's "as of"); Dimensions deal (as written), stage (as written),
	// status (DealOpen, DealWon, DealLost, derived from the stage),
	// close_month (YYYY-MM of expected close, "" if blank) and probability
	// (percent, "" if blank). The open pipeline at a moment: sum of the
	// latest states with status open.
	MetricPipelineAmount = "pipeline.amount"
	// MetricPipelineWeighted (state per deal, money): amount × probability
	// (rounded half away from zero), same Entity, OccurredAt and Dimensions
	// as MetricPipelineAmount. Absent for an open deal without probability;
	// won deals count 100 %, lost deals 0 % when probability is blank.
	MetricPipelineWeighted = "pipeline.weighted"
)

// Dimension keys of the imported metrics.
const (
	DimCategory    = "category"
	DimVendor      = "vendor"
	DimAccountCode = "account_code"
	DimAccount     = "account"
	DimMonth       = "month"
	DimMetric      = "metric"
	DimChannel     = "channel"
	DimStatus      = "status"
	DimDeal        = "deal"
	DimStage       = "stage"
	DimCloseMonth  = "close_month"
	DimProbability = "probability"
	// DimRemoved is "true" on a tombstone: the row was removed from a
	// corrected file; its Value is 0.
	DimRemoved = "removed"
)

// Target metric names (Dimensions[DimMetric] of MetricTarget, the metric
// column of targets.csv). Money targets: revenue (gross), net_revenue,
// mrr, expenses, burn (net burn), pipeline; count targets: new_customers,
// visits, leads, conversions.
const (
	TargetRevenue      = "revenue"
	TargetNetRevenue   = "net_revenue"
	TargetMRR          = "mrr"
	TargetExpenses     = "expenses"
	TargetBurn         = "burn"
	TargetPipeline     = "pipeline"
	TargetNewCustomers = "new_customers"
	TargetVisits       = "visits"
	TargetLeads        = "leads"
	TargetConversions  = "conversions"
)

// Channel statuses (Dimensions[DimStatus] of the channel metrics).
const (
	ChannelActive  = "active"
	ChannelPaused  = "paused"
	ChannelPlanned = "planned"
	ChannelStopped = "stopped"
)

// Deal statuses (Dimensions[DimStatus] of the pipeline metrics), derived
// from the stage: a stage containing "won" is won, "lost" is lost, any
// other stage is open.
const (
	DealOpen = "open"
	DealWon  = "won"
	DealLost = "lost"
)
