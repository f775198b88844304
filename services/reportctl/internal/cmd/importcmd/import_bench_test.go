package importcmd_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/reportctl/internal/app"
	reportctl "github.com/boardpack/boardpack/services/reportctl/internal/cli"
)

// BenchmarkImportExpenses500 imports a 500-row expenses file (validation,
// import log, read-model lookup for removals, publishing to SNS) against
// moto; each iteration is a corrected file, so every row is published.
func BenchmarkImportExpenses500(b *testing.B) {
	mototest.Endpoint(b)
	ie := newImportEnv(b)
	const rows = 500
	events := 0
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		var sb strings.Builder
		sb.WriteString("date,category,vendor,amount,account_code\n")
		for r := range rows {
			fmt.Fprintf(&sb, "2026-10-%02d,Hosting,Vendor %d,%d.%02d,6100\n", r%28+1, r, 100+i, r%100)
		}
		file := writeImportFile(b, "expenses.csv", sb.String())
		b.StartTimer()
		var out, errb bytes.Buffer
		a := app.New(strings.NewReader(""), &out, &errb)
		a.Names = ie.env.Names
		code := reportctl.Run(context.Background(), a, "", []string{"import", "--tenant", "jada", "--kind", "expenses", file})
		a.Close()
		if code != 0 {
			b.Fatalf("import: %s", errb.String())
		}
		b.StopTimer()
		events += len(ie.drain(b))
		b.StartTimer()
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(rows), "rows/op")
}
