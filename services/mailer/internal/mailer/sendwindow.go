package mailer

import (
	"bytes"
	"context"
	"math"
	"net/mail"
	"slices"
	"sync"
	"time"
)

// sendWindow admits SES recipients so that no sliding window of one second
// ([t, t+1s), wherever t falls) holds more than the rate. SES counts its
// sending rate per recipient, not per message ("Quotas are based on the
// number of recipients, rather than on the number of messages",
// https://docs.aws.amazon.com/ses/latest/dg/quotas.html), so a message
// weighs its recipients.
//
// A token bucket of the rate lets through a full bucket plus its refill
// within one second, twice the rate; this window never does, also not right
// after it is created or after an idle spell: it starts empty and builds no
// credit while idle.
//
// Callers are admitted one at a time in arrival order, each at the time it
// actually proceeds to SendRawEmail (not at a time booked in advance, which
// a late timer on a busy machine would turn into a send later than booked
// and so two batches less than a second apart). So a large message is not
// starved by a stream of small ones, and an admission only has to check
// the window that ends at it: nothing is ever admitted before it.
//
// A message with more recipients than the rate can never fit; it waits for
// an empty window, goes alone, and keeps the window shut for
// recipients/rate seconds, the time SES would need to admit them one window
// after another (SES lets such a message through when it has capacity, then
// refuses sends until the recipients are paid off: an SES answer quoted in
// https://github.com/django-ses/django-ses/issues/59).
type sendWindow struct {
	mu sync.Mutex
	// live holds the admissions that may still count: until is after the
	// last prune.
	live []*admission
	// queue holds a channel per waiting caller in arrival order; the
	// first is closed when its caller's turn comes.
	queue []chan struct{}
}

// admission is recipients admitted at at, counting against the rate until
// until.
type admission struct {
	at, until  time.Time
	recipients float64
}

// rateEpsilon absorbs float rounding of fractional rates.
const rateEpsilon = 1e-9

// admit blocks until n recipients fit in the window at the rate
// (recipients per second), after every caller that came before, and counts
// them as sent at that time. It returns ctx's error if ctx ends first,
// having counted nothing.
func (w *sendWindow) admit(ctx context.Context, now func() time.Time, sleep func(context.Context, time.Duration) error, rate float64, n int) error {
	turn := make(chan struct{})
	w.mu.Lock()
	w.queue = append(w.queue, turn)
	if len(w.queue) == 1 {
		close(turn)
	}
	w.mu.Unlock()
	defer w.leave(turn)
	select {
	case <-turn:
	case <-ctx.Done():
		return ctx.Err()
	}
	for {
		w.mu.Lock()
		wait, ok := w.try(now(), rate, n)
		w.mu.Unlock()
		if ok {
			return nil
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// leave takes turn off the queue and, if it was the first, gives the next
// caller its turn.
func (w *sendWindow) leave(turn chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	i := slices.Index(w.queue, turn)
	if i < 0 {
		return
	}
	w.queue = slices.Delete(w.queue, i, i+1)
	if i == 0 && len(w.queue) > 0 {
		close(w.queue[0])
	}
}

// try admits n recipients at now if they fit; otherwise it returns how long
// until they do (unless other admissions come first, which only the
// throttle's fill can).
func (w *sendWindow) try(now time.Time, rate float64, n int) (time.Duration, bool) {
	w.prune(now)
	recipients := float64(n)
	oversize := recipients > rate+rateEpsilon
	fits := func(load float64) bool {
		if oversize {
			return load <= 0
		}
		return load+recipients <= rate+rateEpsilon
	}
	// Every live admission is at or before now, so the load at any time
	// from now on is what has not yet expired by then.
	var load float64
	for _, a := range w.live {
		load += a.recipients
	}
	if !fits(load) {
		expiring := slices.SortedFunc(slices.Values(w.live), func(a, b *admission) int { return a.until.Compare(b.until) })
		for _, a := range expiring {
			load -= a.recipients
			if fits(load) {
				return a.until.Sub(now), false
			}
		}
	}
	hold := time.Second
	if oversize {
		hold = time.Duration(math.Ceil(recipients / rate * float64(time.Second)))
	}
	w.live = append(w.live, &admission{at: now, until: now.Add(hold), recipients: recipients})
	return 0, true
}

// fill counts the window as full for the second from now: SES throttled a
// send, so its count of the last second is at the rate whatever ours says
// (another sender on the account, a clock that disagrees).
func (w *sendWindow) fill(now time.Time, rate float64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.prune(now)
	w.live = append(w.live, &admission{at: now, until: now.Add(time.Second), recipients: math.Max(rate, 1)})
}

// prune drops the admissions that no longer count at now.
func (w *sendWindow) prune(now time.Time) {
	w.live = slices.DeleteFunc(w.live, func(a *admission) bool { return !a.until.After(now) })
}

// recipientsOf is what SES counts against the rate for one SendRawEmail:
// its Destinations, or, when it names none, the To, Cc and Bcc addresses of
// the raw message (which SES then delivers to). At least one: SES counts
// a send it accepts.
func recipientsOf(e rawEmail) int {
	if len(e.Destinations) > 0 {
		return len(e.Destinations)
	}
	n := 0
	if msg, err := mail.ReadMessage(bytes.NewReader(e.Data)); err == nil {
		for _, h := range []string{"To", "Cc", "Bcc"} {
			if list, err := msg.Header.AddressList(h); err == nil {
				n += len(list)
			}
		}
	}
	return max(n, 1)
}
