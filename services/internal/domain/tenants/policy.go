package tenants

import (
	"os"
	"strconv"
)

// Environment variables with which a deployment allows what a production
// deployment refuses. The local run (make run/up, .run/env, compose) and
// the test harnesses set them; nothing else should.
const (
	// EnvAllowLiteralSecrets allows secrets written into the tenants file
	// instead of env:, ssm: or secretsmanager: references.
	EnvAllowLiteralSecrets = "BOARDPACK_ALLOW_LITERAL_SECRETS"
)

// Policy is what a deployment allows of a tenants file beyond what every
// deployment allows.
type Policy struct {
	// AllowLiteralSecrets: a secret that is no reference is taken as the
	// secret itself.
	AllowLiteralSecrets bool
}

// PolicyFromEnv is the deployment's policy: each allowance only when its
// variable is a true value (true, 1, ...); unset means refused.
func PolicyFromEnv() Policy {
	return Policy{AllowLiteralSecrets: envTrue(EnvAllowLiteralSecrets)}
}

func envTrue(name string) bool {
	v, err := strconv.ParseBool(os.Getenv(name))
	return err == nil && v
}
