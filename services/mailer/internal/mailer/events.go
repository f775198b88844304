package mailer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/delivery"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/logging"
)

// sesEvent is the part of an SES event (configuration-set event
// publishing, "eventType") or notification ("notificationType") that the
// mailer reads.
type sesEvent struct {
	EventType        string `json:"eventType"`
	NotificationType string `json:"notificationType"`
	Mail             struct {
		MessageID   string              `json:"messageId"`
		Timestamp   string              `json:"timestamp"`
		Destination []string            `json:"destination"`
		Tags        map[string][]string `json:"tags"`
	} `json:"mail"`
	Bounce *struct {
		BounceType        string `json:"bounceType"`
		BounceSubType     string `json:"bounceSubType"`
		Timestamp         string `json:"timestamp"`
		FeedbackID        string `json:"feedbackId"`
		BouncedRecipients []struct {
			EmailAddress   string `json:"emailAddress"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
	} `json:"bounce"`
	Complaint *struct {
		Timestamp             string `json:"timestamp"`
		FeedbackID            string `json:"feedbackId"`
		ComplaintFeedbackType string `json:"complaintFeedbackType"`
		ComplainedRecipients  []struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"complainedRecipients"`
	} `json:"complaint"`
	Delivery *struct {
		Timestamp  string   `json:"timestamp"`
		Recipients []string `json:"recipients"`
	} `json:"delivery"`
}

type feedbackStore interface {
	ApplyEvent(ctx context.Context, ev delivery.Event) (bool, error)
	EnsureStatus(ctx context.Context, ev delivery.Event) error
	Suppress(ctx context.Context, tenantID, address, reason string) error
}

// parseSESEvent turns one SES event into per-recipient events. Types the
// mailer does not track (Send, Open, ...) give none.
func parseSESEvent(body []byte) ([]delivery.Event, error) {
	var e sesEvent
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, fmt.Errorf("decode ses event: %w", err)
	}
	kind := e.EventType
	if kind == "" {
		kind = e.NotificationType
	}
	tag := func(k string) string {
		if v := e.Mail.Tags[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	tenant, reportID := tag("tenant"), tag("report_id")
	if kind == "" {
		return nil, errors.New("ses event without eventType")
	}
	var out []delivery.Event
	add := func(rcpt, status, stamp, reason string) {
		at, _ := time.Parse(time.RFC3339Nano, stamp)
		out = append(out, delivery.Event{
			TenantID: tenant, ReportID: reportID, Recipient: strings.ToLower(rcpt), Status: status, Reason: reason, At: at,
			Key: e.Mail.MessageID + "|" + kind + "|" + strings.ToLower(rcpt) + "|" + stamp,
		})
	}
	switch kind {
	case "Delivery":
		if e.Delivery == nil {
			return nil, errors.New("delivery event without delivery")
		}
		for _, r := range e.Delivery.Recipients {
			add(r, delivery.StatusDelivered, e.Delivery.Timestamp, "")
		}
	case "Bounce":
		if e.Bounce == nil {
			return nil, errors.New("bounce event without bounce")
		}
		for _, r := range e.Bounce.BouncedRecipients {
			reason := e.Bounce.BounceType + "/" + e.Bounce.BounceSubType
			if r.DiagnosticCode != "" {
				reason += ": " + r.DiagnosticCode
			}
			status := delivery.StatusBounced
			if e.Bounce.BounceType != "Permanent" {
				// A soft bounce is retried by SES itself; only record it.
				status = "soft_bounce"
			}
			add(r.EmailAddress, status, e.Bounce.Timestamp, reason)
		}
	case "Complaint":
		if e.Complaint == nil {
			return nil, errors.New("complaint event without complaint")
		}
		for _, r := range e.Complaint.ComplainedRecipients {
			add(r.EmailAddress, delivery.StatusComplained, e.Complaint.Timestamp, "complaint: "+e.Complaint.ComplaintFeedbackType)
		}
	default:
		return nil, nil
	}
	if len(out) > 0 && (!messages.ValidTenantID(tenant) || reportID == "") {
		return nil, fmt.Errorf("ses %s event for message %s carries no tenant/report_id tags (not sent by this mailer?)", kind, e.Mail.MessageID)
	}
	return out, nil
}

// NewSESEvents returns the handler of the mailer-ses-events queue.
// hashKey keys the hash that stands for addresses in its logs (the
// mailer's unsubscribe key: see newAddrHasher).
func NewSESEvents(store feedbackStore, log *slog.Logger, hashKey string) *SESEvents {
	return &SESEvents{store: store, log: log, hash: newAddrHasher(hashKey)}
}

// SESEvents handles the mailer-ses-events queue.
type SESEvents struct {
	store feedbackStore
	log   *slog.Logger
	// hash stands for addresses in logs and in the errors the router logs.
	hash addrHasher
}

// Handle is the watermill handler.
func (h *SESEvents) Handle(msg *message.Message) error { return h.hash.Err(h.apply(msg)) }

func (h *SESEvents) apply(msg *message.Message) error {
	evs, err := parseSESEvent(msg.Payload)
	if err != nil {
		return bus.Permanent(err)
	}
	ctx := msg.Context()
	for _, ev := range evs {
		log := logging.For(ctx, h.log).With(logging.TenantKey, ev.TenantID, "report_id", ev.ReportID, "recipient_hash", h.hash.Of(ev.Recipient), "status", ev.Status)
		// Suppress first: it is idempotent, and a hard bounce or a
		// complaint must stop future sends even when the send record is
		// unknown (the audit copy, an older report).
		if ev.Status == delivery.StatusBounced || ev.Status == delivery.StatusComplained {
			if err := h.store.Suppress(ctx, ev.TenantID, ev.Recipient, ev.Status+": "+ev.Reason); err != nil {
				return err
			}
		}
		if ev.Status == "soft_bounce" {
			log.Info("soft bounce")
			continue
		}
		applied, err := h.store.ApplyEvent(ctx, ev)
		if applied {
			// Once per SES event: the event key was recorded just now (a
			// redelivery finds it and counts nothing).
			switch ev.Status {
			case delivery.StatusBounced:
				countEmail(ev.TenantID, OutcomeBounced)
			case delivery.StatusComplained:
				countEmail(ev.TenantID, OutcomeComplained)
			}
		}
		if err != nil {
			return err
		}
		if !applied {
			// A duplicate, or a redelivery after a crash between the two
			// writes: make sure the status is there, count nothing.
			if err := h.store.EnsureStatus(ctx, ev); err != nil {
				return err
			}
			log.Debug("ses event already applied or unknown send")
			continue
		}
		log.Info("ses event applied")
	}
	return nil
}

// SESEventsSubscriber reads the SES-events queue with the batch
// subscriber: watermill-aws's abandons the rest of a received batch when
// one message is nacked, so one event that cannot be applied yet made its
// neighbours wait out the visibility timeout and spend a receive each,
// and, repeated, sent applicable events to the DLQ unapplied.
func SESEventsSubscriber(cfg aws.Config, queue string, log watermill.LoggerAdapter) message.Subscriber {
	return bus.NewBatchSubscriber(cfg, bus.SubscriberConfig{Queue: queue, Workers: 1}, log)
}
