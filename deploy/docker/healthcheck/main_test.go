package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestProbe(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) }))
	defer srv.Close()
	if err := probe(srv.URL+"/healthz", time.Second); err != nil {
		t.Fatalf("healthy server: %v", err)
	}
	status = http.StatusServiceUnavailable
	if err := probe(srv.URL+"/healthz", time.Second); err == nil {
		t.Fatal("503 passed the probe")
	}
	srv.Close()
	if err := probe(srv.URL+"/healthz", time.Second); err == nil {
		t.Fatal("a closed server passed the probe")
	}
}
