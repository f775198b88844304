package tenants

import (
	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// rolesOf lists the roles that have recipients, in display order.
func rolesOf(t tenants.Tenant) []string {
	var out []string
	for _, r := range messages.Roles {
		if len(t.Recipients[r]) > 0 {
			out = append(out, r)
		}
	}
	return out
}
