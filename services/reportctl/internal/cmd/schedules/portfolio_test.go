package schedules_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/schedules"
)

// TestSchedulesListPortfolios: a portfolio's schedules are listed beside
// the tenants', in the portfolio's time zone, marked as a portfolio's in
// the text (KIND) and in JSON (portfolio: true).
func TestSchedulesListPortfolios(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	file := filepath.Join(t.TempDir(), "tenants.yaml")
	src := schedulesFile + `portfolios:
  - id: group
    name: Group
    timezone: Asia/Tokyo
    members: [west, east]
    email: {from: "Group <board@example.com>"}
    schedules:
      - {role: ceo, cron: "0 9 * * 1", period: previous_week}
`
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := cli(t, env.Names, "tenants", "apply", "-f", file); r.Code != 0 {
		t.Fatalf("tenants apply: exit %d: %s", r.Code, r.Stderr)
	}
	orig := schedules.Now
	schedules.Now = func() time.Time { return time.Date(2024, 3, 9, 0, 0, 0, 0, time.UTC) }
	defer func() { schedules.Now = orig }()

	r := cli(t, env.Names, "schedules", "list")
	if r.Code != 0 {
		t.Fatalf("schedules list: exit %d: %s", r.Code, r.Stderr)
	}
	for _, want := range []string{"KIND", "group   portfolio", "west    tenant", "Mon 2024-03-11 09:00 JST", "2024-03-11 00:00Z  2024-03-04 00:00 → 2024-03-11 00:00"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("schedules list lacks %q:\n%s", want, r.Stdout)
		}
	}
	r = cli(t, env.Names, "schedules", "list", "--portfolio", "group", "-o", "json")
	var rows []schedules.Row
	if err := json.Unmarshal([]byte(r.Stdout), &rows); err != nil {
		t.Fatalf("%v: %s %s", err, r.Stdout, r.Stderr)
	}
	if len(rows) != 1 || !rows[0].Portfolio || rows[0].Tenant != "group" || rows[0].Timezone != "Asia/Tokyo" || len(rows[0].Next) != 3 {
		t.Fatalf("--portfolio group -o json: %+v", rows)
	}
	r = cli(t, env.Names, "schedules", "list", "-o", "json")
	rows = nil
	_ = json.Unmarshal([]byte(r.Stdout), &rows)
	var tenantRows, portfolioRows int
	for _, row := range rows {
		if row.Portfolio {
			portfolioRows++
		} else {
			tenantRows++
		}
	}
	if tenantRows != 2 || portfolioRows != 1 {
		t.Fatalf("-o json: %d tenant rows, %d portfolio rows; want 2 and 1", tenantRows, portfolioRows)
	}
	if r := cli(t, env.Names, "schedules", "list", "--portfolio", "west"); r.Code != 1 || !strings.Contains(r.Stderr, `portfolio "west" not found`) {
		t.Errorf("a tenant as --portfolio: exit %d %s", r.Code, r.Stderr)
	}
	if r := cli(t, env.Names, "schedules", "list", "--portfolio", "group", "--tenant", "west"); r.Code != 2 {
		t.Errorf("--tenant with --portfolio: exit %d", r.Code)
	}
}
