package envconfig

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestDeprecatedAliasIsReadAndWarned(t *testing.T) {
	t.Setenv("BOARDPACK_WORKERS", "7")
	r := Reader{Aliases: map[string]string{"BOARDPACK_MAILER_WORKERS": "BOARDPACK_WORKERS"}}
	if got := r.Int("BOARDPACK_MAILER_WORKERS", 2); got != 7 {
		t.Fatalf("Int = %d, want 7 from the deprecated alias", got)
	}
	var buf bytes.Buffer
	r.Log(slog.New(slog.NewTextHandler(&buf, nil)), "mailer")
	out := buf.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "deprecated=BOARDPACK_WORKERS") || !strings.Contains(out, "use=BOARDPACK_MAILER_WORKERS") {
		t.Errorf("log lacks the deprecation warning:\n%s", out)
	}
	if !strings.Contains(out, "BOARDPACK_MAILER_WORKERS=7") {
		t.Errorf("effective configuration should print the new name with the value:\n%s", out)
	}
}

func TestNewNameWinsOverAlias(t *testing.T) {
	t.Setenv("BOARDPACK_HANDLER_TIMEOUT", "5s")
	t.Setenv("BOARDPACK_AGGREGATOR_HANDLER_TIMEOUT", "9s")
	r := Reader{Aliases: map[string]string{"BOARDPACK_AGGREGATOR_HANDLER_TIMEOUT": "BOARDPACK_HANDLER_TIMEOUT"}}
	if got := r.Duration("BOARDPACK_AGGREGATOR_HANDLER_TIMEOUT", time.Second); got != 9*time.Second {
		t.Fatalf("Duration = %s, want the new name's 9s", got)
	}
	if d := r.Deprecated(); len(d) != 1 {
		t.Errorf("Deprecated = %v, want the ignored alias reported", d)
	}
}

func TestBadAliasValueNamesTheSetting(t *testing.T) {
	t.Setenv("BOARDPACK_WORKERS", "many")
	r := Reader{Aliases: map[string]string{"BOARDPACK_MAILER_WORKERS": "BOARDPACK_WORKERS"}}
	r.Int("BOARDPACK_MAILER_WORKERS", 2)
	if err := r.Err(); err == nil || !strings.Contains(err.Error(), "BOARDPACK_MAILER_WORKERS") {
		t.Errorf("Err = %v, want it to name the setting", err)
	}
}

func TestNoAliasNoWarning(t *testing.T) {
	r := Reader{Aliases: map[string]string{"BOARDPACK_MAILER_WORKERS": "BOARDPACK_WORKERS"}}
	if got := r.Int("BOARDPACK_MAILER_WORKERS", 2); got != 2 {
		t.Fatalf("Int = %d, want the default", got)
	}
	if d := r.Deprecated(); len(d) != 0 {
		t.Errorf("Deprecated = %v, want none", d)
	}
}
