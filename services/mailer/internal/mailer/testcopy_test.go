package mailer

import (
	"context"
	"mime"
	"strings"
	"testing"
	"time"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// TestTestCopyGoesToOneAddressAndRecordsNothing: `report send --to` sends
// to that address only, marked [TEST], without the BCC audit copy, and
// records no send, so the period's real send still goes to everyone.
func TestTestCopyGoesToOneAddressAndRecordsNothing(t *testing.T) {
	w := newWorld(t)
	m := w.mailer(t, testSender)
	ctx := context.Background()
	d := due(w.tenant.ID, messages.RoleCFO)
	test := d
	test.TestRecipient = "tester@example.com"
	test.EventID += "-test"
	if err := test.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := m.deliver(ctx, test); err != nil {
		t.Fatal(err)
	}
	sent := emailsFor(t, d.ReportID)
	if len(sent) != 1 {
		t.Fatalf("%d emails for a test copy, want 1", len(sent))
	}
	if got := sent[0].Destinations; len(got) != 1 || got[0] != "tester@example.com" {
		// moto may repeat the To header's address; no other address.
		for _, a := range got {
			if a != "tester@example.com" {
				t.Fatalf("test copy destinations = %v, want only tester@example.com (no BCC audit)", got)
			}
		}
	}
	if subj := header(sent[0].RawData, "Subject"); !strings.HasPrefix(decodeSubject(t, subj), messages.TestSubjectPrefix) {
		t.Fatalf("test copy subject %q does not start with %q", subj, messages.TestSubjectPrefix)
	}
	for _, rcpt := range []string{"tester@example.com", "cfo@queen.example.com"} {
		if _, found, err := w.store.Get(ctx, w.tenant.ID, d.ReportID, rcpt); err != nil || found {
			t.Fatalf("a send record for %s after a test copy (found=%v, %v)", rcpt, found, err)
		}
	}

	// The real send is not blocked by the test copy.
	if err := m.deliver(ctx, d); err != nil {
		t.Fatal(err)
	}
	sent = emailsFor(t, d.ReportID)
	if len(sent) != 3 {
		t.Fatalf("%d emails after the real send, want the test copy and 2 recipients", len(sent))
	}
	for _, s := range sent[1:] {
		if strings.Contains(decodeSubject(t, header(s.RawData, "Subject")), "[TEST]") {
			t.Errorf("a real send is marked as a test: %s", header(s.RawData, "Subject"))
		}
	}
}

// TestDeletedTenantGetsNothing: after `reportctl tenants delete`, a
// report due for the tenant is acknowledged and sends nothing.
func TestDeletedTenantGetsNothing(t *testing.T) {
	w := newWorld(t)
	m := w.mailer(t, testSender)
	ctx := context.Background()
	store := tenants.Store{DB: w.db, Table: w.env.Names.Table}
	if err := store.Delete(ctx, w.tenant.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	d := due(w.tenant.ID, messages.RoleCFO)
	if err := m.deliver(ctx, d); err != nil {
		t.Fatalf("deliver for a deleted tenant = %v, want nil (acknowledged, not dead-lettered)", err)
	}
	if sent := emailsFor(t, d.ReportID); len(sent) != 0 {
		t.Fatalf("%d emails for a deleted tenant", len(sent))
	}
	// Restored, it gets its report.
	if err := store.Restore(ctx, w.tenant.ID); err != nil {
		t.Fatal(err)
	}
	if err := m.deliver(ctx, d); err != nil {
		t.Fatal(err)
	}
	if sent := emailsFor(t, d.ReportID); len(sent) != 2 {
		t.Fatalf("%d emails after restore, want 2", len(sent))
	}
}

func decodeSubject(t *testing.T, s string) string {
	t.Helper()
	d, err := new(mime.WordDecoder).DecodeHeader(s)
	if err != nil {
		t.Fatalf("subject %q: %v", s, err)
	}
	return d
}
