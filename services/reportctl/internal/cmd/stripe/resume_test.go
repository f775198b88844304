package stripe

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/reportctl/internal/app"
)

// fakeStripe serves n captured charges (newest first, pages of 2) and
// empty lists for everything else; it refuses the page after failAfter
// once, like a connection lost mid-run.
type fakeStripe struct {
	mu        sync.Mutex
	n         int
	failAfter string
	failed    bool
	afters    []string // starting_after of each charges request
}

func (f *fakeStripe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == "/v1/balance":
		fmt.Fprint(w, `{"object":"balance","available":[],"pending":[],"livemode":false}`)
	case r.URL.Path == "/v1/charges":
		after := r.URL.Query().Get("starting_after")
		f.afters = append(f.afters, after)
		if after == f.failAfter && !f.failed {
			f.failed = true
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":{"type":"invalid_request_error","message":"connection lost"}}`)
			return
		}
		start := f.n
		if after != "" {
			fmt.Sscanf(after, "ch_%d", &start)
			start--
		}
		var data []string
		for i := start; i > 0 && len(data) < 2; i-- {
			data = append(data, fmt.Sprintf(`{"id":"ch_%d","object":"charge","amount":1000,"amount_captured":1000,"captured":true,"paid":true,"status":"succeeded","currency":"usd","created":%d}`,
				i, time.Date(2026, 1, i, 0, 0, 0, 0, time.UTC).Unix()))
		}
		more := start-len(data) > 0
		fmt.Fprintf(w, `{"object":"list","url":"/v1/charges","has_more":%t,"data":[%s]}`, more, strings.Join(data, ","))
	default:
		fmt.Fprintf(w, `{"object":"list","url":%q,"has_more":false,"data":[]}`, r.URL.Path)
	}
}

type recorder struct{ events []messages.Event }

func (r *recorder) Publish(_ context.Context, _ string, events ...messages.Event) error {
	r.events = append(r.events, events...)
	return nil
}

type memCursors struct {
	c     *Cursor
	saves int
}

func (m *memCursors) Load(context.Context, string) (Cursor, bool, error) {
	if m.c == nil {
		return Cursor{}, false, nil
	}
	return *m.c, true, nil
}
func (m *memCursors) Save(_ context.Context, _ string, c Cursor) error {
	m.c, m.saves = &c, m.saves+1
	return nil
}
func (m *memCursors) Clear(context.Context, string) error { m.c = nil; return nil }

// TestBackfillResumesWhereItStopped: a run interrupted after the fourth
// page of charges resumes after the last charge it published (it does not
// read the first pages again), and the two runs together publish exactly
// the facts one uninterrupted run does.
func TestBackfillResumesWhereItStopped(t *testing.T) {
	batchSize = 1
	defer func() { batchSize = 50 }()
	idsOf := func(evs []messages.Event) map[string]int {
		out := map[string]int{}
		for _, e := range evs {
			out[e.(messages.MetricEvent).EventID]++
		}
		return out
	}
	a := app.New(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})

	whole := &fakeStripe{n: 9, failAfter: "never"}
	srv := httptest.NewServer(whole)
	defer srv.Close()
	all := &recorder{}
	if err := run(context.Background(), a, stripeClient("sk_test", srv.URL), all, &memCursors{}, "jada", time.Time{}, false); err != nil {
		t.Fatal(err)
	}

	broken := &fakeStripe{n: 9, failAfter: "ch_4"}
	srv2 := httptest.NewServer(broken)
	defer srv2.Close()
	cur, first := &memCursors{}, &recorder{}
	if err := run(context.Background(), a, stripeClient("sk_test", srv2.URL), first, cur, "jada", time.Time{}, false); err == nil {
		t.Fatal("the interrupted run reported success")
	}
	if cur.c == nil || cur.c.Stage != "charges" || cur.c.After != "ch_4" {
		t.Fatalf("cursor after the interruption %+v; want charges after ch_4", cur.c)
	}
	broken.afters = nil
	second := &recorder{}
	if err := run(context.Background(), a, stripeClient("sk_test", srv2.URL), second, cur, "jada", time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	if len(broken.afters) == 0 || broken.afters[0] != "ch_4" {
		t.Errorf("the resumed run listed charges from %q; want after ch_4", broken.afters)
	}
	if cur.c != nil {
		t.Errorf("cursor left after a complete run: %+v", cur.c)
	}
	got, want := idsOf(append(first.events, second.events...)), idsOf(all.events)
	if len(want) != 9 {
		t.Fatalf("an uninterrupted run published %d facts; want 9 charges", len(want))
	}
	for id, n := range got {
		if n != 1 || want[id] != 1 {
			t.Errorf("fact %s published %d times across the two runs (uninterrupted: %d)", id, n, want[id])
		}
	}
	if len(got) != len(want) {
		t.Errorf("the two runs published %d facts; one run %d", len(got), len(want))
	}
}
