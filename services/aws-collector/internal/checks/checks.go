// Package checks runs the CTO report's checks over an observation (Lambda
// error rates, secrets in function environments, CloudFront without WAF,
// S3 public access, Route53 TTL hygiene and dangling records) and
// reconciles the open findings with those seen before, resolving a finding
// only when its scope was observed completely. Pure: no SDK.
package checks

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/aws-collector/internal/observation"
)

// Checks holds the thresholds of the checks (from the configuration).
type Checks struct {
	// ErrorRateBP is the Lambda error rate above which a function is
	// reported, in basis points (500 = 5 %).
	ErrorRateBP int64
	// MinInvocations is how many invocations the window needs before its
	// error rate means anything.
	MinInvocations int64
	// TTLMin and TTLMax bound acceptable record TTLs.
	TTLMin, TTLMax time.Duration
}

// FindingID is stable per (check, resource).
func FindingID(check, resource string) string { return observation.ID("awsf_", check, resource) }

// secretPatterns recognise values that are credentials. Only the variable
// name of a match is ever reported.
var secretPatterns = []struct {
	kind string
	re   *regexp.Regexp
}{
	{"Stripe live secret key", regexp.MustCompile(`\bsk_live_[0-9A-Za-z]{8,}`)},
	{"Stripe live restricted key", regexp.MustCompile(`\brk_live_[0-9A-Za-z]{8,}`)},
	{"Stripe webhook secret", regexp.MustCompile(`\bwhsec_[0-9A-Za-z+/=]{8,}`)},
	{"AWS access key id", regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`)},
}

// awsSecretKey is an AWS secret access key: 40 base64 characters, only
// reported when the variable's name says it is one (the shape alone
// matches too much).
var awsSecretKey = regexp.MustCompile(`^[0-9A-Za-z/+]{40}$`)

// secretVariables returns "NAME (kind)" for each variable whose value
// looks like a secret, sorted. Values are never part of the result.
func secretVariables(env map[string]string) []string {
	var out []string
	for name, value := range env {
		for _, p := range secretPatterns {
			if p.re.MatchString(value) {
				out = append(out, fmt.Sprintf("%s (%s)", name, p.kind))
				break
			}
		}
		upper := strings.ToUpper(name)
		if strings.Contains(upper, "SECRET") && strings.Contains(upper, "KEY") && awsSecretKey.MatchString(value) {
			out = append(out, fmt.Sprintf("%s (AWS secret access key)", name))
		}
	}
	sort.Strings(out)
	return out
}

// Findings runs every check on the observation and returns the open
// findings, sorted by FindingID (EventID is set by Reconcile).
func Findings(o observation.Observation, c Checks) []messages.Finding {
	var out []messages.Finding
	add := func(check, resource, severity, title, detail string) {
		out = append(out, messages.Finding{
			Header:    messages.Header{TenantID: o.TenantID, OccurredAt: o.At.UTC(), Source: messages.SourceAWS},
			FindingID: FindingID(check, resource), Check: check, Resource: resource,
			Severity: severity, Status: messages.FindingOpen, Title: title, Detail: detail,
		})
	}

	for _, f := range o.Functions {
		res := f.Region + "/" + f.Name
		if vars := secretVariables(f.Env); len(vars) > 0 {
			add(messages.CheckLambdaSecretInEnv, res, messages.SeverityCritical,
				fmt.Sprintf("Lambda %s holds secrets in its environment", f.Name),
				"Variables: "+strings.Join(vars, ", ")+". Move them to Secrets Manager or SSM Parameter Store and rotate them.")
		}
		if f.Days != nil {
			var inv, errs int64
			for _, d := range f.Days {
				inv += d.Invocations
				errs += d.Errors
			}
			if inv > 0 && inv >= c.MinInvocations && errs*10000 > c.ErrorRateBP*inv {
				add(messages.CheckLambdaErrorRate, res, messages.SeverityHigh,
					fmt.Sprintf("Lambda %s fails %s of its invocations", f.Name, percent(errs, inv)),
					fmt.Sprintf("%d errors in %d invocations over %s (threshold %s).",
						errs, inv, windowText(o.Days), percentBP(c.ErrorRateBP)))
			}
		}
	}

	for _, d := range o.Distributions {
		if d.Enabled && d.WebACLID == "" {
			add(messages.CheckCloudFrontNoWAF, d.ID, messages.SeverityHigh,
				fmt.Sprintf("CloudFront distribution %s has no WAF", d.ID),
				fmt.Sprintf("%s serves the public without a web ACL (no rate limiting, no managed rule sets).", d.Domain))
		}
	}

	for _, b := range o.Buckets {
		if b.PublicAccessBlock != observation.PABFull {
			detail := "No public access block is configured on the bucket."
			if b.PublicAccessBlock == observation.PABPartial {
				detail = "The bucket's public access block leaves some of its four settings off."
			}
			add(messages.CheckS3NoPublicAccessBlock, b.Name, messages.SeverityHigh,
				fmt.Sprintf("S3 bucket %s is not fully protected from public access", b.Name), detail)
		}
	}

	dists := map[string]bool{}
	for _, d := range o.Distributions {
		dists[strings.ToLower(strings.TrimSuffix(d.Domain, "."))] = true
	}
	buckets := map[string]bool{}
	for _, b := range o.Buckets {
		buckets[b.Name] = true
	}
	crossCheck := o.Covered[observation.ScopeCloudFront] && o.Covered[observation.ScopeS3]
	for _, z := range o.Zones {
		names := map[string]bool{}
		for _, r := range z.Records {
			names[normName(r.Name)] = true
		}
		zone := normName(z.Name)
		for _, r := range z.Records {
			res := z.ID + "/" + normName(r.Name) + "/" + r.Type
			name := normName(r.Name)
			if r.TTL != nil && !(name == zone && (r.Type == "NS" || r.Type == "SOA")) {
				ttl := time.Duration(*r.TTL) * time.Second
				if ttl < c.TTLMin || ttl > c.TTLMax {
					add(messages.CheckRoute53TTL, res, messages.SeverityLow,
						fmt.Sprintf("%s %s has TTL %ds", name, r.Type, *r.TTL),
						fmt.Sprintf("Outside the accepted range %ds..%ds: too low multiplies resolver queries and cost, too high slows changes and failover.",
							int64(c.TTLMin/time.Second), int64(c.TTLMax/time.Second)))
				}
			}
			targets := r.Values
			if r.Type != "CNAME" {
				targets = nil
			}
			if r.AliasTarget != "" {
				targets = []string{r.AliasTarget}
			}
			for _, t := range targets {
				t = normName(t)
				switch {
				case inZone(t, zone) && !names[t]:
					add(messages.CheckRoute53DanglingTarget, res, messages.SeverityHigh,
						fmt.Sprintf("%s %s points at %s, which has no record", name, r.Type, t),
						"The target does not exist in the same zone: the record resolves to nothing.")
				case crossCheck && strings.HasSuffix(t, ".cloudfront.net") && !dists[t]:
					add(messages.CheckRoute53DanglingTarget, res, messages.SeverityHigh,
						fmt.Sprintf("%s %s points at CloudFront %s, not a distribution of this account", name, r.Type, t),
						"If that distribution was deleted, anyone can claim the name (subdomain takeover).")
				case crossCheck && r.AliasTarget != "" && isS3Website(t) && !buckets[strings.TrimSuffix(name, ".")]:
					add(messages.CheckRoute53DanglingTarget, res, messages.SeverityHigh,
						fmt.Sprintf("%s %s aliases an S3 website, but this account has no bucket %s", name, r.Type, name),
						"Anyone who creates the bucket can serve content on this name (subdomain takeover).")
				case crossCheck && r.AliasTarget == "" && s3Bucket(t) != "" && !buckets[s3Bucket(t)]:
					add(messages.CheckRoute53DanglingTarget, res, messages.SeverityHigh,
						fmt.Sprintf("%s %s points at S3 bucket %s, not a bucket of this account", name, r.Type, s3Bucket(t)),
						"If that bucket was deleted, anyone can claim it and serve content on this name (subdomain takeover).")
				}
				if r.AliasTarget == "" && awsAliasable(t) {
					add(messages.CheckRoute53CNAMEToAWS, res, messages.SeverityInfo,
						fmt.Sprintf("%s CNAME to %s could be an alias", name, t),
						"An alias record to CloudFront, S3 or a load balancer is free, answers at the zone apex and follows the target's addresses.")
				}
			}
		}
	}
	// A record can trigger a check twice (several values): keep one.
	sort.SliceStable(out, func(i, j int) bool { return out[i].FindingID < out[j].FindingID })
	var dedup []messages.Finding
	for _, f := range out {
		if n := len(dedup); n > 0 && dedup[n-1].FindingID == f.FindingID {
			continue
		}
		dedup = append(dedup, f)
	}
	return dedup
}

func normName(s string) string {
	s = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
	// Route53 returns '*' as \052 in names.
	return strings.ReplaceAll(s, `\052`, "*")
}

func inZone(name, zone string) bool { return name == zone || strings.HasSuffix(name, "."+zone) }

func isS3Website(t string) bool {
	return strings.HasPrefix(t, "s3-website") && strings.HasSuffix(t, ".amazonaws.com")
}

// s3Bucket returns the bucket of a virtual-hosted S3 name
// (<bucket>.s3.amazonaws.com, <bucket>.s3-website-<region>.amazonaws.com,
// <bucket>.s3.<region>.amazonaws.com, ...), or "".
func s3Bucket(t string) string {
	if !strings.HasSuffix(t, ".amazonaws.com") {
		return ""
	}
	for _, marker := range []string{".s3.", ".s3-website-", ".s3-website.", ".s3-"} {
		if i := strings.Index(t, marker); i > 0 {
			return t[:i]
		}
	}
	return ""
}

func awsAliasable(t string) bool {
	return strings.HasSuffix(t, ".cloudfront.net") || s3Bucket(t) != "" || strings.HasSuffix(t, ".elb.amazonaws.com")
}

func percent(part, whole int64) string { return percentBP(part * 10000 / whole) }

func percentBP(bp int64) string { return fmt.Sprintf("%d.%02d %%", bp/100, bp%100) }

func windowText(days []time.Time) string {
	if len(days) == 0 {
		return "the collection window"
	}
	return fmt.Sprintf("%s..%s (UTC)", days[0].Format(observation.DayFormat), days[len(days)-1].Format(observation.DayFormat))
}

// findingCovered reports whether the pass observed everything the
// finding's check depends on, so that its absence means it is resolved.
func findingCovered(f messages.Finding, covered map[string]bool) bool {
	region, _, _ := strings.Cut(f.Resource, "/")
	switch f.Check {
	case messages.CheckLambdaSecretInEnv:
		return covered[observation.ScopeLambda(region)]
	case messages.CheckLambdaErrorRate:
		return covered[observation.ScopeLambda(region)] && covered[observation.ScopeLambdaMetrics(region)]
	case messages.CheckCloudFrontNoWAF:
		return covered[observation.ScopeCloudFront]
	case messages.CheckS3NoPublicAccessBlock:
		return covered[observation.ScopeS3]
	case messages.CheckRoute53TTL, messages.CheckRoute53CNAMEToAWS:
		return covered[observation.ScopeRoute53]
	case messages.CheckRoute53DanglingTarget:
		return covered[observation.ScopeRoute53] && covered[observation.ScopeCloudFront] && covered[observation.ScopeS3]
	}
	return false
}

// Reconcile decides which finding observations to publish: a finding that
// is new or changed (severity, title, detail) is published open; a finding
// that was open and is no longer observed is published resolved, but only
// when the pass covered its check. prior is every earlier observation
// known (the read model's and this process's), in any order.
func Reconcile(current, prior []messages.Finding, covered map[string]bool, at time.Time) []messages.Finding {
	latest := map[string]messages.Finding{}
	for _, f := range prior {
		if f.Source != messages.SourceAWS {
			continue
		}
		cur, ok := latest[f.FindingID]
		if !ok || f.OccurredAt.After(cur.OccurredAt) || (f.OccurredAt.Equal(cur.OccurredAt) && f.EventID > cur.EventID) {
			latest[f.FindingID] = f
		}
	}
	var out []messages.Finding
	seen := map[string]bool{}
	for _, f := range current {
		seen[f.FindingID] = true
		if p, ok := latest[f.FindingID]; ok && p.Status == messages.FindingOpen &&
			p.Severity == f.Severity && p.Title == f.Title && p.Detail == f.Detail {
			continue
		}
		out = append(out, withEventID(f))
	}
	for _, id := range slices.Sorted(maps.Keys(latest)) {
		p := latest[id]
		if seen[id] || p.Status != messages.FindingOpen || !findingCovered(p, covered) {
			continue
		}
		r := p
		r.OccurredAt = at.UTC()
		r.Status = messages.FindingResolved
		r.Detail = "No longer observed."
		out = append(out, withEventID(r))
	}
	return out
}

func withEventID(f messages.Finding) messages.Finding {
	f.EventID = observation.ID("awsx_", f.TenantID, f.FindingID, f.Status, f.Severity, f.Title, f.Detail,
		f.OccurredAt.UTC().Format(time.RFC3339Nano))
	return f
}
