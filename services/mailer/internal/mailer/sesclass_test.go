package mailer

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/smithy-go"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
)

// failingSES answers every SendRawEmail with err, then (once healed)
// passes to next.
type failingSES struct {
	next   sesAPI
	mu     sync.Mutex
	err    error
	calls  int
	healed bool
}

func (f *failingSES) SendRawEmail(ctx context.Context, in *ses.SendRawEmailInput, o ...func(*ses.Options)) (*ses.SendRawEmailOutput, error) {
	f.mu.Lock()
	f.calls++
	healed := f.healed
	f.mu.Unlock()
	if !healed {
		return nil, f.err
	}
	return f.next.SendRawEmail(ctx, in, o...)
}

func (f *failingSES) GetSendQuota(ctx context.Context, in *ses.GetSendQuotaInput, o ...func(*ses.Options)) (*ses.GetSendQuotaOutput, error) {
	return f.next.GetSendQuota(ctx, in, o...)
}

// Sending paused (the account's or the configuration set's) is temporary:
// the report is given back to the queue, not recorded as rejected, and goes
// out once sending resumes.
func TestSendingPausedIsRetriedLater(t *testing.T) {
	for _, code := range []string{"AccountSendingPausedException", "ConfigurationSetSendingPausedException"} {
		t.Run(code, func(t *testing.T) {
			w := newWorld(t)
			m := w.mailer(t, testSender)
			api := &failingSES{next: m.sender.api, err: &smithy.GenericAPIError{Code: code, Message: "Sending is paused for this account."}}
			m.sender = newSender(api, testSender, w.env.Names.ConfigurationSet, 0, time.Minute)
			d := due(w.tenant.ID, messages.RoleCEO)
			err := m.deliver(context.Background(), d)
			if err == nil || errors.Is(err, ErrRejected) {
				t.Fatalf("deliver while paused = %v, want a temporary error", err)
			}
			rec, found, _ := w.store.Get(context.Background(), w.tenant.ID, d.ReportID, "ceo@queen.example.com")
			if found && delivery.Final(rec.Status) {
				t.Fatalf("paused send recorded as %q (%s), want no final status", rec.Status, rec.Reason)
			}
			api.mu.Lock()
			api.healed = true
			api.mu.Unlock()
			if err := m.deliver(context.Background(), d); err != nil {
				t.Fatalf("deliver after sending resumed: %v", err)
			}
			if n := len(emailsFor(t, d.ReportID)); n != 1 {
				t.Fatalf("%d emails after sending resumed, want 1", n)
			}
		})
	}
}

// AccessDenied for a From the deployment may not send as is permanent: the
// send is recorded as rejected with an error naming the tenant and its From,
// and not retried.
func TestAccessDeniedFromIsPermanentAndNamesTenant(t *testing.T) {
	w := newWorld(t)
	m := w.mailer(t, testSender)
	api := &failingSES{next: m.sender.api, err: &smithy.GenericAPIError{Code: "AccessDenied",
		Message: "User `arn:aws:sts::123456789012:assumed-role/mailer/x' is not authorized to perform `ses:SendRawEmail' on resource `arn:aws:ses:us-east-1:123456789012:identity/queen.example.com'"}}
	m.sender = newSender(api, testSender, w.env.Names.ConfigurationSet, 0, time.Minute)
	d := due(w.tenant.ID, messages.RoleCEO)
	if err := m.deliver(context.Background(), d); err != nil {
		t.Fatalf("deliver = %v, want the rejection recorded, not retried", err)
	}
	rec, _, _ := w.store.Get(context.Background(), w.tenant.ID, d.ReportID, "ceo@queen.example.com")
	if rec.Status != delivery.StatusRejected {
		t.Fatalf("status = %q, want rejected", rec.Status)
	}
	for _, want := range []string{"tenant " + w.tenant.ID, "email.from", "reports@queen.example.com"} {
		if !strings.Contains(rec.Reason, want) {
			t.Errorf("reason %q does not mention %q", rec.Reason, want)
		}
	}
	if api.calls != 1 {
		t.Errorf("%d SendRawEmail calls, want 1 (no retry)", api.calls)
	}
}
