// Package cost collects Cost Explorer's view of an account: the unblended
// cost by service for the month so far, and the month's forecast. Amounts
// are converted to integer minor units without floats.
package cost

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/costexplorer"
	cetypes "github.com/aws/aws-sdk-go-v2/service/costexplorer/types"
	"github.com/bojanz/currency"

	"github.com/boardpack/boardpack/services/aws-collector/internal/observation"
)

// API is the part of Cost Explorer the collector reads. Each request is
// billed ($0.01): the collector spaces them (BOARDPACK_AWS_COLLECTOR_COST_INTERVAL).
type API interface {
	GetCostAndUsage(context.Context, *sdk.GetCostAndUsageInput, ...func(*sdk.Options)) (*sdk.GetCostAndUsageOutput, error)
	GetCostForecast(context.Context, *sdk.GetCostForecastInput, ...func(*sdk.Options)) (*sdk.GetCostForecastOutput, error)
}

// Read observes the month-to-date cost by service (and the previous
// month during its first days, while Cost Explorer still revises it) and
// the month's forecast.
func Read(ctx context.Context, api API, at time.Time) (*observation.CostObservation, error) {
	monthStart := time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC)
	tomorrow := at.Truncate(24*time.Hour).AddDate(0, 0, 1)
	c := &observation.CostObservation{Months: map[string]observation.MonthCost{}}
	cur, err := costByService(ctx, api, monthStart, tomorrow)
	if err != nil {
		return nil, err
	}
	c.Months[observation.Month(monthStart)] = cur
	// Cost Explorer keeps revising the last days of a month for a while:
	// observe the previous month again during the first days.
	if at.Day() <= 3 {
		prevStart := monthStart.AddDate(0, -1, 0)
		prev, err := costByService(ctx, api, prevStart, monthStart)
		if err != nil {
			return nil, err
		}
		c.Months[observation.Month(prevStart)] = prev
	}
	c.Forecast, c.ForecastNote = forecast(ctx, api, at, cur)
	return c, nil
}

func costByService(ctx context.Context, api API, start, end time.Time) (observation.MonthCost, error) {
	mc := observation.MonthCost{ByService: map[string]observation.Amount{}}
	in := &sdk.GetCostAndUsageInput{
		TimePeriod:  &cetypes.DateInterval{Start: aws.String(start.Format(observation.DayFormat)), End: aws.String(end.Format(observation.DayFormat))},
		Granularity: cetypes.GranularityMonthly,
		Metrics:     []string{"UnblendedCost"},
		GroupBy:     []cetypes.GroupDefinition{{Type: cetypes.GroupDefinitionTypeDimension, Key: aws.String("SERVICE")}},
	}
	for {
		out, err := api.GetCostAndUsage(ctx, in)
		if err != nil {
			return observation.MonthCost{}, err
		}
		for _, r := range out.ResultsByTime {
			for _, g := range r.Groups {
				if len(g.Keys) == 0 {
					continue
				}
				m, ok := g.Metrics["UnblendedCost"]
				if !ok {
					continue
				}
				a, err := toAmount(aws.ToString(m.Amount), aws.ToString(m.Unit))
				if err != nil {
					return observation.MonthCost{}, fmt.Errorf("service %s: %w", g.Keys[0], err)
				}
				prev := mc.ByService[g.Keys[0]]
				if prev.Currency != "" && prev.Currency != a.Currency {
					return observation.MonthCost{}, fmt.Errorf("service %s: costs in %s and %s", g.Keys[0], prev.Currency, a.Currency)
				}
				mc.ByService[g.Keys[0]] = observation.Amount{Minor: prev.Minor + a.Minor, Currency: a.Currency}
			}
		}
		if aws.ToString(out.NextPageToken) == "" {
			return mc, nil
		}
		in.NextPageToken = out.NextPageToken
	}
}

func toAmount(amount, unit string) (observation.Amount, error) {
	if unit == "" {
		unit = "USD"
	}
	digits, ok := currency.GetDigits(unit)
	if !ok {
		return observation.Amount{}, fmt.Errorf("unknown currency %q", unit)
	}
	minor, err := ParseMinor(amount, int(digits))
	if err != nil {
		return observation.Amount{}, err
	}
	return observation.Amount{Minor: minor, Currency: unit}, nil
}

// forecast asks for the rest of the month and adds the month so far. Cost
// Explorer refuses a forecast without enough history; emulators may not
// implement it. Either way the pass goes on and the note says why.
func forecast(ctx context.Context, api API, at time.Time, soFar observation.MonthCost) (*observation.Amount, string) {
	today := at.Truncate(24 * time.Hour)
	nextMonth := time.Date(at.Year(), at.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	out, err := api.GetCostForecast(ctx, &sdk.GetCostForecastInput{
		TimePeriod:  &cetypes.DateInterval{Start: aws.String(today.Format(observation.DayFormat)), End: aws.String(nextMonth.Format(observation.DayFormat))},
		Granularity: cetypes.GranularityMonthly,
		Metric:      cetypes.MetricUnblendedCost,
	}, func(o *sdk.Options) { o.RetryMaxAttempts = 2 })
	if err != nil {
		return nil, "no cost forecast: " + observation.ShortErr(err)
	}
	if out.Total == nil {
		return nil, "no cost forecast: Cost Explorer returned no total"
	}
	rest, err := toAmount(aws.ToString(out.Total.Amount), aws.ToString(out.Total.Unit))
	if err != nil {
		return nil, "no cost forecast: " + err.Error()
	}
	total := rest
	for _, a := range soFar.ByService {
		if a.Currency != rest.Currency {
			return nil, fmt.Sprintf("no cost forecast: forecast in %s, costs in %s", rest.Currency, a.Currency)
		}
		total.Minor += a.Minor
	}
	return &total, ""
}

// ParseMinor converts Cost Explorer's decimal string ("12.3456789") to
// minor units of a currency with digits decimals, rounding half away from
// zero, without floats.
func ParseMinor(amount string, digits int) (int64, error) {
	s := strings.TrimSpace(amount)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return 0, fmt.Errorf("amount %q is not a decimal number", amount)
	}
	if intPart == "" {
		intPart = "0"
	}
	if !allDigits(intPart) || !allDigits(frac) || len(intPart) > 15 {
		return 0, fmt.Errorf("amount %q is not a decimal number", amount)
	}
	for len(frac) < digits+1 {
		frac += "0"
	}
	v, _ := strconv.ParseInt(intPart+frac[:digits], 10, 64)
	if frac[digits] >= '5' {
		v++
	}
	if neg {
		v = -v
	}
	return v, nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
