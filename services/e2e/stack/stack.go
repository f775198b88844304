// Package stack runs Boardpack as a user runs it, for end-to-end tests and
// benchmarks: the real binaries, started as processes against moto, driven
// over HTTP and through reportctl, each process killable and restartable.
package stack

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// RepoRoot is the repository's root directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

var Services = []string{"stripe-collector", "aggregator", "scheduler", "mailer", "alerter"}

// Stack is a running Boardpack: binaries, resource names and services.
type Stack struct {
	t     testing.TB
	bin   string
	Names resources.Names
	URLs  map[string]string
	Procs map[string]*Proc
	Env   []string

	logDir string
}

// AddProcess starts one more process of service (a replica) on a free
// port, registered as key in URLs; it is stopped when the test ends.
func (s *Stack) AddProcess(key, service string) *Proc {
	t := s.t
	t.Helper()
	port, err := mototest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p := &Proc{t: t, name: key, path: filepath.Join(s.bin, service), logPath: filepath.Join(s.logDir, key+".log"),
		env: append(append([]string{}, s.Env...), "BOARDPACK_HTTP_ADDR="+addr, "BOARDPACK_MAILER_VISIBILITY_TIMEOUT=20s")}
	p.Start()
	s.URLs[key] = "http://" + addr
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			if b, err := os.ReadFile(p.logPath); err == nil {
				t.Logf("%s log:\n%s", key, tail(string(b), 4000))
			}
		}
	})
	return p
}

// Proc is one service process that a test can kill and start again.
type Proc struct {
	t       testing.TB
	name    string
	path    string
	env     []string
	logPath string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

func (p *Proc) Start() {
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

// Kill9 kills the process without warning, as a crash would.
func (p *Proc) Kill9() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

// Stop asks the process to shut down gracefully, then kills it.
func (p *Proc) Stop() {
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

// Start bootstraps uniquely named resources, applies the demo tenants
// and starts every service on free ports. extraEnv (KEY=VALUE) overrides
// the environment, e.g. to point at a moto of the test's own.
func Start(t testing.TB, extraEnv ...string) *Stack {
	t.Helper()
	return StartWith(t, Options{Names: mototest.Names(t), Bootstrap: true, ExtraEnv: extraEnv})
}

// Options say how StartWith starts the stack.
type Options struct {
	// Names of the resources the services use.
	Names resources.Names
	// Bootstrap creates them with `reportctl bootstrap` first; leave it
	// false when they come from elsewhere (a CloudFormation stack).
	Bootstrap bool
	// ExtraEnv (KEY=VALUE) overrides the services' environment.
	ExtraEnv []string
}

// StartWith applies the demo tenants and starts every service on free
// ports against the resources opts names.
func StartWith(t testing.TB, opts Options) *Stack {
	t.Helper()
	mototest.Endpoint(t)
	s := &Stack{t: t, bin: build(t), Names: opts.Names, URLs: map[string]string{}, Procs: map[string]*Proc{}}
	s.Env = append(os.Environ(),
		"BOARDPACK_PREFIX="+s.Names.Prefix,
		"BOARDPACK_TABLE="+s.Names.Table,
		"BOARDPACK_SES_CONFIGURATION_SET="+s.Names.ConfigurationSet,
		"BOARDPACK_LOG_LEVEL=warn",
		// A local run: the mailer accepts its development unsubscribe key.
		"BOARDPACK_LOCAL=true",
		// The demo tenants hold literal webhook secrets, and are read in
		// the hosting account, as in a local run.
		"BOARDPACK_ALLOW_LITERAL_SECRETS=true",
		"BOARDPACK_ALLOW_AMBIENT_AWS=true",
	)
	s.Env = append(s.Env, opts.ExtraEnv...)
	if opts.Bootstrap {
		s.Reportctl("bootstrap", "--visibility-timeout", "20s", "--max-receive-count", "5")
	}
	s.Reportctl("tenants", "apply", "-f", filepath.Join(RepoRoot(), "deploy/demo/tenants.yaml"))
	s.logDir = t.TempDir()
	for _, name := range Services {
		s.Procs[name] = s.AddProcess(name, name)
	}
	for name, url := range s.URLs {
		if err := WaitHealthy(url+"/healthz", 30*time.Second); err != nil {
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

func WaitHealthy(url string, timeout time.Duration) error {
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

// Reportctl runs the CLI and fails the test on a non-zero exit.
func (s *Stack) Reportctl(args ...string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, "reportctl"), args...)
	cmd.Env = s.Env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		s.t.Fatalf("reportctl %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// PostWebhook signs a Stripe event for the tenant and posts it.
func (s *Stack) PostWebhook(tenant, secret string, event map[string]any) int {
	s.t.Helper()
	code := s.PostWebhookCode(tenant, secret, event)
	if code == 0 {
		s.t.Fatal("webhook: no answer")
	}
	return code
}

// PostWebhookCode posts like PostWebhook and returns 0 when the request
// got no answer at all; safe to call from several goroutines.
func (s *Stack) PostWebhookCode(tenant, secret string, event map[string]any) int {
	payload, err := json.Marshal(event)
	if err != nil {
		return 0
	}
	req, err := http.NewRequest(http.MethodPost, s.URLs["stripe-collector"]+"/webhooks/stripe/"+tenant, bytes.NewReader(payload))
	if err != nil {
		return 0
	}
	req.Header.Set("Stripe-Signature", Sign(payload, secret, time.Now()))
	req.Header.Set("Content-Type", "application/json")
	resp, err := webhookClient.Do(req)
	if err != nil {
		return 0
	}
	// Read to the end, so the connection is reused.
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// webhookClient keeps a connection alive per concurrent sender, as a
// well-behaved HTTP/1.1 client does (the default transport keeps only two
// idle connections per host, so most senders would dial anew for every
// webhook and the collector's CPU would count an accept per event).
var webhookClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}

// WaitForEmail polls moto's SES until a message matches.
func WaitForEmail(t testing.TB, timeout time.Duration, match func(mototest.SESMessage) bool) (mototest.SESMessage, bool) {
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
	for _, s := range Services {
		pkgs = append(pkgs, "github.com/boardpack/boardpack/services/"+s)
	}
	// The binaries live in other modules: build them through the repository's
	// go.work even when the tests themselves run with GOWORK=off.
	work, err := findGoWork()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", append([]string{"build", "-o", dir + "/"}, pkgs...)...)
	cmd.Dir = filepath.Dir(work)
	cmd.Env = append(os.Environ(), "GOWORK="+work)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	builtDir = dir
	return dir
}

// findGoWork walks up from the working directory to the repository's go.work.
func findGoWork() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "go.work")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.work not found above the working directory")
		}
		dir = parent
	}
}

// CPUSeconds is the user+system CPU time the services have used so far.
func (s *Stack) CPUSeconds() float64 {
	total := 0.0
	for _, p := range s.Procs {
		total += p.CPUSeconds()
	}
	return total
}

func (p *Proc) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// CPUSeconds reads utime+stime from /proc/<pid>/stat.
func (p *Proc) CPUSeconds() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.Pid()))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ
}

// RSSMiB reads VmRSS from /proc/<pid>/status.
func (p *Proc) RSSMiB() float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.Pid()))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// AWSRequests sums boardpack_aws_requests_total over every service.
func (s *Stack) AWSRequests() float64 {
	total := 0.0
	for _, n := range s.AWSRequestsBy() {
		total += n
	}
	return total
}

// AWSRequestsBy reads boardpack_aws_requests_total from every service, by
// "process service operation" (e.g. "aggregator SQS ReceiveMessage").
func (s *Stack) AWSRequestsBy() map[string]float64 {
	out := map[string]float64{}
	for name, url := range s.URLs {
		resp, err := http.Get(url + "/metrics")
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line := sc.Text()
			if !strings.HasPrefix(line, "boardpack_aws_requests_total{") {
				continue
			}
			v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			if err != nil {
				continue
			}
			out[name+" "+label(line, "service")+" "+label(line, "operation")] += v
		}
		resp.Body.Close()
	}
	return out
}

// label reads one label's value from a Prometheus text line.
func label(line, name string) string {
	_, rest, ok := strings.Cut(line, name+`="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

// Profile records a CPU profile of the named process for d into file
// (the service must run with BOARDPACK_PPROF=true).
func (s *Stack) Profile(name string, d time.Duration, file string) error {
	resp, err := http.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", s.URLs[name], int(d.Seconds())))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: pprof answered %d (BOARDPACK_PPROF=true?)", name, resp.StatusCode)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

// Sign builds a Stripe-Signature header the way Stripe does (t=..,v1=HMAC),
// written out here so the end-to-end test depends on the wire format, not
// on the library the collector uses.
func Sign(payload []byte, secret string, at time.Time) string {
	ts := fmt.Sprint(at.Unix())
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(payload)))
	return fmt.Sprintf("t=%s,v1=%s", ts, hex.EncodeToString(mac.Sum(nil)))
}

// ChargeEvent is a real charge.succeeded fixture, re-stamped as a fresh
// captured charge of amount cents.
func ChargeEvent(t testing.TB, id string, amount int64, at time.Time) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(RepoRoot(), "deploy/demo/stripe/charge_succeeded.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ev["id"] = "evt_" + id
	ev["created"] = at.Unix()
	obj := ev["data"].(map[string]any)["object"].(map[string]any)
	obj["id"] = "ch_" + id
	obj["created"] = at.Unix()
	obj["amount"] = amount
	obj["amount_captured"] = amount
	obj["captured"] = true
	obj["paid"] = true
	obj["status"] = "succeeded"
	obj["currency"] = "usd"
	return ev
}
