package mototest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"testing"
)

// KeepAliveEnv names the benchmarks' switch for KeepAlive.
const KeepAliveEnv = "BOARDPACK_BENCH_MOTO_KEEPALIVE"

// KeepAlive puts, when KeepAliveEnv is true, a reverse proxy that keeps
// client connections alive in front of the emulator, and points
// AWS_ENDPOINT_URL at it for the rest of the test or benchmark (processes
// started afterwards inherit it). moto answers every request with
// `Connection: close`, so each of a client's requests dials anew; AWS
// keeps connections alive. Behind the proxy the dials to moto are the
// test process's own, so a benchmark that counts its services' CPU counts
// no dial that AWS would not cost. It reports whether the proxy is in
// place; a bad KeepAliveEnv value fails t.
func KeepAlive(t testing.TB) bool {
	t.Helper()
	v := os.Getenv(KeepAliveEnv)
	if v == "" {
		return false
	}
	on, err := strconv.ParseBool(v)
	if err != nil {
		t.Fatalf("%s=%q: want true or false", KeepAliveEnv, v)
	}
	if !on {
		return false
	}
	target, err := url.Parse(Endpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host // as signed
		},
		Transport: &http.Transport{MaxIdleConnsPerHost: 64},
		// A client that gave up (a long poll cancelled at shutdown) is
		// not news; the client sees its own error.
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) },
	}
	srv := httptest.NewServer(proxy)
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	return true
}
