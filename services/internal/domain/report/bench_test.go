package report

import (
	"context"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

// BenchmarkBuild is the time to analyse and render one role's email (HTML
// with CSS inlined, text, PNG charts) from a year of daily data from every
// source (about 60,000 facts), read from memory.
//
//	go test -run '^$' -bench BenchmarkBuild -benchtime 20x -count 5 ./services/internal/domain/report
func BenchmarkBuild(b *testing.B) {
	tn := testTenant()
	src := fullData(tn.ID, fixtureEnd)
	b.Logf("%d facts, %d findings", len(src.facts), len(src.findings))
	for _, role := range messages.Roles {
		d := monthDue(tn, role, 2026, time.October)
		b.Run(role, func(b *testing.B) {
			for b.Loop() {
				r, err := Build(context.Background(), src, tn, d, fixtureNow)
				if err != nil || r.HTML == "" {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRender is BenchmarkBuild without reading the facts: the year of
// data is loaded once, then each iteration analyses and renders (HTML with
// CSS inlined, text, PNG charts). Reading is I/O against DynamoDB in
// production and is measured apart (BenchmarkBuild includes it, from
// memory).
//
//	go test -run '^$' -bench BenchmarkRender -benchtime 20x ./services/internal/domain/report
func BenchmarkRender(b *testing.B) {
	tn := testTenant()
	src := fullData(tn.ID, fixtureEnd)
	for _, role := range messages.Roles {
		due := monthDue(tn, role, 2026, time.October)
		a := analysts[role]
		d, err := load(context.Background(), src, tn, due, fixtureNow, a.metrics, a.findings)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(role, func(b *testing.B) {
			for b.Loop() {
				d.split = nil // as fresh as a new report's data
				r, err := Render(a.analyse(d))
				if err != nil || r.HTML == "" {
					b.Fatal(err)
				}
			}
		})
	}
}
