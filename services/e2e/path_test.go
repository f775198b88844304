package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/services/e2e/stack"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
)

// TestWebhookToEmail is the walking skeleton's promise: a signed Stripe
// event becomes a figure in the CFO's emailed report, BCC the audit address.
func TestWebhookToEmail(t *testing.T) {
	s := stack.Start(t)
	const tenant, secret = "queen-of-san-diego", "whsec_demo_queen_of_san_diego"
	id := "e2e" + mototest.UniqueID()
	// 4321.87 USD: a figure no other test or demo data produces.
	if code := s.PostWebhook(tenant, secret, stack.ChargeEvent(t, id, 432187, time.Now())); code != http.StatusOK {
		t.Fatalf("webhook answered %d, want 200", code)
	}
	if code := s.PostWebhook(tenant, "whsec_wrong", stack.ChargeEvent(t, id+"x", 100, time.Now())); code != http.StatusBadRequest {
		t.Fatalf("webhook with a bad signature answered %d, want 400", code)
	}
	s.Reportctl("wait", "drained", "--timeout", "60s")
	s.Reportctl("report", "send", "--tenant", tenant, "--role", "cfo")
	msg, ok := stack.WaitForEmail(t, 60*time.Second, func(m mototest.SESMessage) bool {
		return slices.Contains(m.Destinations, "cfo@queenofsandiego.example.com") && strings.Contains(m.RawData, "4,321.87") &&
			!strings.Contains(m.RawData, "X-Boardpack-Audit-Copy:")
	})
	if !ok {
		t.Fatalf("no CFO email showing $4,321.87 in SES after 60s; SES has %d messages", len(mototest.SentRawEmails(t)))
	}
	// The audit address gets its own copy, without the CFO's unsubscribe
	// link.
	audit, ok := stack.WaitForEmail(t, 30*time.Second, func(m mototest.SESMessage) bool {
		return slices.Contains(m.Destinations, "audit@boardpack.example.com") && strings.Contains(m.RawData, "4,321.87")
	})
	if !ok {
		t.Errorf("no audit copy of the CFO email in SES")
	} else if strings.Contains(audit.RawData, "unsubscribe?token=") {
		t.Errorf("the audit copy carries the recipient's unsubscribe link")
	}
	if msg.Source != "reports@boardpack.example.com" {
		t.Errorf("envelope sender %q, want the verified identity", msg.Source)
	}
	if strings.Contains(strings.ToLower(headerBlock(msg.RawData)), "\nbcc:") {
		t.Errorf("the Bcc header leaked into the message")
	}
}
