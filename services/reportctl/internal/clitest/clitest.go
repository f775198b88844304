// Package clitest runs reportctl in-process for tests, as a user would
// from the shell, against the resources a test names.
package clitest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/reportctl/internal/app"
	"github.com/boardpack/boardpack/services/reportctl/internal/cli"
)

// Result is what a run printed and its exit code.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Run runs reportctl with args against names (stdin empty, not a terminal).
func Run(t testing.TB, names resources.Names, args ...string) Result {
	t.Helper()
	return RunStdin(t, names, "", args...)
}

// RunStdin is Run with stdin.
func RunStdin(t testing.TB, names resources.Names, stdin string, args ...string) Result {
	t.Helper()
	return run(t, names, stdin, false, args)
}

// RunTerminal is RunStdin as if stdin and stderr were a terminal (a
// person answering prompts, progress drawn on stderr).
func RunTerminal(t testing.TB, names resources.Names, stdin string, args ...string) Result {
	t.Helper()
	return run(t, names, stdin, true, args)
}

func run(t testing.TB, names resources.Names, stdin string, terminal bool, args []string) Result {
	t.Helper()
	t.Setenv("BOARDPACK_PREFIX", names.Prefix)
	t.Setenv("BOARDPACK_TABLE", names.Table)
	t.Setenv("BOARDPACK_SES_CONFIGURATION_SET", names.ConfigurationSet)
	var out, errb bytes.Buffer
	a := app.New(strings.NewReader(stdin), &out, &errb)
	a.Terminal = terminal
	defer a.Close()
	code := cli.Run(context.Background(), a, "v0.0.0-test", args)
	return Result{Stdout: out.String(), Stderr: errb.String(), Code: code}
}

// RepoFile returns the path of a file in the repository (rel to its root).
func RepoFile(t testing.TB, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("repository root (go.work) not found")
		}
		dir = parent
	}
	p := filepath.Join(dir, rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}
