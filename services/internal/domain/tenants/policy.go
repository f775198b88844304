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
	// EnvAllowAmbientAWS allows a tenant with an aws section but no
	// role_arn: the AWS collector then reads the hosting account with its
	// own credentials.
	EnvAllowAmbientAWS = "BOARDPACK_ALLOW_AMBIENT_AWS"
)

// Policy is what a deployment allows of a tenants file beyond what every
// deployment allows.
type Policy struct {
	// AllowLiteralSecrets: a secret that is no reference is taken as the
	// secret itself.
	AllowLiteralSecrets bool
	// AllowAmbientAWS: a tenant without aws.role_arn is read with the
	// deployment's own credentials, in the hosting account.
	AllowAmbientAWS bool
}

// PolicyFromEnv is the deployment's policy: each allowance only when its
// variable is a true value (true, 1, ...); unset means refused.
func PolicyFromEnv() Policy {
	return Policy{
		AllowLiteralSecrets: envTrue(EnvAllowLiteralSecrets),
		AllowAmbientAWS:     envTrue(EnvAllowAmbientAWS),
	}
}

func envTrue(name string) bool {
	v, err := strconv.ParseBool(os.Getenv(name))
	return err == nil && v
}
