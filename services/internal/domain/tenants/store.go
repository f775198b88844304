package tenants

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/boardpack/boardpack/services/internal/platform/table"
)

// ErrNotFound is returned for a tenant that was never applied.
var ErrNotFound = errors.New("tenant not found")

const (
	attrConfig   = "config"
	attrApplied  = "applied_at"
	maxTxnTenant = 100
)

// DynamoAPI is what the store needs of DynamoDB.
type DynamoAPI interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// Store keeps tenants in the table.
type Store struct {
	DB    DynamoAPI
	Table string
}

// Apply writes every tenant of a validated file. Up to 100 tenants are
// written in one transaction, so a file either applies whole or not at all.
func (s Store) Apply(ctx context.Context, f File) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if len(f.Tenants) > maxTxnTenant {
		return fmt.Errorf("tenants file has %d tenants; at most %d are applied at once", len(f.Tenants), maxTxnTenant)
	}
	now := time.Now().UTC().Format(time.RFC3339)
	items := make([]types.TransactWriteItem, 0, len(f.Tenants))
	for _, t := range f.Tenants {
		doc, err := json.Marshal(t)
		if err != nil {
			return fmt.Errorf("tenant %s: encode: %w", t.ID, err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(s.Table),
			Item: map[string]types.AttributeValue{
				table.AttrPK:     table.S(table.PK(t.ID)),
				table.AttrSK:     table.S(table.SKConfig),
				table.AttrGSI1PK: table.S(table.GSI1Tenants),
				table.AttrGSI1SK: table.S(t.ID),
				attrConfig:       table.S(string(doc)),
				attrApplied:      table.S(now),
			},
		}})
	}
	if _, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}); err != nil {
		return fmt.Errorf("apply tenants: %w", err)
	}
	return nil
}

// Get reads one tenant.
func (s Store) Get(ctx context.Context, id string) (Tenant, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table),
		Key:       table.Key(id, table.SKConfig),
	})
	if err != nil {
		return Tenant{}, fmt.Errorf("get tenant %s: %w", id, err)
	}
	if out.Item == nil {
		return Tenant{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return decode(out.Item)
}

// List reads every tenant, ordered by id.
func (s Store) List(ctx context.Context) ([]Tenant, error) {
	var out []Tenant
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		IndexName:                 aws.String(table.IndexGSI1),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": table.AttrGSI1PK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": table.S(table.GSI1Tenants)},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list tenants: %w", err)
		}
		for _, item := range page.Items {
			t, err := decode(item)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func decode(item map[string]types.AttributeValue) (Tenant, error) {
	doc, ok := item[attrConfig].(*types.AttributeValueMemberS)
	if !ok {
		return Tenant{}, errors.New("tenant item without config")
	}
	var t Tenant
	if err := json.Unmarshal([]byte(doc.Value), &t); err != nil {
		return Tenant{}, fmt.Errorf("decode tenant: %w", err)
	}
	return t, nil
}

// Cache reads tenants through a store and keeps each for TTL, so services
// see an applied change within TTL without a restart, and the hot path
// (a webhook, a report) does not read the table every time.
type Cache struct {
	Store Store
	TTL   time.Duration

	mu      sync.Mutex
	entries map[string]cacheEntry
}

type cacheEntry struct {
	t   Tenant
	err error
	at  time.Time
}

// Get returns the tenant, from the cache when fresh. A missing tenant is
// cached too (for TTL), so unknown-tenant traffic cannot hammer the table.
func (c *Cache) Get(ctx context.Context, id string) (Tenant, error) {
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if ok && time.Since(e.at) < c.TTL {
		return e.t, e.err
	}
	t, err := c.Store.Get(ctx, id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		if ok {
			// The table is unreachable: keep serving what we had.
			return e.t, e.err
		}
		return Tenant{}, err
	}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]cacheEntry{}
	}
	c.entries[id] = cacheEntry{t: t, err: err, at: time.Now()}
	c.mu.Unlock()
	return t, err
}
