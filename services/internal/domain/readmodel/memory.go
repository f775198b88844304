package readmodel

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/platform/table"
)

// Memory is an in-memory ledger with the same semantics as Store: one
// immutable fact per key under the tenant, a second put of the same fact
// is a duplicate. It is for tests that need no DynamoDB (nothing in
// production uses it); the same test suite runs against both (see the
// package tests).
type Memory struct {
	mu    sync.Mutex
	items map[string]map[string]any // tenant -> sort key -> fact
}

// NewMemory returns an empty in-memory ledger.
func NewMemory() *Memory { return &Memory{items: map[string]map[string]any{}} }

func (m *Memory) put(tenantID, sk string, v any) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.items[tenantID]
	if t == nil {
		t = map[string]any{}
		m.items[tenantID] = t
	}
	if _, ok := t[sk]; ok {
		return true
	}
	t[sk] = v
	return false
}

// PutFact records a metric event, like Store.PutFact.
func (m *Memory) PutFact(_ context.Context, e messages.MetricEvent) (bool, error) {
	if err := e.Validate(); err != nil {
		return false, err
	}
	return m.put(e.TenantID, FactKey(e), e), nil
}

// PutFinding records a finding observation, like Store.PutFinding.
func (m *Memory) PutFinding(_ context.Context, f messages.Finding) (bool, error) {
	if err := f.Validate(); err != nil {
		return false, err
	}
	return m.put(f.TenantID, findingKey(f), f), nil
}

// Facts returns the tenant's facts of one metric in [from, until), like
// Store.Facts, in key order.
func (m *Memory) Facts(_ context.Context, tenantID, metric string, from, until time.Time) ([]messages.MetricEvent, error) {
	if !messages.ValidTenantID(tenantID) {
		return nil, fmt.Errorf("invalid tenant id %q", tenantID)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for sk, v := range m.items[tenantID] {
		e, ok := v.(messages.MetricEvent)
		if ok && strings.HasPrefix(sk, table.PrefixFact) && e.Metric == metric && !e.OccurredAt.Before(from) && e.OccurredAt.Before(until) {
			keys = append(keys, sk)
		}
	}
	sort.Strings(keys)
	out := make([]messages.MetricEvent, 0, len(keys))
	for _, k := range keys {
		out = append(out, m.items[tenantID][k].(messages.MetricEvent))
	}
	return out, nil
}

// Findings returns the tenant's finding observations before until.
func (m *Memory) Findings(_ context.Context, tenantID string, until time.Time) ([]messages.Finding, error) {
	if !messages.ValidTenantID(tenantID) {
		return nil, fmt.Errorf("invalid tenant id %q", tenantID)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for sk, v := range m.items[tenantID] {
		if f, ok := v.(messages.Finding); ok && f.OccurredAt.Before(until) {
			keys = append(keys, sk)
		}
	}
	sort.Strings(keys)
	out := make([]messages.Finding, 0, len(keys))
	for _, k := range keys {
		out = append(out, m.items[tenantID][k].(messages.Finding))
	}
	return out, nil
}
