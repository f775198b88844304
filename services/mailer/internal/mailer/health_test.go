package mailer

import (
	"context"
	"strings"
	"testing"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// TestDataHealthGoesToTheOperator: with sources missing, the operator
// gets one data-health notice with the fixing commands (also when the
// report due is delivered twice); the executive's email has none.
func TestDataHealthGoesToTheOperator(t *testing.T) {
	if testing.Short() {
		t.Skip("needs moto")
	}
	w := newWorld(t)
	w.tenant.Email.Operator = "ops@queen.example.com"
	if err := (tenants.Store{DB: w.db, Table: w.env.Names.Table}).Apply(context.Background(), tenants.File{Tenants: []tenants.Tenant{w.tenant}}); err != nil {
		t.Fatal(err)
	}
	m := w.mailer(t, testSender)
	d := due(w.tenant.ID, messages.RoleCEO)
	for i := 0; i < 2; i++ {
		if err := m.deliver(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	var notices, reports []string
	for _, e := range emailsFor(t, d.ReportID) {
		raw := unfold(e.RawData)
		if strings.Contains(raw, "X-Boardpack-Report: "+d.ReportID+"-health") {
			notices = append(notices, raw)
		} else {
			reports = append(reports, raw)
		}
	}
	if len(notices) != 1 || len(reports) != 1 {
		t.Fatalf("%d notices and %d reports, want 1 and 1", len(notices), len(reports))
	}
	if !strings.Contains(notices[0], "Data health") || !strings.Contains(notices[0], "ops@queen.example.com") || !strings.Contains(notices[0], "reportctl import") {
		t.Errorf("notice:\n%.3000s", notices[0])
	}
	if strings.Contains(reports[0], "reportctl") {
		t.Error("the CEO's email carries an operator command")
	}
}
