package lifecycle

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder notes the order of events across components.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(e string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) get() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// waiter runs until its context ends and records when it stops.
func waiter(rec *recorder, name string) Component {
	return Component{
		Name:  name,
		Start: func(context.Context) error { rec.add("start " + name); return nil },
		Run: func(ctx context.Context) error {
			<-ctx.Done()
			rec.add("stop " + name)
			return nil
		},
		Timeout: time.Second,
	}
}

func runAsync(r *Runner, ctx context.Context) <-chan error {
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	return done
}

func wait(t *testing.T, done <-chan error, within time.Duration) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(within):
		t.Fatalf("Run did not return within %s", within)
		return nil
	}
}

func TestStartsInOrderStopsInReverse(t *testing.T) {
	rec := &recorder{}
	r := New(nil)
	for _, n := range []string{"a", "b", "c"} {
		r.Add(waiter(rec, n))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := runAsync(r, ctx)
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := wait(t, done, 5*time.Second); err != nil {
		t.Fatalf("clean shutdown returned %v", err)
	}
	want := []string{"start a", "start b", "start c", "stop c", "stop b", "stop a"}
	if got := rec.get(); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

func TestFirstErrorStopsTheRest(t *testing.T) {
	rec := &recorder{}
	boom := errors.New("boom")
	r := New(nil)
	r.Add(waiter(rec, "http"))
	r.Add(Component{Name: "router", Run: func(context.Context) error {
		time.Sleep(10 * time.Millisecond)
		return boom
	}})
	r.Add(waiter(rec, "loop"))
	err := wait(t, runAsync(r, context.Background()), 5*time.Second)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "router") {
		t.Fatalf("Run = %v, want the router's error", err)
	}
	got := rec.get()
	if want := []string{"start http", "start loop", "stop loop", "stop http"}; !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

func TestReturningEarlyIsAnError(t *testing.T) {
	r := New(nil)
	r.Add(Component{Name: "loop", Run: func(context.Context) error { return nil }})
	err := wait(t, runAsync(r, context.Background()), 5*time.Second)
	if !errors.Is(err, ErrStoppedEarly) {
		t.Fatalf("Run = %v, want ErrStoppedEarly", err)
	}
}

func TestStartFailureStopsWhatStarted(t *testing.T) {
	rec := &recorder{}
	ran := false
	r := New(nil)
	r.Add(waiter(rec, "a"))
	r.Add(Component{Name: "b", Start: func(context.Context) error { return errors.New("port in use") },
		Run: func(context.Context) error { ran = true; return nil }})
	r.Add(waiter(rec, "c"))
	err := wait(t, runAsync(r, context.Background()), 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "start b: port in use") {
		t.Fatalf("Run = %v, want the start failure", err)
	}
	if ran {
		t.Error("b's Run ran although its Start failed")
	}
	if got, want := rec.get(), []string{"start a", "stop a"}; !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

func TestStopIsBounded(t *testing.T) {
	rec := &recorder{}
	r := New(nil)
	r.Add(waiter(rec, "first"))
	// stuck ignores its context and its drain never returns.
	release := make(chan struct{})
	defer close(release)
	r.Add(Component{
		Name:    "stuck",
		Run:     func(context.Context) error { <-release; return nil },
		Drain:   func(context.Context) error { <-release; return nil },
		Timeout: 200 * time.Millisecond,
	})
	r.Add(Component{
		Name:    "deaf",
		Run:     func(context.Context) error { <-release; return nil },
		Timeout: 100 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := runAsync(r, ctx)
	time.Sleep(20 * time.Millisecond)
	begin := time.Now()
	cancel()
	err := wait(t, done, 5*time.Second)
	took := time.Since(begin)
	if !errors.Is(err, ErrStopTimeout) || !strings.Contains(err.Error(), "stuck") || !strings.Contains(err.Error(), "deaf") {
		t.Fatalf("Run = %v, want timeouts naming stuck and deaf", err)
	}
	if took > 2*time.Second {
		t.Errorf("shutdown took %s, want about the sum of the timeouts (300ms)", took)
	}
	if got, want := rec.get(), []string{"start first", "stop first"}; !slices.Equal(got, want) {
		t.Errorf("events %v: the components before the stuck ones must still be stopped", got)
	}
}

// A draining component keeps its context while in-flight work finishes:
// the mailer's sends are not cut half-way by the shutdown.
func TestDrainLetsInFlightWorkFinish(t *testing.T) {
	inFlight := make(chan struct{})
	finished := make(chan error, 1)
	stopping := make(chan struct{})
	r := New(nil)
	r.Add(Component{
		Name: "router",
		Run: func(ctx context.Context) error {
			close(inFlight)
			<-stopping
			// The in-flight message takes a while after the stop began.
			select {
			case <-time.After(150 * time.Millisecond):
				finished <- nil
			case <-ctx.Done():
				finished <- ctx.Err()
			}
			return nil
		},
		Drain: func(ctx context.Context) error {
			close(stopping)
			return nil
		},
		Timeout: 2 * time.Second,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := runAsync(r, ctx)
	<-inFlight
	cancel()
	if err := wait(t, done, 5*time.Second); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if err := <-finished; err != nil {
		t.Errorf("in-flight work was cancelled (%v); a drain must let it finish", err)
	}
}

// When the drain overruns its grace, the component's context is cancelled.
func TestDrainOverrunCancels(t *testing.T) {
	cancelled := make(chan struct{})
	r := New(nil)
	r.Add(Component{
		Name: "router",
		Run: func(ctx context.Context) error {
			<-ctx.Done()
			close(cancelled)
			return nil
		},
		Drain:   func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
		Timeout: 100 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := runAsync(r, ctx)
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := wait(t, done, 5*time.Second); !errors.Is(err, ErrStopTimeout) {
		t.Fatalf("Run = %v, want ErrStopTimeout", err)
	}
	select {
	case <-cancelled:
	case <-time.After(time.Second):
		t.Error("the component's context was not cancelled after the grace")
	}
}

func TestStopErrorsAreReported(t *testing.T) {
	r := New(nil)
	r.Add(Component{Name: "http", Run: func(ctx context.Context) error { <-ctx.Done(); return nil }})
	r.Add(Component{Name: "router",
		Run:   func(ctx context.Context) error { <-ctx.Done(); return nil },
		Drain: func(context.Context) error { return errors.New("close timeout") }})
	r.Add(Component{Name: "loop", Run: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }})
	ctx, cancel := context.WithCancel(context.Background())
	done := runAsync(r, ctx)
	time.Sleep(20 * time.Millisecond)
	cancel()
	err := wait(t, done, 15*time.Second)
	if err == nil || !strings.Contains(err.Error(), "drain router: close timeout") {
		t.Fatalf("Run = %v, want the drain failure", err)
	}
	if strings.Contains(err.Error(), "loop") {
		t.Errorf("Run = %v: a component returning context.Canceled on stop is a clean stop", err)
	}
}
