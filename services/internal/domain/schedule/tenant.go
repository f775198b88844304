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
	loc, err := time.LoadLocation(t.Timezone)
	if err != nil || t.Timezone == "" {
		return nil, fmt.Errorf("tenant %s: timezone: %q is not an IANA time zone", t.ID, t.Timezone)
	}
	var out []Schedule
	var errs []error
	for i, sc := range t.Schedules {
		s, err := New(t.ID, sc.Role, sc.Cron, sc.Period, loc)
		if err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: schedules[%d]: %w", t.ID, i, err))
			continue
		}
		out = append(out, s)
	}
	return out, errors.Join(errs...)
}
