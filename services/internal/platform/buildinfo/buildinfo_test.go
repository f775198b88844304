package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestResolvePrefersLinkTimeValues(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Version: "v0.0.0-mod"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"}}}
	got := resolve("v1.2.3", "f00d", bi)
	if got.Version != "v1.2.3" || got.Revision != "f00d" || got.GoVersion != "go1.99.1" {
		t.Errorf("link-time values: %+v", got)
	}
	got = resolve("", "", bi)
	if got.Version != "v0.0.0-mod" || got.Revision != "abc123-dirty" {
		t.Errorf("build-info fallback: %+v", got)
	}
	bi.Settings = bi.Settings[:1]
	if got := resolve("", "", bi); got.Revision != "abc123" {
		t.Errorf("clean tree: revision %q", got.Revision)
	}
	got = resolve("", "", nil)
	if got.Version != Unknown || got.Revision != Unknown || got.GoVersion == "" {
		t.Errorf("no build info: %+v", got)
	}
}

func TestServiceName(t *testing.T) {
	t.Cleanup(func() { SetService("") })
	if got := Service(); got != "buildinfo" {
		t.Errorf("fallback service %q, want the test binary's name without .test", got)
	}
	SetService("mailer")
	if got := Service(); got != "mailer" {
		t.Errorf("service %q", got)
	}
}
