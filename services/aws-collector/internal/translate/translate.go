// Package translate turns an observation into metric events, in a
// deterministic order, with ids derived from what each fact is so that
// observing the same fact again yields the same event (see
// messages/metrics_aws.go for each metric's modelling). Pure: no SDK.
package translate

import (
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/aws-collector/internal/observation"
)

// Events turns an observation into metric events, in a deterministic order
// (see messages/metrics_aws.go for each metric's modelling).
func Events(o observation.Observation) []messages.MetricEvent {
	b := eventBuilder{o: o}
	fns := append([]observation.Function(nil), o.Functions...)
	sort.Slice(fns, func(i, j int) bool {
		if fns[i].Region != fns[j].Region {
			return fns[i].Region < fns[j].Region
		}
		return fns[i].Name < fns[j].Name
	})
	for _, f := range fns {
		series := f.Region + "/" + f.Name
		dims := map[string]string{"region": f.Region, "function": f.Name, "runtime": f.Runtime}
		if !f.LastModified.IsZero() {
			b.gauge(messages.MetricAWSLambdaFunction, series, f.LastModified.Unix(), messages.UnitUnixSeconds, "", dims)
			deployed := f.LastModified.UTC().Format(time.RFC3339Nano)
			b.add(messages.MetricEvent{
				Header: messages.Header{
					EventID:    observation.ID("aws_", o.TenantID, messages.MetricAWSLambdaDeploys, series, deployed),
					OccurredAt: f.LastModified.UTC(),
				},
				Metric: messages.MetricAWSLambdaDeploys, Kind: messages.KindAdditive, Value: 1,
				Unit: messages.UnitCount, Dimensions: dims,
			})
		}
		for _, day := range slices.SortedFunc(maps.Keys(f.Days), time.Time.Compare) {
			d := f.Days[day]
			entity := series + "@" + day.Format(observation.DayFormat)
			ddims := map[string]string{"region": f.Region, "function": f.Name, "day": day.Format(observation.DayFormat)}
			b.dayCount(messages.MetricAWSLambdaInvocations, entity, day, d.Invocations, ddims)
			b.dayCount(messages.MetricAWSLambdaErrors, entity, day, d.Errors, ddims)
			b.dayCount(messages.MetricAWSLambdaThrottles, entity, day, d.Throttles, ddims)
			if d.P95Ms != nil {
				b.gauge(messages.MetricAWSLambdaDurationP95, entity, int64(math.Round(*d.P95Ms)), messages.UnitMilliseconds, "", ddims)
			}
		}
	}

	if o.Cost != nil {
		for _, m := range slices.Sorted(maps.Keys(o.Cost.Months)) {
			mc := o.Cost.Months[m]
			for _, svc := range slices.Sorted(maps.Keys(mc.ByService)) {
				a := mc.ByService[svc]
				b.gauge(messages.MetricAWSCostMonthToDate, svc+"@"+m, a.Minor, "", a.Currency,
					map[string]string{"service": svc, "month": m})
			}
		}
		if f := o.Cost.Forecast; f != nil {
			m := observation.Month(o.At)
			b.gauge(messages.MetricAWSCostForecast, "total@"+m, f.Minor, "", f.Currency, map[string]string{"month": m})
		}
	}

	dists := append([]observation.Distribution(nil), o.Distributions...)
	sort.Slice(dists, func(i, j int) bool { return dists[i].ID < dists[j].ID })
	for _, d := range dists {
		b.gauge(messages.MetricAWSCloudFrontDistribution, d.ID, 1, messages.UnitCount, "", map[string]string{
			"distribution": d.ID, "domain": d.Domain,
			"enabled": strconv.FormatBool(d.Enabled), "waf": strconv.FormatBool(d.WebACLID != ""),
		})
		for _, day := range slices.SortedFunc(maps.Keys(d.Days), time.Time.Compare) {
			dd := d.Days[day]
			entity := d.ID + "@" + day.Format(observation.DayFormat)
			dims := map[string]string{"distribution": d.ID, "day": day.Format(observation.DayFormat)}
			b.dayCount(messages.MetricAWSCloudFrontRequests, entity, day, dd.Requests, dims)
			if dd.Rate4xxBP != nil {
				b.gauge(messages.MetricAWSCloudFront4xxRate, entity, *dd.Rate4xxBP, messages.UnitBasisPoints, "", dims)
			}
			if dd.Rate5xxBP != nil {
				b.gauge(messages.MetricAWSCloudFront5xxRate, entity, *dd.Rate5xxBP, messages.UnitBasisPoints, "", dims)
			}
		}
	}

	buckets := append([]observation.Bucket(nil), o.Buckets...)
	sort.Slice(buckets, func(i, j int) bool { return buckets[i].Name < buckets[j].Name })
	for _, bk := range buckets {
		dims := map[string]string{"bucket": bk.Name, "region": bk.Region}
		b.gauge(messages.MetricAWSS3Bucket, bk.Name, 1, messages.UnitCount, "", map[string]string{
			"bucket": bk.Name, "region": bk.Region, "public_access_block": bk.PublicAccessBlock,
		})
		if bk.Bytes != nil {
			b.gauge(messages.MetricAWSS3BucketBytes, bk.Name, *bk.Bytes, messages.UnitBytes, "", dims)
		}
		if bk.Objects != nil {
			b.gauge(messages.MetricAWSS3BucketObjects, bk.Name, *bk.Objects, messages.UnitCount, "", dims)
		}
	}

	zones := append([]observation.Zone(nil), o.Zones...)
	sort.Slice(zones, func(i, j int) bool { return zones[i].ID < zones[j].ID })
	for _, z := range zones {
		b.gauge(messages.MetricAWSRoute53Records, z.ID, int64(len(z.Records)), messages.UnitCount, "", map[string]string{
			"zone": z.Name, "private": strconv.FormatBool(z.Private),
		})
	}
	return b.out
}

type eventBuilder struct {
	o   observation.Observation
	out []messages.MetricEvent
}

func (b *eventBuilder) add(e messages.MetricEvent) {
	e.TenantID = b.o.TenantID
	e.Source = messages.SourceAWS
	b.out = append(b.out, e)
}

// gauge is one observation of a series: its id names the observation time.
func (b *eventBuilder) gauge(metric, series string, value int64, unit, currency string, dims map[string]string) {
	at := b.o.At.UTC()
	b.add(messages.MetricEvent{
		Header: messages.Header{
			EventID:    observation.ID("aws_", b.o.TenantID, metric, series, at.Format(time.RFC3339Nano)),
			OccurredAt: at,
		},
		Metric: metric, Kind: messages.KindGauge, Value: value, Unit: unit, Currency: currency,
		Entity: series, Dimensions: dims,
	})
}

// dayCount is a day's running count as a state whose Version is the count
// itself: a fixed window's CloudWatch Sum only grows as data arrives, so
// the highest count is the latest, and the same count is the same event.
func (b *eventBuilder) dayCount(metric, entity string, day time.Time, value int64, dims map[string]string) {
	b.add(messages.MetricEvent{
		Header: messages.Header{
			EventID:    observation.ID("aws_", b.o.TenantID, metric, entity, strconv.FormatInt(value, 10)),
			OccurredAt: day.UTC(),
		},
		Metric: metric, Kind: messages.KindState, Value: value, Unit: messages.UnitCount,
		Entity: entity, Version: value, Dimensions: dims,
	})
}
