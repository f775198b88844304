package e2e

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/services/e2e/stack"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
)

// TestEveryMinuteOneEmailWithTwoSchedulers is the scheduler's promise in
// real time: a tenant whose schedule is `* * * * *` with period interval
// gets exactly one report due, and one email, per minute while two
// scheduler replicas run, across a restart of one of them. It takes
// minutes, so it runs only when BOARDPACK_SCHEDULER_REALTIME is a duration:
//
//	cd services/e2e && BOARDPACK_SCHEDULER_REALTIME=5m go test -run EveryMinute -v -count=1 .
func TestEveryMinuteOneEmailWithTwoSchedulers(t *testing.T) {
	spec := os.Getenv("BOARDPACK_SCHEDULER_REALTIME")
	if spec == "" {
		t.Skip("set BOARDPACK_SCHEDULER_REALTIME=5m to run two schedulers and the mailer for that long")
	}
	length, err := time.ParseDuration(spec)
	if err != nil || length < 3*time.Minute {
		t.Fatalf("BOARDPACK_SCHEDULER_REALTIME=%q: want a duration of at least 3m", spec)
	}
	s := stack.Start(t, "BOARDPACK_SCHEDULER_TICK=5s", "BOARDPACK_MAILER_WORKERS=1")
	second := s.AddProcess("scheduler-2", "scheduler")
	tenant := "minutely-" + mototest.UniqueID()
	file := filepath.Join(t.TempDir(), "tenants.yaml")
	if err := os.WriteFile(file, []byte(`tenants:
  - id: `+tenant+`
    name: Minutely
    timezone: Europe/Berlin
    currency: EUR
    stripe: {webhook_secrets: [whsec_minutely]}
    email: {from: "Minutely Reports <reports@boardpack.example.com>", bcc_audit: [audit@boardpack.example.com]}
    recipients: {ceo: [ceo@minutely.example.com]}
    schedules: [{role: ceo, cron: "* * * * *", period: interval}]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	s.Reportctl("tenants", "apply", "-f", file)
	start := time.Now()
	restarted := false
	for time.Since(start) < length {
		if !restarted && time.Since(start) > length/2 {
			// Stop one replica just before a minute boundary and start it
			// again just after.
			time.Sleep(time.Until(time.Now().Truncate(time.Minute).Add(time.Minute - 3*time.Second)))
			t.Log("stopping scheduler-2")
			second.Stop()
			time.Sleep(13 * time.Second)
			second.Start()
			restarted = true
			t.Log("scheduler-2 started again")
			continue
		}
		time.Sleep(5 * time.Second)
	}
	end := time.Now()
	time.Sleep(20 * time.Second) // the last minute's email

	perMinute := map[string]int{}
	perReport := map[string]int{}
	for _, m := range mototest.SentRawEmails(t) {
		if !strings.Contains(m.RawData, "ceo@minutely.example.com") || !strings.Contains(header(m.RawData, "To"), "ceo@minutely.example.com") ||
			header(m.RawData, "X-Boardpack-Audit-Copy") != "" {
			continue
		}
		perReport[header(m.RawData, "X-Boardpack-Report")]++
		date, err := time.Parse(time.RFC1123Z, header(m.RawData, "Date"))
		if err != nil {
			t.Fatalf("Date header %q: %v", header(m.RawData, "Date"), err)
		}
		perMinute[date.UTC().Truncate(time.Minute).Format("15:04")]++
	}
	var minutes []string
	for m := range perMinute {
		minutes = append(minutes, m)
	}
	sort.Strings(minutes)
	var line []string
	for _, m := range minutes {
		line = append(line, m+"="+strconv.Itoa(perMinute[m]))
	}
	t.Logf("emails per minute (UTC, by Date header): %s", strings.Join(line, " "))
	for id, n := range perReport {
		if n != 1 {
			t.Errorf("report %s sent %d times", id, n)
		}
	}
	// Firings happened at each whole minute from the tenant's first (it is
	// scheduled from when it was applied) until end.
	want := int(end.Truncate(time.Minute).Sub(start.Truncate(time.Minute)) / time.Minute)
	if got := len(perReport); got < want-1 || got > want {
		t.Errorf("%d distinct reports over %s, want %d (one a minute)", got, end.Sub(start).Round(time.Second), want)
	}
}
