package mailer

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/report"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// TestUnsubscribeConfirmPage: the footer's visible link shows a button
// and unsubscribes nobody; a forged or expired link shows nothing.
func TestUnsubscribeConfirmPage(t *testing.T) {
	key := []byte("0123456789abcdef0123")
	now := time.Now()
	srv := httptest.NewServer(UnsubscribeConfirm(key, func() time.Time { return now }))
	defer srv.Close()
	get := func(token string) (int, string) {
		resp, err := http.Get(srv.URL + "/unsubscribe?token=" + url.QueryEscape(token))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	good := signUnsubscribe(key, unsubClaims{Tenant: "queen", Role: "ceo", Address: "ceo@queen.example.com", Expires: now.Add(time.Hour).Unix()})
	if code, body := get(good); code != http.StatusOK || !strings.Contains(body, `<form method="post" action="/unsubscribe?token=`) || !strings.Contains(body, "Stop sending the CEO report to ceo@queen.example.com?") {
		t.Errorf("good link: %d\n%s", code, body)
	}
	forged := signUnsubscribe([]byte("not-the-key-0123456"), unsubClaims{Tenant: "queen", Role: "ceo", Address: "a@b.c", Expires: now.Add(time.Hour).Unix()})
	if code, body := get(forged); code != http.StatusForbidden || strings.Contains(body, "form") {
		t.Errorf("forged: %d %s", code, body)
	}
	expired := signUnsubscribe(key, unsubClaims{Tenant: "queen", Role: "ceo", Address: "a@b.c", Expires: now.Add(-time.Minute).Unix()})
	if code, _ := get(expired); code != http.StatusGone {
		t.Errorf("expired: %d", code)
	}
}

// TestComposeFillsTheVisibleUnsubscribeLink: each recipient's email
// carries their own signed link in the body, not the placeholder.
func TestComposeFillsTheVisibleUnsubscribeLink(t *testing.T) {
	m := &Mailer{cfg: Settings{PublicURL: "https://reports.example.com", UnsubscribeKey: "0123456789abcdef0123", UnsubscribeTTL: time.Hour, Sender: "reports@example.com"}, now: time.Now}
	tn := tenants.Tenant{ID: "queen", Name: "Queen", Email: tenants.Email{From: "Queen <r@queen.example.com>"}}
	r := report.Rendered{Subject: "S", HTML: `<p><a href="` + report.UnsubscribePlaceholder + `">Unsubscribe</a></p>`, Text: "Unsubscribe: " + report.UnsubscribePlaceholder}
	raw, err := m.compose(tenantIdentity(tn), messages.ReportDue{ReportID: "rpt_1", Role: "ceo"}, r, "ceo@queen.example.com", false)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(raw); strings.Contains(s, "unsubscribe.boardpack.invalid") || !strings.Contains(s, "reports.example.com/unsubscr") {
		t.Errorf("the placeholder is left or the signed link is missing:\n%.2000s", s)
	}
	// The audit copy gets no token of the recipient's in its body either.
	raw, err = m.compose(tenantIdentity(tn), messages.ReportDue{ReportID: "rpt_1", Role: "ceo"}, r, "ceo@queen.example.com", true)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(raw); strings.Contains(s, "unsubscribe.boardpack.invalid") || strings.Contains(s, "token=") {
		t.Errorf("the audit copy carries the placeholder or a token:\n%.2000s", s)
	}
}
