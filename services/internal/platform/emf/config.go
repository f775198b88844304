package emf

import (
	"regexp"
	"strings"
	"time"

	"github.com/boardpack/boardpack/services/internal/platform/envconfig"
)

// Config is whether and how a service writes EMF lines, from the
// environment (every service reads the same names):
//
//	BOARDPACK_METRICS_EMF           false      write EMF lines to stdout (set on ECS)
//	BOARDPACK_METRICS_EMF_INTERVAL  60s        how often (CloudWatch's finest standard resolution is 60s)
//	BOARDPACK_METRICS_NAMESPACE     Boardpack  the CloudWatch namespace the alarms read
type Config struct {
	Enabled   bool
	Interval  time.Duration
	Namespace string
}

// DefaultInterval is how often metrics are written unless configured.
const DefaultInterval = 60 * time.Second

// CloudWatch namespaces: letters, digits and . - _ / # : (at most 255),
// and not AWS/ (reserved for AWS's own).
var namespaceRE = regexp.MustCompile(`^[A-Za-z0-9._/#:-]{1,255}$`)

// ConfigFromEnv reads Config, reporting every bad value at once.
func ConfigFromEnv() (Config, error) {
	var r envconfig.Reader
	c := Config{
		Enabled:   r.Bool("BOARDPACK_METRICS_EMF", false),
		Interval:  r.Duration("BOARDPACK_METRICS_EMF_INTERVAL", DefaultInterval),
		Namespace: r.String("BOARDPACK_METRICS_NAMESPACE", Namespace),
	}
	if c.Interval < time.Second {
		r.Fail("BOARDPACK_METRICS_EMF_INTERVAL: %s is under 1s", c.Interval)
	}
	if !namespaceRE.MatchString(c.Namespace) || strings.HasPrefix(c.Namespace, "AWS/") {
		r.Fail("BOARDPACK_METRICS_NAMESPACE: %q is not a CloudWatch namespace (letters, digits, . - _ / # :, at most 255, not AWS/)", c.Namespace)
	}
	return c, r.Err()
}
