package tenants

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
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
type SecretResolver struct {
	SSM interface {
		GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	}
	SecretsManager interface {
		GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	}
	TTL time.Duration
	Now func() time.Time

	mu    sync.Mutex
	cache map[string]cachedSecret
}

type cachedSecret struct {
	value string
	at    time.Time
}

// NewSecretResolver resolves references through SSM and Secrets Manager.
func NewSecretResolver(cfg aws.Config, ttl time.Duration) *SecretResolver {
	return &SecretResolver{SSM: ssm.NewFromConfig(cfg), SecretsManager: secretsmanager.NewFromConfig(cfg), TTL: ttl}
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
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	r.mu.Lock()
	if c, ok := r.cache[ref]; ok && now().Sub(c.at) < r.TTL {
		r.mu.Unlock()
		return c.value, nil
	}
	r.mu.Unlock()

	var v string
	if name, ok := strings.CutPrefix(ref, RefSSM); ok {
		if r.SSM == nil {
			return "", fmt.Errorf("secret %s: no SSM client", ref)
		}
		out, err := r.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
		if err != nil {
			return "", fmt.Errorf("secret %s: %w", ref, err)
		}
		v = aws.ToString(out.Parameter.Value)
	} else {
		id := strings.TrimPrefix(ref, RefSecretsManager)
		if r.SecretsManager == nil {
			return "", fmt.Errorf("secret %s: no Secrets Manager client", ref)
		}
		out, err := r.SecretsManager.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			return "", fmt.Errorf("secret %s: %w", ref, err)
		}
		v = aws.ToString(out.SecretString)
	}
	r.mu.Lock()
	if r.cache == nil {
		r.cache = map[string]cachedSecret{}
	}
	r.cache[ref] = cachedSecret{value: v, at: now()}
	r.mu.Unlock()
	return v, nil
}
