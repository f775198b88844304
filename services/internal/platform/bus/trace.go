package bus

import (
	"context"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/boardpack/boardpack/messages"
	"github.com/boardpack/boardpack/services/internal/platform/logging"
	"github.com/boardpack/boardpack/services/internal/platform/tracing"
)

// startPublish starts the producer span of one Publish call; the messages
// published under it carry it as their parent (NewMessage injects ctx's
// span). With tracing off it is a no-op.
func startPublish(ctx context.Context, topicName string, events []messages.Event) (context.Context, trace.Span) {
	if !tracing.Enabled() {
		return tracing.Start(ctx, "")
	}
	attrs := []trace.SpanStartOption{
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(
			semconv.MessagingSystemAWSSNS,
			semconv.MessagingOperationTypeSend,
			semconv.MessagingDestinationName(topicName),
			semconv.MessagingBatchMessageCount(len(events)),
		),
	}
	if len(events) > 0 {
		attrs = append(attrs, trace.WithAttributes(tracing.TenantKey.String(events[0].EventHeader().TenantID)))
	}
	return tracing.Start(ctx, "send "+topicName, attrs...)
}

// handling is the router middleware that ties a message's handling
// together: its context carries the correlation id (so that what the
// handler publishes keeps it), the log attributes logging.For adds to the
// handler's lines (correlation and message ids, and the trace id), and,
// with tracing on, a consumer span whose parent is the publisher's span
// from the message's traceparent. It runs outside the retries, so one span
// covers every attempt.
func handling(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		cid := middleware.MessageCorrelationID(msg)
		ctx := msg.Context()
		if cid != "" {
			ctx = WithCorrelationID(ctx, cid)
		}
		ctx = logging.WithAttrs(ctx, slog.String(logging.KeyCorrelationID, cid), slog.String(logging.KeyMessageID, msg.UUID))
		var span trace.Span
		if tracing.Enabled() {
			queue := message.SubscribeTopicFromCtx(ctx)
			ctx, span = tracing.Start(tracing.Extract(ctx, msg.Metadata), "process "+queue,
				trace.WithSpanKind(trace.SpanKindConsumer),
				trace.WithAttributes(
					semconv.MessagingSystemAWSSQS,
					semconv.MessagingOperationTypeProcess,
					semconv.MessagingDestinationName(queue),
					semconv.MessagingMessageID(msg.UUID),
					semconv.MessagingConsumerGroupName(message.HandlerNameFromCtx(ctx)),
					tracing.TenantKey.String(msg.Metadata.Get(messages.MetadataTenantID)),
				))
		}
		msg.SetContext(ctx)
		out, err := h(msg)
		if span != nil {
			tracing.End(span, err)
		}
		return out, err
	}
}
