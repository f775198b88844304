package awsjson_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	sdksecrets "github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	sdkssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/boardpack/boardpack/services/internal/platform/awsconf"
	"github.com/boardpack/boardpack/services/internal/platform/awsjson/secretsmanager"
	"github.com/boardpack/boardpack/services/internal/platform/awsjson/ssm"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// The clients read what the SDK's clients wrote, through moto over HTTP:
// a SecureString decrypted, a secret's string.
func TestReadsWhatTheSDKWrote(t *testing.T) {
	cfg := mototest.Config(t)
	ctx := context.Background()
	name := "/boardpack/t" + mototest.UniqueID() + "/slack"
	if _, err := sdkssm.NewFromConfig(cfg).PutParameter(ctx, &sdkssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String("https://hooks.slack.com/services/T/B/x"), Type: ssmtypes.ParameterTypeSecureString,
	}); err != nil {
		t.Fatal(err)
	}
	p, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(p.Parameter.Value); got != "https://hooks.slack.com/services/T/B/x" {
		t.Errorf("parameter value %q", got)
	}
	if got := aws.ToString(p.Parameter.Name); got != name {
		t.Errorf("parameter name %q, want %q", got, name)
	}
	if p.Parameter.Type != "SecureString" || p.Parameter.Version != 1 {
		t.Errorf("type %q version %d, want SecureString 1", p.Parameter.Type, p.Parameter.Version)
	}

	secret := "t" + mototest.UniqueID() + "/whsec"
	if _, err := sdksecrets.NewFromConfig(cfg).CreateSecret(ctx, &sdksecrets.CreateSecretInput{
		Name: aws.String(secret), SecretString: aws.String("whsec_from_secrets_manager"),
	}); err != nil {
		t.Fatal(err)
	}
	s, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secret)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(s.SecretString); got != "whsec_from_secrets_manager" {
		t.Errorf("secret string %q", got)
	}
	if got := aws.ToString(s.Name); got != secret {
		t.Errorf("secret name %q, want %q", got, secret)
	}
}

// A missing parameter or secret is the error the SDK's client answers:
// an operation error naming the service and operation, around a response
// error with the status, around the API error's code (what the secret
// resolver's revoked() reads), with the same text but for the request id.
func TestErrorsAreTheSDKs(t *testing.T) {
	cfg := mototest.Config(t)
	ctx := context.Background()
	param := aws.String("/boardpack/none-" + mototest.UniqueID())
	_, ours := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: param})
	_, sdk := sdkssm.NewFromConfig(cfg).GetParameter(ctx, &sdkssm.GetParameterInput{Name: param})
	sameError(t, ours, sdk, "SSM", "GetParameter", "ParameterNotFound")
	secret := aws.String("none-" + mototest.UniqueID())
	_, ours = secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: secret})
	_, sdk = sdksecrets.NewFromConfig(cfg).GetSecretValue(ctx, &sdksecrets.GetSecretValueInput{SecretId: secret})
	sameError(t, ours, sdk, "Secrets Manager", "GetSecretValue", "ResourceNotFoundException")
}

var requestID = regexp.MustCompile(`RequestID: [^,]*,`)

func sameError(t *testing.T, ours, sdk error, service, operation, code string) {
	t.Helper()
	if ours == nil || sdk == nil {
		t.Fatalf("errors %v and %v: want both", ours, sdk)
	}
	if a, b := requestID.ReplaceAllString(ours.Error(), ""), requestID.ReplaceAllString(sdk.Error(), ""); a != b {
		t.Errorf("error\n  %s\nthe SDK's\n  %s", a, b)
	}
	var op *smithy.OperationError
	if !errors.As(ours, &op) || op.ServiceID != service || op.OperationName != operation {
		t.Errorf("error %v: want an operation error of %s %s", ours, service, operation)
	}
	var api smithy.APIError
	if !errors.As(ours, &api) || api.ErrorCode() != code {
		t.Errorf("error %v: want API error code %s", ours, code)
	}
	var resp, sdkResp *awshttp.ResponseError
	if !errors.As(ours, &resp) || !errors.As(sdk, &sdkResp) || resp.HTTPStatusCode() != sdkResp.HTTPStatusCode() || resp.RequestID == "" {
		t.Errorf("error %v: want a response error with the SDK's status and a request id", ours)
	}
}

// flaky answers the first n requests 503 itself, then passes requests on
// to moto, recording each request's signature.
type flaky struct {
	n          int64
	calls      atomic.Int64
	signatures []string
}

func (f *flaky) RoundTrip(r *http.Request) (*http.Response, error) {
	i := f.calls.Add(1)
	f.signatures = append(f.signatures, r.Header.Get("Authorization"))
	if i <= f.n {
		return &http.Response{StatusCode: 503, Status: "503 Service Unavailable", Header: http.Header{},
			Body: io.NopCloser(strings.NewReader(`{"__type":"InternalServerError","message":"try again"}`)), Request: r}, nil
	}
	return http.DefaultTransport.RoundTrip(r)
}

// The configuration's retryer retries a 5xx, each attempt signed and
// counted by awsconf's request counter under the SDK's service id.
func TestRetriesAndCountsEachAttempt(t *testing.T) {
	cfg := mototest.Config(t)
	ctx := context.Background()
	name := "/boardpack/t" + mototest.UniqueID() + "/retried"
	if _, err := sdkssm.NewFromConfig(cfg).PutParameter(ctx, &sdkssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String("v"), Type: ssmtypes.ParameterTypeString,
	}); err != nil {
		t.Fatal(err)
	}
	f := &flaky{n: 2}
	cfg.HTTPClient = &http.Client{Transport: f}
	counter := awsconf.Requests.WithLabelValues("SSM", "GetParameter")
	before := testutil.ToFloat64(counter)
	out, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Parameter.Value) != "v" {
		t.Errorf("value %q after retries", aws.ToString(out.Parameter.Value))
	}
	if got := f.calls.Load(); got != 3 {
		t.Errorf("%d requests, want 3 (two 503s, then the answer)", got)
	}
	if got := testutil.ToFloat64(counter) - before; got != 3 {
		t.Errorf("counted %v requests, want 3", got)
	}
	for i, s := range f.signatures {
		if !strings.HasPrefix(s, "AWS4-HMAC-SHA256 Credential=testing/") || !strings.Contains(s, "/ssm/aws4_request") {
			t.Errorf("attempt %d signed %q", i+1, s)
		}
	}

	// RetryMaxAttempts = 1 (as the resolver's tests set it): no retry.
	f = &flaky{n: 1}
	cfg.HTTPClient = &http.Client{Transport: f}
	cfg.RetryMaxAttempts = 1
	_, err = ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	var api smithy.APIError
	var resp *awshttp.ResponseError
	if !errors.As(err, &api) || api.ErrorCode() != "InternalServerError" || !errors.As(err, &resp) || resp.HTTPStatusCode() != 503 {
		t.Errorf("error %v: want the 503's InternalServerError", err)
	}
	if got := f.calls.Load(); got != 1 {
		t.Errorf("%d requests with RetryMaxAttempts 1", got)
	}
}

// sent records the URL of the one request it is asked to send, and
// answers nothing.
type sent struct{ url string }

var errNotSent = errors.New("not sent (test)")

func (s *sent) Do(r *http.Request) (*http.Response, error) {
	s.url = r.URL.String()
	return nil, errNotSent
}

// Each client sends where the SDK's generated client would, for the
// variables that choose an endpoint.
func TestEndpointIsTheSDKs(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
	}{
		{"regional", map[string]string{"AWS_REGION": "eu-west-1"}},
		{"china", map[string]string{"AWS_REGION": "cn-north-1"}},
		{"fips", map[string]string{"AWS_REGION": "us-east-2", "AWS_USE_FIPS_ENDPOINT": "true"}},
		{"dual stack", map[string]string{"AWS_REGION": "eu-west-1", "AWS_USE_DUALSTACK_ENDPOINT": "true"}},
		{"china dual stack", map[string]string{"AWS_REGION": "cn-northwest-1", "AWS_USE_DUALSTACK_ENDPOINT": "true"}},
		{"gov", map[string]string{"AWS_REGION": "us-gov-west-1"}},
		{"global override", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}},
		{"own overrides", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
			"AWS_ENDPOINT_URL_SSM": "http://127.0.0.1:5001", "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:5002"}},
		{"own only", map[string]string{"AWS_ENDPOINT_URL_SSM": "http://127.0.0.1:5001/x", "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:5002"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SSM", "AWS_ENDPOINT_URL_SECRETS_MANAGER",
				"AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT", "AWS_PROFILE", "AWS_CONFIG_FILE"} {
				t.Setenv(k, "")
			}
			t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
			t.Setenv("AWS_REGION", "us-east-1")
			t.Setenv("AWS_ACCESS_KEY_ID", "testing")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRetryMaxAttempts(1))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			var ours, sdk sent
			cfg.HTTPClient = &ours
			_, _ = ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p")})
			cfg.HTTPClient = &sdk
			_, _ = sdkssm.NewFromConfig(cfg).GetParameter(ctx, &sdkssm.GetParameterInput{Name: aws.String("/p")})
			if ours.url == "" || ours.url != sdk.url {
				t.Errorf("SSM: sent to %q, the SDK to %q", ours.url, sdk.url)
			}
			ours, sdk = sent{}, sent{}
			cfg.HTTPClient = &ours
			_, _ = secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("s")})
			cfg.HTTPClient = &sdk
			_, _ = sdksecrets.NewFromConfig(cfg).GetSecretValue(ctx, &sdksecrets.GetSecretValueInput{SecretId: aws.String("s")})
			if ours.url == "" || ours.url != sdk.url {
				t.Errorf("Secrets Manager: sent to %q, the SDK to %q", ours.url, sdk.url)
			}
		})
	}
}
