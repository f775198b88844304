// Package messages is the only contract shared between Boardpack's services.
//
// Every event is a JSON document that starts with a Header. Events travel on
// one SNS topic per event family and major version (TopicMetrics,
// TopicReportDue); each consuming service reads its own SQS queue subscribed
// to that topic with raw message delivery, so the SQS body is exactly the
// JSON document published here.
//
// Compatibility: adding an optional field is a compatible change. Renaming,
// removing or changing the meaning of a field needs a new major version and a
// new topic (metrics-v2, ...).
//
// Money is always integer minor units plus an ISO 4217 code (see Money);
// never a float.
//
// Message attributes (watermill metadata) are kept to a handful of keys
// (MetadataTenantID, MetadataEventName, plus watermill's own uuid, the
// correlation id and, with tracing on, the W3C traceparent, never
// tracestate or baggage): SNS raw delivery drops messages carrying more
// than 10.
package messages

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Topics, one per event family and major version.
const (
	// TopicMetrics carries MetricEvent, published by every collector.
	TopicMetrics = "metrics-v1"
	// TopicReportDue carries ReportDue, published by the scheduler and by
	// `reportctl report send`.
	TopicReportDue = "report-due-v1"
	// TopicSESEvents carries the SES event notifications of the
	// configuration set (AWS's own JSON shape, not a Boardpack struct).
	TopicSESEvents = "ses-events"
)

// Metadata keys set on every published message (message attributes).
const (
	MetadataTenantID  = "tenant_id"
	MetadataEventName = "event_name"
)

// Sources name the producer in Header.Source.
const (
	SourceStripe    = "stripe"
	SourceAWS       = "aws"
	SourceImport    = "import"
	SourceScheduler = "scheduler"
	SourceReportctl = "reportctl"
)

// Header starts every event.
type Header struct {
	// EventID is the idempotency key: the same EventID always describes the
	// same fact with the same content, however often it is delivered.
	EventID string `json:"event_id"`
	// TenantID is the business the event belongs to ([a-z0-9-]+).
	// Consumers refuse an event without one.
	TenantID string `json:"tenant_id"`
	// OccurredAt is when the fact happened at the source (UTC).
	OccurredAt time.Time `json:"occurred_at"`
	// Source names the producer (SourceStripe, ...).
	Source string `json:"source"`
}

var tenantIDPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$`)

// ErrMissingTenant is returned by Validate for an event without a tenant id.
var ErrMissingTenant = errors.New("missing tenant_id")

// ValidTenantID reports whether id is a well-formed tenant id.
func ValidTenantID(id string) bool { return tenantIDPattern.MatchString(id) }

// Validate checks the fields every consumer relies on and returns every
// problem at once.
func (h Header) Validate() error {
	var errs []error
	if h.EventID == "" {
		errs = append(errs, errors.New("missing event_id"))
	}
	switch {
	case h.TenantID == "":
		errs = append(errs, ErrMissingTenant)
	case !ValidTenantID(h.TenantID):
		errs = append(errs, fmt.Errorf("invalid tenant_id %q", h.TenantID))
	}
	if h.OccurredAt.IsZero() {
		errs = append(errs, errors.New("missing occurred_at"))
	}
	if h.Source == "" {
		errs = append(errs, errors.New("missing source"))
	}
	return errors.Join(errs...)
}

// Event is implemented by every Boardpack event (through the embedded
// Header and its own Name method).
type Event interface {
	Name() string
	EventHeader() Header
}

// EventHeader returns the header, so any event can be routed and logged
// without knowing its type.
func (h Header) EventHeader() Header { return h }
