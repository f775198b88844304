package tenants_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// TestPortfolioStore: the demo file's portfolio is applied with its
// tenants, read back, changed by a re-apply (a removed member is gone at
// the next read), and its members cannot be deleted while it reads them.
func TestPortfolioStore(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	store := tenants.Store{DB: dynamodb.NewFromConfig(env.AWS), Table: env.Names.Table}
	ctx := context.Background()
	file := demoFile(t)
	for range 2 {
		if err := store.Apply(ctx, file); err != nil {
			t.Fatal(err)
		}
	}
	ps, err := store.ListPortfolios(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].ID != "holding" || len(ps[0].Members) != 4 {
		t.Fatalf("ListPortfolios = %+v", ps)
	}
	if _, err := store.Get(ctx, "holding"); !errors.Is(err, tenants.ErrNotFound) {
		t.Fatalf("Get(holding) as a tenant: %v, want ErrNotFound", err)
	}
	if _, err := store.GetPortfolio(ctx, "jada"); !errors.Is(err, tenants.ErrPortfolioNotFound) {
		t.Fatalf("GetPortfolio(jada): %v, want ErrPortfolioNotFound", err)
	}
	if list, _ := store.List(ctx); len(list) != 4 {
		t.Fatalf("List() = %d tenants; a portfolio must not list as a tenant", len(list))
	}

	// A member cannot be deleted; the error names the portfolio.
	err = store.Delete(ctx, "jada", time.Now())
	if !errors.Is(err, tenants.ErrPortfolioMember) || !strings.Contains(err.Error(), "portfolio holding") {
		t.Fatalf("Delete(jada) = %v, want a refusal naming portfolio holding", err)
	}
	if _, err := store.Get(ctx, "jada"); err != nil {
		t.Fatalf("jada after the refused delete: %v", err)
	}

	// Removing a member: the next read has three.
	cache := &tenants.PortfolioCache{Store: store, TTL: 0}
	file.Portfolios[0].Members = []string{"queen-of-san-diego", "quickdumpnow", "dangerouscentaur"}
	if err := store.Apply(ctx, file); err != nil {
		t.Fatal(err)
	}
	p, err := cache.GetPortfolio(ctx, "holding")
	if err != nil {
		t.Fatal(err)
	}
	if p.HasMember("jada") || len(p.Members) != 3 {
		t.Fatalf("after removing jada: members %v", p.Members)
	}
	if err := store.Delete(ctx, "jada", time.Now()); err != nil {
		t.Fatalf("Delete(jada) once no portfolio reads it: %v", err)
	}

	// Deleting the portfolio stops it; applying restores it.
	if err := store.DeletePortfolio(ctx, "holding", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := store.GetPortfolio(ctx, "holding"); !errors.Is(err, tenants.ErrPortfolioDeleted) {
		t.Fatalf("GetPortfolio(deleted) = %v", err)
	}
	if ps, _ := store.ListPortfolios(ctx); len(ps) != 0 {
		t.Fatalf("ListPortfolios lists a deleted portfolio: %+v", ps)
	}
	if all, _ := store.ListAllPortfolios(ctx); len(all) != 1 || all[0].DeletedAt.IsZero() {
		t.Fatalf("ListAllPortfolios = %+v", all)
	}
	if err := store.DeletePortfolio(ctx, "nobody", time.Now()); !errors.Is(err, tenants.ErrPortfolioNotFound) {
		t.Fatalf("DeletePortfolio(nobody) = %v", err)
	}
	if err := store.Apply(ctx, file); err != nil {
		t.Fatal(err)
	}
	if _, err := store.GetPortfolio(ctx, "holding"); err != nil {
		t.Fatalf("applied again: %v", err)
	}
}

// TestPortfolioApplyRefusesStoredIDClash: a portfolio id that a stored
// tenant has (and the reverse) is refused and nothing of the file is
// written.
func TestPortfolioApplyRefusesStoredIDClash(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	store := tenants.Store{DB: dynamodb.NewFromConfig(env.AWS), Table: env.Names.Table}
	ctx := context.Background()
	file := demoFile(t)
	if err := store.Apply(ctx, file); err != nil {
		t.Fatal(err)
	}
	// A file without jada whose portfolio is called jada.
	clash := demoFile(t)
	clash.Tenants = clash.Tenants[2:] // quickdumpnow, dangerouscentaur
	clash.Tenants[0].Name = "Changed"
	clash.Portfolios[0].ID = "jada"
	clash.Portfolios[0].Members = []string{"quickdumpnow"}
	err := store.Apply(ctx, clash)
	if err == nil || !strings.Contains(err.Error(), "portfolio jada: id: a stored tenant has this id") {
		t.Fatalf("Apply = %v, want the clash refused", err)
	}
	if got, _ := store.Get(ctx, "quickdumpnow"); got.Name == "Changed" {
		t.Fatal("a refused file was partly applied")
	}
	// A file whose tenant is called holding.
	clash = demoFile(t)
	clash.Portfolios = nil
	clash.Tenants[0].ID = "holding"
	if err := store.Apply(ctx, clash); err == nil || !strings.Contains(err.Error(), "tenant holding: id: a stored portfolio has this id") {
		t.Fatalf("Apply = %v, want the clash refused", err)
	}
}
