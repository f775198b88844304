package webhook

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

type tenantLister interface {
	List(ctx context.Context) ([]tenants.Tenant, error)
}

// knownTenants answers an unknown tenant id without reading the table and
// without remembering the id. The path of POST /webhooks/stripe/{tenant} is
// the caller's: caching each unknown id (as tenants.Cache does) cost one
// GetItem and a cache entry per new id, so a flood of made-up ids grew the
// heap without bound (200,000 ids: 101 MiB). Instead the set of applied
// tenant ids is read with one List every refresh interval, and memory is
// that set, whatever the traffic. A tenant applied since the last refresh is
// answered 404 for up to one interval; Stripe retries non-2xx answers for
// days, so nothing is lost.
type knownTenants struct {
	next    tenantGetter // known ids only: the positive cache
	list    tenantLister
	refresh time.Duration
	now     func() time.Time

	mu         sync.Mutex
	ids        map[string]struct{}
	at         time.Time
	refreshing bool
}

// NewTenantLookup is the webhook's tenant lookup: known ids from a list
// refreshed every ttl, each known tenant cached for ttl.
func NewTenantLookup(store tenants.Store, ttl time.Duration) *knownTenants {
	return &knownTenants{next: &tenants.Cache{Store: store, TTL: ttl}, list: store, refresh: ttl, now: time.Now}
}

// Get returns the tenant, or ErrNotFound at once for an id that is not
// applied.
func (k *knownTenants) Get(ctx context.Context, id string) (tenants.Tenant, error) {
	if ids, ok := k.known(ctx); ok {
		if _, known := ids[id]; !known {
			return tenants.Tenant{}, fmt.Errorf("%w: %s", tenants.ErrNotFound, id)
		}
	}
	return k.next.Get(ctx, id)
}

// known returns the set of applied ids, refreshed when older than the
// interval: one List at a time, while the other requests use the set they
// have. ok is false when no set could be read yet: then every id goes to
// the cache.
func (k *knownTenants) known(ctx context.Context) (map[string]struct{}, bool) {
	k.mu.Lock()
	ids, fresh := k.ids, k.ids != nil && k.now().Sub(k.at) < k.refresh
	if fresh || (k.refreshing && ids != nil) {
		k.mu.Unlock()
		return ids, ids != nil
	}
	k.refreshing = true
	k.mu.Unlock()

	list, err := k.list.List(ctx)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.refreshing = false
	if err != nil {
		// The table is unreachable: keep the last set (retried after an
		// interval, not per request), or none.
		if k.ids != nil {
			k.at = k.now()
		}
		return k.ids, k.ids != nil
	}
	ids = make(map[string]struct{}, len(list))
	for _, t := range list {
		ids[t.ID] = struct{}{}
	}
	k.ids, k.at = ids, k.now()
	return ids, true
}
