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

// ErrNotFound is returned for a tenant that was never applied (or was
// purged).
var ErrNotFound = errors.New("tenant not found")

// ErrDeleted is returned by Get for a tenant marked deleted. It wraps
// ErrNotFound, so every service that skips an unknown tenant (the mailer,
// the stripe-collector) skips a deleted one too; List leaves deleted
// tenants out, so the scheduler and the aws-collector stop for them.
var ErrDeleted = fmt.Errorf("%w: deleted", ErrNotFound)

const (
	attrConfig  = "config"
	attrApplied = "applied_at"
	attrDeleted = "deleted_at"
	// maxTxnTenant is DynamoDB's limit of items per transaction.
	maxTxnTenant = 100
)

// DynamoAPI is what the store needs of DynamoDB.
type DynamoAPI interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// Store keeps tenants in the table.
type Store struct {
	DB    DynamoAPI
	Table string
}

// Apply writes every tenant and portfolio of a validated file. A file of
// up to 100 tenants and portfolios (DynamoDB's limit per transaction) is
// written in one transaction, so it applies whole or not at all. A larger
// file is written in transactions of 100 items, tenants first in file
// order, then portfolios (so a portfolio's members are written before
// it): if one fails, the earlier ones stay applied and the error says how
// many; applying the same file again finishes it (a write of an unchanged
// tenant changes nothing). Applying a deleted tenant or portfolio restores
// it. A file tenant whose id is a stored portfolio's, or a file portfolio
// whose id is a stored tenant's, is refused before anything is written:
// the two share one id space and one partition per id.
func (s Store) Apply(ctx context.Context, f File) error {
	if err := f.Validate(); err != nil {
		return err
	}
	if err := s.checkIDSpace(ctx, f); err != nil {
		return err
	}
	now := time.Now().UTC().Format(time.RFC3339)
	items := make([]types.TransactWriteItem, 0, len(f.Tenants)+len(f.Portfolios))
	for _, t := range f.Tenants {
		item, err := s.configPut(t.ID, table.SKConfig, table.GSI1Tenants, t, now)
		if err != nil {
			return fmt.Errorf("tenant %s: encode: %w", t.ID, err)
		}
		items = append(items, item)
	}
	for _, p := range f.Portfolios {
		item, err := s.configPut(p.ID, table.SKPortfolio, table.GSI1Portfolios, p, now)
		if err != nil {
			return fmt.Errorf("portfolio %s: encode: %w", p.ID, err)
		}
		items = append(items, item)
	}
	for i := 0; i < len(items); i += maxTxnTenant {
		chunk := items[i:min(i+maxTxnTenant, len(items))]
		if _, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: chunk}); err != nil {
			err = fmt.Errorf("apply tenants: %w", err)
			if i > 0 {
				return fmt.Errorf("%w (the first %d of %d tenants and portfolios are applied; apply the file again to finish)", err, i, len(items))
			}
			return err
		}
	}
	return nil
}

// configPut is the Put of a tenant's or portfolio's config item.
func (s Store) configPut(id, sk, gsi1pk string, v any, now string) (types.TransactWriteItem, error) {
	doc, err := json.Marshal(v)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	return types.TransactWriteItem{Put: &types.Put{
		TableName: aws.String(s.Table),
		Item: map[string]types.AttributeValue{
			table.AttrPK:     table.S(table.PK(id)),
			table.AttrSK:     table.S(sk),
			table.AttrGSI1PK: table.S(gsi1pk),
			table.AttrGSI1SK: table.S(id),
			attrConfig:       table.S(string(doc)),
			attrApplied:      table.S(now),
		},
	}}, nil
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
	if _, deleted := out.Item[attrDeleted]; deleted {
		return Tenant{}, fmt.Errorf("%w: %s", ErrDeleted, id)
	}
	return decode(out.Item)
}

// List reads every tenant not deleted, ordered by id.
func (s Store) List(ctx context.Context) ([]Tenant, error) {
	all, err := s.ListAll(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Tenant, 0, len(all))
	for _, st := range all {
		if st.DeletedAt.IsZero() {
			out = append(out, st.Tenant)
		}
	}
	return out, nil
}

// Stored is a tenant as the table holds it.
type Stored struct {
	Tenant
	AppliedAt time.Time
	// DeletedAt is when `reportctl tenants delete` marked it (zero: active).
	DeletedAt time.Time
}

// ListAll reads every tenant, deleted ones included, ordered by id.
func (s Store) ListAll(ctx context.Context) ([]Stored, error) {
	var out []Stored
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
			out = append(out, Stored{Tenant: t, AppliedAt: timeAttr(item, attrApplied), DeletedAt: timeAttr(item, attrDeleted)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func timeAttr(item map[string]types.AttributeValue, name string) time.Time {
	v, ok := item[name].(*types.AttributeValueMemberS)
	if !ok {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339, v.Value)
	return t
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

	c ttlCache[Tenant]
}

// Get returns the tenant, from the cache when fresh. A missing tenant is
// cached too (for TTL), so unknown-tenant traffic cannot hammer the table.
func (c *Cache) Get(ctx context.Context, id string) (Tenant, error) {
	return c.c.get(ctx, id, c.TTL, c.Store.Get, ErrNotFound)
}

// PortfolioCache is Cache for portfolios (the mailer reads a portfolio
// and its members at every report).
type PortfolioCache struct {
	Store Store
	TTL   time.Duration

	c ttlCache[Portfolio]
}

// GetPortfolio returns the portfolio, from the cache when fresh; a missing
// one is cached too.
func (c *PortfolioCache) GetPortfolio(ctx context.Context, id string) (Portfolio, error) {
	return c.c.get(ctx, id, c.TTL, c.Store.GetPortfolio, ErrPortfolioNotFound)
}

// ttlCache keeps each value read for a TTL.
type ttlCache[T any] struct {
	mu      sync.Mutex
	entries map[string]cacheEntry[T]
}

type cacheEntry[T any] struct {
	v   T
	err error
	at  time.Time
}

// get returns the value of id, from the cache when fresh; an error that
// is notFound is cached like a value, any other error serves the stale
// entry if there is one.
func (c *ttlCache[T]) get(ctx context.Context, id string, ttl time.Duration, read func(context.Context, string) (T, error), notFound error) (T, error) {
	c.mu.Lock()
	e, ok := c.entries[id]
	c.mu.Unlock()
	if ok && time.Since(e.at) < ttl {
		return e.v, e.err
	}
	v, err := read(ctx, id)
	if err != nil && !errors.Is(err, notFound) {
		if ok {
			// The table is unreachable: keep serving what we had.
			return e.v, e.err
		}
		var zero T
		return zero, err
	}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]cacheEntry[T]{}
	}
	c.entries[id] = cacheEntry[T]{v: v, err: err, at: time.Now()}
	c.mu.Unlock()
	return v, err
}
