package mailer

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/platform/logging"
)

// View-in-browser links: /reports/{report id}?t=<tenant>&e=<expiry, unix>&k=<key id>&s=<hex HMAC-SHA256>,
// the MAC over "view|tenant|report id|expiry|key id" with the key named by
// the key id. The first key of BOARDPACK_MAILER_VIEW_KEYS signs and every
// key verifies, so a key rotates by putting the new one first and
// dropping the old one once its links have expired. The link shows one
// report, read-only; it names no recipient (every recipient of a report
// gets the same link, and the page has no unsubscribe token).

// ViewKey is one signing key of view links.
type ViewKey struct {
	ID     string
	Secret string
}

// ViewKeys are the view-link keys: the first signs, all verify.
type ViewKeys []ViewKey

var viewKeyID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// ParseViewKeys reads "kid1:secret1,kid2:secret2", or the same as a JSON
// object {"kid1":"secret1","kid2":"secret2"} in that order (the form a
// Secrets Manager secret injects), and returns every problem at once.
func ParseViewKeys(s string) (ViewKeys, error) {
	parts := strings.Split(s, ",")
	if strings.HasPrefix(strings.TrimSpace(s), "{") {
		var err error
		if parts, err = jsonPairs(s); err != nil {
			return nil, err
		}
	}
	var keys ViewKeys
	var errs []error
	seen := map[string]bool{}
	for i, part := range parts {
		part = strings.TrimSpace(part)
		kid, secret, ok := strings.Cut(part, ":")
		switch {
		case part == "":
			errs = append(errs, fmt.Errorf("key %d: empty", i+1))
		case !ok || !viewKeyID.MatchString(kid):
			errs = append(errs, fmt.Errorf("key %d: want kid:secret with kid of [A-Za-z0-9_-], at most 32", i+1))
		case len(secret) < 32:
			errs = append(errs, fmt.Errorf("key %q: secret of at least 32 characters", kid))
		case seen[kid]:
			errs = append(errs, fmt.Errorf("key %q: listed twice", kid))
		default:
			seen[kid] = true
			keys = append(keys, ViewKey{ID: kid, Secret: secret})
		}
	}
	return keys, errors.Join(errs...)
}

// jsonPairs reads a JSON object of strings as "key:value" in its order.
func jsonPairs(s string) ([]string, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object of key ids to secrets")
	}
	var out []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("JSON: %w", err)
		}
		var v string
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("key %v: the secret must be a JSON string", k)
		}
		out = append(out, fmt.Sprint(k)+":"+v)
	}
	if len(out) == 0 {
		return nil, errors.New("no keys")
	}
	return out, nil
}

// String masks the secrets.
func (k ViewKeys) String() string {
	var ids []string
	for _, key := range k {
		ids = append(ids, key.ID+":***")
	}
	return strings.Join(ids, ",")
}

func (k ViewKeys) find(id string) (ViewKey, bool) {
	for _, key := range k {
		if key.ID == id {
			return key, true
		}
	}
	return ViewKey{}, false
}

func viewMAC(key ViewKey, tenantID, reportID string, expires int64) []byte {
	h := hmac.New(sha256.New, []byte(key.Secret))
	fmt.Fprintf(h, "view|%s|%s|%d|%s", tenantID, reportID, expires, key.ID)
	return h.Sum(nil)
}

// signView returns the path and query of a report's view link.
func signView(keys ViewKeys, tenantID, reportID string, expires time.Time) string {
	key := keys[0]
	q := url.Values{}
	q.Set("t", tenantID)
	q.Set("e", strconv.FormatInt(expires.Unix(), 10))
	q.Set("k", key.ID)
	q.Set("s", hex.EncodeToString(viewMAC(key, tenantID, reportID, expires.Unix())))
	return "/reports/" + url.PathEscape(reportID) + "?" + q.Encode()
}

var (
	errViewForged  = errors.New("view link is not valid")
	errViewExpired = errors.New("view link has expired")
)

// verifyView checks a link: forged or tampered (any part changed, an
// unknown key id) is errViewForged; a genuine link past its expiry is
// errViewExpired.
func verifyView(keys ViewKeys, reportID string, q url.Values, now time.Time) (tenantID string, err error) {
	tenantID = q.Get("t")
	key, ok := keys.find(q.Get("k"))
	expires, perr := strconv.ParseInt(q.Get("e"), 10, 64)
	sig, herr := hex.DecodeString(q.Get("s"))
	if !ok || perr != nil || herr != nil || !messages.ValidTenantID(tenantID) || reportID == "" ||
		!hmac.Equal(sig, viewMAC(key, tenantID, reportID, expires)) {
		return "", errViewForged
	}
	if now.Unix() >= expires {
		return "", errViewExpired
	}
	return tenantID, nil
}

type viewGetter interface {
	Get(ctx context.Context, tenantID, reportID string, now time.Time) (string, error)
}

// ViewHandler serves GET /reports/{id}: the report's stored page for a
// valid link; 403 for a forged or tampered link, 410 for an expired one,
// 404 for a report with no stored view, each a short plain-text page that
// shows nothing of any report.
func ViewHandler(keys ViewKeys, views viewGetter, now func() time.Time, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "private, no-store")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("X-Robots-Tag", "noindex, nofollow")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		reportID := r.PathValue("id")
		tenantID, err := verifyView(keys, reportID, r.URL.Query(), now())
		switch {
		case errors.Is(err, errViewExpired):
			http.Error(w, "this report link has expired; the report is in your email", http.StatusGone)
			return
		case err != nil:
			http.Error(w, "invalid report link", http.StatusForbidden)
			return
		}
		page, err := views.Get(r.Context(), tenantID, reportID, now())
		switch {
		case errors.Is(err, delivery.ErrViewNotFound):
			http.Error(w, "report not found", http.StatusNotFound)
			return
		case err != nil:
			log.Error("report view", logging.TenantKey, tenantID, "report_id", reportID, "err", err)
			http.Error(w, "try again later", http.StatusServiceUnavailable)
			return
		}
		// The page is the email's HTML: inline styles, data: images,
		// nothing to load and no script to run.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; img-src data:; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	}
}
