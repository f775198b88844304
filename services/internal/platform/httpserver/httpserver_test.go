package httpserver

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/services/internal/platform/lifecycle"
)

var quiet = slog.New(slog.DiscardHandler)

// A request in flight when the service stops is answered, not cut.
func TestComponentDrainsInFlightRequests(t *testing.T) {
	s := New("127.0.0.1:0", quiet)
	started := make(chan struct{})
	s.Mux.HandleFunc("GET /slow", func(w http.ResponseWriter, _ *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, "done")
	})
	l, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	r := lifecycle.New(quiet)
	r.Add(s.Component(5 * time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()

	body := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			body <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body <- string(b)
	}()
	<-started
	cancel()
	if got := <-body; got != "done" {
		t.Errorf("in-flight request got %q, want it answered", got)
	}
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

// A taken port fails the start, before later components run.
func TestComponentStartReportsPortConflict(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s := New(l.Addr().String(), quiet)
	ran := false
	r := lifecycle.New(quiet)
	r.Add(s.Component(time.Second))
	r.Add(lifecycle.Component{Name: "router", Run: func(context.Context) error { ran = true; return nil }})
	err = r.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "start http") {
		t.Fatalf("Run = %v, want the listen failure", err)
	}
	if ran {
		t.Error("a later component ran although the HTTP server could not start")
	}
}
