package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// LoadTenant reads an applied tenant, with an error that says what to do
// when it is missing or deleted.
func (a *App) LoadTenant(ctx context.Context, id string) (tenants.Tenant, error) {
	store, err := a.Tenants(ctx)
	if err != nil {
		return tenants.Tenant{}, err
	}
	t, err := store.Get(ctx, id)
	switch {
	case err == nil:
		return t, nil
	case errors.Is(err, tenants.ErrDeleted):
		return tenants.Tenant{}, fmt.Errorf("tenant %q is deleted (`reportctl tenants restore %s` brings it back): %w", id, id, tenants.ErrNotFound)
	case errors.Is(err, tenants.ErrNotFound):
		return tenants.Tenant{}, fmt.Errorf("tenant %q not found (apply it with `reportctl tenants apply -f FILE`): %w", id, tenants.ErrNotFound)
	}
	return tenants.Tenant{}, err
}

// TenantSecret reads a tenant and resolves the secret reference pick
// chooses (pick returns the reference, or the name of the missing field).
func (a *App) TenantSecret(ctx context.Context, id string, pick func(tenants.Tenant) (ref, missing string)) (tenants.Tenant, string, error) {
	t, err := a.LoadTenant(ctx, id)
	if errors.Is(err, tenants.ErrNotFound) {
		// Deleted or never applied: either way not usable now.
		return tenants.Tenant{}, "", fmt.Errorf("tenant %s is not applied (reportctl tenants apply -f FILE)", id)
	}
	if err != nil {
		return tenants.Tenant{}, "", err
	}
	ref, missing := pick(t)
	if missing != "" {
		return tenants.Tenant{}, "", fmt.Errorf("tenant %s: %s is not set", id, missing)
	}
	cfg, err := a.AWS(ctx)
	if err != nil {
		return tenants.Tenant{}, "", err
	}
	secret, err := tenants.NewSecretResolver(cfg, time.Minute).Resolve(ctx, ref)
	if err != nil {
		return tenants.Tenant{}, "", fmt.Errorf("tenant %s: %w", id, err)
	}
	return t, secret, nil
}

// LoadPortfolio reads an applied portfolio and its members as they are
// now, with an error that says what to do when it is missing or deleted.
func (a *App) LoadPortfolio(ctx context.Context, id string) (tenants.Portfolio, []tenants.Tenant, error) {
	store, err := a.Tenants(ctx)
	if err != nil {
		return tenants.Portfolio{}, nil, err
	}
	p, err := store.GetPortfolio(ctx, id)
	switch {
	case errors.Is(err, tenants.ErrPortfolioDeleted):
		return tenants.Portfolio{}, nil, fmt.Errorf("portfolio %q is deleted (`reportctl tenants restore %s` brings it back): %w", id, id, tenants.ErrPortfolioNotFound)
	case errors.Is(err, tenants.ErrPortfolioNotFound):
		return tenants.Portfolio{}, nil, fmt.Errorf("portfolio %q not found (declare it under portfolios: and apply it with `reportctl tenants apply -f FILE`): %w", id, tenants.ErrPortfolioNotFound)
	case err != nil:
		return tenants.Portfolio{}, nil, err
	}
	members, missing, err := tenants.Members(ctx, p, store.Get)
	if err != nil {
		return tenants.Portfolio{}, nil, err
	}
	if len(missing) > 0 {
		fmt.Fprintf(a.Stderr, "warning: portfolio %s: members %v not found; left out\n", id, missing)
	}
	return p, members, nil
}
