package checks

import (
	"github.com/boardpack/boardpack/services/aws-collector/internal/observation"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

var (
	day1 = time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	day2 = day1.AddDate(0, 0, 1)
)

var testChecks = Checks{ErrorRateBP: 500, MinInvocations: 20, TTLMin: 5 * time.Minute, TTLMax: 24 * time.Hour}

func TestSecretVariablesNameButNeverReveal(t *testing.T) {
	env := map[string]string{
		"STRIPE_KEY":            "sk_live_51HxAbCdEfGhIjKlMn",
		"STRIPE_TEST":           "sk_test_51HxAbCdEfGhIjKlMn",
		"HOOK":                  "whsec_abcdefghijklmnop",
		"RESTRICTED":            "rk_live_abcdefgh1234",
		"KEY_ID":                "AKIAIOSFODNN7EXAMPLE",
		"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"SOME_HASH":             "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"TABLE":                 "orders",
		"URL":                   "https://example.com/?q=sk_live",
	}
	got := secretVariables(env)
	want := []string{
		"AWS_SECRET_ACCESS_KEY (AWS secret access key)",
		"HOOK (Stripe webhook secret)",
		"KEY_ID (AWS access key id)",
		"RESTRICTED (Stripe live restricted key)",
		"STRIPE_KEY (Stripe live secret key)",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("secretVariables = %q\nwant %q", got, want)
	}
	f := Findings(observation.Observation{TenantID: "jada", At: day2, Functions: []observation.Function{{Region: "eu-west-1", Name: "api", Env: env}}}, testChecks)
	if len(f) != 1 || f[0].Check != messages.CheckLambdaSecretInEnv || f[0].Severity != messages.SeverityCritical {
		t.Fatalf("findings = %+v", f)
	}
	for _, v := range env {
		if strings.Contains(f[0].Detail, v) || strings.Contains(f[0].Title, v) {
			t.Fatalf("finding reveals a value: %q", f[0].Detail)
		}
	}
}

func checksOf(fs []messages.Finding) map[string]messages.Finding {
	out := map[string]messages.Finding{}
	for _, f := range fs {
		out[f.Check+" "+f.Resource] = f
	}
	return out
}

func TestFindings(t *testing.T) {
	ttl := func(n int64) *int64 { return &n }
	all := map[string]bool{observation.ScopeCloudFront: true, observation.ScopeS3: true, observation.ScopeRoute53: true}
	cases := []struct {
		name string
		obs  observation.Observation
		want []string // check + " " + resource
	}{
		{"nothing wrong", observation.Observation{
			Distributions: []observation.Distribution{{ID: "E1", Domain: "d1.cloudfront.net", Enabled: true, WebACLID: "arn:waf"}},
			Buckets:       []observation.Bucket{{Name: "b", PublicAccessBlock: observation.PABFull}},
			Functions: []observation.Function{{Region: "r", Name: "f", Days: map[time.Time]observation.FunctionDay{
				day1: {Invocations: 100, Errors: 5}}}},
		}, nil},
		{"disabled distribution without waf is fine", observation.Observation{
			Distributions: []observation.Distribution{{ID: "E2", Enabled: false}},
		}, nil},
		{"no waf, partial and missing access block", observation.Observation{
			Distributions: []observation.Distribution{{ID: "E1", Domain: "d1.cloudfront.net", Enabled: true}},
			Buckets:       []observation.Bucket{{Name: "a", PublicAccessBlock: observation.PABNone}, {Name: "b", PublicAccessBlock: observation.PABPartial}},
		}, []string{"cloudfront.no_waf E1", "s3.no_public_access_block a", "s3.no_public_access_block b"}},
		{"error rate above threshold over the window", observation.Observation{
			Functions: []observation.Function{
				{Region: "r", Name: "bad", Days: map[time.Time]observation.FunctionDay{day1: {Invocations: 50, Errors: 2}, day2: {Invocations: 50, Errors: 4}}},
				{Region: "r", Name: "few", Days: map[time.Time]observation.FunctionDay{day1: {Invocations: 10, Errors: 10}}},
				{Region: "r", Name: "nometrics"},
			},
		}, []string{"lambda.error_rate r/bad"}},
		{"route53 hygiene", observation.Observation{
			Covered:       all,
			Distributions: []observation.Distribution{{ID: "E1", Domain: "d1.cloudfront.net", Enabled: true, WebACLID: "w"}},
			Buckets:       []observation.Bucket{{Name: "assets.example.com", PublicAccessBlock: observation.PABFull}},
			Zones: []observation.Zone{{ID: "Z1", Name: "example.com.", Records: []observation.Record{
				{Name: "example.com.", Type: "NS", TTL: ttl(172800), Values: []string{"ns-1.awsdns-00.com."}},
				{Name: "example.com.", Type: "SOA", TTL: ttl(900)},
				{Name: "api.example.com.", Type: "A", TTL: ttl(60), Values: []string{"192.0.2.1"}},
				{Name: "ok.example.com.", Type: "A", TTL: ttl(300), Values: []string{"192.0.2.1"}},
				{Name: "old.example.com.", Type: "TXT", TTL: ttl(604800), Values: []string{`"v"`}},
				{Name: "www.example.com.", Type: "CNAME", TTL: ttl(300), Values: []string{"gone.example.com"}},
				{Name: "cdn.example.com.", Type: "CNAME", TTL: ttl(300), Values: []string{"d1.cloudfront.net"}},
				{Name: "img.example.com.", Type: "CNAME", TTL: ttl(300), Values: []string{"d9.cloudfront.net."}},
				{Name: "files.example.com.", Type: "CNAME", TTL: ttl(300), Values: []string{"lost-bucket.s3.amazonaws.com"}},
				{Name: "assets.example.com.", Type: "A", AliasTarget: "s3-website-us-east-1.amazonaws.com."},
				{Name: "static.example.com.", Type: "A", AliasTarget: "s3-website-us-east-1.amazonaws.com."},
				{Name: "app.example.com.", Type: "A", AliasTarget: "ok.example.com."},
			}}},
		}, []string{
			"route53.ttl_out_of_range Z1/api.example.com/A",
			"route53.ttl_out_of_range Z1/old.example.com/TXT",
			"route53.dangling_target Z1/www.example.com/CNAME",
			"route53.cname_should_be_alias Z1/cdn.example.com/CNAME",
			"route53.dangling_target Z1/img.example.com/CNAME",
			"route53.cname_should_be_alias Z1/img.example.com/CNAME",
			"route53.dangling_target Z1/files.example.com/CNAME",
			"route53.cname_should_be_alias Z1/files.example.com/CNAME",
			"route53.dangling_target Z1/static.example.com/A",
		}},
		{"no cross-account takeover claims when cloudfront or s3 was not read", observation.Observation{
			Covered: map[string]bool{observation.ScopeRoute53: true},
			Zones: []observation.Zone{{ID: "Z1", Name: "example.com.", Records: []observation.Record{
				{Name: "img.example.com.", Type: "A", AliasTarget: "d9.cloudfront.net."},
			}}},
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.obs.TenantID, c.obs.At = "jada", day2
			got := checksOf(Findings(c.obs, testChecks))
			for _, w := range c.want {
				f, ok := got[w]
				if !ok {
					t.Errorf("missing %s", w)
					continue
				}
				if err := f.Validate(); err == nil {
					t.Errorf("%s: valid without an event id", w) // EventID comes from Reconcile
				}
				if f.FindingID != FindingID(f.Check, f.Resource) {
					t.Errorf("%s: unstable finding id", w)
				}
				delete(got, w)
			}
			for k := range got {
				t.Errorf("unexpected %s", k)
			}
		})
	}
}

func TestReconcileOpensChangesAndResolves(t *testing.T) {
	at1 := day2.Add(time.Hour)
	obs := observation.Observation{TenantID: "jada", At: at1,
		Distributions: []observation.Distribution{{ID: "E1", Enabled: true}},
		Buckets:       []observation.Bucket{{Name: "a", PublicAccessBlock: observation.PABNone}},
		Functions:     []observation.Function{{Region: "r", Name: "f", Env: map[string]string{"K": "sk_live_0123456789"}}},
		Covered:       map[string]bool{observation.ScopeCloudFront: true, observation.ScopeS3: true, observation.ScopeLambda("r"): true},
	}
	first := Reconcile(Findings(obs, testChecks), nil, obs.Covered, at1)
	if len(first) != 3 {
		t.Fatalf("first pass published %d, want 3", len(first))
	}
	for _, f := range first {
		if err := f.Validate(); err != nil || f.Status != messages.FindingOpen {
			t.Fatalf("%+v: %v", f, err)
		}
	}

	// Second pass: the same findings are already open; nothing to publish.
	obs.At = at1.Add(time.Hour)
	if again := Reconcile(Findings(obs, testChecks), first, obs.Covered, obs.At); len(again) != 0 {
		t.Fatalf("unchanged findings republished: %+v", again)
	}

	// Third pass: the bucket got its block, the WAF was attached, but the
	// Lambda listing failed: the bucket and distribution findings resolve,
	// the Lambda one stays open (not observed is not fixed).
	at3 := at1.Add(2 * time.Hour)
	obs.At = at3
	obs.Buckets[0].PublicAccessBlock = observation.PABFull
	obs.Distributions[0].WebACLID = "arn:waf"
	obs.Functions = nil
	delete(obs.Covered, observation.ScopeLambda("r"))
	third := Reconcile(Findings(obs, testChecks), first, obs.Covered, at3)
	got := checksOf(third)
	if len(third) != 2 || got["s3.no_public_access_block a"].Status != messages.FindingResolved ||
		got["cloudfront.no_waf E1"].Status != messages.FindingResolved {
		t.Fatalf("third pass = %+v", third)
	}
	open := readmodel.OpenFindings(append(append([]messages.Finding{}, first...), third...))
	if len(open) != 1 || open[0].Check != messages.CheckLambdaSecretInEnv {
		t.Fatalf("open after resolution = %+v", open)
	}
	// The same resolution computed twice has the same event id.
	if again := Reconcile(Findings(obs, testChecks), first, obs.Covered, at3); again[0].EventID != third[0].EventID {
		t.Fatal("resolution ids differ between identical computations")
	}
	// A finding from another source is never resolved by this collector.
	other := first[0]
	other.Source = messages.SourceImport
	if out := Reconcile(nil, []messages.Finding{other}, obs.Covered, at3); len(out) != 0 {
		t.Fatalf("resolved a foreign finding: %+v", out)
	}
}
