package webhook

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// storedTenants serves tenants as a table written before validation
// refused mistyped references would.
type storedTenants map[string]tenants.Tenant

func (s storedTenants) Get(_ context.Context, id string) (tenants.Tenant, error) {
	if t, ok := s[id]; ok {
		return t, nil
	}
	return tenants.Tenant{}, tenants.ErrNotFound
}

// A mistyped secret reference is never the signing key: a webhook signed
// with the reference's own text is refused.
func TestMistypedSecretReferenceIsNotASigningKey(t *testing.T) {
	const ref = "SSM:/boardpack/typo/whsec"
	h := newHarness(t, func(w *Webhook) {
		w.Tenants = storedTenants{"typo": tenantDoc("typo", tenants.Stripe{WebhookSecrets: []string{ref}})}
	})
	body := capturedCharge(t)
	if got := h.post(t, "typo", body, sign(body, ref, time.Now())); got == http.StatusOK {
		t.Fatalf("a webhook signed with the text of a mistyped reference was accepted")
	}
	if n := len(h.received(t, 1)); n != 0 {
		t.Fatalf("%d metric events published", n)
	}
}
