package scheduler

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
)

// TestRealTimeTwoProcesses runs two real scheduler processes against moto
// on the wall clock, for a tenant whose schedule is "* * * * *" with period
// interval, restarts one of them half way (stopped a few seconds before a
// minute, started again after it), and counts the report dues on the
// mailer's queue per minute. It takes minutes, so it runs only when
// BOARDPACK_SCHEDULER_REALTIME is set to a duration (e.g. 5m):
//
//	cd services/scheduler && BOARDPACK_SCHEDULER_REALTIME=5m go test -run RealTime -v -count=1 .
func TestRealTimeTwoProcesses(t *testing.T) {
	spec := os.Getenv("BOARDPACK_SCHEDULER_REALTIME")
	if spec == "" {
		t.Skip("set BOARDPACK_SCHEDULER_REALTIME=5m to run two scheduler processes for that long")
	}
	length, err := time.ParseDuration(spec)
	if err != nil || length < 2*time.Minute {
		t.Fatalf("BOARDPACK_SCHEDULER_REALTIME=%q: want a duration of at least 2m", spec)
	}
	r := newRig(t, time.Now())
	r.apply(testTenant("every-minute", "Europe/Berlin",
		tenants.Schedule{Role: "ceo", Cron: "* * * * *", Period: "interval"}))

	dir := t.TempDir()
	bin := filepath.Join(dir, "scheduler")
	build := exec.Command("go", "build", "-o", bin, "../..") // the scheduler command
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build scheduler: %v", err)
	}

	// Receive continuously, as the mailer would.
	type arrival struct {
		due messages.ReportDue
		at  time.Time
	}
	var (
		mu       sync.Mutex
		arrivals []arrival
	)
	ctx, stopRecv := context.WithCancel(context.Background())
	recvDone := make(chan struct{})
	go func() {
		defer close(recvDone)
		for ctx.Err() == nil {
			res, err := r.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
				QueueUrl: aws.String(r.queue), MaxNumberOfMessages: 10, WaitTimeSeconds: 5,
			})
			if err != nil {
				continue
			}
			now := time.Now()
			for _, m := range res.Messages {
				var d messages.ReportDue
				if json.Unmarshal([]byte(aws.ToString(m.Body)), &d) == nil {
					mu.Lock()
					arrivals = append(arrivals, arrival{due: d, at: now})
					mu.Unlock()
				}
				_, _ = r.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(r.queue), ReceiptHandle: m.ReceiptHandle})
			}
		}
	}()

	p1 := startProcess(t, bin, dir, "r1", r)
	p2 := startProcess(t, bin, dir, "r2", r)
	ready := time.Now()
	t.Logf("both replicas ready at %s", ready.Format(time.RFC3339))

	// Restart r2 around the minute boundary in the middle of the run.
	mid := ready.Add(length / 2).Truncate(time.Minute).Add(time.Minute)
	time.Sleep(time.Until(mid.Add(-3 * time.Second)))
	p2.stop(t)
	t.Logf("r2 stopped at %s", time.Now().Format(time.RFC3339))
	time.Sleep(time.Until(mid.Add(10 * time.Second)))
	p2 = startProcess(t, bin, dir, "r2-restarted", r)
	t.Logf("r2 restarted, ready at %s", time.Now().Format(time.RFC3339))

	time.Sleep(time.Until(ready.Add(length)))
	stopped := time.Now()
	fired1, fired2 := p1.fired(t), p2.fired(t)
	p1.stop(t)
	p2.stop(t)
	time.Sleep(6 * time.Second) // the receiver's last long poll
	stopRecv()
	<-recvDone

	// Every minute strictly after both were ready and before the stop must
	// have exactly one report due; no report id may appear twice anywhere.
	perMinute := map[int64]int{} // unix seconds of the due time
	ids := map[string]int{}
	var lat []time.Duration
	for _, a := range arrivals {
		perMinute[a.due.DueAt.Unix()]++
		ids[a.due.ReportID]++
		lat = append(lat, a.at.Sub(a.due.DueAt))
	}
	var minutes []time.Time
	for m := ready.Truncate(time.Minute).Add(time.Minute); m.Before(stopped.Add(-5 * time.Second)); m = m.Add(time.Minute) {
		minutes = append(minutes, m)
	}
	var lines []string
	for _, m := range minutes {
		c := perMinute[m.Unix()]
		lines = append(lines, fmt.Sprintf("%s:%d", m.UTC().Format("15:04"), c))
		if c != 1 {
			t.Errorf("minute %s: %d report dues, want 1", m.UTC().Format(time.RFC3339), c)
		}
	}
	for id, c := range ids {
		if c > 1 {
			t.Errorf("report %s arrived %d times", id, c)
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) == 0 {
		t.Fatal("no report due arrived")
	}
	t.Logf("run %s, %d minutes checked, %d report dues received, per minute (UTC): %s",
		stopped.Sub(ready).Round(time.Second), len(minutes), len(arrivals), strings.Join(lines, " "))
	t.Logf("due-to-queue latency: min %s, median %s, max %s",
		lat[0].Round(time.Millisecond), lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
	t.Logf("fired by r1 %s, by r2-restarted %s (before stop; the first r2 fired the rest)", fired1, fired2)
}

type process struct {
	cmd  *exec.Cmd
	addr string
	log  string
}

func startProcess(t *testing.T, bin, dir, name string, r *rig) *process {
	t.Helper()
	port, err := mototest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{addr: fmt.Sprintf("127.0.0.1:%d", port), log: filepath.Join(dir, name+".log")}
	out, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin)
	p.cmd.Env = append(os.Environ(),
		"BOARDPACK_PREFIX="+r.env.Names.Prefix,
		"BOARDPACK_TABLE="+r.env.Names.Table,
		"BOARDPACK_HTTP_ADDR="+p.addr,
		"BOARDPACK_SCHEDULER_TICK=15s",
		"BOARDPACK_SCHEDULER_REPLICA="+name,
	)
	p.cmd.Stdout, p.cmd.Stderr = out, out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
		out.Close()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + p.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after 30s; log:\n%s", name, tail(p.log))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stop sends SIGTERM and requires a clean exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("scheduler exit: %v; log:\n%s", err, tail(p.log))
		}
	case <-time.After(60 * time.Second):
		_ = p.cmd.Process.Kill()
		t.Errorf("scheduler did not stop within 60s")
	}
}

// fired reads the replica's fired counter from /metrics.
func (p *process) fired(t *testing.T) string {
	resp, err := http.Get("http://" + p.addr + "/metrics")
	if err != nil {
		return "?"
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "boardpack_scheduler_reports_fired_total "); ok {
			return v
		}
	}
	return "?"
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
