package mailer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/boardpack/boardpack/services/internal/domain/delivery"
)

type failingFeedback struct{ err error }

func (f failingFeedback) ApplyEvent(context.Context, delivery.Event) (bool, error) { return true, nil }
func (f failingFeedback) EnsureStatus(context.Context, delivery.Event) error       { return nil }
func (f failingFeedback) Suppress(_ context.Context, tenantID, address, _ string) error {
	if f.err == nil {
		return nil
	}
	// As delivery.Store's errors do: the key holds the address.
	return fmt.Errorf("put SUPPRESS#%s of %s: %w", address, tenantID, f.err)
}

// Addresses never reach the logs or the errors the router logs: a keyed
// hash stands for them, which a list of likely addresses cannot reverse
// without the key.
func TestAddressesInLogsAreKeyedHashes(t *testing.T) {
	h1, h2 := newAddrHasher("0123456789abcdef-one"), newAddrHasher("0123456789abcdef-two")
	const addr = "books@queen.example.com"
	unkeyed := sha256.Sum256([]byte(addr))
	if h1.Of(addr) == h2.Of(addr) || h1.Of(addr) == hex.EncodeToString(unkeyed[:6]) {
		t.Errorf("hash %s does not depend on the key (other key %s, unkeyed %x)", h1.Of(addr), h2.Of(addr), unkeyed[:6])
	}
	if h1.Of("Books <Books@Queen.example.com>") != h1.Of(addr) {
		t.Errorf("one address, two hashes")
	}

	boom := errors.New("throttled")
	var logs bytes.Buffer
	ev := &SESEvents{store: failingFeedback{err: boom}, log: slog.New(slog.NewJSONHandler(&logs, nil)), hash: h1}
	body := `{"eventType":"Bounce","mail":{"timestamp":"2026-11-02T10:00:00.000Z","source":"reports@boardpack.example.com","messageId":"m1","destination":["books@queen.example.com"],"tags":{"tenant":["queen"],"role":["cfo"],"report_id":["rpt_1"]}},"bounce":{"bounceType":"Permanent","bounceSubType":"General","timestamp":"2026-11-02T10:00:03.000Z","feedbackId":"fb1","bouncedRecipients":[{"emailAddress":"books@queen.example.com","diagnosticCode":"smtp; 550"}]}}`
	err := ev.Handle(message.NewMessage("1", []byte(body)))
	if err == nil || !errors.Is(err, boom) {
		t.Fatalf("handle = %v, want the store's error", err)
	}
	if strings.Contains(err.Error(), "@") || !strings.Contains(err.Error(), "addr:"+h1.Of(addr)) {
		t.Errorf("error the router logs = %q, want the address replaced by addr:%s", err, h1.Of(addr))
	}
	ev.store = failingFeedback{}
	if err := ev.Handle(message.NewMessage("2", []byte(body))); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), addr) || !strings.Contains(logs.String(), `"recipient_hash":"`+h1.Of(addr)+`"`) {
		t.Errorf("logs = %s; want the keyed hash %s, never the address", logs.String(), h1.Of(addr))
	}
}
