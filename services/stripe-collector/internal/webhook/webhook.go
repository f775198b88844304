// Package webhook is the stripe-collector's endpoint,
// POST /webhooks/stripe/{tenant}: it verifies a delivery with the tenant's
// signing secrets (any of them, during a rotation), translates the event
// into metric events (package stripemap), publishes them, and answers 2xx
// only once they are published; 4xx for anything invalid, 503 when
// publishing failed so that Stripe retries. The command's doc lists the
// answers in full.
package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	stripehook "github.com/stripe/stripe-go/v76/webhook"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/domain/stripemap"
	"github.com/boardpack/boardpack/services/internal/domain/tenants"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/logging"
	"github.com/boardpack/boardpack/services/internal/platform/tracing"
)

// Limits of the webhook endpoint.
const (
	// MaxBodyBytes is the largest webhook body read; Stripe's events are a
	// few KiB.
	MaxBodyBytes = 1 << 20
	// Tolerance is how far a signature's timestamp may be from now, in
	// either direction (stripe-go only rejects old ones; we add the
	// future bound: a clock far ahead means a forged or replayed header).
	Tolerance = 300 * time.Second
	// DefaultMaxInFlight bounds the requests handled at once when
	// Webhook.MaxInFlight is not set.
	DefaultMaxInFlight = 64
)

// Rejection reasons (the "reason" label of the rejected counter).
const (
	reasonUnknownTenant  = "unknown_tenant"
	reasonTooLarge       = "body_too_large"
	reasonNoSignature    = "missing_signature"
	reasonBadSignature   = "invalid_signature"
	reasonStale          = "stale_timestamp"
	reasonFuture         = "future_timestamp"
	reasonMalformed      = "malformed"
	reasonWrongMode      = "wrong_mode"
	reasonAPIVersion     = "api_version_mismatch"
	reasonReadBody       = "read_body"
	reasonTenantLookup   = "tenant_lookup_failed"
	reasonSecretsFailure = "secret_resolution_failed"
	reasonBusy           = "busy"
	reasonPublishBusy    = "publish_busy"
)

type tenantGetter interface {
	Get(ctx context.Context, id string) (tenants.Tenant, error)
}

type secretResolver interface {
	Resolve(ctx context.Context, ref string) (string, error)
}

// publisher publishes and returns once every event was accepted; it must
// honour ctx (bus.GroupPublisher does), since nothing may be sent after
// the webhook was answered.
type publisher interface {
	Publish(ctx context.Context, topic string, events ...messages.Event) error
}

// Webhook receives Stripe webhooks for one tenant per URL:
// POST /webhooks/stripe/{tenant}.
type Webhook struct {
	Tenants   tenantGetter
	Secrets   secretResolver
	Publisher publisher
	Log       *slog.Logger
	Metrics   *Metrics
	// PublishTimeout bounds the publish with its retries; past it the
	// answer is 503 and Stripe retries later.
	PublishTimeout time.Duration
	// Now is the clock (tests).
	Now func() time.Time
	// MaxInFlight bounds the requests handled at once (0:
	// DefaultMaxInFlight). Each holds up to MaxBodyBytes and a DynamoDB or
	// SNS call; beyond the bound the answer is 503 and Stripe retries.
	MaxInFlight int

	seen     recentIDs
	initSlot sync.Once
	slots    chan struct{}
}

func (h *Webhook) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// outcome is what happened to one request, for the answer, the counters
// and the log line.
type outcome struct {
	status int
	reason string // rejected: why
	msg    string // shown to the caller
}

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	tenantID := r.PathValue("tenant")
	h.initSlot.Do(func() {
		n := h.MaxInFlight
		if n <= 0 {
			n = DefaultMaxInFlight
		}
		h.slots = make(chan struct{}, n)
	})
	var o outcome
	tenantLabel := "unknown" // caller-controlled until the tenant is known
	select {
	case h.slots <- struct{}{}:
		o, tenantLabel = h.handle(r, tenantID)
		<-h.slots
	default:
		h.Log.Warn("webhook rejected", "status", http.StatusServiceUnavailable, "reason", reasonBusy, "in_flight", cap(h.slots))
		o = outcome{status: http.StatusServiceUnavailable, reason: reasonBusy, msg: "busy, try again later"}
	}
	if o.status == http.StatusRequestEntityTooLarge {
		// Do not read the rest of an oversized body, nor serve more
		// requests on a connection that sent one.
		w.Header().Set("Connection", "close")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(o.status)
	body, _ := json.Marshal(map[string]any{"status": o.status, "message": o.msg})
	_, _ = w.Write(append(body, '\n'))
	h.Metrics.observe(tenantLabel, o, time.Since(start))
	if tracing.Enabled() {
		// The server span (tracing.HTTP, wired in main) learns the tenant
		// and the reason for a refusal.
		trace.SpanFromContext(r.Context()).SetAttributes(tracing.TenantKey.String(tenantLabel), attribute.String("boardpack.webhook.reason", o.reason))
	}
}

func (h *Webhook) handle(r *http.Request, tenantID string) (outcome, string) {
	ctx := r.Context()
	// With tracing on, the server span's trace id joins these lines to
	// the trace.
	log := logging.For(ctx, h.Log).With("tenant", tenantID)
	reject := func(status int, reason, msg string, attrs ...any) outcome {
		log.Warn("webhook rejected", append([]any{"status", status, "reason", reason}, attrs...)...)
		return outcome{status: status, reason: reason, msg: msg}
	}

	// Unknown tenants are labelled as such in metrics: the path is
	// caller-controlled and must not create label values.
	if !messages.ValidTenantID(tenantID) {
		return reject(http.StatusNotFound, reasonUnknownTenant, "unknown tenant"), "unknown"
	}
	tenant, err := h.Tenants.Get(ctx, tenantID)
	if errors.Is(err, tenants.ErrNotFound) {
		return reject(http.StatusNotFound, reasonUnknownTenant, "unknown tenant"), "unknown"
	}
	if err != nil {
		return reject(http.StatusServiceUnavailable, reasonTenantLookup, "try again later", "err", err), tenantID
	}

	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return reject(http.StatusRequestEntityTooLarge, reasonTooLarge, fmt.Sprintf("body larger than %d bytes", MaxBodyBytes)), tenantID
		}
		return reject(http.StatusBadRequest, reasonReadBody, "cannot read body", "err", err), tenantID
	}

	sig := r.Header.Get("Stripe-Signature")
	if strings.TrimSpace(sig) == "" {
		return reject(http.StatusBadRequest, reasonNoSignature, "missing Stripe-Signature header"), tenantID
	}
	if ts, ok := signatureTime(sig); ok && ts.Sub(h.now()) > Tolerance {
		return reject(http.StatusBadRequest, reasonFuture, "signature timestamp is in the future", "skew", ts.Sub(h.now()).Round(time.Second).String()), tenantID
	}

	wh, o, ok := h.verify(ctx, log, tenant, body, sig)
	if !ok {
		return o, tenantID
	}
	ev := wh.Event
	// stripe_event is also the correlation id of the messages it becomes
	// (logged as correlation_id downstream); not repeated under that key,
	// which would cost the hot path three allocations.
	log = log.With("stripe_event", ev.ID, "type", string(ev.Type))

	if ev.Livemode != tenant.Stripe.Livemode && !tenant.Stripe.AllowOtherMode {
		return reject(http.StatusBadRequest, reasonWrongMode,
			fmt.Sprintf("event livemode=%t but tenant expects livemode=%t", ev.Livemode, tenant.Stripe.Livemode),
			"stripe_event", ev.ID, "livemode", ev.Livemode), tenantID
	}
	h.Metrics.versions.WithLabelValues(tenantID, versionLabel(ev.APIVersion)).Inc()
	if vs := tenant.Stripe.APIVersions; len(vs) > 0 && !slices.Contains(vs, ev.APIVersion) {
		return reject(http.StatusBadRequest, reasonAPIVersion,
			fmt.Sprintf("event API version %q is not one of this tenant's stripe.api_versions %v", ev.APIVersion, vs),
			"stripe_event", ev.ID, "api_version", ev.APIVersion), tenantID
	}
	if !stripemap.KnownVersion(ev.APIVersion) && !tenant.Stripe.IgnoreAPIVersionMismatch {
		return reject(http.StatusBadRequest, reasonAPIVersion,
			fmt.Sprintf("event API version %q is older than %s, the oldest Boardpack reads: upgrade the endpoint's API version, or set ignore_api_version_mismatch for this tenant", ev.APIVersion, stripemap.OldestVersion),
			"stripe_event", ev.ID, "api_version", ev.APIVersion), tenantID
	}

	facts, err := stripemap.TranslateWebhook(tenantID, wh)
	switch {
	case errors.Is(err, stripemap.ErrUnhandled):
		h.Metrics.unhandled.WithLabelValues(tenantID).Inc()
		log.Info("webhook event type not handled")
		return outcome{status: http.StatusOK, msg: "event type not handled"}, tenantID
	case err != nil:
		// Signed by Stripe yet undecodable: a version drift or our bug.
		// Stripe retries; the log says which event to look at.
		log.Error("webhook event not decodable", "err", err)
		return outcome{status: http.StatusBadRequest, reason: reasonMalformed, msg: "event object does not decode"}, tenantID
	}
	if len(facts) > 0 {
		events := make([]messages.Event, len(facts))
		for i := range facts {
			events[i] = facts[i]
		}
		pctx := bus.WithCorrelationID(ctx, ev.ID)
		if err := h.publish(pctx, events); err != nil {
			h.Metrics.publishFailures.WithLabelValues(tenantID).Inc()
			if errors.Is(err, bus.ErrBusy) {
				// Overload: refused before anything was sent.
				log.Warn("webhook rejected", "status", http.StatusServiceUnavailable, "reason", reasonPublishBusy)
				return outcome{status: http.StatusServiceUnavailable, reason: reasonPublishBusy, msg: "busy, try again later"}, tenantID
			}
			log.Error("publish metric events failed", "facts", len(facts), "err", err)
			return outcome{status: http.StatusServiceUnavailable, reason: "publish_failed", msg: "could not record the event; retry later"}, tenantID
		}
		h.Metrics.facts.WithLabelValues(tenantID).Add(float64(len(facts)))
	}
	if h.seen.add(tenantID + "/" + ev.ID) {
		// Published again all the same: harmless (event ids are
		// idempotency keys), and it covers a first answer that was lost.
		h.Metrics.duplicates.WithLabelValues(tenantID).Inc()
	}
	log.Info("webhook accepted", "facts", len(facts))
	return outcome{status: http.StatusOK, msg: fmt.Sprintf("recorded %d metric events", len(facts))}, tenantID
}

// versionLabel bounds the api_version label to versions Stripe could have
// sent (verified events only reach it, but a version is still data).
func versionLabel(v string) string {
	if stripemap.KnownVersion(v) {
		return v
	}
	return "other"
}

// verify checks the signature against each of the tenant's secrets (any
// one verifies, for rotation) and never against another tenant's.
func (h *Webhook) verify(ctx context.Context, log *slog.Logger, tenant tenants.Tenant, body []byte, sig string) (stripemap.Webhook, outcome, bool) {
	reject := func(status int, reason, msg string, attrs ...any) (stripemap.Webhook, outcome, bool) {
		log.Warn("webhook rejected", append([]any{"status", status, "reason", reason}, attrs...)...)
		return stripemap.Webhook{}, outcome{status: status, reason: reason, msg: msg}, false
	}
	unresolved := 0
	for i, ref := range tenant.Stripe.WebhookSecrets {
		secret, err := h.Secrets.Resolve(ctx, ref)
		if err != nil {
			unresolved++
			// The error names the reference, never the value.
			log.Error("webhook secret not resolvable", "index", i, "err", err)
			continue
		}
		// The signature over the raw bytes alone, then one decode
		// (stripemap.DecodeWebhook: a charge in one pass into the fields
		// the translation reads; stripe-go's ConstructEvent would decode
		// the whole object into a map as well). The API version is checked
		// by the caller, with the tenant's policy and a clear answer.
		err = stripehook.ValidatePayloadWithTolerance(body, sig, secret, Tolerance)
		switch {
		case err == nil:
			ev, err := stripemap.DecodeWebhook(body)
			if err != nil {
				return reject(http.StatusBadRequest, reasonMalformed, "body is not a Stripe event")
			}
			return ev, outcome{}, true
		case errors.Is(err, stripehook.ErrNoValidSignature):
			continue // maybe the next secret (rotation)
		case errors.Is(err, stripehook.ErrTooOld):
			return reject(http.StatusBadRequest, reasonStale, "signature timestamp outside the 300 s tolerance")
		case errors.Is(err, stripehook.ErrNotSigned):
			return reject(http.StatusBadRequest, reasonNoSignature, "missing Stripe-Signature header")
		case errors.Is(err, stripehook.ErrInvalidHeader):
			return reject(http.StatusBadRequest, reasonBadSignature, "malformed Stripe-Signature header")
		default:
			return reject(http.StatusBadRequest, reasonBadSignature, "signature not verifiable")
		}
	}
	if unresolved > 0 {
		// One of the secrets we could not read may be the right one.
		return reject(http.StatusServiceUnavailable, reasonSecretsFailure, "try again later", "unresolved", unresolved)
	}
	return reject(http.StatusBadRequest, reasonBadSignature, "no valid signature for this endpoint")
}

// publish retries transient failures with backoff until PublishTimeout.
// The publisher honours ctx (bus.GroupPublisher withdraws what it has not
// sent when ctx ends), so nothing runs on after the answer. An overloaded
// publisher (bus.ErrBusy) or an entry SNS refused (bus.ErrRejected) is
// answered at once: retrying in process would only queue more work.
func (h *Webhook) publish(ctx context.Context, events []messages.Event) error {
	timeout := h.PublishTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := h.Publisher.Publish(ctx, messages.TopicMetrics, events...)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, bus.ErrBusy), errors.Is(err, bus.ErrRejected):
			return err
		case ctx.Err() != nil:
			return fmt.Errorf("attempt %d: %w (last error: %v)", attempt, ctx.Err(), err)
		}
		select {
		case <-time.After(backoff):
			backoff = min(backoff*2, 2*time.Second)
		case <-ctx.Done():
			return fmt.Errorf("after %d attempts: %w", attempt, err)
		}
	}
}

// signatureTime reads t= from a Stripe-Signature header as stripe-go does
// (webhook.parseSignatureHeader): pairs split on "," and "=", and the last
// t= wins, since that is the one the signature is checked against.
func signatureTime(header string) (time.Time, bool) {
	var at time.Time
	found := false
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(part, "=")
		if !ok || k != "t" {
			continue
		}
		sec, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		at, found = time.Unix(sec, 0), true
	}
	return at, found
}

// recentIDs remembers the last few thousand Stripe event ids accepted by
// this replica, only to count duplicate deliveries.
type recentIDs struct {
	mu   sync.Mutex
	set  map[string]struct{}
	ring []string
	next int
}

const recentCapacity = 8192

// add records id and reports whether it was already there.
func (r *recentIDs) add(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.set == nil {
		r.set = make(map[string]struct{}, recentCapacity)
		r.ring = make([]string, recentCapacity)
	}
	if _, ok := r.set[id]; ok {
		return true
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.set, old)
	}
	r.ring[r.next] = id
	r.next = (r.next + 1) % recentCapacity
	r.set[id] = struct{}{}
	return false
}
