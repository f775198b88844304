package schedules_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
	"github.com/boardpack/boardpack/services/reportctl/internal/cmd/schedules"
)

const schedulesFile = `tenants:
  - id: west
    name: West
    timezone: America/Los_Angeles
    currency: USD
    stripe: {webhook_secrets: [whsec_x]}
    email: {from: "Reports <reports@example.com>"}
    schedules:
      - {role: ceo, cron: "30 2 * * *", period: interval}
  - id: east
    name: East
    timezone: Europe/Berlin
    currency: EUR
    stripe: {webhook_secrets: [whsec_y]}
    email: {from: "Reports <reports@example.com>"}
    schedules:
      - {role: cfo, cron: "0 8 1 * *", period: previous_month}
`

func TestSchedulesList(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	file := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := os.WriteFile(file, []byte(schedulesFile), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := cli(t, env.Names, "tenants", "apply", "-f", file); r.Code != 0 {
		t.Fatalf("tenants apply: exit %d: %s", r.Code, r.Stderr)
	}
	orig := schedules.Now
	schedules.Now = func() time.Time { return time.Date(2024, 3, 9, 0, 0, 0, 0, time.UTC) }
	defer func() { schedules.Now = orig }()

	r := cli(t, env.Names, "schedules", "list", "--tenant", "west")
	if r.Code != 0 {
		t.Fatalf("schedules list: exit %d: %s", r.Code, r.Stderr)
	}
	// The spring-forward night: 02:30 does not exist on 10 March, the
	// report fires at the change, 03:00 PDT.
	for _, want := range []string{
		"west", "ceo", "30 2 * * *", "interval", "America/Los_Angeles",
		"Sat 2024-03-09 02:30 PST  2024-03-09 10:30Z  2024-03-08 02:30 → 2024-03-09 02:30",
		"Sun 2024-03-10 03:00 PDT  2024-03-10 10:00Z  2024-03-09 02:30 → 2024-03-10 03:00",
		"Mon 2024-03-11 02:30 PDT  2024-03-11 09:30Z  2024-03-10 03:00 → 2024-03-11 02:30",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("schedules list --tenant west lacks %q:\n%s", want, r.Stdout)
		}
	}
	if strings.Contains(r.Stdout, "east") {
		t.Errorf("--tenant west lists another tenant:\n%s", r.Stdout)
	}

	r = cli(t, env.Names, "schedules", "list")
	if r.Code != 0 {
		t.Fatalf("schedules list: exit %d: %s", r.Code, r.Stderr)
	}
	for _, want := range []string{
		// The first firing after the spring change: March covers 743 hours.
		"Mon 2024-04-01 08:00 CEST  2024-04-01 06:00Z  2024-03-01 00:00 → 2024-04-01 00:00",
		"Wed 2024-05-01 08:00 CEST  2024-05-01 06:00Z  2024-04-01 00:00 → 2024-05-01 00:00",
		"Sat 2024-06-01 08:00 CEST  2024-06-01 06:00Z  2024-05-01 00:00 → 2024-06-01 00:00",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("schedules list lacks %q:\n%s", want, r.Stdout)
		}
	}
	if got := strings.Count(r.Stdout, "\n"); got != 7 {
		t.Errorf("schedules list printed %d lines, want a header and 3 per schedule:\n%s", got, r.Stdout)
	}

	if r := cli(t, env.Names, "schedules", "list", "--tenant", "nobody"); r.Code != 1 || !strings.Contains(r.Stderr, `tenant "nobody" not found`) {
		t.Errorf("unknown tenant: exit %d, stderr %q", r.Code, r.Stderr)
	}
	// --now replaces the clock: the firings after 2 March 2025 in Berlin.
	r = cli(t, env.Names, "schedules", "list", "--tenant", "east", "--now", "2025-03-02T00:00:00Z")
	if r.Code != 0 {
		t.Fatalf("schedules list --now: exit %d: %s", r.Code, r.Stderr)
	}
	for _, want := range []string{
		"Tue 2025-04-01 08:00 CEST  2025-04-01 06:00Z",
		"Thu 2025-05-01 08:00 CEST  2025-05-01 06:00Z",
		"Sun 2025-06-01 08:00 CEST  2025-06-01 06:00Z",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("schedules list --now 2025-03-02 lacks %q:\n%s", want, r.Stdout)
		}
	}
	if strings.Contains(r.Stdout, "2024-") {
		t.Errorf("--now 2025-03-02 lists 2024 firings:\n%s", r.Stdout)
	}
	if r := cli(t, env.Names, "schedules", "list", "--now", "next tuesday"); r.Code != 2 || !strings.Contains(r.Stderr, "--now") {
		t.Errorf("bad --now: exit %d, stderr %q; want 2 naming --now", r.Code, r.Stderr)
	}
	if r := cli(t, env.Names, "schedules", "list", "--bogus"); r.Code != 2 {
		t.Errorf("bad flag: exit %d, want 2", r.Code)
	}
}
