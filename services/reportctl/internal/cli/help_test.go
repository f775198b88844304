package cli_test

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/reportctl/internal/app"
	reportctl "github.com/boardpack/boardpack/services/reportctl/internal/cli"
)

// commands lists every command of the tree but the root, as its words.
func commands(t *testing.T, root *cobra.Command) [][]string {
	t.Helper()
	root.InitDefaultHelpCmd()
	var out [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		for _, s := range c.Commands() {
			p := append(append([]string{}, path...), s.Name())
			out = append(out, p)
			walk(s, p)
		}
	}
	walk(root, nil)
	return out
}

// TestEveryCommandHasHelp runs `COMMAND --help` and `help COMMAND` for
// every command: exit 0, and every flag listed with its description.
func TestEveryCommandHasHelp(t *testing.T) {
	names := resources.Names{Table: "unused"}
	root := reportctl.Root(app.New(strings.NewReader(""), io.Discard, io.Discard), "test")
	seen := map[string]bool{}
	for _, path := range commands(t, root) {
		cmd, _, err := root.Find(path)
		if err != nil {
			t.Fatalf("%v: %v", path, err)
		}
		seen[strings.Join(path, " ")] = true
		for _, args := range [][]string{append(append([]string{}, path...), "--help"), append([]string{"help"}, path...)} {
			r := cli(t, names, args...)
			if r.Code != 0 {
				t.Errorf("reportctl %s: exit %d, stderr %q", strings.Join(args, " "), r.Code, r.Stderr)
				continue
			}
			if !strings.Contains(r.Stdout, "Usage:") {
				t.Errorf("reportctl %s: no usage:\n%s", strings.Join(args, " "), r.Stdout)
			}
			cmd.LocalFlags().VisitAll(func(f *pflag.Flag) {
				if !strings.Contains(r.Stdout, "--"+f.Name) || !strings.Contains(r.Stdout, firstWords(f.Usage)) {
					t.Errorf("reportctl %s does not list --%s with %q:\n%s", strings.Join(args, " "), f.Name, f.Usage, r.Stdout)
				}
			})
		}
	}
	// The verbs users' scripts rely on (deploy/local, README, e2e) exist.
	for _, want := range []string{
		"bootstrap", "tenants apply", "tenants list", "tenants delete", "tenants restore", "tenants export", "tenants diff",
		"report send", "report preview", "report status", "schedules list", "import", "stripe backfill",
		"demo webhooks", "dlq list", "dlq redrive", "wait drained", "outbox", "version", "completion bash",
		"completion zsh", "completion fish",
	} {
		if !seen[want] {
			t.Errorf("no command %q", want)
		}
	}
	if r := cli(t, names, "--help"); r.Code != 0 || !strings.Contains(r.Stdout, "tenants") {
		t.Errorf("reportctl --help: exit %d\n%s", r.Code, r.Stdout)
	}
	if r := cli(t, names); r.Code != 0 || !strings.Contains(r.Stdout, "Available Commands") {
		t.Errorf("reportctl alone: exit %d\n%s", r.Code, r.Stdout)
	}
}

// firstWords is the start of a flag's description (help wraps long ones).
func firstWords(s string) string {
	w := strings.Fields(s)
	return strings.Join(w[:min(3, len(w))], " ")
}

func TestVersion(t *testing.T) {
	names := resources.Names{Table: "unused"}
	r := cli(t, names, "version")
	if r.Code != 0 || strings.TrimSpace(r.Stdout) != "reportctl v0.0.0-test" {
		t.Errorf("version: exit %d, %q", r.Code, r.Stdout)
	}
	if r := cli(t, names, "--version"); r.Code != 0 || !strings.Contains(r.Stdout, "v0.0.0-test") {
		t.Errorf("--version: exit %d, %q", r.Code, r.Stdout)
	}
	if v := reportctl.Version(""); v == "" {
		t.Error("no version from the build info")
	}
	if v := reportctl.Version("v1.2.3"); v != "v1.2.3" {
		t.Errorf("Version(v1.2.3) = %q", v)
	}
}

func TestCompletion(t *testing.T) {
	names := resources.Names{Table: "unused"}
	for shell, marker := range map[string]string{
		"bash": "__start_reportctl",
		"zsh":  "#compdef reportctl",
		"fish": "complete -c reportctl",
	} {
		r := cli(t, names, "completion", shell)
		if r.Code != 0 || !strings.Contains(r.Stdout, marker) {
			t.Errorf("completion %s: exit %d, no %q in %d bytes; stderr %s", shell, r.Code, marker, len(r.Stdout), r.Stderr)
		}
	}
	// The shells ask reportctl itself for flag values.
	r := cli(t, names, "__complete", "report", "send", "--role", "")
	if r.Code != 0 || !strings.Contains(r.Stdout, "cfo") {
		t.Errorf("__complete --role: exit %d\n%s", r.Code, r.Stdout)
	}
	if r := cli(t, names, "completion", "tcsh"); r.Code != 2 {
		t.Errorf("completion tcsh: exit %d, want 2", r.Code)
	}
}

// TestListsAsJSON runs every list and status command with -o json: valid
// JSON, an array, with the documented field names.
func TestListsAsJSON(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	if r := cli(t, env.Names, "tenants", "apply", "-f", repoFile(t, "deploy/demo/tenants.yaml")); r.Code != 0 {
		t.Fatalf("apply: %s", r.Stderr)
	}
	for _, c := range []struct {
		args   []string
		fields []string
		empty  bool
	}{
		{[]string{"tenants", "list"}, []string{"id", "name", "timezone", "currency", "recipients", "schedules"}, false},
		{[]string{"tenants", "list", "--deleted"}, []string{"id", "name"}, false},
		{[]string{"schedules", "list"}, []string{"tenant", "role", "cron", "period", "timezone", "next"}, false},
		{[]string{"report", "status", "--tenant", "jada"}, nil, true},
		{[]string{"dlq", "list"}, []string{"queue", "dlq", "depth", "in_flight"}, false},
		{[]string{"tenants", "diff", "-f", repoFile(t, "deploy/demo/tenants.yaml")}, nil, true},
		{[]string{"outbox", "--endpoint", env.Endpoint}, nil, true},
	} {
		for _, o := range []string{"-o", "--output"} {
			args := append(append([]string{}, c.args...), o, "json")
			r := cli(t, env.Names, args...)
			if r.Code != 0 {
				t.Errorf("%v: exit %d: %s", args, r.Code, r.Stderr)
				continue
			}
			var rows []map[string]any
			if err := json.Unmarshal([]byte(r.Stdout), &rows); err != nil {
				t.Errorf("%v: not a JSON array: %v\n%s", args, err, r.Stdout)
				continue
			}
			if c.empty != (len(rows) == 0) {
				t.Errorf("%v: %d rows, want empty=%v", args, len(rows), c.empty)
				continue
			}
			for _, f := range c.fields {
				if _, ok := rows[0][f]; !ok {
					t.Errorf("%v: no field %q in %v", args, f, rows[0])
				}
			}
		}
	}
	if r := cli(t, env.Names, "tenants", "list", "-o", "yaml"); r.Code != 2 {
		t.Errorf("-o yaml: exit %d, want 2", r.Code)
	}
	if r := cli(t, env.Names, "tenants", "list", "-o", "table"); r.Code != 0 || !strings.HasPrefix(r.Stdout, "ID") {
		t.Errorf("-o table: exit %d\n%s", r.Code, r.Stdout)
	}
}
