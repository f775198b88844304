// Package e2e runs the whole system as a user runs it: the real binaries,
// started as processes against moto, driven over HTTP and through
// reportctl.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/boardpack/boardpack/services/internal/infra"
	"github.com/boardpack/boardpack/services/internal/mototest"
)

func TestMain(m *testing.M) { mototest.Main(m) }

var services = []string{"stripe-collector", "aggregator", "scheduler", "mailer"}

// stack is a running Boardpack: binaries, resource names and services.
type stack struct {
	t     testing.TB
	bin   string
	names infra.Names
	urls  map[string]string
	procs map[string]*proc
	env   []string
}

// proc is one service process that a test can kill and start again.
type proc struct {
	t       testing.TB
	name    string
	path    string
	env     []string
	logPath string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *proc) start() {
	p.t.Helper()
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	cmd := exec.Command(p.path)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	p.mu.Lock()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
}

// kill9 kills the process without warning, as a crash would.
func (p *proc) kill9() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

// stop asks the process to shut down gracefully, then kills it.
func (p *proc) stop() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// startStack bootstraps uniquely named resources, applies the demo tenants
// and starts every service on free ports. extraEnv (KEY=VALUE) overrides
// the environment, e.g. to point at a moto of the test's own.
func startStack(t testing.TB, extraEnv ...string) *stack {
	t.Helper()
	mototest.Endpoint(t)
	s := &stack{t: t, bin: build(t), names: mototest.Names(t), urls: map[string]string{}, procs: map[string]*proc{}}
	s.env = append(os.Environ(),
		"BOARDPACK_PREFIX="+s.names.Prefix,
		"BOARDPACK_TABLE="+s.names.Table,
		"BOARDPACK_SES_CONFIGURATION_SET="+s.names.ConfigurationSet,
		"BOARDPACK_LOG_LEVEL=warn",
	)
	s.env = append(s.env, extraEnv...)
	s.reportctl("bootstrap", "--visibility-timeout", "20s", "--max-receive-count", "5")
	s.reportctl("tenants", "apply", "-f", "../../deploy/demo/tenants.yaml")
	logDir := t.TempDir()
	for _, name := range services {
		port, err := mototest.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		p := &proc{t: t, name: name, path: filepath.Join(s.bin, name), logPath: filepath.Join(logDir, name+".log"),
			env: append(append([]string{}, s.env...), "BOARDPACK_HTTP_ADDR="+addr, "BOARDPACK_VISIBILITY_TIMEOUT=20s")}
		p.start()
		s.procs[name] = p
		s.urls[name] = "http://" + addr
		t.Cleanup(func() {
			p.stop()
			if t.Failed() {
				if b, err := os.ReadFile(p.logPath); err == nil {
					t.Logf("%s log:\n%s", name, tail(string(b), 4000))
				}
			}
		})
	}
	for name, url := range s.urls {
		if err := waitHealthy(url+"/healthz", 30*time.Second); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	return s
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

func waitHealthy(url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not healthy after %s: %v", timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// reportctl runs the CLI and fails the test on a non-zero exit.
func (s *stack) reportctl(args ...string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, "reportctl"), args...)
	cmd.Env = s.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		s.t.Fatalf("reportctl %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// postWebhook signs a Stripe event for the tenant and posts it.
func (s *stack) postWebhook(tenant, secret string, event map[string]any) int {
	s.t.Helper()
	code := s.postWebhookCode(tenant, secret, event)
	if code == 0 {
		s.t.Fatal("webhook: no answer")
	}
	return code
}

// postWebhookCode posts like postWebhook and returns 0 when the request
// got no answer at all; safe to call from several goroutines.
func (s *stack) postWebhookCode(tenant, secret string, event map[string]any) int {
	payload, err := json.Marshal(event)
	if err != nil {
		return 0
	}
	req, err := http.NewRequest(http.MethodPost, s.urls["stripe-collector"]+"/webhooks/stripe/"+tenant, bytes.NewReader(payload))
	if err != nil {
		return 0
	}
	req.Header.Set("Stripe-Signature", sign(payload, secret, time.Now()))
	req.Header.Set("Content-Type", "application/json")
	resp, err := webhookClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

var webhookClient = &http.Client{Timeout: 30 * time.Second}

// waitForEmail polls moto's SES until a message matches.
func waitForEmail(t testing.TB, timeout time.Duration, match func(mototest.SESMessage) bool) (mototest.SESMessage, bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, m := range mototest.SentRawEmails(t) {
			if match(m) {
				return m, true
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return mototest.SESMessage{}, false
}

// builtDir holds the binaries, built once per test binary run.
var builtDir string

func build(t testing.TB) string {
	t.Helper()
	if builtDir != "" {
		return builtDir
	}
	dir, err := os.MkdirTemp("", "boardpack-e2e-bin-")
	if err != nil {
		t.Fatal(err)
	}
	pkgs := []string{"github.com/boardpack/boardpack/services/reportctl"}
	for _, s := range services {
		pkgs = append(pkgs, "github.com/boardpack/boardpack/services/"+s)
	}
	cmd := exec.Command("go", append([]string{"build", "-o", dir + "/"}, pkgs...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	builtDir = dir
	return dir
}
