// Package mototest runs integration tests against moto, the AWS emulator,
// over HTTP exactly as production talks to AWS.
//
// A package's TestMain calls Main. It uses AWS_ENDPOINT_URL when set (make
// test starts one moto for the whole run), and otherwise starts moto_server
// on a free loopback port for the package and stops it afterwards. Under
// `go test -short` no emulator is started and integration tests skip.
// Tests isolate themselves with unique resource names (Names), not resets,
// so packages can share one moto and run in parallel.
package mototest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/boardpack/boardpack/services/internal/platform/awsconf"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// Main runs the package's tests with an emulator available.
func Main(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	// The tests apply tenants with literal webhook secrets, and tenants read
	// in the (moto) hosting account, as the local run does; a deployment
	// refuses both (tenants.Policy). Tests of the refusal set the variables
	// themselves.
	setDefault("BOARDPACK_ALLOW_LITERAL_SECRETS", "true")
	setDefault("BOARDPACK_ALLOW_AMBIENT_AWS", "true")
	if testing.Short() {
		return m.Run()
	}
	setDefault("AWS_ACCESS_KEY_ID", "testing")
	setDefault("AWS_SECRET_ACCESS_KEY", "testing")
	setDefault("AWS_REGION", "us-east-1")
	if os.Getenv("AWS_ENDPOINT_URL") != "" {
		return m.Run()
	}
	endpoint, stop, err := StartMoto()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mototest:", err)
		return 1
	}
	defer stop()
	os.Setenv("AWS_ENDPOINT_URL", endpoint)
	return m.Run()
}

func setDefault(k, v string) {
	if os.Getenv(k) == "" {
		os.Setenv(k, v)
	}
}

// StartMoto starts moto_server on a free loopback port and waits until it
// answers. stop kills it.
func StartMoto() (endpoint string, stop func(), err error) {
	m, err := StartMotoProcess()
	if err != nil {
		return "", nil, err
	}
	return m.Endpoint, m.Stop, nil
}

// Moto is a moto_server process this test run owns, so that fault tests
// can pause it (an unreachable AWS) and resume it with its state intact.
type Moto struct {
	Endpoint string
	cmd      *exec.Cmd
}

// StartMotoProcess starts a moto_server of its own on a free port.
func StartMotoProcess() (*Moto, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("moto_server not found on PATH (pip install 'moto[server]'): %w", err)
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	m := &Moto{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd}
	if err := WaitReady(m.Endpoint, 60*time.Second); err != nil {
		m.Stop()
		return nil, err
	}
	return m, nil
}

// Pause freezes the emulator (SIGSTOP): connections are accepted by the
// kernel but nothing answers, as when AWS is unreachable.
func (m *Moto) Pause() error { return syscall.Kill(-m.cmd.Process.Pid, syscall.SIGSTOP) }

// Resume lets a paused emulator go on, with all its state.
func (m *Moto) Resume() error { return syscall.Kill(-m.cmd.Process.Pid, syscall.SIGCONT) }

// Stop kills the emulator.
func (m *Moto) Stop() {
	_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGCONT)
	_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	_ = m.cmd.Wait()
}

// WaitReady polls moto until it answers or the timeout passes.
func WaitReady(endpoint string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		resp, err := http.Get(endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("moto at %s not ready after %s: %w", endpoint, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// FreePort asks the kernel for a free loopback port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Endpoint returns the emulator's URL, skipping the test under -short.
func Endpoint(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs moto (skipped under -short)")
	}
	ep := os.Getenv("AWS_ENDPOINT_URL")
	if ep == "" {
		t.Fatal("AWS_ENDPOINT_URL is not set: call mototest.Main from TestMain")
	}
	return ep
}

// Config returns an SDK configuration pointed at the emulator.
func Config(t testing.TB) aws.Config {
	t.Helper()
	Endpoint(t)
	cfg, err := awsconf.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Names returns resource names unique to this test.
func Names(t testing.TB) resources.Names {
	t.Helper()
	id := UniqueID()
	return resources.Names{Prefix: "t" + id + "-", Table: "t" + id + "-boardpack", ConfigurationSet: "t" + id + "-boardpack"}
}

// UniqueID returns 8 random hex characters.
func UniqueID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Env is what a test needs to run a service against bootstrapped resources.
type Env struct {
	AWS      aws.Config
	Names    resources.Names
	Account  resources.Account
	Resource resources.Result
	Endpoint string
}

// Bootstrap creates a fresh, uniquely named set of resources for one test.
func Bootstrap(t testing.TB, spec resources.Spec) Env {
	t.Helper()
	cfg := Config(t)
	if spec.Names.Table == "" {
		spec.Names = Names(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := resources.Bootstrap(ctx, cfg, spec)
	if err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	acct, err := resources.ResolveAccount(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return Env{AWS: cfg, Names: spec.Names, Account: acct, Resource: res, Endpoint: Endpoint(t)}
}

// SESMessage is one message moto recorded as sent.
type SESMessage struct {
	ID           string   `json:"id"`
	Source       string   `json:"source"`
	Destinations []string `json:"destinations"`
	RawData      string   `json:"raw_data"`
	Region       string   `json:"region"`
}

// SentRawEmails reads what moto's SES recorded (GET /moto-api/data.json).
func SentRawEmails(t testing.TB) []SESMessage {
	t.Helper()
	msgs, err := FetchSentRawEmails(Endpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// Contains reports whether any message's raw data contains s.
func Contains(msgs []SESMessage, s string) bool {
	for _, m := range msgs {
		if strings.Contains(m.RawData, s) {
			return true
		}
	}
	return false
}
