package premailer

import (
	"strings"
	"sync"
	"testing"
)

const doc = `<html><head><style>
p { color: red; width: 10px }
.x { color: blue !important }
a:hover { color: green }
@media (max-width: 600px) { p { color: black } }
p:nth-child(( { color: pink }
</style></head><body><p class="x" style="margin:0">one</p><p>two</p><a href="#">l</a></body></html>`

func transform(t *testing.T, d string) string {
	t.Helper()
	p, err := NewPremailerFromString(d, &Options{CssToAttributes: true})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Transform()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCompiledStylesheetIsShared: a document whose stylesheet was compiled
// before (served from the cache, also concurrently) comes out as the first
// did, and a document with another stylesheet is not given the first's.
func TestCompiledStylesheetIsShared(t *testing.T) {
	first := transform(t, doc)
	for _, want := range []string{
		`<p class="x" style="width:10px;color:blue;margin:0" width="10">one</p>`,
		`<p style="color:red;width:10px" width="10">two</p>`,
		"a:hover {\ncolor: green !important\n}",
		"@media (max-width: 600px){\np {\ncolor: black !important\n}\n}",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("output lacks %q:\n%s", want, first)
		}
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if again := transform(t, doc); again != first {
				t.Errorf("from the cache:\n%s\nwant\n%s", again, first)
			}
		}()
	}
	wg.Wait()
	other := transform(t, strings.Replace(doc, "color: red", "color: navy", 1))
	if !strings.Contains(other, `<p style="color:navy;width:10px" width="10">two</p>`) {
		t.Errorf("another stylesheet was served the first's rules:\n%s", other)
	}
}
