package mailer

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/platform/logging"
)

// Unsubscribe tokens: base64url(JSON claims) "." base64url(HMAC-SHA256).
// They name the tenant, role and address, and expire.

var (
	errForged  = errors.New("unsubscribe token is not valid")
	errExpired = errors.New("unsubscribe token has expired")
)

type unsubClaims struct {
	Tenant  string `json:"t"`
	Role    string `json:"r"`
	Address string `json:"a"`
	Expires int64  `json:"e"`
}

func signUnsubscribe(key []byte, c unsubClaims) string {
	payload, _ := json.Marshal(c) // plain strings and an int cannot fail
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(mac(key, p))
}

func mac(key []byte, payload string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(payload))
	return h.Sum(nil)
}

func verifyUnsubscribe(key []byte, token string, now time.Time) (unsubClaims, error) {
	p, sig, ok := strings.Cut(token, ".")
	if !ok {
		return unsubClaims{}, errForged
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(key, p)) {
		return unsubClaims{}, errForged
	}
	raw, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return unsubClaims{}, errForged
	}
	var c unsubClaims
	if err := json.Unmarshal(raw, &c); err != nil || !messages.ValidTenantID(c.Tenant) || !messages.ValidRole(c.Role) || c.Address == "" {
		return unsubClaims{}, errForged
	}
	if now.Unix() >= c.Expires {
		return c, errExpired
	}
	return c, nil
}

type unsubscriber interface {
	Unsubscribe(ctx context.Context, tenantID, role, address string) error
}

// UnsubscribeHandler serves POST /unsubscribe?token=... (RFC 8058 one-click:
// the body is "List-Unsubscribe=One-Click"; any POST with a valid token
// unsubscribes). Repeating it succeeds again and changes nothing.
func UnsubscribeHandler(key []byte, store unsubscriber, now func() time.Time, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		c, err := verifyUnsubscribe(key, r.URL.Query().Get("token"), now())
		switch {
		case errors.Is(err, errExpired):
			http.Error(w, "this unsubscribe link has expired; reply to the report email instead", http.StatusGone)
			return
		case err != nil:
			http.Error(w, "invalid unsubscribe link", http.StatusForbidden)
			return
		}
		if err := store.Unsubscribe(r.Context(), c.Tenant, c.Role, c.Address); err != nil {
			log.Error("unsubscribe", logging.TenantKey, c.Tenant, "role", c.Role, "err", err)
			http.Error(w, "try again later", http.StatusServiceUnavailable)
			return
		}
		log.Info("unsubscribed", logging.TenantKey, c.Tenant, "role", c.Role)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "You will no longer receive the %s report.\n", c.Role)
	}
}

// UnsubscribeConfirm serves GET /unsubscribe?token=...: the visible link
// in a report's footer. A GET never unsubscribes (mail scanners follow
// links); it checks the token and shows one button that POSTs it.
func UnsubscribeConfirm(key []byte, now func() time.Time) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token := r.URL.Query().Get("token")
		c, err := verifyUnsubscribe(key, token, now())
		switch {
		case errors.Is(err, errExpired):
			http.Error(w, "this unsubscribe link has expired; reply to the report email instead", http.StatusGone)
			return
		case err != nil:
			http.Error(w, "invalid unsubscribe link", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprintf(w, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark"><title>Unsubscribe</title></head>`+
			`<body style="font-family:Helvetica,Arial,sans-serif;font-size:16px;padding:16px"><p>Stop sending the %s report to %s?</p>`+
			`<form method="post" action="/unsubscribe?token=%s"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit" style="font-size:16px;padding:8px 16px">Unsubscribe</button></form></body></html>`,
			html.EscapeString(strings.ToUpper(c.Role)), html.EscapeString(c.Address), html.EscapeString(url.QueryEscape(token)))
	}
}
