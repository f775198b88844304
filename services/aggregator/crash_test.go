package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// buildAggregator compiles this service into a temporary directory.
func buildAggregator(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not on PATH: cannot build the aggregator binary")
	}
	bin := filepath.Join(t.TempDir(), "aggregator")
	out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build aggregator: %v\n%s", err, out)
	}
	return bin
}

// aggregatorProcess is one run of the binary.
type aggregatorProcess struct {
	cmd *exec.Cmd
}

func startProcess(t *testing.T, bin string, env mototest.Env, logFile *os.File) *aggregatorProcess {
	t.Helper()
	port, err := mototest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"BOARDPACK_PREFIX="+env.Names.Prefix,
		"BOARDPACK_TABLE="+env.Names.Table,
		fmt.Sprintf("BOARDPACK_HTTP_ADDR=127.0.0.1:%d", port),
		"BOARDPACK_AGGREGATOR_WORKERS=4",
		"BOARDPACK_LOG_LEVEL=warn",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return &aggregatorProcess{cmd: cmd}
}

// kill9 is kill -9: no chance to finish anything.
func (p *aggregatorProcess) kill9() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
}

// TestKill9LosesNothingAndCountsNothingTwice publishes a few thousand
// events (some twice) while the aggregator process is killed with SIGKILL
// at random moments and restarted; after the queue drains, every event is
// in the read model exactly once.
func TestKill9LosesNothingAndCountsNothingTwice(t *testing.T) {
	const (
		distinct   = 2500
		duplicates = 250
		maxDepth   = 200 // keep moto's queue shallow (its cost grows with depth)
	)
	// A short visibility timeout brings back what a killed process held.
	// Each kill also costs up to workers*batch in-flight messages one
	// receive (watermill-aws abandons the rest of a batch), so the redrive
	// count is generous here; the DLQ must stay empty.
	env := mototest.Bootstrap(t, resources.Spec{VisibilityTimeout: 3 * time.Second, MaxReceiveCount: 50})
	bin := buildAggregator(t)
	logFile, err := os.Create(filepath.Join(t.TempDir(), "aggregator.log"))
	if err != nil {
		t.Fatal(err)
	}
	pub := newPublisher(t, env)
	sqsc := sqs.NewFromConfig(env.AWS)
	queueURL := env.Resource.QueueURLs[resources.QueueAggregatorMetrics]
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))

	tenants := []string{"jada", "quickdumpnow"}
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	want := map[string]int64{}
	var events []messages.Event
	for i := range distinct {
		tn := tenants[i%len(tenants)]
		e := messages.MetricEvent{
			Header: messages.Header{EventID: fmt.Sprintf("evt_crash_%05d", i), TenantID: tn, OccurredAt: t0.Add(time.Duration(i) * time.Minute), Source: messages.SourceStripe},
			Metric: messages.MetricRevenueGross, Kind: messages.KindAdditive, Value: 1 + rng.Int64N(10000), Currency: "USD",
		}
		want[tn] += e.Value
		events = append(events, e)
	}
	for range duplicates {
		events = append(events, events[rng.IntN(distinct)])
	}
	rng.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })

	// Publish in the background, keeping the queue shallow.
	published := make(chan error, 1)
	go func() {
		for i := 0; i < len(events); i += 50 {
			for {
				d, err := queueDepth(ctx, sqsc, queueURL)
				if err != nil {
					published <- err
					return
				}
				if d < maxDepth {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err := pub.Publish(ctx, messages.TopicMetrics, events[i:min(i+50, len(events))]...); err != nil {
				published <- err
				return
			}
		}
		published <- nil
	}()

	proc := startProcess(t, bin, env, logFile)
	kills := 0
	publishing := true
	for publishing {
		// A random moment: anywhere from mid-start-up to a few seconds in.
		select {
		case err := <-published:
			if err != nil {
				proc.kill9()
				t.Fatalf("publish: %v", err)
			}
			publishing = false
		case <-time.After(time.Duration(300+rng.IntN(3000)) * time.Millisecond):
			proc.kill9()
			kills++
			proc = startProcess(t, bin, env, logFile)
		}
	}
	t.Logf("published %d deliveries (%d distinct), killed the aggregator %d times", len(events), distinct, kills)

	dlqURL := env.Resource.DLQURLs[resources.QueueAggregatorMetrics]
	deadline := time.Now().Add(3 * time.Minute)
	for {
		d, err := queueDepth(ctx, sqsc, queueURL)
		if err != nil {
			t.Fatal(err)
		}
		if d == 0 {
			break
		}
		if time.Now().After(deadline) {
			proc.kill9()
			t.Fatalf("queue not drained: %d messages left", d)
		}
		time.Sleep(500 * time.Millisecond)
	}
	// The last process stops gracefully on SIGTERM.
	if err := proc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := proc.cmd.Wait(); err != nil {
		logs, _ := os.ReadFile(logFile.Name())
		t.Fatalf("graceful shutdown: %v\n%s", err, tail(logs, 4000))
	}
	if d, err := queueDepth(ctx, sqsc, dlqURL); err != nil || d != 0 {
		t.Fatalf("DLQ holds %d messages (err %v), want 0", d, err)
	}

	store := readmodel.Store{DB: dynamodb.NewFromConfig(env.AWS), Table: env.Names.Table}
	total := 0
	for _, tn := range tenants {
		facts, err := store.Facts(ctx, tn, messages.MetricRevenueGross, time.Time{}, t0.AddDate(1, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, f := range facts {
			if ids[f.EventID] {
				t.Errorf("tenant %s: event %s recorded twice", tn, f.EventID)
			}
			ids[f.EventID] = true
		}
		total += len(facts)
		if got := readmodel.Sum(facts, t0, t0.AddDate(1, 0, 0)); got != want[tn] {
			t.Errorf("tenant %s: gross revenue %d, want %d (difference %d)", tn, got, want[tn], got-want[tn])
		}
	}
	if total != distinct {
		t.Errorf("%d facts recorded, want %d: %d lost", total, distinct, distinct-total)
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
