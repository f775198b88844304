package mailer

import (
	"bytes"
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
// Admissions are reservations in arrival order: each caller is given the
// earliest time, no earlier than every reservation before it, at which its
// recipients fit, and sleeps until then. So a large message is not starved
// by a stream of small ones, and a reservation only ever has to check the
// window that ends at it (nothing is ever admitted before an earlier
// reservation).
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
	// last is the latest reservation's time; no later reservation is
	// earlier.
	last time.Time
}

// admission is recipients admitted at at, counting against the rate until
// until.
type admission struct {
	at, until  time.Time
	recipients float64
}

// rateEpsilon absorbs float rounding of fractional rates.
const rateEpsilon = 1e-9

// reserve books n recipients at the rate (recipients per second) and
// returns the admission; its at is when they may be sent (now or later).
func (w *sendWindow) reserve(now time.Time, rate float64, n int) *admission {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.prune(now)
	at := now
	if w.last.After(at) {
		at = w.last
	}
	recipients := float64(n)
	oversize := recipients > rate+rateEpsilon
	fits := func(load float64) bool {
		if oversize {
			return load <= 0
		}
		return load+recipients <= rate+rateEpsilon
	}
	// Every live admission is at or before at, so the load at any time
	// from at on is what has not yet expired by then.
	var load float64
	var expiring []*admission
	for _, a := range w.live {
		if a.until.After(at) {
			load += a.recipients
			expiring = append(expiring, a)
		}
	}
	if !fits(load) {
		slices.SortFunc(expiring, func(a, b *admission) int { return a.until.Compare(b.until) })
		for _, a := range expiring {
			load -= a.recipients
			at = a.until
			if fits(load) {
				break
			}
		}
	}
	hold := time.Second
	if oversize {
		hold = time.Duration(math.Ceil(recipients / rate * float64(time.Second)))
	}
	a := &admission{at: at, until: at.Add(hold), recipients: recipients}
	w.live = append(w.live, a)
	w.last = at
	return a
}

// cancel gives back an admission that was not used (its caller gave up
// before its time). The reservations after it stay valid: the window only
// becomes emptier.
func (w *sendWindow) cancel(a *admission) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.live = slices.DeleteFunc(w.live, func(b *admission) bool { return b == a })
	w.last = time.Time{}
	for _, b := range w.live {
		if b.at.After(w.last) {
			w.last = b.at
		}
	}
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
