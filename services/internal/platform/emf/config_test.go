package emf

import (
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	c, err := ConfigFromEnv()
	if err != nil || c.Enabled || c.Interval != DefaultInterval || c.Namespace != Namespace {
		t.Fatalf("defaults = %+v, %v", c, err)
	}
	t.Setenv("BOARDPACK_METRICS_EMF", "true")
	t.Setenv("BOARDPACK_METRICS_EMF_INTERVAL", "15s")
	t.Setenv("BOARDPACK_METRICS_NAMESPACE", "Boardpack/staging")
	c, err = ConfigFromEnv()
	if err != nil || !c.Enabled || c.Interval != 15*time.Second || c.Namespace != "Boardpack/staging" {
		t.Fatalf("set = %+v, %v", c, err)
	}
	t.Setenv("BOARDPACK_METRICS_EMF", "yes please")
	t.Setenv("BOARDPACK_METRICS_EMF_INTERVAL", "500ms")
	t.Setenv("BOARDPACK_METRICS_NAMESPACE", "AWS/ECS")
	_, err = ConfigFromEnv()
	for _, want := range []string{"BOARDPACK_METRICS_EMF:", "BOARDPACK_METRICS_EMF_INTERVAL:", "BOARDPACK_METRICS_NAMESPACE:"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad values: error %v does not name %s", err, want)
		}
	}
	t.Setenv("BOARDPACK_METRICS_EMF", "")
	t.Setenv("BOARDPACK_METRICS_EMF_INTERVAL", "")
	t.Setenv("BOARDPACK_METRICS_NAMESPACE", "Board pack")
	if _, err := ConfigFromEnv(); err == nil || !strings.Contains(err.Error(), "BOARDPACK_METRICS_NAMESPACE") {
		t.Errorf("a namespace with a space: %v", err)
	}
}
