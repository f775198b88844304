package report

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// ledger loads a fixture into a readmodel.Memory (the Source with the
// cached carry, as Store), with extra finding observations long before
// the window: f1 first seen two years back, and f9 opened and resolved
// then.
func ledger(t testing.TB, s *memSource, end time.Time) *readmodel.Memory {
	t.Helper()
	ctx := context.Background()
	m := readmodel.NewMemory()
	for _, f := range s.facts {
		if _, err := m.PutFact(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	findings := append([]messages.Finding(nil), s.findings...)
	old := end.AddDate(-2, 0, 0)
	if len(findings) > 0 {
		f1 := findings[0]
		f1.Header.EventID, f1.Header.OccurredAt = "evt_f1_old", old
		findings = append(findings, f1)
		f9 := f1
		f9.FindingID, f9.Title, f9.Header.EventID = "f9", "Resolved long ago", "evt_f9_open"
		findings = append(findings, f9)
		f9.Status, f9.Header.EventID, f9.Header.OccurredAt = messages.FindingResolved, "evt_f9_resolved", old.AddDate(0, 1, 0)
		findings = append(findings, f9)
	}
	for _, f := range findings {
		if _, err := m.PutFinding(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// TestBoundedReportEqualsFullHistory: every role's report read for its
// window (historyStart) is the report read over the whole history, byte
// for byte, for a monthly and a weekly period, with 3 years of history:
// the window covers everything each role looks at, and the carry stands
// for the rest.
func TestBoundedReportEqualsFullHistory(t *testing.T) {
	tn := testTenant()
	m := ledger(t, historyData(tn.ID, fixtureEnd, 3), fixtureEnd)
	week := monthDue(tn, "", 2026, time.October)
	week.PeriodKind = messages.PeriodPreviousWeek
	week.PeriodStart = week.PeriodEnd.AddDate(0, 0, -7)
	defer func() { boundedReads = true }()
	for _, role := range messages.Roles {
		for _, due := range []messages.ReportDue{monthDue(tn, role, 2026, time.October), week} {
			due.Role = role
			boundedReads = false
			want, err := Build(context.Background(), m, tn, due, fixtureNow)
			if err != nil {
				t.Fatal(err)
			}
			boundedReads = true
			for pass := range 2 { // the carry built, then cached
				got, err := Build(context.Background(), m, tn, due, fixtureNow)
				if err != nil {
					t.Fatal(err)
				}
				if got.HTML != want.HTML || got.Text != want.Text {
					t.Fatalf("%s %s pass %d: the bounded report differs from the full-history one\n--- full\n%s\n--- bounded\n%s", role, due.PeriodKind, pass, want.Text, got.Text)
				}
			}
		}
	}
}

// TestReportReadsAreBoundedByItsWindow: a report for a tenant with 5
// years of history reads no more items than one with 1 year.
func TestReportReadsAreBoundedByItsWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 5 years of daily history")
	}
	tn := testTenant()
	read := map[int]map[string]int{}
	for _, years := range []int{1, 5} {
		m := ledger(t, historyData(tn.ID, fixtureEnd, years), fixtureEnd)
		read[years] = map[string]int{}
		for _, role := range messages.Roles {
			d := monthDue(tn, role, 2026, time.October)
			if _, err := Build(context.Background(), m, tn, d, fixtureNow); err != nil { // builds the carry
				t.Fatal(err)
			}
			before := m.ItemsRead()
			if _, err := Build(context.Background(), m, tn, d, fixtureNow); err != nil {
				t.Fatal(err)
			}
			read[years][role] = m.ItemsRead() - before
		}
	}
	for _, role := range messages.Roles {
		if read[5][role] > read[1][role] || read[1][role] == 0 {
			t.Errorf("%s: items read with 1 year %d, with 5 years %d", role, read[1][role], read[5][role])
		}
	}
	t.Logf("items read per report, 1 year %v, 5 years %v", read[1], read[5])
}

// BenchmarkBuildHistory is P4: one role's report build (read + analyse +
// render) from 1 and from 5 years of daily history, read from the
// in-memory ledger with the carry cached, as Store reads it.
//
//	go test -run '^$' -bench BenchmarkBuildHistory -benchtime 20x ./services/internal/domain/report
func BenchmarkBuildHistory(b *testing.B) {
	tn := testTenant()
	for _, years := range []int{1, 5} {
		m := ledger(b, historyData(tn.ID, fixtureEnd, years), fixtureEnd)
		for _, role := range messages.Roles {
			d := monthDue(tn, role, 2026, time.October)
			if _, err := Build(context.Background(), m, tn, d, fixtureNow); err != nil { // builds the carry
				b.Fatal(err)
			}
			b.Run(role+"/"+map[int]string{1: "1y", 5: "5y"}[years], func(b *testing.B) {
				before, cpu := m.ItemsRead(), cpuTime()
				for b.Loop() {
					r, err := Build(context.Background(), m, tn, d, fixtureNow)
					if err != nil || r.HTML == "" {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cpuTime()-cpu)/1e6/float64(b.N), "cpu-ms/op")
				b.ReportMetric(float64(m.ItemsRead()-before)/float64(b.N), "items/op")
			})
		}
	}
}

// BenchmarkRenderHistory is P4's "our CPU once read": BenchmarkBuildHistory
// without the read, each role's window loaded once from 1 and from 5
// years of history, then analysed and rendered per iteration.
//
//	go test -run '^$' -bench BenchmarkRenderHistory -benchtime 20x ./services/internal/domain/report
func BenchmarkRenderHistory(b *testing.B) {
	tn := testTenant()
	for _, years := range []int{1, 5} {
		m := ledger(b, historyData(tn.ID, fixtureEnd, years), fixtureEnd)
		for _, role := range messages.Roles {
			due := monthDue(tn, role, 2026, time.October)
			a := analysts[role]
			d, err := load(context.Background(), m, tn, due, fixtureNow, a.metrics, a.findings)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(role+"/"+map[int]string{1: "1y", 5: "5y"}[years], func(b *testing.B) {
				cpu := cpuTime()
				for b.Loop() {
					d.split = nil // as fresh as a new report's data
					r, err := Render(a.analyse(d))
					if err != nil || r.HTML == "" {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cpuTime()-cpu)/1e6/float64(b.N), "cpu-ms/op")
			})
		}
	}
}

// cpuTime is the process's user + system CPU time so far: on a shared
// machine, CPU per build is steadier than wall time (it includes the
// garbage collector's workers).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
