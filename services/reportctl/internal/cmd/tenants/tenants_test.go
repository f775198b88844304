package tenants_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tenantsdomain "github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/reportctl/internal/clitest"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/tenants"
)

func applyDemo(t *testing.T, names resources.Names) {
	t.Helper()
	if r := cli(t, names, "tenants", "apply", "-f", repoFile(t, "deploy/demo/tenants.yaml")); r.Code != 0 {
		t.Fatalf("apply: exit %d: %s", r.Code, r.Stderr)
	}
}

// tenantsOnlyDemo writes the demo tenants file without its portfolios
// (whose members cannot be deleted) and returns its path.
func tenantsOnlyDemo(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(repoFile(t, "deploy/demo/tenants.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	src, _, ok := strings.Cut(string(data), "\nportfolios:")
	if !ok {
		t.Fatal("the demo file has no portfolios: section")
	}
	file := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func applyTenantsOnly(t *testing.T, names resources.Names) string {
	t.Helper()
	file := tenantsOnlyDemo(t)
	if r := cli(t, names, "tenants", "apply", "-f", file); r.Code != 0 {
		t.Fatalf("apply: exit %d: %s", r.Code, r.Stderr)
	}
	return file
}

// TestTenantsExportRoundTrips: export, apply the export elsewhere, export
// again: the same file, and diff against the source shows no change.
func TestTenantsExportRoundTrips(t *testing.T) {
	a := mototest.Bootstrap(t, resources.Spec{})
	applyDemo(t, a.Names)
	first := filepath.Join(t.TempDir(), "export.yaml")
	if r := cli(t, a.Names, "tenants", "export", "-f", first); r.Code != 0 {
		t.Fatalf("export: exit %d: %s", r.Code, r.Stderr)
	}
	if info, err := os.Stat(first); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("export file: %v, mode %v; want 0600 (it may hold secrets)", err, info.Mode())
	}
	if r := cli(t, a.Names, "tenants", "diff", "-f", first); r.Code != 0 || !strings.Contains(r.Stdout, "no changes") {
		t.Fatalf("diff of the export: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	b := mototest.Bootstrap(t, resources.Spec{})
	if r := cli(t, b.Names, "tenants", "apply", "-f", first); r.Code != 0 {
		t.Fatalf("apply of the export: exit %d: %s", r.Code, r.Stderr)
	}
	r := cli(t, b.Names, "tenants", "export")
	want, _ := os.ReadFile(first)
	if r.Code != 0 || r.Stdout != string(want) {
		t.Fatalf("export of the applied export differs:\n%s\nwant:\n%s", r.Stdout, want)
	}
	if r := cli(t, b.Names, "tenants", "diff", "-f", repoFile(t, "deploy/demo/tenants.yaml")); !strings.Contains(r.Stdout, "no changes") {
		t.Fatalf("diff of the source after the round trip:\n%s", r.Stdout)
	}
}

func TestTenantsDiff(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	applyTenantsOnly(t, env.Names)
	// Export, then edit: rename jada, change its first secret, drop
	// quickdumpnow, add a tenant.
	r := cli(t, env.Names, "tenants", "export")
	edited := strings.Replace(r.Stdout, "name: JADA", "name: JADA Inc.", 1)
	if edited == r.Stdout {
		t.Fatalf("export has no `name: JADA`:\n%s", r.Stdout)
	}
	file := filepath.Join(t.TempDir(), "tenants.yaml")
	edited = strings.TrimRight(dropTenant(t, edited, "quickdumpnow"), "\n") + "\n"
	edited += `  - id: newco
    name: NewCo
    timezone: UTC
    currency: USD
    stripe: {webhook_secrets: [whsec_new]}
    email: {from: "NewCo <reports@boardpack.example.com>"}
`
	if err := os.WriteFile(file, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	r = cli(t, env.Names, "tenants", "diff", "-f", file)
	if r.Code != 0 {
		t.Fatalf("diff: exit %d: %s\n%s", r.Code, r.Stderr, edited)
	}
	for _, want := range []string{"+ newco (added)", "~ jada (changed)", "name: JADA → JADA Inc.", "- quickdumpnow (stored, not in the file"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("diff does not show %q:\n%s", want, r.Stdout)
		}
	}
	if strings.Contains(r.Stdout, "queen-of-san-diego") {
		t.Errorf("diff shows an unchanged tenant:\n%s", r.Stdout)
	}
	r = cli(t, env.Names, "tenants", "diff", "-f", file, "-o", "json")
	var changes []tenants.Change
	if err := json.Unmarshal([]byte(r.Stdout), &changes); err != nil || len(changes) != 3 {
		t.Fatalf("diff -o json: %v, %d changes\n%s", err, len(changes), r.Stdout)
	}
	// Nothing was applied.
	if r := cli(t, env.Names, "tenants", "list"); strings.Contains(r.Stdout, "newco") || strings.Contains(r.Stdout, "JADA Inc.") {
		t.Fatalf("diff applied something:\n%s", r.Stdout)
	}
	if r := cli(t, env.Names, "tenants", "diff"); r.Code != 2 {
		t.Errorf("diff without -f: exit %d, want 2", r.Code)
	}
}

// dropTenant removes one tenant's block from an exported file (each
// starts with "  - id: ").
func dropTenant(t *testing.T, file, id string) string {
	t.Helper()
	blocks := strings.Split(file, "\n  - ")
	var kept []string
	for _, b := range blocks {
		if !strings.HasPrefix(b, "id: "+id+"\n") {
			kept = append(kept, b)
		}
	}
	if len(kept) == len(blocks) {
		t.Fatalf("no tenant %s in the file", id)
	}
	return strings.Join(kept, "\n  - ")
}

func TestDiffMasksSecrets(t *testing.T) {
	old := []tenantsdomain.Stored{{Tenant: tenantsdomain.Tenant{ID: "a", Name: "A", Stripe: tenantsdomain.Stripe{WebhookSecrets: []string{"whsec_old"}}}}}
	cur := tenantsdomain.File{Tenants: []tenantsdomain.Tenant{{ID: "a", Name: "A", Stripe: tenantsdomain.Stripe{WebhookSecrets: []string{"whsec_new"}}}}}
	changes := tenants.Diff(old, cur)
	b, _ := json.Marshal(changes)
	if len(changes) != 1 || len(changes[0].Fields) != 1 || changes[0].Fields[0].Field != "stripe.webhook_secrets[0]" {
		t.Fatalf("Diff = %s", b)
	}
	if strings.Contains(string(b), "whsec") {
		t.Fatalf("a secret shows in the diff: %s", b)
	}
}

func TestTenantsDeleteRestorePurge(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	demo := applyTenantsOnly(t, env.Names)

	r := cli(t, env.Names, "tenants", "delete", "jada")
	if r.Code != 2 || !strings.Contains(r.Stderr, "--yes") {
		t.Fatalf("delete without --yes off a terminal: exit %d, stderr %q; want 2 asking for --yes", r.Code, r.Stderr)
	}
	if r := cli(t, env.Names, "tenants", "delete", "nobody", "--yes"); r.Code != 1 || !strings.Contains(r.Stderr, "not found") {
		t.Fatalf("delete nobody: exit %d: %s", r.Code, r.Stderr)
	}
	if r := cli(t, env.Names, "tenants", "delete", "jada", "--yes"); r.Code != 0 || !strings.Contains(r.Stdout, "restore jada") {
		t.Fatalf("delete: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if r := cli(t, env.Names, "tenants", "list"); strings.Contains(r.Stdout, "jada") {
		t.Fatalf("list shows the deleted tenant:\n%s", r.Stdout)
	}
	if r := cli(t, env.Names, "tenants", "list", "--deleted"); !strings.Contains(r.Stdout, "jada") || !strings.Contains(r.Stdout, "DELETED") {
		t.Fatalf("list --deleted does not show it:\n%s", r.Stdout)
	}
	if r := cli(t, env.Names, "schedules", "list"); strings.Contains(r.Stdout, "jada") {
		t.Fatalf("schedules list shows the deleted tenant's schedules:\n%s", r.Stdout)
	}
	if r := cli(t, env.Names, "report", "send", "--tenant", "jada", "--role", "cfo"); r.Code != 1 || !strings.Contains(r.Stderr, "deleted") {
		t.Fatalf("report send for a deleted tenant: exit %d: %s", r.Code, r.Stderr)
	}
	if r := cli(t, env.Names, "tenants", "export"); strings.Contains(r.Stdout, "id: jada") {
		t.Fatalf("export has the deleted tenant")
	}
	if r := cli(t, env.Names, "tenants", "diff", "-f", demo); !strings.Contains(r.Stdout, "~ jada (restored)") {
		t.Fatalf("diff does not say apply would restore the deleted tenant:\n%s", r.Stdout)
	}
	if r := cli(t, env.Names, "tenants", "restore", "jada"); r.Code != 0 {
		t.Fatalf("restore: exit %d: %s", r.Code, r.Stderr)
	}
	if r := cli(t, env.Names, "tenants", "list"); !strings.Contains(r.Stdout, "jada") {
		t.Fatalf("restored tenant not listed:\n%s", r.Stdout)
	}
	if r := cli(t, env.Names, "tenants", "delete", "jada", "--yes", "--purge"); r.Code != 0 || !strings.Contains(r.Stdout, "purged tenant jada") {
		t.Fatalf("delete --purge: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if r := cli(t, env.Names, "tenants", "list", "--deleted"); strings.Contains(r.Stdout, "jada") {
		t.Fatalf("a purged tenant is still stored:\n%s", r.Stdout)
	}
	if r := cli(t, env.Names, "tenants", "restore", "jada"); r.Code != 1 || !strings.Contains(r.Stderr, "apply it again") {
		t.Fatalf("restore after purge: exit %d: %s", r.Code, r.Stderr)
	}
	applyTenantsOnly(t, env.Names) // a purged tenant comes back only by applying it
	if r := cli(t, env.Names, "tenants", "list"); !strings.Contains(r.Stdout, "jada") {
		t.Fatalf("re-applied tenant not listed:\n%s", r.Stdout)
	}
}

// TestTenantsDeleteAsksOnATerminal: on a terminal, delete asks; anything
// but yes leaves the tenant alone.
func TestTenantsDeleteAsksOnATerminal(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	applyTenantsOnly(t, env.Names)
	r := clitest.RunTerminal(t, env.Names, "no\n", "tenants", "delete", "jada")
	if r.Code != 1 || !strings.Contains(r.Stderr, "Type yes to confirm") || !strings.Contains(r.Stderr, "not confirmed") {
		t.Fatalf("answered no: exit %d, stderr %q", r.Code, r.Stderr)
	}
	if r := cli(t, env.Names, "tenants", "list"); !strings.Contains(r.Stdout, "jada") {
		t.Fatal("a refused delete deleted the tenant")
	}
	if r := clitest.RunTerminal(t, env.Names, "yes\n", "tenants", "delete", "jada"); r.Code != 0 || !strings.Contains(r.Stdout, "deleted tenant jada") {
		t.Fatalf("answered yes: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
}
