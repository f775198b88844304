package tenants

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/boardpack/boardpack/services/internal/platform/table"
)

// Portfolios are stored beside tenants: item pk=TENANT#<id>, sk=PORTFOLIO,
// listed through gsi1 with gsi1pk=PORTFOLIOS (package table's shapes).
// Applied, listed, deleted and restored like tenants.

// ErrPortfolioNotFound is returned for a portfolio that was never applied.
var ErrPortfolioNotFound = errors.New("portfolio not found")

// ErrPortfolioDeleted is returned by GetPortfolio for a portfolio marked
// deleted (`reportctl tenants delete ID`); it wraps ErrPortfolioNotFound.
// ListPortfolios leaves deleted portfolios out, so the scheduler stops
// firing their schedules.
var ErrPortfolioDeleted = fmt.Errorf("%w: deleted", ErrPortfolioNotFound)

// StoredPortfolio is a portfolio as the table holds it.
type StoredPortfolio struct {
	Portfolio
	AppliedAt time.Time
	// DeletedAt is when `reportctl tenants delete` marked it (zero: active).
	DeletedAt time.Time
}

// GetPortfolio reads one portfolio.
func (s Store) GetPortfolio(ctx context.Context, id string) (Portfolio, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.Table),
		Key:       table.Key(id, table.SKPortfolio),
	})
	if err != nil {
		return Portfolio{}, fmt.Errorf("get portfolio %s: %w", id, err)
	}
	if out.Item == nil {
		return Portfolio{}, fmt.Errorf("%w: %s", ErrPortfolioNotFound, id)
	}
	if _, deleted := out.Item[attrDeleted]; deleted {
		return Portfolio{}, fmt.Errorf("%w: %s", ErrPortfolioDeleted, id)
	}
	return decodePortfolio(out.Item)
}

// ListPortfolios reads every portfolio not deleted, ordered by id.
func (s Store) ListPortfolios(ctx context.Context) ([]Portfolio, error) {
	all, err := s.ListAllPortfolios(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Portfolio, 0, len(all))
	for _, st := range all {
		if st.DeletedAt.IsZero() {
			out = append(out, st.Portfolio)
		}
	}
	return out, nil
}

// ListAllPortfolios reads every portfolio, deleted ones included, ordered
// by id.
func (s Store) ListAllPortfolios(ctx context.Context) ([]StoredPortfolio, error) {
	var out []StoredPortfolio
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
		TableName:                 aws.String(s.Table),
		IndexName:                 aws.String(table.IndexGSI1),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": table.AttrGSI1PK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": table.S(table.GSI1Portfolios)},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list portfolios: %w", err)
		}
		for _, item := range page.Items {
			pf, err := decodePortfolio(item)
			if err != nil {
				return nil, err
			}
			out = append(out, StoredPortfolio{Portfolio: pf, AppliedAt: timeAttr(item, attrApplied), DeletedAt: timeAttr(item, attrDeleted)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// DeletePortfolio marks a portfolio deleted: the scheduler stops firing
// its schedules and the mailer sends nothing for it. Its record of sends
// stays; RestorePortfolio (or applying it again) undoes it.
func (s Store) DeletePortfolio(ctx context.Context, id string, at time.Time) error {
	return s.mark(ctx, id, table.SKPortfolio, "SET #d = :at", map[string]types.AttributeValue{
		":at": &types.AttributeValueMemberS{Value: at.UTC().Format(time.RFC3339)},
	})
}

// RestorePortfolio undoes DeletePortfolio.
func (s Store) RestorePortfolio(ctx context.Context, id string) error {
	return s.mark(ctx, id, table.SKPortfolio, "REMOVE #d", nil)
}

// checkIDSpace refuses a file whose tenant ids are stored portfolios' or
// whose portfolio ids are stored tenants' (deleted ones included: their
// partitions still hold their sends), and a file tenant whose role's
// external id is a stored tenant's that the file does not replace.
// Validate has checked the file against itself.
func (s Store) checkIDSpace(ctx context.Context, f File) error {
	stored, err := s.ListAll(ctx)
	if err != nil {
		return err
	}
	storedPortfolios, err := s.ListAllPortfolios(ctx)
	if err != nil {
		return err
	}
	isTenant, isPortfolio := map[string]bool{}, map[string]bool{}
	inFile := map[string]bool{}
	for _, t := range f.Tenants {
		inFile[t.ID] = true
	}
	// External ids of stored tenants the file leaves as they are (deleted
	// ones too: a restore brings them back): apply adds and replaces, so
	// a file tenant must not take one of theirs.
	storedExternal := map[string]string{}
	for _, st := range stored {
		isTenant[st.ID] = true
		if !inFile[st.ID] && st.AWS != nil && st.AWS.RoleARN != "" && st.AWS.ExternalID != "" {
			storedExternal[st.AWS.ExternalID] = st.ID
		}
	}
	for _, sp := range storedPortfolios {
		isPortfolio[sp.ID] = true
	}
	var errs []error
	for _, t := range f.Tenants {
		if isPortfolio[t.ID] {
			errs = append(errs, fmt.Errorf("tenant %s: id: a stored portfolio has this id (portfolios and tenants share one id space)", t.ID))
		}
		if t.AWS != nil && t.AWS.RoleARN != "" {
			if other, dup := storedExternal[t.AWS.ExternalID]; dup && t.AWS.ExternalID != "" {
				errs = append(errs, fmt.Errorf("tenant %s: aws.external_id: the same as stored tenant %s's; each tenant needs its own", t.ID, other))
			}
		}
	}
	for _, p := range f.Portfolios {
		if isTenant[p.ID] {
			errs = append(errs, fmt.Errorf("portfolio %s: id: a stored tenant has this id (portfolios and tenants share one id space)", p.ID))
		}
	}
	return errors.Join(errs...)
}

func decodePortfolio(item map[string]types.AttributeValue) (Portfolio, error) {
	doc, ok := item[attrConfig].(*types.AttributeValueMemberS)
	if !ok {
		return Portfolio{}, errors.New("portfolio item without config")
	}
	var p Portfolio
	if err := json.Unmarshal([]byte(doc.Value), &p); err != nil {
		return Portfolio{}, fmt.Errorf("decode portfolio: %w", err)
	}
	return p, nil
}

// Members reads p's member tenants through get (a Store's or a Cache's
// Get), in the portfolio's order, as they are now: a member removed from
// the file is not read. Members not found (deleted or purged: deleting a
// member is refused, a race or a purge can still leave one) are left out
// and returned in missing; any other error is returned.
func Members(ctx context.Context, p Portfolio, get func(context.Context, string) (Tenant, error)) (members []Tenant, missing []string, err error) {
	members = make([]Tenant, 0, len(p.Members))
	for _, id := range p.Members {
		t, err := get(ctx, id)
		if errors.Is(err, ErrNotFound) {
			missing = append(missing, id)
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("portfolio %s: member %s: %w", p.ID, id, err)
		}
		members = append(members, t)
	}
	return members, missing, nil
}
