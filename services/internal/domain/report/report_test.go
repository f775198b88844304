package report

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
)

var update = flag.Bool("update", false, "rewrite testdata/golden")

var (
	fixtureEnd = time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	fixtureNow = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
)

func TestGoldenPerRole(t *testing.T) {
	tn := testTenant()
	src := fullData(tn.ID, fixtureEnd)
	for _, role := range messages.Roles {
		t.Run(role, func(t *testing.T) {
			r, err := Build(context.Background(), src, tn, monthDue(tn, role, 2026, time.October), fixtureNow)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, role+".html", r.HTML)
			golden(t, role+".txt", "Subject: "+r.Subject+"\n\n"+r.Text)
			for _, img := range r.Images {
				if !strings.Contains(r.HTML, `src="cid:`+img.ContentID+`"`) {
					t.Errorf("image %s is not referenced by the HTML", img.ContentID)
				}
			}
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (review, then go test -update):\n%s", name, firstDiff(string(want), got))
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + itoa(i+1) + ":\n  want: " + x + "\n  got:  " + y
		}
	}
	return ""
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(i)) }

func fmtInt(i int) string { return count(int64(i)) }
