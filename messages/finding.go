package messages

import (
	"errors"
	"fmt"
)

// EventNameFinding is the metadata event name of a Finding on TopicMetrics.
const EventNameFinding = "finding"

// Severities of a Finding, most severe first.
const (
	SeverityCritical = "critical"
	SeverityHigh     = "high"
	SeverityMedium   = "medium"
	SeverityLow      = "low"
	SeverityInfo     = "info"
)

// Finding statuses.
const (
	FindingOpen     = "open"
	FindingResolved = "resolved"
)

// Finding is the result of a check on one resource (a distribution without
// WAF, a bucket without public access block), published on TopicMetrics by
// the aws-collector after each pass: open while observed, resolved once a
// pass no longer observes it. The latest OccurredAt (then EventID) wins.
type Finding struct {
	Header
	// FindingID is stable per (check, resource).
	FindingID string `json:"finding_id"`
	Check     string `json:"check"`
	Resource  string `json:"resource"`
	Severity  string `json:"severity"`
	Status    string `json:"status"`
	Title     string `json:"title"`
	Detail    string `json:"detail,omitempty"`
}

// Name is the stable event name used in metadata and logs.
func (Finding) Name() string { return EventNameFinding }

// Validate returns every problem with the finding at once.
func (f Finding) Validate() error {
	errs := []error{f.Header.Validate()}
	if f.FindingID == "" {
		errs = append(errs, errors.New("missing finding_id"))
	}
	switch f.Severity {
	case SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityInfo:
	default:
		errs = append(errs, fmt.Errorf("unknown severity %q", f.Severity))
	}
	if f.Status != FindingOpen && f.Status != FindingResolved {
		errs = append(errs, fmt.Errorf("unknown status %q", f.Status))
	}
	return errors.Join(errs...)
}
