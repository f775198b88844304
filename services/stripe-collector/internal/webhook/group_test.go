package webhook

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/boardpack/boardpack/services/internal/platform/awsconf"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
)

func publishBatches() float64 {
	return testutil.ToFloat64(awsconf.Requests.WithLabelValues("SNS", "PublishBatch"))
}

// snsFaults wraps moto's SNS: entries whose message contains fail are
// refused one by one, as SNS refuses an entry in a batch (the rest go on
// to moto); while hold is open, every request waits for it.
type snsFaults struct {
	next    bus.SNSBatchAPI
	fail    string
	entered chan struct{}
	hold    chan struct{}
}

func (f *snsFaults) PublishBatch(ctx context.Context, in *sns.PublishBatchInput, opts ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	if f.entered != nil {
		f.entered <- struct{}{}
		<-f.hold
	}
	var keep []snstypes.PublishBatchRequestEntry
	var failed []snstypes.BatchResultErrorEntry
	for _, e := range in.PublishBatchRequestEntries {
		if f.fail != "" && strings.Contains(aws.ToString(e.Message), f.fail) {
			failed = append(failed, snstypes.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InvalidParameter"), Message: aws.String("injected"), SenderFault: true})
			continue
		}
		keep = append(keep, e)
	}
	out := &sns.PublishBatchOutput{}
	if len(keep) > 0 {
		in2 := *in
		in2.PublishBatchRequestEntries = keep
		var err error
		if out, err = f.next.PublishBatch(ctx, &in2, opts...); err != nil {
			return nil, err
		}
	}
	out.Failed = append(out.Failed, failed...)
	return out, nil
}

// faultyHarness is newHarness with the webhook publishing through faults.
func faultyHarness(t *testing.T, faults *snsFaults, cfg bus.GroupConfig) *harness {
	var w *Webhook
	h := newHarness(t, func(wh *Webhook) { w = wh })
	faults.next = sns.NewFromConfig(h.env.AWS)
	p := bus.NewGroupPublisher(faults, h.env.Names, h.env.Account, cfg, bus.Logger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(func() { p.Close() })
	w.Publisher = p // before any request
	return h
}

// chargeID reads the charge id of a capturedCharge body.
func chargeID(body []byte) string {
	i := strings.Index(string(body), `"ch_test_`)
	return string(body[i+1 : i+1+len("ch_test_")+8])
}

// Concurrent webhooks share PublishBatch requests, and a webhook whose
// own entry SNS refused is the only one answered 503; its fact is not in
// the queue, everybody else's is.
func TestConcurrentWebhooksShareBatchesAndFailAlone(t *testing.T) {
	const n = 12
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = capturedCharge(t)
	}
	faults := &snsFaults{fail: chargeID(bodies[5])}
	h := faultyHarness(t, faults, bus.GroupConfig{Window: 20 * time.Millisecond, MaxInFlight: 1})
	before := publishBatches()
	codes := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			codes[i] = h.post(t, "acme", bodies[i], sign(bodies[i], secretOld, time.Now()))
		}()
	}
	close(start)
	wg.Wait()
	for i, c := range codes {
		want := 200
		if i == 5 {
			want = 503
		}
		if c != want {
			t.Errorf("webhook %d answered %d, want %d", i, c, want)
		}
	}
	reqs := publishBatches() - before
	if reqs > n/2 {
		t.Errorf("%d concurrent webhooks took %v PublishBatch requests, want them shared", n, reqs)
	}
	got := map[string]bool{}
	for _, ev := range h.received(t, 2) {
		got[ev.ObjectID] = true
	}
	for i, b := range bodies {
		if want := i != 5; got[chargeID(b)] != want {
			t.Errorf("webhook %d's fact in the queue: %v, want %v", i, got[chargeID(b)], want)
		}
	}
	t.Logf("%d webhooks, %v PublishBatch requests", n, reqs)
}

// Admission control: while the only request slot is held, a webhook that
// cannot be sent within the queue wait is answered 503 quickly, and its
// fact is never published, not even once SNS answers again.
func TestWebhookAnswered503IsNeverPublished(t *testing.T) {
	faults := &snsFaults{entered: make(chan struct{}, 8), hold: make(chan struct{})}
	h := faultyHarness(t, faults, bus.GroupConfig{Window: time.Millisecond, MaxInFlight: 1, MaxWait: 300 * time.Millisecond})
	first, refused := capturedCharge(t), capturedCharge(t)
	firstCode := make(chan int, 1)
	go func() { firstCode <- h.post(t, "acme", first, sign(first, secretOld, time.Now())) }()
	<-faults.entered
	t0 := time.Now()
	if c := h.post(t, "acme", refused, sign(refused, secretOld, time.Now())); c != 503 {
		t.Errorf("webhook queued behind a held request answered %d, want 503", c)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("answered after %s, want within 1 s", d)
	}
	close(faults.hold)
	if c := <-firstCode; c != 200 {
		t.Errorf("first webhook answered %d, want 200", c)
	}
	time.Sleep(200 * time.Millisecond)
	got := map[string]bool{}
	for _, ev := range h.received(t, 2) {
		got[ev.ObjectID] = true
	}
	if !got[chargeID(first)] || got[chargeID(refused)] {
		t.Errorf("in the queue: first %v (want true), refused %v (want false)", got[chargeID(first)], got[chargeID(refused)])
	}
}
