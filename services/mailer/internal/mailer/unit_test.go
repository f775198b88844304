package mailer

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/smithy-go"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/domain/report"
)

func TestHeadersWithLineBreaksFailBeforeMIME(t *testing.T) {
	ok := envelope{From: "Queen <r@queen.example.com>", To: "ceo@queen.example.com", Subject: "Report", ReportID: "rpt_1", Date: time.Now()}
	if _, err := buildMIME(ok, report.Rendered{Subject: "Report", HTML: "<p>x</p>", Text: "x"}, testSender); err != nil {
		t.Fatalf("valid envelope: %v", err)
	}
	for name, mutate := range map[string]func(*envelope){
		"subject":       func(e *envelope) { e.Subject = "Report\r\nBcc: evil@example.com" },
		"from name":     func(e *envelope) { e.From = "Queen\n <r@queen.example.com>" },
		"to":            func(e *envelope) { e.To = "ceo@queen.example.com\r\nBcc: evil@example.com" },
		"reply-to":      func(e *envelope) { e.ReplyTo = "a@b.example\nX: y" },
		"bad address":   func(e *envelope) { e.To = "not an address" },
		"no from name":  func(e *envelope) { e.From = "r@queen.example.com" },
		"empty subject": func(e *envelope) { e.Subject = " " },
	} {
		e := ok
		mutate(&e)
		raw, err := buildMIME(e, report.Rendered{}, testSender)
		if !errors.Is(err, ErrBadHeader) || raw != nil {
			t.Errorf("%s: err=%v, want ErrBadHeader and no MIME", name, err)
		}
	}
}

func TestUnsubscribeTokens(t *testing.T) {
	key := []byte("0123456789abcdef")
	now := time.Unix(1_800_000_000, 0)
	c := unsubClaims{Tenant: "jada", Role: "cfo", Address: "cfo@jada.example.com", Expires: now.Add(time.Hour).Unix()}
	tok := signUnsubscribe(key, c)
	if got, err := verifyUnsubscribe(key, tok, now); err != nil || got != c {
		t.Fatalf("verify = %+v, %v", got, err)
	}
	if _, err := verifyUnsubscribe(key, tok, now.Add(2*time.Hour)); !errors.Is(err, errExpired) {
		t.Errorf("expired token: %v", err)
	}
	if _, err := verifyUnsubscribe([]byte("another-key-0123456"), tok, now); !errors.Is(err, errForged) {
		t.Errorf("token signed with another key: %v", err)
	}
	other := signUnsubscribe(key, unsubClaims{Tenant: "jada", Role: "ceo", Address: "cfo@jada.example.com", Expires: c.Expires})
	p, _, _ := strings.Cut(other, ".")
	_, sig, _ := strings.Cut(tok, ".")
	if _, err := verifyUnsubscribe(key, p+"."+sig, now); !errors.Is(err, errForged) {
		t.Errorf("payload swapped under a valid signature: %v", err)
	}
	for _, junk := range []string{"", ".", "abc", "a.b"} {
		if _, err := verifyUnsubscribe(key, junk, now); !errors.Is(err, errForged) {
			t.Errorf("%q: %v", junk, err)
		}
	}
}

// fakeSES throttles the first n calls; moto never throttles, so the retry
// path can only be exercised against a stand-in.
type fakeSES struct {
	mu       sync.Mutex
	throttle int
	reject   bool
	calls    int
	rate     float64
}

func (f *fakeSES) SendRawEmail(context.Context, *ses.SendRawEmailInput, ...func(*ses.Options)) (*ses.SendRawEmailOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.reject {
		return nil, &smithy.GenericAPIError{Code: "MessageRejected", Message: "Email address is not verified."}
	}
	if f.calls <= f.throttle {
		return nil, &smithy.GenericAPIError{Code: "Throttling", Message: "Maximum sending rate exceeded."}
	}
	return &ses.SendRawEmailOutput{MessageId: aws.String("msg-1")}, nil
}

func (f *fakeSES) GetSendQuota(context.Context, *ses.GetSendQuotaInput, ...func(*ses.Options)) (*ses.GetSendQuotaOutput, error) {
	return &ses.GetSendQuotaOutput{MaxSendRate: f.rate}, nil
}

func fastSender(api sesAPI) (*sender, *[]time.Duration) {
	s := newSender(api, testSender, "set", 0, time.Minute)
	var slept []time.Duration
	clock := time.Unix(0, 0)
	s.now = func() time.Time { return clock }
	s.sleep = func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		clock = clock.Add(d)
		return nil
	}
	return s, &slept
}

func TestThrottlingIsRetriedWithBackoffThenGivenBack(t *testing.T) {
	api := &fakeSES{throttle: 3, rate: 14}
	s, slept := fastSender(api)
	id, err := s.send(context.Background(), rawEmail{Destinations: []string{"a@b.example"}, Data: []byte("x")})
	if err != nil || id != "msg-1" || api.calls != 4 || s.Throttles != 3 {
		t.Fatalf("id=%q err=%v calls=%d throttles=%d", id, err, api.calls, s.Throttles)
	}
	if len(*slept) < 3 {
		t.Fatalf("slept %v, want a backoff after each throttle", *slept)
	}
	api = &fakeSES{throttle: 100, rate: 14}
	s, _ = fastSender(api)
	if _, err := s.send(context.Background(), rawEmail{Data: []byte("x")}); !errors.Is(err, ErrThrottled) || api.calls != s.attempts {
		t.Fatalf("endless throttling: err=%v after %d calls, want ErrThrottled after %d", err, api.calls, s.attempts)
	}
	api = &fakeSES{reject: true, rate: 14}
	s, _ = fastSender(api)
	if _, err := s.send(context.Background(), rawEmail{Data: []byte("x")}); !errors.Is(err, ErrRejected) || api.calls != 1 {
		t.Fatalf("rejection: err=%v after %d calls, want ErrRejected after 1", err, api.calls)
	}
}

func TestUnsubscribeEndpoint(t *testing.T) {
	w := newWorld(t)
	key := []byte("0123456789abcdef0123")
	now := time.Now()
	h := http.NewServeMux()
	h.HandleFunc("POST /unsubscribe", UnsubscribeHandler(key, w.store, func() time.Time { return now }, discard()))
	srv := httptest.NewServer(h)
	defer srv.Close()
	post := func(token string) int {
		resp, err := http.Post(srv.URL+"/unsubscribe?token="+url.QueryEscape(token), "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	good := signUnsubscribe(key, unsubClaims{Tenant: w.tenant.ID, Role: "ceo", Address: "ceo@queen.example.com", Expires: now.Add(time.Hour).Unix()})
	if resp, err := http.Get(srv.URL + "/unsubscribe?token=" + url.QueryEscape(good)); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %v %v, want 405 (a link scanner must not unsubscribe)", resp.StatusCode, err)
	}
	if st, _, _ := w.store.Blocked(context.Background(), w.tenant.ID, "ceo", "ceo@queen.example.com"); st != "" {
		t.Fatal("unsubscribed by a GET")
	}
	for i := 0; i < 2; i++ {
		if code := post(good); code != http.StatusOK {
			t.Fatalf("POST #%d: %d, want 200 (idempotent)", i+1, code)
		}
	}
	forged := signUnsubscribe([]byte("not-the-key-0123456"), unsubClaims{Tenant: w.tenant.ID, Role: "cfo", Address: "cfo@queen.example.com", Expires: now.Add(time.Hour).Unix()})
	if code := post(forged); code != http.StatusForbidden {
		t.Errorf("forged: %d, want 403", code)
	}
	expired := signUnsubscribe(key, unsubClaims{Tenant: w.tenant.ID, Role: "cfo", Address: "cfo@queen.example.com", Expires: now.Add(-time.Minute).Unix()})
	if code := post(expired); code != http.StatusGone {
		t.Errorf("expired: %d, want 410", code)
	}
	if st, _, _ := w.store.Blocked(context.Background(), w.tenant.ID, "cfo", "cfo@queen.example.com"); st != "" {
		t.Error("a forged or expired token unsubscribed someone")
	}
	// The role's next report is not sent to the address; other roles are.
	m := w.mailer(t, testSender)
	d := due(w.tenant.ID, messages.RoleCEO)
	if err := m.deliver(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	rec, _, _ := w.store.Get(context.Background(), w.tenant.ID, d.ReportID, "ceo@queen.example.com")
	if rec.Status != delivery.StatusUnsubscribed || len(emailsFor(t, d.ReportID)) != 0 {
		t.Fatalf("after unsubscribe: status %q, %d emails", rec.Status, len(emailsFor(t, d.ReportID)))
	}
}
