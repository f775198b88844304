package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestConfigDefaultsAndEveryProblemAtOnce(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	t.Setenv("BOARDPACK_LOCAL", "true")
	t.Setenv("BOARDPACK_SLACK_ALLOWED_HOSTS", " 127.0.0.1, LocalHost ")
	c, err := loadConfig(log)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:8085" || c.HandlerTimeout != 20*time.Second || len(c.SlackAllowedHosts) != 2 || c.SlackAllowedHosts[1] != "localhost" {
		t.Fatalf("defaults %+v", c)
	}
	t.Setenv("BOARDPACK_ALERTER_VISIBILITY_TIMEOUT", "20s")
	if c, err := loadConfig(log); err != nil || c.HandlerTimeout >= c.VisibilityTimeout {
		t.Fatalf("handler timeout %s with a 20s visibility timeout: %v", c.HandlerTimeout, err)
	}
	t.Setenv("BOARDPACK_SENDER", "Reports <r@example.com>")
	t.Setenv("BOARDPACK_ALERTER_WORKERS", "0")
	t.Setenv("BOARDPACK_ALERTER_TICK", "10ms")
	t.Setenv("BOARDPACK_ALERTER_RECEIVE_LINGER", "2s")
	t.Setenv("BOARDPACK_LOCAL", "false")
	_, err = loadConfig(log)
	for _, want := range []string{"BOARDPACK_SENDER", "BOARDPACK_ALERTER_WORKERS", "BOARDPACK_ALERTER_TICK", "BOARDPACK_ALERTER_UNSUBSCRIBE_KEY", "BOARDPACK_ALERTER_RECEIVE_LINGER"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}
