package tenants

// Portfolio is a reporting unit over member tenants: the holding company's
// board pack. It reads only its members, has its own recipients, schedules,
// From and unsubscribe, and its report due is exactly once per (portfolio,
// role, period), like a tenant's. Portfolio ids share the tenants' id space:
// no portfolio id may equal a tenant id.
type Portfolio struct {
	ID       string `yaml:"id" json:"id"`
	Name     string `yaml:"name" json:"name"`
	Timezone string `yaml:"timezone" json:"timezone"`
	// Members are tenant ids. A tenant may belong to several portfolios.
	Members    []string            `yaml:"members" json:"members"`
	Email      Email               `yaml:"email" json:"email"`
	Recipients map[string][]string `yaml:"recipients" json:"recipients"`
	Schedules  []Schedule          `yaml:"schedules" json:"schedules"`
	// FX, when set, gives monthly rates for a consolidated total in its
	// reporting currency; every converted figure says it is converted.
	FX *FX `yaml:"fx,omitempty" json:"fx,omitempty"`
}

// FX is a portfolio's conversion into one reporting currency.
type FX struct {
	// Currency is the reporting currency (ISO 4217).
	Currency string `yaml:"currency" json:"currency"`
	// Rates maps a month ("2026-11") to the rates of that month: units of
	// the reporting currency per one unit of the other currency, as a
	// decimal string ("1.0842"). Decimal strings, never floats: converted
	// amounts are computed in integer arithmetic.
	Rates map[string]map[string]string `yaml:"rates" json:"rates"`
}
