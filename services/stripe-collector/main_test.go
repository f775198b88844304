package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// TestServe starts the service as main does and checks its operational
// routes and the webhook route.
func TestServe(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	cfg := config{Names: env.Names, HTTPAddr: "127.0.0.1:0", TenantCacheTTL: time.Second,
		SecretCacheTTL: time.Second, PublishTimeout: 5 * time.Second, ShutdownTimeout: 5 * time.Second}
	go func() { done <- serve(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	base := "http://" + addr
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, want)
		}
	}
	resp, err := http.Post(base+"/webhooks/stripe/nobody", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("unknown tenant = %d, want 404", resp.StatusCode)
	}
	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metricsText, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(metricsText, []byte(`boardpack_stripe_webhooks_rejected_total{reason="unknown_tenant",tenant="unknown"} 1`)) {
		t.Errorf("/metrics lacks the rejection:\n%s", grep(string(metricsText), "boardpack_stripe"))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve returned %v", err)
	}
}

func grep(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return fmt.Sprint(strings.Join(out, "\n"))
}
