package mailer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/smithy-go"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// The tests of the send window run in a synctest bubble: time.Now and the
// sender's timers are the bubble's fake clock, which moves only when every
// goroutine is blocked, so send times are exact and nothing sleeps for
// real.

// sendStamp is one SendRawEmail call: when, and how many recipients SES
// counts for it.
type sendStamp struct {
	at         time.Time
	recipients int
}

// clockedSES records every SendRawEmail call with the time on clock. With
// next it passes the call on (moto); without, it answers as SES would,
// throttling the first throttle calls, and GetSendQuota answers rate.
type clockedSES struct {
	next     sesAPI
	clock    func() time.Time
	throttle int
	rate     float64

	mu    sync.Mutex
	calls int
	sent  []sendStamp // the calls that were not throttled
}

func (c *clockedSES) SendRawEmail(ctx context.Context, in *ses.SendRawEmailInput, o ...func(*ses.Options)) (*ses.SendRawEmailOutput, error) {
	c.mu.Lock()
	c.calls++
	if c.calls <= c.throttle {
		c.mu.Unlock()
		return nil, &smithy.GenericAPIError{Code: "Throttling", Message: "Maximum sending rate exceeded."}
	}
	n := recipientsOf(rawEmail{Destinations: in.Destinations, Data: in.RawMessage.Data})
	c.sent = append(c.sent, sendStamp{at: c.clock(), recipients: n})
	c.mu.Unlock()
	if c.next != nil {
		return c.next.SendRawEmail(ctx, in, o...)
	}
	return &ses.SendRawEmailOutput{MessageId: aws.String(fmt.Sprintf("msg-%d", n))}, nil
}

func (c *clockedSES) GetSendQuota(ctx context.Context, in *ses.GetSendQuotaInput, o ...func(*ses.Options)) (*ses.GetSendQuotaOutput, error) {
	if c.next != nil {
		return c.next.GetSendQuota(ctx, in, o...)
	}
	return &ses.GetSendQuotaOutput{MaxSendRate: c.rate}, nil
}

// offsets returns the sends' times after start, in order.
func (c *clockedSES) offsets(start time.Time) []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []time.Duration
	for _, s := range c.sent {
		out = append(out, s.at.Sub(start))
	}
	slices.Sort(out)
	return out
}

// busiestSecond returns the most recipients sent in any window [t, t+1s).
// The busiest window can always be slid to start at a send, so checking
// the windows that start at each send checks them all.
func busiestSecond(sent []sendStamp) (peak int, from time.Time) {
	sent = slices.Clone(sent)
	slices.SortFunc(sent, func(a, b sendStamp) int { return a.at.Compare(b.at) })
	for i, s := range sent {
		n := 0
		for _, u := range sent[i:] {
			if !u.at.Before(s.at.Add(time.Second)) {
				break
			}
			n += u.recipients
		}
		if n > peak {
			peak, from = n, s.at
		}
	}
	return peak, from
}

func sendOrFail(t *testing.T, s *sender, e rawEmail) {
	t.Helper()
	if _, err := s.send(context.Background(), e); err != nil {
		t.Error(err)
	}
}

func oneRecipient(i int) rawEmail {
	return rawEmail{Destinations: []string{fmt.Sprintf("r%d@queen.example.com", i)}, Data: []byte("x")}
}

// The window is a sliding second that starts empty when the sender is
// created and builds no credit while idle: 2×rate+1 emails at once go out
// rate at a time, one second apart, from creation and again after an idle
// spell. (A token bucket lets a full bucket plus its refill through within
// a second after an idle spell; a window counted by calendar second lets
// 2×rate through across a second boundary, which is why the sender is
// created off one.)
func TestSendWindowCountsFromCreation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate = 5
		time.Sleep(900 * time.Millisecond)
		api := &clockedSES{clock: time.Now}
		s := newSender(api, testSender, "set", rate, time.Minute)
		burst := func() time.Time {
			start := time.Now()
			var wg sync.WaitGroup
			for i := range 2*rate + 1 {
				wg.Go(func() { sendOrFail(t, s, oneRecipient(i)) })
			}
			wg.Wait()
			return start
		}
		check := func(what string, start time.Time, got []time.Duration) {
			t.Helper()
			if len(got) != 2*rate+1 {
				t.Fatalf("%s: %d sends, want %d", what, len(got), 2*rate+1)
			}
			for i, off := range got {
				if want := time.Duration(i/rate) * time.Second; off != want {
					t.Fatalf("%s: send %d at +%s, want +%s (all: %v)", what, i, off, want, got)
				}
			}
		}
		created := burst()
		check("from creation", created, api.offsets(created))
		api.sent = nil
		time.Sleep(3 * time.Second)
		resumed := burst()
		check("after 3 s idle", resumed, api.offsets(resumed))
	})
}

// Four workers send messages of 1 to 3 recipients, some in a stream, some
// after pauses, with the rate read from GetSendQuota: no sliding second of
// the run holds more recipients than the rate, and every message is sent.
func TestSendRateNeverExceededOverAnySecond(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate, workers, perWorker, maxRecipients = 7, 4, 40, 3
		api := &clockedSES{clock: time.Now, rate: rate}
		s := newSender(api, testSender, "set", 0, time.Minute)
		rng := rand.New(rand.NewPCG(19, 5))
		plans := make([][]int, workers)
		pauses := make([][]time.Duration, workers)
		want := 0
		for w := range plans {
			for range perWorker {
				n := 1 + rng.IntN(maxRecipients)
				plans[w] = append(plans[w], n)
				want += n
				var p time.Duration
				if rng.IntN(4) == 0 {
					p = time.Duration(rng.IntN(1500)) * time.Millisecond
				}
				pauses[w] = append(pauses[w], p)
			}
		}
		var wg sync.WaitGroup
		for w := range plans {
			wg.Go(func() {
				for i, n := range plans[w] {
					time.Sleep(pauses[w][i])
					var dest []string
					for j := range n {
						dest = append(dest, fmt.Sprintf("w%d-%d-%d@queen.example.com", w, i, j))
					}
					sendOrFail(t, s, rawEmail{Destinations: dest, Data: []byte("x")})
				}
			})
		}
		wg.Wait()
		got := 0
		for _, st := range api.sent {
			got += st.recipients
		}
		if got != want {
			t.Fatalf("%d recipients sent, want %d", got, want)
		}
		peak, from := busiestSecond(api.sent)
		if peak > rate {
			t.Fatalf("%d recipients in the second from %s, rate %d", peak, from.Format(time.StampMilli), rate)
		}
		// The run must have loaded the window: a message waits only when
		// more than rate-maxRecipients are in it, and 160 messages from 4
		// workers at 7/s wait.
		if peak <= rate-maxRecipients {
			t.Fatalf("busiest second %d recipients at rate %d: the run never filled the window", peak, rate)
		}
	})
}

// Each recipient of a message counts against the rate, whether SES takes
// them from Destinations or, when it names none, from the To, Cc and Bcc
// headers.
func TestSendCountsEveryRecipient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate = 4
		api := &clockedSES{clock: time.Now}
		s := newSender(api, testSender, "set", rate, time.Minute)
		start := time.Now()
		three := rawEmail{Destinations: []string{"a@queen.example.com", "b@queen.example.com", "audit@queen.example.com"}, Data: []byte("x")}
		headers := rawEmail{Data: []byte("From: r@boardpack.example.com\r\nTo: a@queen.example.com\r\nCc: b@queen.example.com\r\nBcc: audit@queen.example.com\r\nSubject: x\r\n\r\nx\r\n")}
		if n := recipientsOf(headers); n != 3 {
			t.Fatalf("recipients of a message with one To, one Cc and one Bcc: %d", n)
		}
		// 3, then 3 (3+3 > 4: next second), then 3 by header (next
		// second again), then 1 (3+1 = 4: the same second).
		for _, e := range []rawEmail{three, three, headers, oneRecipient(0)} {
			sendOrFail(t, s, e)
		}
		want := []time.Duration{0, time.Second, 2 * time.Second, 2 * time.Second}
		if got := api.offsets(start); !slices.Equal(got, want) {
			t.Fatalf("sends at %v, want %v", got, want)
		}
	})
}

// A message with more recipients than the rate cannot fit in any second:
// it waits for an empty window, goes alone, and keeps the window shut for
// recipients/rate seconds. It does not wait forever, and it is not
// overtaken by the messages queued behind it.
func TestMessageAboveTheRateWaitsForAnEmptyWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate, big = 2, 5
		api := &clockedSES{clock: time.Now}
		s := newSender(api, testSender, "set", rate, time.Minute)
		start := time.Now()
		var dest []string
		for i := range big {
			dest = append(dest, fmt.Sprintf("b%d@queen.example.com", i))
		}
		var wg sync.WaitGroup
		wg.Go(func() { sendOrFail(t, s, oneRecipient(0)) })
		time.Sleep(time.Millisecond)
		wg.Go(func() { sendOrFail(t, s, rawEmail{Destinations: dest, Data: []byte("x")}) })
		time.Sleep(time.Millisecond)
		wg.Go(func() { sendOrFail(t, s, oneRecipient(1)) })
		wg.Wait()
		bigAt := time.Second // the first email leaves the window
		after := bigAt + time.Duration(float64(big)/rate*float64(time.Second))
		want := []time.Duration{0, bigAt, after}
		if got := api.offsets(start); !slices.Equal(got, want) {
			t.Fatalf("sends at %v, want %v", got, want)
		}
		if api.sent[1].recipients != big {
			t.Fatalf("second send has %d recipients, want the %d-recipient message", api.sent[1].recipients, big)
		}
	})
}

// A sender whose context ends while it waits gives its place back: the
// next message gets the time it would have had.
func TestCancelledWaitGivesBackItsPlace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate = 1
		api := &clockedSES{clock: time.Now}
		s := newSender(api, testSender, "set", rate, time.Minute)
		start := time.Now()
		sendOrFail(t, s, oneRecipient(0))
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		if _, err := s.send(ctx, oneRecipient(1)); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("send with a context ending before its turn: %v", err)
		}
		sendOrFail(t, s, oneRecipient(2))
		want := []time.Duration{0, time.Second}
		if got := api.offsets(start); !slices.Equal(got, want) {
			t.Fatalf("sends at %v, want %v (the cancelled send's place given back)", got, want)
		}
	})
}

// A throttled send is retried after its backoff, and the window counts as
// full for a second from the throttle: SES said the second was full,
// whatever the window had counted.
func TestThrottleFillsTheWindowThenRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate = 5
		api := &clockedSES{clock: time.Now, throttle: 1}
		s := newSender(api, testSender, "set", rate, time.Minute)
		if s.baseDelay >= time.Second {
			t.Fatalf("first backoff up to %s: this test needs it under the second the window stays full", s.baseDelay)
		}
		start := time.Now()
		if _, err := s.send(context.Background(), oneRecipient(0)); err != nil {
			t.Fatal(err)
		}
		if api.calls != 2 || s.Throttles != 1 {
			t.Fatalf("%d calls, %d throttles; want the throttled call retried once", api.calls, s.Throttles)
		}
		if got := api.offsets(start); !slices.Equal(got, []time.Duration{time.Second}) {
			t.Fatalf("retry sent at %v, want +1s (the window full for the second after the throttle)", got)
		}
	})
}

// Through the whole mailer path on moto: the audit copy to two audit
// addresses counts two, so at 2 recipients/s it waits for the recipient's
// email to leave the window.
func TestAuditCopyCountsEveryAuditAddress(t *testing.T) {
	w := newWorld(t)
	tn := w.tenant
	tn.Email.BCCAudit = []string{"audit@queen.example.com", "audit2@queen.example.com"}
	if err := (tenants.Store{DB: w.db, Table: w.env.Names.Table}).Apply(context.Background(), tenants.File{Tenants: []tenants.Tenant{tn}}); err != nil {
		t.Fatal(err)
	}
	m := w.mailer(t, testSender)
	var mu sync.Mutex
	clock := time.Unix(0, 0)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	api := &clockedSES{next: m.sender.api, clock: now}
	const rate = 2
	m.sender = newSender(api, testSender, w.env.Names.ConfigurationSet, rate, time.Minute)
	m.sender.now = now
	m.sender.sleep = func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(d)
		return nil
	}
	start := now()
	if err := m.deliver(context.Background(), due(tn.ID, messages.RoleCEO)); err != nil {
		t.Fatal(err)
	}
	api.mu.Lock()
	sent := slices.Clone(api.sent)
	api.mu.Unlock()
	if len(sent) != 2 || sent[0].recipients != 1 || sent[1].recipients != len(tn.Email.BCCAudit) {
		t.Fatalf("sends %+v, want the CEO's email then one audit copy to %d addresses", sent, len(tn.Email.BCCAudit))
	}
	if got := sent[1].at.Sub(start); got != time.Second {
		t.Fatalf("audit copy at +%s, want +1s (1 + %d recipients > %d/s)", got, len(tn.Email.BCCAudit), rate)
	}
}
