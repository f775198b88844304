package report

import (
	"fmt"
	"strings"

	"github.com/boardpack/boardpack/messages"
)

// Metrics of `reportctl import` (messages/metrics_import.go). Imported
// rows are entity states dated by the row (see rows).
const (
	metricExpenses          = messages.MetricExpense
	metricCashBalance       = messages.MetricCashBalance
	metricRevenueTarget     = messages.MetricTarget
	metricChannelSessions   = messages.MetricChannelVisits
	metricChannelConversion = messages.MetricChannelConversions
	metricChannelSpend      = messages.MetricChannelSpend
	metricPipelineValue     = messages.MetricPipelineAmount
)

// Sources a figure can come from, for "missing" notes and coverage.
type source struct {
	name    string
	metrics []string
	howTo   func(tenantID string) string
	// stream sources deliver continuously (Stripe, AWS); the others are
	// imported files. They go stale after different spans.
	stream bool
}

var (
	srcStripe = source{
		stream:  true,
		name:    "Stripe data",
		metrics: []string{messages.MetricRevenueGross, messages.MetricCustomersNew, messages.MetricMRR},
		howTo: func(id string) string {
			return fmt.Sprintf("add a Stripe webhook to https://<boardpack host>/webhooks/stripe/%s, or run `reportctl stripe backfill --tenant %s`", id, id)
		},
	}
	srcStripeBalance = source{
		stream:  true,
		name:    "Stripe balance",
		metrics: []string{messages.MetricCashStripe},
		howTo: func(id string) string {
			return "subscribe the Stripe webhook to balance.available events"
		},
	}
	srcAWSCost = source{
		stream:  true,
		name:    "AWS cost data",
		metrics: []string{messages.MetricAWSCostMonthToDate},
		howTo: func(id string) string {
			return "let the aws-collector read Cost Explorer (aws.role_arn in the tenants file; ce:GetCostAndUsage on the role)"
		},
	}
	srcAWS = source{
		stream:  true,
		name:    "AWS data",
		metrics: []string{messages.MetricAWSLambdaFunction, messages.MetricAWSCloudFrontDistribution, messages.MetricAWSS3Bucket, messages.MetricAWSRoute53Records},
		howTo: func(id string) string {
			return "let the aws-collector read the account (aws.role_arn and aws.regions in the tenants file)"
		},
	}
	srcExpenses = importSource("expense data", "expenses.csv", metricExpenses)
	srcCash     = importSource("cash balance", "cash.csv", metricCashBalance)
	srcTargets  = importSource("revenue targets", "targets.csv", metricRevenueTarget)
	srcChannels = importSource("marketing channel data", "channels.csv", metricChannelSessions, metricChannelConversion, metricChannelSpend)
	srcPipeline = importSource("pipeline data", "pipeline.csv", metricPipelineValue)
	srcCheckout = source{name: "checkout data", stream: true, metrics: []string{messages.MetricCheckoutCompleted, messages.MetricCheckoutExpired}, howTo: func(id string) string {
		return "subscribe the Stripe webhook to checkout.session.completed and checkout.session.expired"
	}}
	allSources   = []source{srcStripe, srcStripeBalance, srcCheckout, srcAWSCost, srcAWS, srcExpenses, srcCash, srcTargets, srcChannels, srcPipeline}
	configSource = func(field, what string) *Missing {
		return &Missing{Source: what, HowTo: "set " + field + " in the tenants file and apply it (`reportctl tenants apply -f tenants.yaml`)"}
	}
)

// coverageMetrics are the metrics that tell whether each source is
// connected.
func coverageMetrics() []string {
	var out []string
	for _, s := range allSources {
		out = append(out, s.metrics...)
	}
	return out
}

func importSource(name, file string, metrics ...string) source {
	return source{name: name, metrics: metrics, howTo: func(id string) string {
		kind := strings.TrimSuffix(file, ".csv")
		return fmt.Sprintf("import %s (`reportctl import --tenant %s --kind %s %s`)", file, id, kind, file)
	}}
}

func (s source) missing(d *Data) *Missing {
	return &Missing{Source: s.name, HowTo: s.howTo(d.Tenant.ID)}
}

// known reports whether any of the source's metrics delivered a fact.
func (s source) known(d *Data) bool {
	for _, m := range s.metrics {
		if d.Known(m) {
			return true
		}
	}
	return false
}
