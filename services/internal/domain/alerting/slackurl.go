package alerting

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
)

// SlackHost is where Slack's incoming webhooks live.
const SlackHost = "hooks.slack.com"

// SlackAllowedHostsFromEnv reads BOARDPACK_SLACK_ALLOWED_HOSTS
// (comma-separated hosts also accepted as webhook targets; the local run
// sets 127.0.0.1,localhost so that a local receiver stands in for Slack).
func SlackAllowedHostsFromEnv() []string {
	var hosts []string
	for _, h := range strings.Split(os.Getenv("BOARDPACK_SLACK_ALLOWED_HOSTS"), ",") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// CheckSlackURL accepts https://hooks.slack.com/... and, when its host is
// in allowed, another https host; plain http only for an allowed loopback
// host (127.0.0.1, localhost, ::1). The error never repeats the URL, which
// is a secret.
func CheckSlackURL(raw string, allowed []string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("not a URL")
	}
	host := strings.ToLower(u.Hostname())
	switch {
	case u.User != nil:
		return fmt.Errorf("must not carry credentials")
	case host == SlackHost && u.Scheme == "https" && strings.HasPrefix(u.Path, "/"):
		return nil
	case !slices.Contains(allowed, host):
		return fmt.Errorf("must be https://%s/... (host %q is not in BOARDPACK_SLACK_ALLOWED_HOSTS)", SlackHost, host)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(host):
		return nil
	default:
		return fmt.Errorf("must use https (plain http only for 127.0.0.1 or localhost)")
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
