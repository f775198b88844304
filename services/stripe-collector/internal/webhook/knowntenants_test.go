package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/boardpack/boardpack/services/internal/platform/table"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// countingDynamo serves the tenant table's two reads from memory and
// counts them.
type countingDynamo struct {
	tenants       []tenants.Tenant
	gets, queries atomic.Int64
}

func (d *countingDynamo) item(t tenants.Tenant) map[string]types.AttributeValue {
	doc, _ := json.Marshal(t)
	return map[string]types.AttributeValue{"config": &types.AttributeValueMemberS{Value: string(doc)}}
}

func (d *countingDynamo) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	d.gets.Add(1)
	pk := in.Key["pk"].(*types.AttributeValueMemberS).Value
	for _, t := range d.tenants {
		if table.PK(t.ID) == pk {
			return &dynamodb.GetItemOutput{Item: d.item(t)}, nil
		}
	}
	return &dynamodb.GetItemOutput{}, nil
}

func (d *countingDynamo) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	d.queries.Add(1)
	out := &dynamodb.QueryOutput{}
	for _, t := range d.tenants {
		out.Items = append(out.Items, d.item(t))
	}
	return out, nil
}

func (d *countingDynamo) TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return nil, errors.New("read only")
}

func (d *countingDynamo) UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return nil, errors.New("read only")
}

func (d *countingDynamo) BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	return nil, errors.New("read only")
}

func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// 1,000,000 distinct unknown tenant ids cost no table read each and leave
// the heap where it was; known tenants are still found.
func TestUnknownTenantFloodKeepsMemoryFlat(t *testing.T) {
	db := &countingDynamo{tenants: []tenants.Tenant{{ID: "acme", Name: "Acme"}, {ID: "beta", Name: "Beta"}}}
	lookup := NewTenantLookup(tenants.Store{DB: db, Table: "t"}, time.Minute)
	ctx := context.Background()
	if got, err := lookup.Get(ctx, "acme"); err != nil || got.Name != "Acme" {
		t.Fatalf("Get(acme) = %+v, %v", got, err)
	}
	before := heap()
	const n, limit = 1_000_000, 8 << 20
	for i := range n {
		id := "unknown-" + strconv.Itoa(i)
		if _, err := lookup.Get(ctx, id); !errors.Is(err, tenants.ErrNotFound) {
			t.Fatalf("Get(%s) = %v, want ErrNotFound", id, err)
		}
		if i == 1000 || i%100_000 == 99_999 {
			// Checked as it goes, so that a leak fails fast instead of
			// filling the machine.
			if g := db.gets.Load(); g > 1 {
				t.Fatalf("after %d unknown ids: %d GetItem calls, want none for unknown ids", i+1, g)
			}
			if h := heap(); h > before+limit {
				t.Fatalf("after %d unknown ids the heap grew %d bytes, want under %d", i+1, h-before, limit)
			}
		}
	}
	if q := db.queries.Load(); q != 1 {
		t.Errorf("%d List queries within one refresh interval, want 1", q)
	}
	if got, err := lookup.Get(ctx, "beta"); err != nil || got.Name != "Beta" {
		t.Errorf("Get(beta) after the flood = %+v, %v", got, err)
	}
}

// A tenant applied after the last refresh is found once the interval has
// passed.
func TestKnownTenantsRefresh(t *testing.T) {
	db := &countingDynamo{tenants: []tenants.Tenant{{ID: "acme"}}}
	now := time.Unix(0, 0)
	lookup := NewTenantLookup(tenants.Store{DB: db, Table: "t"}, time.Minute)
	lookup.now = func() time.Time { return now }
	if _, err := lookup.Get(context.Background(), "newco"); !errors.Is(err, tenants.ErrNotFound) {
		t.Fatalf("Get(newco) before it is applied = %v", err)
	}
	db.tenants = append(db.tenants, tenants.Tenant{ID: "newco", Name: "New"})
	now = now.Add(time.Minute)
	if got, err := lookup.Get(context.Background(), "newco"); err != nil || got.Name != "New" {
		t.Fatalf("Get(newco) after a refresh = %+v, %v", got, err)
	}
}
