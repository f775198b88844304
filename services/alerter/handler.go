package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/alerter/engine"
	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/logging"
)

// handler feeds metric events and findings from the alerter's queue to
// the engine.
type handler struct {
	engine  *engine.Engine
	metrics *metrics
	log     *slog.Logger
	timeout time.Duration
}

// Handle is the watermill handler: nil acks, an error nacks (bus.Permanent
// skips the in-process retry and reaches the DLQ after the redrive count).
func (h *handler) Handle(msg *message.Message) error {
	name := msg.Metadata.Get(messages.MetadataEventName)
	// Detached from the message context so a shutdown does not cut a state
	// write half way; bounded inside the visibility timeout.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(msg.Context()), h.timeout)
	defer cancel()
	var err error
	switch name {
	case messages.EventNameMetric:
		var e messages.MetricEvent
		if e, err = bus.Decode[messages.MetricEvent](msg); err == nil {
			err = h.engine.HandleFact(ctx, e)
		}
	case messages.EventNameFinding:
		var f messages.Finding
		if f, err = bus.Decode[messages.Finding](msg); err == nil {
			err = h.engine.HandleFinding(ctx, f)
		}
	default:
		err = bus.Permanent(fmt.Errorf("message %s: unknown %s %q", msg.UUID, messages.MetadataEventName, name))
	}
	switch {
	case err == nil:
		h.metrics.facts.WithLabelValues("ok").Inc()
		return nil
	case errors.Is(err, engine.ErrUnknownTenant):
		// A tenant removed from the file: nothing to alert on. Acked, not
		// dead-lettered: the aggregator keeps the fact.
		h.metrics.facts.WithLabelValues("unknown_tenant").Inc()
		logging.For(ctx, h.log).Debug("fact for unknown tenant", "err", err)
		return nil
	case errors.Is(err, bus.ErrPermanent):
		h.metrics.facts.WithLabelValues("rejected").Inc()
		logging.For(ctx, h.log).Warn("message rejected", "event", name, "err", err)
		return err
	}
	h.metrics.facts.WithLabelValues("retry").Inc()
	logging.For(ctx, h.log).Warn("evaluation failed, will retry", "event", name, "err", err)
	return err
}
