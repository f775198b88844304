package tenants_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// tenantWith is a valid tenant file entry with the given time zone and
// schedule lines spliced in.
func tenantWith(id, zone, schedules string) string {
	return `  - id: ` + id + `
    name: Tenant ` + id + `
    timezone: "` + zone + `"
    currency: USD
    stripe: {webhook_secrets: [whsec_x]}
    email: {from: "Reports <reports@example.com>"}
    schedules: [` + schedules + `]
`
}

// TestScheduleValidationNamesTenantAndField: every schedule or time zone a
// scheduler cannot use is refused at parse time, naming the tenant and the
// field.
func TestScheduleValidationNamesTenantAndField(t *testing.T) {
	cases := map[string]struct{ entry, want string }{
		"cron out of range": {tenantWith("acme", "UTC", `{role: ceo, cron: "61 * * * *", period: interval}`),
			`tenant acme: schedules[0].cron: "61 * * * *" is not a valid cron expression`},
		"cron gibberish": {tenantWith("acme", "UTC", `{role: ceo, cron: "mondays at nine", period: interval}`),
			`tenant acme: schedules[0].cron`},
		"seconds field": {tenantWith("acme", "UTC", `{role: ceo, cron: "0 8 * * 1", period: previous_week}, {role: cto, cron: "*/5 * * * * *", period: interval}`),
			`tenant acme: schedules[1].cron: "*/5 * * * * *" has a seconds field`},
		"never fires": {tenantWith("acme", "UTC", `{role: cfo, cron: "0 0 30 2 *", period: previous_month}`),
			`tenant acme: schedules[0].cron: "0 0 30 2 *" never fires`},
		"year in the past": {tenantWith("acme", "UTC", `{role: cfo, cron: "0 0 1 1 * 2001", period: previous_month}`),
			`tenant acme: schedules[0].cron: "0 0 1 1 * 2001" never fires`},
		"six fields, seconds first": {tenantWith("acme", "UTC", `{role: ceo, cron: "0 0 9 * * *", period: interval}`),
			`tenant acme: schedules[0].cron: "0 0 9 * * *" has a seconds field: the sixth field "*" is not a year`},
		"year range in the past": {tenantWith("acme", "UTC", `{role: cfo, cron: "0 9 1 1 * 2020-2021", period: previous_month}`),
			`tenant acme: schedules[0].cron: "0 9 1 1 * 2020-2021" never fires`},
		"unknown zone": {tenantWith("acme", "America/Atlantis", `{role: ceo, cron: "0 8 * * 1", period: previous_week}`),
			`tenant acme: timezone: "America/Atlantis" is not an IANA time zone`},
		"server zone": {tenantWith("acme", "Local", `{role: ceo, cron: "0 8 * * 1", period: previous_week}`),
			`tenant acme: timezone: "Local"`},
		"zone case": {tenantWith("acme", "europe/berlin", `{role: ceo, cron: "0 8 * * 1", period: previous_week}`),
			`tenant acme: timezone: "europe/berlin"`},
		"bad period": {tenantWith("acme", "UTC", `{role: ceo, cron: "0 8 * * 1", period: fortnight}`),
			`tenant acme: schedules[0].period: "fortnight"`},
		"second tenant named": {tenantWith("good", "UTC", `{role: ceo, cron: "0 8 * * 1", period: previous_week}`) +
			tenantWith("bad", "UTC", `{role: ceo, cron: "0 25 * * *", period: interval}`),
			`tenant bad: schedules[0].cron`},
	}
	for name, c := range cases {
		_, err := tenants.Parse(strings.NewReader("tenants:\n" + c.entry))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Parse() error = %v, want it to contain %q", name, err, c.want)
		}
	}
	// What the scheduler accepts stays accepted.
	for _, ok := range []string{"* * * * *", "0 8 * * 1", "0 9 L * *", "0 9 29 2 *", "@weekly", "0 7 * * MON-FRI", "0 0 1 1 * 2099"} {
		in := "tenants:\n" + tenantWith("acme", "Europe/Berlin", `{role: ceo, cron: "`+ok+`", period: interval}`)
		if _, err := tenants.Parse(strings.NewReader(in)); err != nil {
			t.Errorf("cron %q refused: %v", ok, err)
		}
	}
}

// TestApplyWithBadScheduleAppliesNothing: a file whose second tenant has an
// invalid cron is refused whole; the first tenant's earlier config stays.
func TestApplyWithBadScheduleAppliesNothing(t *testing.T) {
	env := mototest.Bootstrap(t, resources.Spec{})
	store := tenants.Store{DB: dynamodb.NewFromConfig(env.AWS), Table: env.Names.Table}
	ctx := context.Background()
	good, err := tenants.Parse(strings.NewReader("tenants:\n" + tenantWith("good", "UTC", `{role: ceo, cron: "0 8 * * 1", period: previous_week}`)))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Apply(ctx, good); err != nil {
		t.Fatal(err)
	}
	bad := tenants.File{Tenants: []tenants.Tenant{good.Tenants[0], good.Tenants[0]}}
	bad.Tenants[0].Schedules = []tenants.Schedule{{Role: "ceo", Cron: "0 9 * * 1", Period: "previous_week"}}
	bad.Tenants[1].ID = "other"
	bad.Tenants[1].Timezone = "Europe/Berlin"
	bad.Tenants[1].Schedules = []tenants.Schedule{{Role: "ceo", Cron: "* * * * * *", Period: "interval"}}
	err = store.Apply(ctx, bad)
	if err == nil || !strings.Contains(err.Error(), "tenant other: schedules[0].cron") {
		t.Fatalf("Apply() error = %v, want it to name tenant other and schedules[0].cron", err)
	}
	list, err := store.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != "good" || list[0].Schedules[0].Cron != "0 8 * * 1" {
		t.Fatalf("after a refused apply: %+v, want only good with its old schedule", list)
	}
}
