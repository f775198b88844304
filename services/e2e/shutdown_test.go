package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/e2e/stack"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
)

// sesHold is a reverse proxy in front of moto's SES: it holds the first
// SendRawEmail to rcpt until released, then delivers it whatever the
// client has done meanwhile (as SES does with a request it has read), so a
// test can stop the mailer while SES is accepting its email.
type sesHold struct {
	rcpt     string
	held     chan struct{}
	release  chan struct{}
	once     sync.Once
	upstream *url.URL
}

func newSESHold(t *testing.T, moto, rcpt string) (*sesHold, *httptest.Server) {
	u, err := url.Parse(moto)
	if err != nil {
		t.Fatal(err)
	}
	h := &sesHold{rcpt: url.QueryEscape(rcpt), held: make(chan struct{}), release: make(chan struct{}), upstream: u}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { h.Release(); srv.Close() })
	return h, srv
}

func (h *sesHold) Release() {
	select {
	case <-h.release:
	default:
		close(h.release)
	}
}

func (h *sesHold) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	first := false
	if strings.Contains(string(body), "Action=SendRawEmail") && strings.Contains(string(body), h.rcpt) {
		h.once.Do(func() { first = true })
	}
	ctx := r.Context()
	if first {
		close(h.held)
		<-h.release
		// The mailer may have given up on this request; SES has read it
		// and sends the email all the same.
		ctx = context.WithoutCancel(ctx)
	}
	out, err := http.NewRequestWithContext(ctx, r.Method, h.upstream.JoinPath(r.URL.Path).String()+"?"+r.URL.RawQuery, bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// TestSIGTERMDuringSendSendsOnce is security finding 4: a mailer told to
// stop while SES is accepting an email finishes that send and records it,
// so the report is not sent again when the mailer (or another replica)
// picks the message up.
func TestSIGTERMDuringSendSendsOnce(t *testing.T) {
	const tenant, rcpt = "jada", "cfo@jada.example.com"
	moto := mototest.Endpoint(t)
	hold, proxy := newSESHold(t, moto, rcpt)
	s := stack.Start(t, "AWS_ENDPOINT_URL_SES="+proxy.URL, "BOARDPACK_MAILER_WORKERS=1")
	// jada's October, in its time zone (deploy/demo/tenants.yaml).
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, time.October, 1, 0, 0, 0, 0, ny)
	reportID := messages.ReportIDFor(tenant, "cfo", start, start.AddDate(0, 1, 0))
	s.Reportctl("report", "send", "--tenant", tenant, "--role", "cfo", "--period", "2026-10")

	select {
	case <-hold.held:
	case <-time.After(90 * time.Second):
		t.Fatal("the mailer sent no SendRawEmail to the CFO within 90 s")
	}
	mailer := s.Procs["mailer"]
	stopped := make(chan struct{})
	go func() { mailer.Stop(); close(stopped) }()
	// SIGTERM has been delivered; let the shutdown cancel what it cancels
	// before SES answers.
	time.Sleep(time.Second)
	hold.Release()
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("the mailer did not stop within 30 s of SIGTERM")
	}
	mailer.Start()
	if err := stack.WaitHealthy(s.URLs["mailer"]+"/healthz", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	// The restarted mailer would get the message again once its
	// visibility timeout (20 s in the stack) ran out, had it not been
	// acknowledged; drained means no message is left, visible or not.
	s.Reportctl("wait", "drained", "--timeout", "90s")

	var sent int
	for _, m := range mototest.SentRawEmails(t) {
		if slices.Contains(m.Destinations, rcpt) && !strings.Contains(m.RawData, "X-Boardpack-Audit-Copy:") &&
			header(m.RawData, "X-Boardpack-Report") == reportID {
			sent++
		}
	}
	if sent != 1 {
		t.Fatalf("the CFO got %d emails of report %s after a SIGTERM during the send; want exactly 1", sent, reportID)
	}
}
