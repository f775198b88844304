// Package account reaches each tenant's AWS account: from the ambient
// configuration, assuming the tenant's role (aws.role_arn, aws.external_id)
// when it names one, with clients set up for where each service answers
// (global services in us-east-1, awsQuery for CloudWatch, path-style S3
// against emulators).
package account

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/costexplorer"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	cfpkg "github.com/boardpack/boardpack/services/aws-collector/internal/cloudfront"
	"github.com/boardpack/boardpack/services/aws-collector/internal/collector"
	"github.com/boardpack/boardpack/services/aws-collector/internal/cost"
	lambdapkg "github.com/boardpack/boardpack/services/aws-collector/internal/lambda"
	"github.com/boardpack/boardpack/services/aws-collector/internal/metricdata"
	"github.com/boardpack/boardpack/services/aws-collector/internal/observation"
	r53pkg "github.com/boardpack/boardpack/services/aws-collector/internal/route53"
	s3pkg "github.com/boardpack/boardpack/services/aws-collector/internal/s3"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// sessionName identifies the collector in the tenant's CloudTrail.
const sessionName = "boardpack-aws-collector"

// SDK builds each tenant's clients from the ambient configuration,
// assuming the tenant's role when it names one. Credentials are cached per
// (role, external id) and refreshed by the SDK before they expire.
type SDK struct {
	base aws.Config
	// allowAmbient: a tenant without a role is read with the base
	// credentials, in the hosting account (tenants.Policy.AllowAmbientAWS).
	allowAmbient bool
	mu           sync.Mutex
	// creds caches the assumed-role credentials across passes.
	creds map[string]aws.CredentialsProvider
}

// NewSDK returns the accounts reached from base. allowAmbient lets a tenant
// without a role be read with the base credentials, in the hosting account.
func NewSDK(base aws.Config, allowAmbient bool) *SDK {
	return &SDK{base: base, allowAmbient: allowAmbient, creds: map[string]aws.CredentialsProvider{}}
}

// For returns the tenant's account and the regions to read (the tenant's,
// or the ambient region).
func (s *SDK) For(_ context.Context, t tenants.Tenant) (collector.Account, []string, error) {
	if t.AWS == nil {
		return nil, nil, fmt.Errorf("tenant %s configures no aws", t.ID)
	}
	// Checked again here, not only at apply: a tenant applied before the
	// rules, or under another deployment's policy, must not be read with
	// the collector's own credentials or a guessable external id.
	if t.AWS.RoleARN == "" && !s.allowAmbient {
		return nil, nil, fmt.Errorf("tenant %s: aws.role_arn: none, and this deployment does not read tenants in its own account (%s=true allows it)", t.ID, tenants.EnvAllowAmbientAWS)
	}
	if t.AWS.RoleARN != "" {
		if err := t.AWS.CheckExternalID(t.ID); err != nil {
			return nil, nil, fmt.Errorf("tenant %s: aws.external_id: %w", t.ID, err)
		}
	}
	cfg := s.base.Copy()
	if t.AWS.RoleARN != "" {
		key := t.AWS.RoleARN + "|" + t.AWS.ExternalID
		s.mu.Lock()
		p, ok := s.creds[key]
		if !ok {
			ext := t.AWS.ExternalID
			p = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(s.base), t.AWS.RoleARN,
				func(o *stscreds.AssumeRoleOptions) {
					o.RoleSessionName = sessionName
					if ext != "" {
						o.ExternalID = aws.String(ext)
					}
				}))
			s.creds[key] = p
		}
		s.mu.Unlock()
		cfg.Credentials = p
	}
	regions := t.AWS.Regions
	if len(regions) == 0 {
		regions = []string{s.base.Region}
	}
	return &sdkAccount{cfg: cfg}, regions, nil
}

type sdkAccount struct{ cfg aws.Config }

func (a *sdkAccount) Lambda(region string) lambdapkg.API {
	return lambda.NewFromConfig(a.cfg, func(o *lambda.Options) { o.Region = region })
}

// CloudWatch speaks awsQuery: SDK releases since v1.53.0 default to Smithy
// RPCv2 CBOR, which moto 5.2.1 does not understand; AWS still serves
// awsQuery, so one protocol works everywhere.
func (a *sdkAccount) CloudWatch(region string) metricdata.API {
	return cloudwatch.NewFromConfig(a.cfg, func(o *cloudwatch.Options) {
		o.Region = region
		o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
	})
}

func (a *sdkAccount) Cost() cost.API {
	return costexplorer.NewFromConfig(a.cfg, func(o *costexplorer.Options) { o.Region = observation.GlobalRegion })
}

func (a *sdkAccount) CloudFront() cfpkg.API {
	return cloudfront.NewFromConfig(a.cfg, func(o *cloudfront.Options) { o.Region = observation.GlobalRegion })
}

// S3 uses path-style addressing only against a custom endpoint (moto,
// LocalStack), where <bucket>.127.0.0.1 cannot resolve.
func (a *sdkAccount) S3() s3pkg.API {
	custom := a.cfg.BaseEndpoint != nil || os.Getenv("AWS_ENDPOINT_URL_S3") != ""
	return s3.NewFromConfig(a.cfg, func(o *s3.Options) { o.UsePathStyle = custom })
}

func (a *sdkAccount) Route53() r53pkg.API {
	return route53.NewFromConfig(a.cfg, func(o *route53.Options) { o.Region = observation.GlobalRegion })
}
