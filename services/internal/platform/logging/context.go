package logging

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// Keys of the attributes that tie a log line to a message's handling.
const (
	KeyCorrelationID = "correlation_id"
	KeyMessageID     = "message_id"
	KeyTraceID       = "trace_id"
	KeySpanID        = "span_id"
)

type attrsKey struct{}

// WithAttrs returns ctx carrying attrs (after any it carried already), for
// For to add to every line logged while handling what ctx belongs to: the
// bus router puts a message's correlation and message ids there.
func WithAttrs(ctx context.Context, attrs ...slog.Attr) context.Context {
	prev, _ := ctx.Value(attrsKey{}).([]slog.Attr)
	all := make([]slog.Attr, 0, len(prev)+len(attrs))
	return context.WithValue(ctx, attrsKey{}, append(append(all, prev...), attrs...))
}

// For returns log with the attributes ctx carries (WithAttrs) and, when
// ctx holds a valid span (tracing on), its trace and span ids, so that a
// handler's log lines and its trace can be joined. Without either it
// returns log itself.
func For(ctx context.Context, log *slog.Logger) *slog.Logger {
	attrs, _ := ctx.Value(attrsKey{}).([]slog.Attr)
	sc := trace.SpanContextFromContext(ctx)
	if len(attrs) == 0 && !sc.IsValid() {
		return log
	}
	args := make([]any, 0, len(attrs)+2)
	for _, a := range attrs {
		args = append(args, a)
	}
	if sc.IsValid() {
		args = append(args, slog.String(KeyTraceID, sc.TraceID().String()), slog.String(KeySpanID, sc.SpanID().String()))
	}
	return log.With(args...)
}
