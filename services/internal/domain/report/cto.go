package report

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// CTOView is the CTO's report: a per-stack audit (Lambda, CloudFront, S3,
// Route53), security findings by severity, AWS cost by service with
// savings candidates, deploy cadence and engineering actions.
type CTOView struct {
	Header
	Lambda     Table
	Deploys    KPI
	CloudFront Table
	S3         Table
	Route53    Table
	Security   Table
	Cost       Table
	CostChart  *Chart
	Savings    Table
	Actions    []Action
}

func (*CTOView) template() string { return "cto" }

func init() {
	analysts[messages.RoleCTO] = analyst{
		metrics: []string{
			messages.MetricAWSLambdaFunction, messages.MetricAWSLambdaDeploys, messages.MetricAWSLambdaInvocations,
			messages.MetricAWSLambdaErrors, messages.MetricAWSLambdaThrottles, messages.MetricAWSLambdaDurationP95,
			messages.MetricAWSCloudFrontDistribution, messages.MetricAWSCloudFrontRequests,
			messages.MetricAWSCloudFront4xxRate, messages.MetricAWSCloudFront5xxRate,
			messages.MetricAWSS3Bucket, messages.MetricAWSS3BucketBytes, messages.MetricAWSS3BucketObjects,
			messages.MetricAWSRoute53Records, messages.MetricAWSCostMonthToDate,
		},
		findings: true,
		analyse:  analyseCTO,
	}
}

func analyseCTO(d *Data) View {
	v := &CTOView{Header: newHeader(d, "engineering audit")}
	per := d.Period.Label()
	aws := srcAWS.missing(d)
	var actions []Action
	by := func(days int) string { return dateIn(d.AsOf.AddDate(0, 0, days), d.Loc) }

	// Lambda.
	v.Lambda = Table{Title: "Lambda", Period: per, Head: []string{"Function", "Invocations", "Errors", "Error rate", "p95 (worst day)", "Last deploy"}, Empty: "No Lambda functions in the account."}
	if !d.Known(messages.MetricAWSLambdaFunction) {
		v.Lambda.Missing = aws
	} else {
		inv := d.dayStates(messages.MetricAWSLambdaInvocations, "function", d.Period)
		errs := d.dayStates(messages.MetricAWSLambdaErrors, "function", d.Period)
		p95 := d.dayGaugeMax(messages.MetricAWSLambdaDurationP95, "function", d.Period)
		for _, f := range d.inventory(messages.MetricAWSLambdaFunction) {
			fn := f.Dimensions["function"]
			row := Row{Cells: []string{fn, count(inv[fn]), count(errs[fn]), pct(errs[fn], inv[fn]), "n/a",
				dateIn(time.Unix(f.Value, 0), d.Loc)}}
			if v, ok := p95[fn]; ok {
				row.Cells[4] = fmt.Sprintf("%s ms", count(v))
			}
			if inv[fn] > 0 && errs[fn]*100 > inv[fn] {
				row.Status = bad
				actions = append(actions, Action{Priority: "P1", Title: "Bring " + fn + " errors under 1 %",
					Why: fmt.Sprintf("%s errors in %s invocations (%s)", count(errs[fn]), count(inv[fn]), pct(errs[fn], inv[fn])), By: by(7)})
			}
			v.Lambda.Rows = append(v.Lambda.Rows, row)
		}
	}

	// Deploy cadence.
	v.Deploys = KPI{Label: "Deploys", Period: per}
	if !d.Known(messages.MetricAWSLambdaFunction) {
		v.Deploys.Value, v.Deploys.Status, v.Deploys.Missing = "unknown", unknown, aws
	} else {
		n, pn := d.Count(messages.MetricAWSLambdaDeploys, d.Period.Start, d.Period.End), d.Count(messages.MetricAWSLambdaDeploys, d.Prev.Start, d.Prev.End)
		v.Deploys.Value = count(n.V)
		v.Deploys.Previous = count(pn.V) + " (" + d.Prev.Short() + ")"
		v.Deploys.Change = change(n.V, pn.V)
		v.Deploys.Status = neutral
		if last, ok := d.LatestAt(messages.MetricAWSLambdaDeploys, d.AsOf); ok {
			days := int(d.AsOf.Sub(last).Hours() / 24)
			v.Deploys.Note = fmt.Sprintf("last deploy %s (%d days ago); %.1f a week", dateIn(last, d.Loc), days, float64(n.V)*7/max(1, float64(d.Period.Days())))
			if days > 30 {
				v.Deploys.Status = warn
				actions = append(actions, Action{Priority: "P3", Title: "Ship something: no deploy for a month", Why: v.Deploys.Note, By: by(30)})
			}
		} else {
			v.Deploys.Note = "no deploy observed yet"
		}
	}

	// CloudFront.
	v.CloudFront = Table{Title: "CloudFront", Period: per, Head: []string{"Distribution", "Requests", "4xx (worst day)", "5xx (worst day)", "WAF"}, Empty: "No CloudFront distributions."}
	if !d.Known(messages.MetricAWSCloudFrontDistribution) {
		v.CloudFront.Missing = aws
	} else {
		req := d.dayStates(messages.MetricAWSCloudFrontRequests, "distribution", d.Period)
		e4 := d.dayGaugeMax(messages.MetricAWSCloudFront4xxRate, "distribution", d.Period)
		e5 := d.dayGaugeMax(messages.MetricAWSCloudFront5xxRate, "distribution", d.Period)
		for _, f := range d.inventory(messages.MetricAWSCloudFrontDistribution) {
			id := f.Dimensions["distribution"]
			name := id
			if dom := f.Dimensions["domain"]; dom != "" {
				name += " (" + dom + ")"
			}
			waf := "yes"
			row := Row{Cells: []string{name, count(req[id]), bp(e4[id]), bp(e5[id]), waf}}
			if f.Dimensions["waf"] != "true" {
				row.Cells[4], row.Status = "NO", warn
			}
			if e5[id] >= 100 {
				row.Status = bad
			}
			v.CloudFront.Rows = append(v.CloudFront.Rows, row)
		}
	}

	// S3.
	v.S3 = Table{Title: "S3", Period: "as of " + v.AsOf, Head: []string{"Bucket", "Size", "Objects", "Public access block"}, Empty: "No S3 buckets."}
	if !d.Known(messages.MetricAWSS3Bucket) {
		v.S3.Missing = aws
	} else {
		size := gaugeBy(d, messages.MetricAWSS3BucketBytes)
		objs := gaugeBy(d, messages.MetricAWSS3BucketObjects)
		for _, f := range d.inventory(messages.MetricAWSS3Bucket) {
			b := f.Entity
			row := Row{Cells: []string{b, bytesIEC(size[b]), count(objs[b]), f.Dimensions["public_access_block"]}}
			if f.Dimensions["public_access_block"] != "full" {
				row.Status = bad
			}
			v.S3.Rows = append(v.S3.Rows, row)
		}
	}

	// Route53.
	open := d.Findings()
	v.Route53 = Table{Title: "Route53", Period: "as of " + v.AsOf, Head: []string{"Zone", "Records", "TTL issues", "Dangling targets"}, Empty: "No hosted zones."}
	if !d.Known(messages.MetricAWSRoute53Records) {
		v.Route53.Missing = aws
	} else {
		for _, f := range d.inventory(messages.MetricAWSRoute53Records) {
			zone := f.Entity
			ttl, dangling := 0, 0
			for _, x := range open {
				if strings.HasPrefix(x.Resource, zone+"/") {
					switch x.Check {
					case messages.CheckRoute53TTL:
						ttl++
					case messages.CheckRoute53DanglingTarget:
						dangling++
					}
				}
			}
			row := Row{Cells: []string{f.Dimensions["zone"], count(f.Value), fmt.Sprint(ttl), fmt.Sprint(dangling)}}
			if dangling > 0 {
				row.Status = bad
			} else if ttl > 0 {
				row.Status = warn
			}
			v.Route53.Rows = append(v.Route53.Rows, row)
		}
		v.Route53.Note = "TTL hygiene: records whose TTL is outside the collector's configured range are counted as TTL issues."
	}

	// Security.
	v.Security = Table{Title: "Security findings", Period: "open as of " + v.AsOf, Head: []string{"Finding", "Severity", "Since"}, Empty: "No open findings."}
	if !d.FindingsKnown() {
		v.Security.Missing = aws
	} else {
		first := map[string]time.Time{}
		for _, f := range d.snap.Findings() {
			if t, ok := first[f.FindingID]; !ok || f.OccurredAt.Before(t) {
				first[f.FindingID] = f.OccurredAt
			}
		}
		counts := map[string]int{}
		for _, f := range open {
			counts[f.Severity]++
			title := f.Title + " — " + f.Resource
			if f.Detail != "" {
				title += " (" + f.Detail + ")"
			}
			row := Row{Cells: []string{title, f.Severity, dateIn(first[f.FindingID], d.Loc)}}
			switch f.Severity {
			case messages.SeverityCritical, messages.SeverityHigh:
				row.Status = bad
				pri, days := "P2", 14
				if f.Severity == messages.SeverityCritical {
					pri, days = "P1", 3
				}
				actions = append(actions, Action{Priority: pri, Title: "Fix: " + f.Title + " on " + f.Resource, Why: f.Severity + " security finding", By: by(days)})
			case messages.SeverityMedium:
				row.Status = warn
			}
			v.Security.Rows = append(v.Security.Rows, row)
		}
		var parts []string
		for _, s := range []string{messages.SeverityCritical, messages.SeverityHigh, messages.SeverityMedium, messages.SeverityLow, messages.SeverityInfo} {
			if counts[s] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
			}
		}
		if len(parts) > 0 {
			v.Security.Note = "Open: " + strings.Join(parts, ", ") + "."
		}
	}

	// Cost by service.
	cc := d.Tenant.Currency
	cur, curTotal := d.awsCostByService(d.Period)
	prev, prevTotal := d.awsCostByService(d.Prev)
	v.noteOther("AWS cost", curTotal)
	v.Cost = Table{Title: "AWS cost by service", Period: per + " vs " + d.Prev.Short(), Head: []string{"Service", "Cost", "Previous", "Change"}, Empty: "No AWS cost in the period."}
	v.Savings = Table{Title: "Savings candidates", Period: per, Head: []string{"Service", "Why", "Cost"}, Empty: "No service grew by more than 20 % or holds more than half of the bill."}
	if !curTotal.Known {
		v.Cost.Missing = srcAWSCost.missing(d)
		v.Savings.Missing = v.Cost.Missing
	} else {
		var chart *Chart
		var shares []share
		chart, shares = breakdownChart("chart-aws-cost", "AWS cost by service, "+per, cur, func(n int64) string { return money(n, cc) })
		colour := map[string]string{}
		for i, s := range shares {
			colour[s.Label] = paletteHex[i]
		}
		svcs := slices.Sorted(maps.Keys(cur))
		sort.SliceStable(svcs, func(i, j int) bool { return cur[svcs[i]] > cur[svcs[j]] })
		for _, s := range svcs {
			v.Cost.Rows = append(v.Cost.Rows, Row{Cells: []string{s, money(cur[s], cc), money(prev[s], cc), change(cur[s], prev[s])}, Swatch: colour[s]})
			grew := prev[s] > 0 && (cur[s]-prev[s])*5 > prev[s] && cur[s]-prev[s] >= 1000
			big := curTotal.V > 0 && cur[s]*2 > curTotal.V && len(svcs) > 1
			switch {
			case grew:
				v.Savings.Rows = append(v.Savings.Rows, Row{Cells: []string{s, fmt.Sprintf("grew %s vs %s", change(cur[s], prev[s]), d.Prev.Short()), money(cur[s], cc)}, Status: warn})
				actions = append(actions, Action{Priority: "P3", Title: "Review " + s + " spend", Why: "cost " + change(cur[s], prev[s]) + " period over period", By: by(30)})
			case big:
				v.Savings.Rows = append(v.Savings.Rows, Row{Cells: []string{s, "more than half of the bill (" + pct(cur[s], curTotal.V) + ")", money(cur[s], cc)}})
			}
		}
		v.Cost.Rows = append(v.Cost.Rows, Row{Cells: []string{"Total", money(curTotal.V, cc), money(prevTotal.V, cc), change(curTotal.V, prevTotal.V)}, Status: neutral})
		if len(cur) > 0 {
			v.CostChart = chart
			v.Charts = append(v.Charts, chart)
		}
	}

	sort.SliceStable(actions, func(i, j int) bool { return actions[i].Priority < actions[j].Priority })
	if !srcAWS.known(d) {
		actions = append([]Action{{Priority: "P1", Title: "Connect the AWS account to Boardpack", Why: "no AWS data: every section above is blind", By: by(7)}}, actions...)
	}
	if len(actions) == 0 {
		actions = []Action{{Priority: "P3", Title: "No engineering action forced by the data", Why: "no rule fired", By: by(30)}}
	}
	v.Actions = actions
	return v
}

// gaugeBy is each series' latest reading as of AsOf, by Entity.
func gaugeBy(d *Data, metric string) map[string]int64 {
	out := map[string]int64{}
	for k, f := range readmodel.StatesAt(d.Facts(metric), d.AsOf) {
		out[k] = f.Value
	}
	return out
}

// bp formats basis points as a percentage.
func bp(v int64) string { return fmt.Sprintf("%.2f %%", float64(v)/100) }
