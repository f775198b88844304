package tenants

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"

	"github.com/boardpack/boardpack/services/internal/platform/awsjson/secretsmanager"
	"github.com/boardpack/boardpack/services/internal/platform/awsjson/ssm"
)

// Secret reference prefixes. A value without one is a literal secret,
// refused unless the deployment allows literals (Policy.AllowLiteralSecrets,
// for local runs).
const (
	RefEnv            = "env:"
	RefSSM            = "ssm:"
	RefSecretsManager = "secretsmanager:"
)

// schemeLike is what reads as a reference rather than a secret: a URI
// scheme (RFC 3986, plus "_" and blanks, which typos bring) and a colon.
// Stripe's secrets (whsec_..., sk_..., rk_...) have no colon.
var schemeLike = regexp.MustCompile(`^\s*[A-Za-z][A-Za-z0-9+.\-_ ]*:`)

// ErrMistypedReference is a value that looks like a secret reference but
// is not one of env:, ssm:, secretsmanager: (exactly, lower case).
var ErrMistypedReference = errors.New("not a secret reference: the prefixes are env:, ssm: and secretsmanager: (exactly, lower case)")

// IsReference says whether a value is a reference (env:, ssm: or
// secretsmanager:) rather than a literal secret.
func IsReference(ref string) bool {
	return strings.HasPrefix(ref, RefEnv) || strings.HasPrefix(ref, RefSSM) || strings.HasPrefix(ref, RefSecretsManager)
}

// ValidateSecretRef checks the form of a secret or reference. It never
// repeats the value: it may be the secret.
func ValidateSecretRef(ref string) error {
	switch {
	case strings.TrimSpace(ref) == "":
		return errors.New("empty secret")
	case ref == RefEnv, ref == RefSSM, ref == RefSecretsManager:
		return errors.New("reference names nothing")
	case IsReference(ref):
		return nil
	case schemeLike.MatchString(ref):
		prefix := schemeLike.FindString(ref)
		return fmt.Errorf("%q is %w", prefix, ErrMistypedReference)
	}
	return nil
}

// SecretResolver turns secret references into values, caching each for TTL
// so that a rotated secret is picked up without a restart.
//
// A failed lookup is remembered for NegativeTTL, so a broken reference
// costs one AWS call per NegativeTTL however many webhooks name it, and
// concurrent lookups of one reference share one call. When a refresh fails
// for a reason that may pass (throttling, an outage, a timeout), the last
// value read keeps being served for up to MaxStale: an SSM or Secrets
// Manager outage does not stop webhooks. A reference that no longer exists
// or may no longer be read is never served stale: that is how a secret is
// revoked.
type SecretResolver struct {
	SSM interface {
		GetParameter(context.Context, *ssm.GetParameterInput) (*ssm.GetParameterOutput, error)
	}
	SecretsManager interface {
		GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput) (*secretsmanager.GetSecretValueOutput, error)
	}
	TTL time.Duration
	// NegativeTTL is how long a failure is answered from the cache
	// (default DefaultNegativeTTL).
	NegativeTTL time.Duration
	// MaxStale is how long after its last successful read a value is
	// still served when refreshing it fails transiently (default
	// DefaultMaxStale).
	MaxStale time.Duration
	Now      func() time.Time
	// Log, if set, is told when a stale value is served.
	Log *slog.Logger

	mu       sync.Mutex
	cache    map[string]*cachedSecret
	inflight map[string]*lookup
}

// Defaults of SecretResolver's NegativeTTL and MaxStale.
const (
	DefaultNegativeTTL = 30 * time.Second
	DefaultMaxStale    = 24 * time.Hour
)

type cachedSecret struct {
	value string
	at    time.Time // of the last successful read; zero if none
	err   error     // of the last failed read, if after at
	errAt time.Time
}

// lookup is one AWS call that concurrent Resolves of a reference share.
type lookup struct {
	done  chan struct{}
	value string
	err   error
}

// NewSecretResolver resolves references through SSM and Secrets Manager.
// Their clients are package awsjson's, not the SDK's generated service
// packages: those build MiB of schemas and endpoint tables at init, in
// every binary that links them, for the one operation of each the
// resolver calls (P6's idle RSS in BENCHMARKS.md).
func NewSecretResolver(cfg aws.Config, ttl time.Duration) *SecretResolver {
	return &SecretResolver{SSM: ssmGetter(ssm.NewFromConfig(cfg).GetParameter), SecretsManager: secretGetter(secretsmanager.NewFromConfig(cfg).GetSecretValue), TTL: ttl}
}

// ssmGetter and secretGetter are the one operation of each client the
// resolver calls, so that no client is ever stored in an interface (nor in
// a struct that is): a binary that executes templates (the mailer,
// reportctl) keeps every exported method of every type it turns into an
// interface value, because a template may call any method by name. (The
// awsjson clients have one method each; the wrappers keep that so if a
// client grows.)
type ssmGetter func(context.Context, *ssm.GetParameterInput) (*ssm.GetParameterOutput, error)

func (f ssmGetter) GetParameter(ctx context.Context, in *ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
	return f(ctx, in)
}

type secretGetter func(context.Context, *secretsmanager.GetSecretValueInput) (*secretsmanager.GetSecretValueOutput, error)

func (f secretGetter) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput) (*secretsmanager.GetSecretValueOutput, error) {
	return f(ctx, in)
}

// Resolve returns the secret a reference names.
func (r *SecretResolver) Resolve(ctx context.Context, ref string) (string, error) {
	switch {
	case strings.HasPrefix(ref, RefEnv):
		name := strings.TrimPrefix(ref, RefEnv)
		v, ok := os.LookupEnv(name)
		if !ok || v == "" {
			return "", fmt.Errorf("secret %s: environment variable %s is not set", ref, name)
		}
		return v, nil
	case strings.HasPrefix(ref, RefSSM), strings.HasPrefix(ref, RefSecretsManager):
	case schemeLike.MatchString(ref):
		// Never the signing key: a typo of a reference (applied before
		// validation refused it) is no secret.
		return "", fmt.Errorf("secret %q...: %w", schemeLike.FindString(ref), ErrMistypedReference)
	default:
		return ref, nil
	}
	now := r.now()
	r.mu.Lock()
	c := r.cache[ref]
	if c != nil {
		if !c.at.IsZero() && now.Sub(c.at) < r.TTL {
			r.mu.Unlock()
			return c.value, nil
		}
		if c.err != nil && now.Sub(c.errAt) < r.negativeTTL() {
			v, err := r.fallback(ref, c, now)
			r.mu.Unlock()
			return v, err
		}
	}
	l, shared := r.inflight[ref]
	if !shared {
		l = &lookup{done: make(chan struct{})}
		if r.inflight == nil {
			r.inflight = map[string]*lookup{}
		}
		r.inflight[ref] = l
	}
	r.mu.Unlock()
	if shared {
		select {
		case <-l.done:
			return l.value, l.err
		case <-ctx.Done():
			return "", fmt.Errorf("secret %s: %w", ref, ctx.Err())
		}
	}

	// The call is shared: one caller's cancellation must not fail the
	// others (the AWS client's own deadline bounds it).
	v, err := r.fetch(context.WithoutCancel(ctx), ref)
	now = r.now()
	r.mu.Lock()
	if r.cache == nil {
		r.cache = map[string]*cachedSecret{}
	}
	c = r.cache[ref]
	if c == nil {
		c = &cachedSecret{}
		r.cache[ref] = c
	}
	if err == nil {
		c.value, c.at, c.err = v, now, nil
	} else {
		c.err, c.errAt = err, now
		v, err = r.fallback(ref, c, now)
	}
	l.value, l.err = v, err
	delete(r.inflight, ref)
	r.mu.Unlock()
	close(l.done)
	return v, err
}

// fallback answers a reference whose last read failed: the last good
// value while it is at most MaxStale old and the failure may pass, else
// the failure. Called with r.mu held.
func (r *SecretResolver) fallback(ref string, c *cachedSecret, now time.Time) (string, error) {
	if !c.at.IsZero() && now.Sub(c.at) < r.maxStale() && !revoked(c.err) {
		if r.Log != nil {
			r.Log.Warn("secret lookup failed; serving the last value read", "ref", ref, "age", now.Sub(c.at).Round(time.Second).String(), "err", c.err)
		}
		return c.value, nil
	}
	return "", c.err
}

// revoked says whether a lookup failed because the secret is gone or may
// no longer be read, rather than for a reason that passes.
func revoked(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode() {
	case "ParameterNotFound", "ParameterVersionNotFound", "ResourceNotFoundException",
		"AccessDeniedException", "AccessDenied", "InvalidRequestException", "DecryptionFailure", "InvalidKeyId":
		return true
	}
	return false
}

func (r *SecretResolver) fetch(ctx context.Context, ref string) (string, error) {
	if name, ok := strings.CutPrefix(ref, RefSSM); ok {
		if r.SSM == nil {
			return "", fmt.Errorf("secret %s: no SSM client", ref)
		}
		out, err := r.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
		if err != nil {
			return "", fmt.Errorf("secret %s: %w", ref, err)
		}
		return aws.ToString(out.Parameter.Value), nil
	}
	id := strings.TrimPrefix(ref, RefSecretsManager)
	if r.SecretsManager == nil {
		return "", fmt.Errorf("secret %s: no Secrets Manager client", ref)
	}
	out, err := r.SecretsManager.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	if err != nil {
		return "", fmt.Errorf("secret %s: %w", ref, err)
	}
	return aws.ToString(out.SecretString), nil
}

func (r *SecretResolver) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *SecretResolver) negativeTTL() time.Duration {
	if r.NegativeTTL > 0 {
		return r.NegativeTTL
	}
	return DefaultNegativeTTL
}

func (r *SecretResolver) maxStale() time.Duration {
	if r.MaxStale > 0 {
		return r.MaxStale
	}
	return DefaultMaxStale
}
