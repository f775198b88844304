package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/reportctl/internal/clitest"
)

// TestMain is the package's only TestMain: every verb's tests share it.
func TestMain(m *testing.M) { mototest.Main(m) }

var (
	cli      = clitest.Run
	repoFile = clitest.RepoFile
)

func TestBootstrapThenTenantsApplyAndList(t *testing.T) {
	mototest.Endpoint(t)
	names := mototest.Names(t)
	for range 2 { // bootstrap is idempotent
		if r := cli(t, names, "bootstrap"); r.Code != 0 {
			t.Fatalf("bootstrap: exit %d: %s", r.Code, r.Stderr)
		}
	}
	if r := cli(t, names, "tenants", "apply", "-f", repoFile(t, "deploy/demo/tenants.yaml")); r.Code != 0 {
		t.Fatalf("tenants apply: exit %d: %s", r.Code, r.Stderr)
	}
	r := cli(t, names, "tenants", "list")
	if r.Code != 0 {
		t.Fatalf("tenants list: exit %d: %s", r.Code, r.Stderr)
	}
	for _, id := range []string{"queen-of-san-diego", "jada", "quickdumpnow", "dangerouscentaur"} {
		if !strings.Contains(r.Stdout, id) {
			t.Errorf("tenants list does not show %s:\n%s", id, r.Stdout)
		}
	}
}

func TestTenantsApplyRejectsBadFileAndAppliesNothing(t *testing.T) {
	mototest.Endpoint(t)
	names := mototest.Names(t)
	if r := cli(t, names, "bootstrap"); r.Code != 0 {
		t.Fatalf("bootstrap: %s", r.Stderr)
	}
	bad := filepath.Join(t.TempDir(), "tenants.yaml")
	good, err := os.ReadFile(repoFile(t, "deploy/demo/tenants.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// One broken tenant among good ones: the whole file is refused.
	broken := strings.Replace(string(good), "timezone: Europe/Berlin", "timezone: Europe/Atlantis", 1)
	if err := os.WriteFile(bad, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	r := cli(t, names, "tenants", "apply", "-f", bad)
	if r.Code == 0 || !strings.Contains(r.Stderr, "tenant dangerouscentaur: timezone") || !strings.Contains(r.Stderr, bad) {
		t.Fatalf("apply of a bad file: exit %d, stderr %q; want failure naming file, tenant and field", r.Code, r.Stderr)
	}
	if r := cli(t, names, "tenants", "list"); strings.Contains(r.Stdout, "jada") {
		t.Fatalf("a refused file applied tenants:\n%s", r.Stdout)
	}
}

func TestUsageErrors(t *testing.T) {
	names := resources.Names{Table: "unused"}
	cases := [][]string{
		{"tenants", "apply"}, {"bootstrap", "--max-receive-count", "0"}, {"no-such-verb"}, {"tenants", "list", "extra"},
		{"tenants"}, {"tenants", "nope"}, {"tenants", "list", "--bogus"}, {"tenants", "delete"}, {"version", "extra"},
		{"report", "send", "--tenant", "jada", "--role", "cfo", "--to", "Ann <a@example.com>"},
	}
	for _, args := range cases {
		if r := cli(t, names, args...); r.Code != 2 || r.Stderr == "" {
			t.Errorf("reportctl %v: exit %d stderr %q, want exit 2 with a message", args, r.Code, r.Stderr)
		}
	}
}

// TestSingleDashLongFlags: Go's flag package took -tenant as well as
// --tenant; scripts written for it keep working.
func TestSingleDashLongFlags(t *testing.T) {
	names := resources.Names{Table: "unused"}
	r := cli(t, names, "report", "send", "-tenant", "jada", "-role=nobody")
	if r.Code != 2 || !strings.Contains(r.Stderr, `--role "nobody"`) {
		t.Errorf("-tenant/-role=: exit %d, stderr %q; want the role refused, the flags understood", r.Code, r.Stderr)
	}
	if r := cli(t, names, "tenants", "list", "-bogus"); r.Code != 2 {
		t.Errorf("-bogus: exit %d, want 2", r.Code)
	}
}
