package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestDevUnsubscribeKeyOnlyInTheLocalRun(t *testing.T) {
	t.Setenv("BOARDPACK_MAILER_UNSUBSCRIBE_KEY", "")
	t.Setenv("BOARDPACK_UNSUBSCRIBE_KEY", "")
	t.Setenv("BOARDPACK_LOCAL", "")
	_, err := loadConfig(quietLog)
	if err == nil || !strings.Contains(err.Error(), "BOARDPACK_MAILER_UNSUBSCRIBE_KEY: must be set") {
		t.Fatalf("loadConfig without a key outside the local run = %v, want a refusal naming the key", err)
	}

	t.Setenv("BOARDPACK_LOCAL", "true")
	if _, err := loadConfig(quietLog); err != nil {
		t.Fatalf("local run with the development key refused: %v", err)
	}

	t.Setenv("BOARDPACK_LOCAL", "")
	t.Setenv("BOARDPACK_MAILER_UNSUBSCRIBE_KEY", "a-real-secret-from-secrets-manager")
	t.Setenv("BOARDPACK_MAILER_VIEW_KEYS", "k2:a-real-view-secret-from-secrets-manager")
	if _, err := loadConfig(quietLog); err != nil {
		t.Fatalf("explicit key refused: %v", err)
	}
}

func TestDeprecatedNamesStillWork(t *testing.T) {
	t.Setenv("BOARDPACK_LOCAL", "true")
	t.Setenv("BOARDPACK_WORKERS", "5")
	t.Setenv("BOARDPACK_VISIBILITY_TIMEOUT", "30s")
	t.Setenv("BOARDPACK_UNSUBSCRIBE_KEY", "old-name-secret-0123456789")
	c, err := loadConfig(quietLog)
	if err != nil {
		t.Fatal(err)
	}
	if c.Workers != 5 || c.VisibilityTimeout.String() != "30s" || c.UnsubscribeKey != "old-name-secret-0123456789" {
		t.Errorf("deprecated names not read: workers %d, visibility %s, key set %v", c.Workers, c.VisibilityTimeout, c.UnsubscribeKey != devUnsubscribeKey)
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	err := Config{Sender: "Reports <r@x.example>", UnsubscribeKey: "short", PublicURL: "ftp://x"}.Validate()
	for _, want := range []string{"BOARDPACK_SENDER", "BOARDPACK_MAILER_UNSUBSCRIBE_KEY", "BOARDPACK_MAILER_VISIBILITY_TIMEOUT", "BOARDPACK_MAILER_WORKERS", "BOARDPACK_MAILER_PUBLIC_URL"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to name %s", err, want)
		}
	}
}

// TestViewKeys: the development view key only in the local run, rotation
// lists parse (the first signs), and a weak, malformed or repeated key is
// refused by name.
func TestViewKeys(t *testing.T) {
	t.Setenv("BOARDPACK_LOCAL", "")
	t.Setenv("BOARDPACK_MAILER_UNSUBSCRIBE_KEY", "a-real-secret-from-secrets-manager")
	t.Setenv("BOARDPACK_MAILER_VIEW_KEYS", "")
	if _, err := loadConfig(quietLog); err == nil || !strings.Contains(err.Error(), "BOARDPACK_MAILER_VIEW_KEYS: must be set") {
		t.Errorf("development view key outside the local run: %v", err)
	}
	t.Setenv("BOARDPACK_MAILER_VIEW_KEYS", "new:0123456789abcdef0123456789abcdef-new, old:0123456789abcdef0123456789abcdef-old")
	c, err := loadConfig(quietLog)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ViewKeys) != 2 || c.ViewKeys[0].ID != "new" || c.ViewKeys[1].ID != "old" || strings.Contains(c.ViewKeys.String(), "0123") {
		t.Errorf("keys = %s", c.ViewKeys)
	}
	t.Setenv("BOARDPACK_MAILER_VIEW_KEYS", `{"k2":"0123456789abcdef0123456789abcdef-new","k1":"0123456789abcdef0123456789abcdef-old"}`)
	if c, err := loadConfig(quietLog); err != nil || len(c.ViewKeys) != 2 || c.ViewKeys[0].ID != "k2" {
		t.Errorf("JSON keys (Secrets Manager): %s, %v", c.ViewKeys, err)
	}
	for _, bad := range []string{`{"k1":1}`, `{}`, `{"k1":"short"}`, "k1:short", "nokid", "k1:0123456789abcdef0123456789abcdef,k1:0123456789abcdef0123456789abcdef", "bad kid:0123456789abcdef0123456789abcdef", "k1:0123456789abcdef0123456789abcdef,"} {
		t.Setenv("BOARDPACK_MAILER_VIEW_KEYS", bad)
		if _, err := loadConfig(quietLog); err == nil || !strings.Contains(err.Error(), "BOARDPACK_MAILER_VIEW_KEYS") {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
}
