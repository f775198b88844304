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

// KeepAlive starts, when KeepAliveEnv is true, a reverse proxy in front of
// the emulator that keeps client connections alive, for the rest of the
// test or benchmark, and returns its URL (a value for AWS_ENDPOINT_URL),
// or "" when KeepAliveEnv is unset or false. moto answers every request
// with `Connection: close`, so each of a client's requests dials anew;
// AWS keeps connections alive. Behind the proxy the dials to moto are the
// test process's own, so a benchmark that counts its services' CPU counts
// no dial that AWS would not cost. A bad KeepAliveEnv value fails t.
func KeepAlive(t testing.TB) string {
	t.Helper()
	v := os.Getenv(KeepAliveEnv)
	if v == "" {
		return ""
	}
	on, err := strconv.ParseBool(v)
	if err != nil {
		t.Fatalf("%s=%q: want true or false", KeepAliveEnv, v)
	}
	if !on {
		return ""
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
	return srv.URL
}
