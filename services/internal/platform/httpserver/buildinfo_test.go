package httpserver

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/boardpack/boardpack/services/internal/platform/buildinfo"
)

// /metrics names the service and the Go version it was built with.
func TestMetricsServeBuildInfo(t *testing.T) {
	buildinfo.SetService("aggregator")
	t.Cleanup(func() { buildinfo.SetService("") })
	s := New("127.0.0.1:0", quiet)
	ts := httptest.NewServer(s.Mux)
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "build_info{") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("build_info series: %q, want one", lines)
	}
	l := lines[0]
	for _, want := range []string{`service="aggregator"`, `goversion="` + runtime.Version() + `"`, `version="`, `revision="`} {
		if !strings.Contains(l, want) {
			t.Errorf("build_info %q lacks %s", l, want)
		}
	}
	if !strings.HasSuffix(l, "} 1") {
		t.Errorf("build_info %q is not 1", l)
	}
	if strings.Contains(l, `version=""`) || strings.Contains(l, `revision=""`) {
		t.Errorf("build_info %q has an empty label", l)
	}
}
