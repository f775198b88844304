package schedule

import (
	"errors"
	"fmt"
	"time"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// ForTenant compiles every schedule of a tenant. A schedule that cannot be
// compiled is reported (naming the tenant and the field, like tenants
// validation) and left out; the others are returned.
func ForTenant(t tenants.Tenant) ([]Schedule, error) {
	return compile("tenant", t.ID, t.Timezone, t.Schedules, false)
}

// ForPortfolio compiles every schedule of a portfolio, in the portfolio's
// time zone, as ForTenant does a tenant's; its firings' report dues carry
// PortfolioID.
func ForPortfolio(p tenants.Portfolio) ([]Schedule, error) {
	return compile("portfolio", p.ID, p.Timezone, p.Schedules, true)
}

func compile(kind, id, zone string, schedules []tenants.Schedule, portfolio bool) ([]Schedule, error) {
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		return nil, fmt.Errorf("%s %s: timezone: %q is not an IANA time zone", kind, id, zone)
	}
	var out []Schedule
	var errs []error
	for i, sc := range schedules {
		s, err := New(id, sc.Role, sc.Cron, sc.Period, loc)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s: schedules[%d]: %w", kind, id, i, err))
			continue
		}
		s.Portfolio = portfolio
		out = append(out, s)
	}
	return out, errors.Join(errs...)
}
