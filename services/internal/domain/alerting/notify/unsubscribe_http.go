package notify

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/platform/logging"
)

// Unsubscriber records an address's unsubscribe (delivery.Store).
type Unsubscriber interface {
	Unsubscribe(ctx context.Context, tenantID, role, address string) error
}

// UnsubscribeHandler serves POST /alerts/unsubscribe?token=... (RFC 8058
// one-click): the address stops receiving that rule's alerts by email.
// Repeating it succeeds again and changes nothing.
func UnsubscribeHandler(key []byte, store Unsubscriber, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		c, err := VerifyUnsubscribe(key, r.URL.Query().Get("token"), time.Now())
		if err != nil {
			http.Error(w, "invalid or expired unsubscribe link", http.StatusForbidden)
			return
		}
		if err := store.Unsubscribe(r.Context(), c.Tenant, UnsubscribeRole(c.Rule), c.Address); err != nil {
			log.Error("unsubscribe from alert", logging.TenantKey, c.Tenant, "rule", c.Rule, "err", delivery.NewAddrHasher(key).Err(err))
			http.Error(w, "try again later", http.StatusServiceUnavailable)
			return
		}
		log.Info("unsubscribed from alert", logging.TenantKey, c.Tenant, "rule", c.Rule)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "You will no longer receive the %q alert by email.\n", c.Rule)
	}
}
