package readmodel

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/platform/table"
)

// Memory is an in-memory ledger with the same semantics as Store: one
// immutable fact per key under the tenant, a second put of the same fact
// is a duplicate; a late fact changes the tenant's carry epoch, and
// carries are cached under it. It is for tests and benchmarks that need
// no DynamoDB (nothing in production uses it); the same test suite runs
// against both (see the package tests). Reads cost in proportion to the
// range read, as a DynamoDB Query does, and are counted (ItemsRead).
type Memory struct {
	mu      sync.Mutex
	tenants map[string]*memTenant
	seq     int
	read    int
}

type memTenant struct {
	// items holds each fact or finding as its JSON, as Store's doc
	// attribute does: reads decode it, and a ledger of years holds no
	// pointers for the garbage collector to trace (which would charge
	// the history's size to every report built beside it).
	items  map[string][]byte // sort key -> JSON
	keys   []string          // sorted sort keys, when !dirty
	dirty  bool
	epoch  string
	carry  map[string]memCarry // boundary + part -> carry
	writes map[string]int      // partition key -> items written
}

type memCarry struct {
	epoch string
	c     Carry
}

// NewMemory returns an empty in-memory ledger.
func NewMemory() *Memory { return &Memory{tenants: map[string]*memTenant{}} }

func (m *Memory) tenant(id string) *memTenant {
	t := m.tenants[id]
	if t == nil {
		t = &memTenant{items: map[string][]byte{}, carry: map[string]memCarry{}, writes: map[string]int{}}
		m.tenants[id] = t
	}
	return t
}

func (m *Memory) put(tenantID, eventID, sk string, occurred time.Time, v any) (bool, error) {
	doc, err := json.Marshal(v)
	if err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tenant(tenantID)
	t.writes[table.FactPK(tenantID, eventID)]++
	_, dup := t.items[sk]
	if !dup {
		t.items[sk] = doc
		t.dirty = true
	}
	if Late(occurred, time.Now()) {
		m.seq++
		t.epoch = strconv.Itoa(m.seq) + "#" + sk
	}
	return dup, nil
}

// PutFact records a metric event, like Store.PutFact.
func (m *Memory) PutFact(_ context.Context, e messages.MetricEvent) (bool, error) {
	if err := e.Validate(); err != nil {
		return false, err
	}
	return m.put(e.TenantID, e.EventID, FactKey(e), e.OccurredAt, e)
}

// PutFinding records a finding observation, like Store.PutFinding.
func (m *Memory) PutFinding(_ context.Context, f messages.Finding) (bool, error) {
	if err := f.Validate(); err != nil {
		return false, err
	}
	return m.put(f.TenantID, f.EventID, findingKey(f), f.OccurredAt, f)
}

// PartitionWrites returns how many puts went to each partition key of the
// tenant (as Store would send them: table.FactPK).
func (m *Memory) PartitionWrites(tenantID string) map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for k, v := range m.tenant(tenantID).writes {
		out[k] = v
	}
	return out
}

// ItemsRead returns how many ledger and carry items reads have returned
// so far (carry: one per part, as Store's chunks of a small carry).
func (m *Memory) ItemsRead() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.read
}

// scan returns the docs of the items with sort keys in [lo, hi) in key
// order.
func (m *Memory) scan(tenantID, lo, hi string) [][]byte {
	t := m.tenant(tenantID)
	if t.dirty {
		t.keys = t.keys[:0]
		for k := range t.items {
			t.keys = append(t.keys, k)
		}
		sort.Strings(t.keys)
		t.dirty = false
	}
	i := sort.SearchStrings(t.keys, lo)
	var out [][]byte
	for ; i < len(t.keys) && t.keys[i] < hi; i++ {
		out = append(out, t.items[t.keys[i]])
	}
	m.read += len(out)
	return out
}

// Facts returns the tenant's facts of one metric in [from, until), like
// Store.Facts, in key order.
func (m *Memory) Facts(_ context.Context, tenantID, metric string, from, until time.Time) ([]messages.MetricEvent, error) {
	if !messages.ValidTenantID(tenantID) {
		return nil, fmt.Errorf("invalid tenant id %q", tenantID)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	prefix := table.FactPrefix(metric)
	lo := prefix
	if !from.IsZero() {
		lo += from.UTC().Format(table.TimeKey)
	}
	var out []messages.MetricEvent
	for _, doc := range m.scan(tenantID, lo, prefix+until.UTC().Format(table.TimeKey)) {
		var e messages.MetricEvent
		if err := json.Unmarshal(doc, &e); err != nil {
			return nil, err
		}
		if e.Metric == metric && !e.OccurredAt.Before(from) && e.OccurredAt.Before(until) {
			out = append(out, e)
		}
	}
	return out, nil
}

// FactsConsistent is Facts: memory is always consistent.
func (m *Memory) FactsConsistent(ctx context.Context, tenantID, metric string, from, until time.Time) ([]messages.MetricEvent, error) {
	return m.Facts(ctx, tenantID, metric, from, until)
}

// Findings returns the tenant's finding observations before until.
func (m *Memory) Findings(ctx context.Context, tenantID string, until time.Time) ([]messages.Finding, error) {
	return m.FindingsBetween(ctx, tenantID, time.Time{}, until)
}

// FindingsBetween returns the tenant's finding observations in
// [from, until), in key order.
func (m *Memory) FindingsBetween(_ context.Context, tenantID string, from, until time.Time) ([]messages.Finding, error) {
	if !messages.ValidTenantID(tenantID) {
		return nil, fmt.Errorf("invalid tenant id %q", tenantID)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	lo := table.PrefixFinding
	if !from.IsZero() {
		lo += from.UTC().Format(table.TimeKey)
	}
	var out []messages.Finding
	for _, doc := range m.scan(tenantID, lo, table.PrefixFinding+until.UTC().Format(table.TimeKey)) {
		var f messages.Finding
		if err := json.Unmarshal(doc, &f); err != nil {
			return nil, err
		}
		if !f.OccurredAt.Before(from) && f.OccurredAt.Before(until) {
			out = append(out, f)
		}
	}
	return out, nil
}

// CarryEpoch returns the tenant's carry epoch.
func (m *Memory) CarryEpoch(_ context.Context, tenantID string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tenant(tenantID).epoch, nil
}

// LoadCarry returns the parts of the carry as of boundary stored under
// epoch.
func (m *Memory) LoadCarry(_ context.Context, tenantID string, boundary time.Time, epoch string) (map[string]Carry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	prefix := table.CarryPrefix(boundary)
	out := map[string]Carry{}
	for k, c := range m.tenant(tenantID).carry {
		if part, ok := strings.CutPrefix(k, prefix); ok {
			m.read++
			if c.epoch == epoch {
				out[part] = c.c
			}
		}
	}
	return out, nil
}

// StoreCarry stores carry parts as of boundary under epoch.
func (m *Memory) StoreCarry(_ context.Context, tenantID string, boundary time.Time, epoch string, parts map[string]Carry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.tenant(tenantID)
	for name, c := range parts {
		t.carry[table.CarryPrefix(boundary)+name] = memCarry{epoch: epoch, c: c}
	}
	return nil
}
