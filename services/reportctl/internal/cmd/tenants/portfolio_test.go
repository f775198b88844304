package tenants_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/tenants"
)

// TestTenantsPortfolios: list (text and JSON), export and diff show the
// demo portfolio; a member's delete is refused naming it; deleting and
// restoring the portfolio works like a tenant's.
func TestTenantsPortfolios(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	r := cli(t, env.Names, "tenants", "apply", "-f", repoFile(t, "deploy/demo/tenants.yaml"))
	if r.Code != 0 || !strings.Contains(r.Stdout, "applied portfolio holding") {
		t.Fatalf("apply: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	r = cli(t, env.Names, "tenants", "list")
	if !strings.Contains(r.Stdout, "PORTFOLIO") || !strings.Contains(r.Stdout, "queen-of-san-diego,jada,quickdumpnow,dangerouscentaur") {
		t.Fatalf("list does not show the portfolio:\n%s", r.Stdout)
	}
	r = cli(t, env.Names, "tenants", "list", "-o", "json")
	var rows []tenants.Row
	if err := json.Unmarshal([]byte(r.Stdout), &rows); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, row := range rows {
		if row.ID == "holding" {
			found = row.Kind == "portfolio" && len(row.Members) == 4 && row.Recipients["ceo"] == 1 && row.Schedules == 5
		} else if row.Kind != "tenant" {
			t.Errorf("row %s kind %q", row.ID, row.Kind)
		}
	}
	if !found {
		t.Fatalf("list -o json has no portfolio holding of 4 members:\n%s", r.Stdout)
	}

	r = cli(t, env.Names, "tenants", "delete", "jada", "--yes")
	if r.Code != 1 || !strings.Contains(r.Stderr, "member of portfolio holding") {
		t.Fatalf("deleting a member: exit %d %s; want a refusal naming the portfolio", r.Code, r.Stderr)
	}

	r = cli(t, env.Names, "tenants", "export")
	if !strings.Contains(r.Stdout, "portfolios:") || !strings.Contains(r.Stdout, "id: holding") {
		t.Fatalf("export has no portfolio:\n%s", r.Stdout)
	}
	// Drop jada from the members: diff names the field; nothing applied.
	edited := strings.Replace(r.Stdout, "      - jada\n", "", 1)
	if edited == r.Stdout {
		t.Fatalf("export lists no member jada:\n%s", r.Stdout)
	}
	file := filepath.Join(t.TempDir(), "t.yaml")
	if err := os.WriteFile(file, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	r = cli(t, env.Names, "tenants", "diff", "-f", file)
	if !strings.Contains(r.Stdout, "~ portfolio holding (changed)") || !strings.Contains(r.Stdout, "members[") {
		t.Fatalf("diff:\n%s%s", r.Stdout, r.Stderr)
	}
	r = cli(t, env.Names, "tenants", "diff", "-f", file, "-o", "json")
	var changes []tenants.Change
	if err := json.Unmarshal([]byte(r.Stdout), &changes); err != nil || len(changes) != 1 || !changes[0].Portfolio || changes[0].ID != "holding" {
		t.Fatalf("diff -o json: %v\n%s", err, r.Stdout)
	}

	if r := cli(t, env.Names, "tenants", "delete", "holding", "--yes", "--purge"); r.Code != 2 {
		t.Fatalf("--purge of a portfolio: exit %d %s", r.Code, r.Stderr)
	}
	if r := cli(t, env.Names, "tenants", "delete", "holding", "--yes"); r.Code != 0 || !strings.Contains(r.Stdout, "deleted portfolio holding") {
		t.Fatalf("delete portfolio: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	if r := cli(t, env.Names, "tenants", "list"); strings.Contains(r.Stdout, "holding") {
		t.Fatalf("list shows the deleted portfolio:\n%s", r.Stdout)
	}
	if r := cli(t, env.Names, "schedules", "list"); strings.Contains(r.Stdout, "holding") {
		t.Fatalf("schedules list shows the deleted portfolio:\n%s", r.Stdout)
	}
	if r := cli(t, env.Names, "tenants", "diff", "-f", repoFile(t, "deploy/demo/tenants.yaml")); !strings.Contains(r.Stdout, "~ portfolio holding (restored)") {
		t.Fatalf("diff after deleting the portfolio:\n%s", r.Stdout)
	}
	if r := cli(t, env.Names, "tenants", "restore", "holding"); r.Code != 0 || !strings.Contains(r.Stdout, "restored portfolio holding") {
		t.Fatalf("restore: exit %d %s", r.Code, r.Stderr)
	}
	// Once no portfolio lists jada, it may be deleted.
	if r := cli(t, env.Names, "tenants", "apply", "-f", file); r.Code != 0 {
		t.Fatalf("apply without jada as a member: %s", r.Stderr)
	}
	if r := cli(t, env.Names, "tenants", "delete", "jada", "--yes"); r.Code != 0 {
		t.Fatalf("delete jada after it left the portfolio: exit %d %s", r.Code, r.Stderr)
	}
}
