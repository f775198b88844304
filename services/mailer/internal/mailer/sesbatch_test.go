package mailer

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// One SES event that cannot be applied yet (nacked) does not hold back the
// events received with it: they are applied at once, not after the
// visibility timeout, by the subscriber the mailer runs.
func TestSESEventNackSparesItsBatch(t *testing.T) {
	w := newWorld(t)
	m := w.mailer(t, testSender)
	d := due(w.tenant.ID, messages.RoleCFO)
	if err := m.deliver(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	rec, _, _ := w.store.Get(context.Background(), w.tenant.ID, d.ReportID, "cfo@queen.example.com")
	delivered := func(rcpt string) string {
		return fmt.Sprintf(`{"eventType":"Delivery","mail":{"timestamp":"2026-11-02T10:00:00.000Z","source":%q,"messageId":%q,"destination":[%q],"tags":{"tenant":[%q],"role":["cfo"],"report_id":[%q]}},"delivery":{"timestamp":"2026-11-02T10:00:02.000Z","recipients":[%q]}}`,
			testSender, rec.MessageID, rcpt, w.tenant.ID, d.ReportID, rcpt)
	}
	queue := w.env.Names.Queue(resources.QueueMailerSESEvents)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := &SESEvents{store: w.store, log: log}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := SESEventsSubscriber(w.env.AWS, queue, bus.Logger(log))
	defer sub.Close()
	snsc := sns.NewFromConfig(w.env.AWS)
	// The poison first, so that it heads the batch its neighbours come in.
	for _, body := range []string{delivered("poison@queen.example.com"), delivered("cfo@queen.example.com"), delivered("books@queen.example.com")} {
		if _, err := snsc.Publish(context.Background(), &sns.PublishInput{TopicArn: aws.String(w.env.Resource.TopicARNs[messages.TopicSESEvents]), Message: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := sub.Subscribe(ctx, queue)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for msg := range msgs {
			go func() {
				if strings.Contains(string(msg.Payload), "poison@") {
					msg.Nack()
					return
				}
				if err := h.Handle(msg); err != nil {
					msg.Nack()
					return
				}
				msg.Ack()
			}()
		}
	}()
	// Well inside the 60 s visibility timeout.
	eventually(t, "the poison's batch-mates applied", 15*time.Second, func() bool {
		cfo, _, _ := w.store.Get(context.Background(), w.tenant.ID, d.ReportID, "cfo@queen.example.com")
		books, _, _ := w.store.Get(context.Background(), w.tenant.ID, d.ReportID, "books@queen.example.com")
		return cfo.Status == delivery.StatusDelivered && books.Status == delivery.StatusDelivered
	})
}
