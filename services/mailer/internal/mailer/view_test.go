package mailer

import (
	"context"
	"math/rand/v2"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/services/internal/domain/delivery"
)

// TestViewLinks (moto): a valid link serves its report; a forged
// signature, a tampered report id, tenant or expiry, or an unknown key id
// get 403; an expired link 410; a genuine link to a report with no stored
// view 404; none of them shows anything of a report. A link signed with
// the old key still verifies after the new key is put first.
func TestViewLinks(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	views := delivery.Views{DB: w.db, Table: w.env.Names.Table}
	const reportID = "rpt_0123456789abcdef01234567"
	page := "<html><body><h1>Secret figure $4,242.00</h1></body></html>"
	if err := views.Put(ctx, w.tenant.ID, reportID, delivery.Compress(page), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	old := ViewKeys{testViewKeys[1]} // k1 only: before the rotation
	rotated := testViewKeys          // k2 signs, k1 still verifies
	srv := httptest.NewServer(viewMux(&Mailer{cfg: Settings{ViewKeys: rotated}, views: views, log: quiet()}))
	defer srv.Close()

	valid := signView(old, w.tenant.ID, reportID, time.Now().Add(time.Hour))
	if resp, body := get(t, srv.URL+valid); resp.StatusCode != 200 || body != page {
		t.Fatalf("valid link (old key after rotation): %d %q", resp.StatusCode, body)
	}
	if resp, body := get(t, srv.URL+signView(rotated, w.tenant.ID, reportID, time.Now().Add(time.Hour))); resp.StatusCode != 200 || body != page {
		t.Fatalf("valid link (new key): %d", resp.StatusCode)
	}
	u, _ := url.Parse(valid)
	tamper := func(f func(path string, q url.Values) (string, url.Values)) string {
		q := u.Query()
		p, q := f(u.Path, q)
		return p + "?" + q.Encode()
	}
	cases := map[string]struct {
		link string
		code int
	}{
		"forged signature": {tamper(func(p string, q url.Values) (string, url.Values) {
			q.Set("s", strings.Repeat("ab", 32))
			return p, q
		}), 403},
		"tampered id": {tamper(func(p string, q url.Values) (string, url.Values) {
			return strings.Replace(p, "rpt_0", "rpt_1", 1), q
		}), 403},
		"tampered tenant": {tamper(func(p string, q url.Values) (string, url.Values) {
			q.Set("t", "other-tenant")
			return p, q
		}), 403},
		"extended expiry": {tamper(func(p string, q url.Values) (string, url.Values) {
			q.Set("e", "99999999999")
			return p, q
		}), 403},
		"unknown key id": {tamper(func(p string, q url.Values) (string, url.Values) {
			q.Set("k", "k9")
			return p, q
		}), 403},
		"no signature":   {u.Path, 403},
		"expired":        {signView(old, w.tenant.ID, reportID, time.Now().Add(-time.Second)), 410},
		"unknown report": {signView(old, w.tenant.ID, "rpt_ffffffffffffffffffffffff", time.Now().Add(time.Hour)), 404},
	}
	for name, c := range cases {
		resp, body := get(t, srv.URL+c.link)
		if resp.StatusCode != c.code {
			t.Errorf("%s: %d, want %d", name, resp.StatusCode, c.code)
		}
		if strings.Contains(body, "4,242") || strings.Contains(body, "<h1") {
			t.Errorf("%s: the answer shows the report: %q", name, body)
		}
	}
	// A view whose stored page has expired (TTL deletes lag) is gone too.
	if err := views.Put(ctx, w.tenant.ID, reportID+"x", delivery.Compress(page), time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(t, srv.URL+signView(old, w.tenant.ID, reportID+"x", time.Now().Add(time.Hour))); resp.StatusCode != 404 {
		t.Errorf("expired stored view: %d, want 404", resp.StatusCode)
	}
}

// TestLargeViewIsChunked (moto): a page larger than one item is stored in
// chunks and read back whole.
func TestLargeViewIsChunked(t *testing.T) {
	w := newWorld(t)
	views := delivery.Views{DB: w.db, Table: w.env.Names.Table}
	// Random letters: base64-like data (the charts) barely compresses.
	rng := rand.New(rand.NewPCG(1, 2))
	big := make([]byte, 3*delivery.ViewChunk)
	for i := range big {
		big[i] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"[rng.IntN(64)]
	}
	gz := delivery.Compress(string(big))
	if len(gz) <= 2*delivery.ViewChunk {
		t.Fatalf("test page compresses to %d bytes: not several chunks", len(gz))
	}
	ctx := context.Background()
	if err := views.Put(ctx, w.tenant.ID, "rpt_big", gz, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err := views.Get(ctx, w.tenant.ID, "rpt_big", time.Now())
	if err != nil || got != string(big) {
		t.Fatalf("chunked view: %d bytes, %v", len(got), err)
	}
	// Rewritten shorter (a redelivery after a change): the stale chunks
	// past the new count are not read.
	if err := views.Put(ctx, w.tenant.ID, "rpt_big", delivery.Compress("<p>short</p>"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := views.Get(ctx, w.tenant.ID, "rpt_big", time.Now()); err != nil || got != "<p>short</p>" {
		t.Fatalf("rewritten view: %q, %v", got, err)
	}
	if err := views.Put(context.Background(), w.tenant.ID, "rpt_huge", make([]byte, delivery.ViewMaxBytes+1), time.Now().Add(time.Hour)); err == nil {
		t.Error("a view over the limit was stored")
	}
}
