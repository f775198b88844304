// Package route53 collects an account's hosted zones and their record
// sets (types, TTLs, alias targets) for the DNS hygiene checks.
package route53

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/route53"

	"github.com/boardpack/boardpack/services/aws-collector/internal/observation"
)

// API is the part of Route53 the collector reads.
type API interface {
	ListHostedZones(context.Context, *sdk.ListHostedZonesInput, ...func(*sdk.Options)) (*sdk.ListHostedZonesOutput, error)
	ListResourceRecordSets(context.Context, *sdk.ListResourceRecordSetsInput, ...func(*sdk.Options)) (*sdk.ListResourceRecordSetsOutput, error)
}

// List lists the hosted zones with every record set.
func List(ctx context.Context, api API) ([]observation.Zone, error) {
	var zones []observation.Zone
	p := sdk.NewListHostedZonesPaginator(api, &sdk.ListHostedZonesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, z := range page.HostedZones {
			zone := observation.Zone{ID: strings.TrimPrefix(aws.ToString(z.Id), "/hostedzone/"), Name: aws.ToString(z.Name)}
			if z.Config != nil {
				zone.Private = z.Config.PrivateZone
			}
			zones = append(zones, zone)
		}
	}
	for i := range zones {
		z := &zones[i]
		in := &sdk.ListResourceRecordSetsInput{HostedZoneId: aws.String(z.ID)}
		for {
			out, err := api.ListResourceRecordSets(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("zone %s records: %w", z.Name, err)
			}
			for _, rs := range out.ResourceRecordSets {
				r := observation.Record{Name: aws.ToString(rs.Name), Type: string(rs.Type), TTL: rs.TTL}
				for _, v := range rs.ResourceRecords {
					r.Values = append(r.Values, aws.ToString(v.Value))
				}
				if rs.AliasTarget != nil {
					r.AliasTarget = aws.ToString(rs.AliasTarget.DNSName)
					r.TTL = nil
				}
				z.Records = append(z.Records, r)
			}
			if !out.IsTruncated {
				break
			}
			in.StartRecordName, in.StartRecordType, in.StartRecordIdentifier = out.NextRecordName, out.NextRecordType, out.NextRecordIdentifier
		}
	}
	return zones, nil
}
