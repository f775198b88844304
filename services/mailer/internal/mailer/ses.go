package mailer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/smithy-go"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/boardpack/boardpack/services/internal/platform/tracing"
)

// sesAPI is what the mailer needs of SES v1 (SendRawEmail works on AWS,
// moto and LocalStack's free image).
type sesAPI interface {
	SendRawEmail(context.Context, *ses.SendRawEmailInput, ...func(*ses.Options)) (*ses.SendRawEmailOutput, error)
	GetSendQuota(context.Context, *ses.GetSendQuotaInput, ...func(*ses.Options)) (*ses.GetSendQuotaOutput, error)
}

// ErrRejected marks a permanent SES refusal: recorded, never retried.
var ErrRejected = errors.New("rejected by SES")

// ErrThrottled marks throttling that outlasted the retry budget: the
// message is redelivered later.
var ErrThrottled = errors.New("throttled by SES")

// ErrPaused marks sending paused for the account or the configuration set
// (a reputation review, an operator): SES sent nothing, and the report goes
// out once sending resumes, so the message is redelivered later.
var ErrPaused = errors.New("sending paused by SES")

// ErrFromNotAllowed marks AccessDenied on SendRawEmail: the deployment may
// not send as this From (its IAM policy allows other identities or
// domains). Permanent: retrying the same From cannot help.
var ErrFromNotAllowed = errors.New("SES refused the From address (AccessDenied)")

// rawEmail is one SendRawEmail call.
type rawEmail struct {
	Destinations []string
	Data         []byte
	Tags         map[string]string
}

// sender sends within the account's max send rate (GetSendQuota's
// MaxSendRate, re-read every refresh, counted per recipient over every
// sliding second: see sendWindow), retrying throttling with capped
// exponential backoff and full jitter.
type sender struct {
	api              sesAPI
	source           string
	configurationSet string
	// fixedRate overrides the quota when > 0.
	fixedRate float64
	refresh   time.Duration
	attempts  int
	baseDelay time.Duration
	maxDelay  time.Duration
	now       func() time.Time
	sleep     func(context.Context, time.Duration) error

	window sendWindow

	mu        sync.Mutex
	rate      float64 // recipients per second
	quotaRead time.Time
	// Throttles counts throttling errors seen (for /metrics and benchmarks).
	Throttles int
}

func newSender(api sesAPI, source, configurationSet string, fixedRate float64, refresh time.Duration) *sender {
	return &sender{api: api, source: source, configurationSet: configurationSet, fixedRate: fixedRate, refresh: refresh,
		attempts: 6, baseDelay: 100 * time.Millisecond, maxDelay: 5 * time.Second, now: time.Now, sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ensureRate reads the quota when due. A failed read keeps the previous
// rate (or 1/s, SES's sandbox rate, when none was ever read).
func (s *sender) ensureRate(ctx context.Context) {
	s.mu.Lock()
	due := s.fixedRate <= 0 && (s.quotaRead.IsZero() || s.now().Sub(s.quotaRead) >= s.refresh)
	if s.fixedRate > 0 {
		s.rate = s.fixedRate
	}
	s.mu.Unlock()
	if !due {
		return
	}
	out, err := s.api.GetSendQuota(ctx, &ses.GetSendQuotaInput{})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quotaRead = s.now()
	switch {
	case err == nil && out.MaxSendRate > 0:
		s.rate = out.MaxSendRate
	case s.rate == 0:
		s.rate = 1
	}
}

// wait admits n recipients within the rate, sleeping until they fit.
func (s *sender) wait(ctx context.Context, n int) error {
	s.ensureRate(ctx)
	return s.window.admit(ctx, s.now, s.sleep, s.Rate(), n)
}

// Rate is the current send rate limit (recipients per second).
func (s *sender) Rate() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rate
}

// SpanSend names the span of one email's SendRawEmail (its retries of
// throttling included).
const SpanSend = "ses SendRawEmail"

// send sends one raw email and returns SES's message id.
func (s *sender) send(ctx context.Context, e rawEmail) (id string, err error) {
	if tracing.Enabled() {
		var span trace.Span
		ctx, span = tracing.Start(ctx, SpanSend, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
			semconv.RPCSystemNameKey.String("aws-api"), semconv.RPCMethod("SES/SendRawEmail"),
			attribute.Int("boardpack.email.destinations", len(e.Destinations)),
		))
		defer func() {
			span.SetAttributes(attribute.String("aws.ses.message_id", id))
			tracing.End(span, err)
		}()
	}
	in := &ses.SendRawEmailInput{
		Source:       aws.String(s.source),
		Destinations: e.Destinations,
		RawMessage:   &sestypes.RawMessage{Data: e.Data},
	}
	if s.configurationSet != "" {
		in.ConfigurationSetName = aws.String(s.configurationSet)
	}
	for _, k := range slices.Sorted(maps.Keys(e.Tags)) {
		in.Tags = append(in.Tags, sestypes.MessageTag{Name: aws.String(k), Value: aws.String(e.Tags[k])})
	}
	var lastErr error
	recipients := recipientsOf(e)
	for attempt := 0; attempt < s.attempts; attempt++ {
		// Every attempt is admitted anew: a refused attempt cost no SES
		// quota, but counting it errs on the safe side.
		if err := s.wait(ctx, recipients); err != nil {
			return "", err
		}
		out, err := s.api.SendRawEmail(ctx, in)
		if err == nil {
			return aws.ToString(out.MessageId), nil
		}
		switch classify(err) {
		case errPermanent:
			return "", fmt.Errorf("%w: %w", ErrRejected, err)
		case errPaused:
			return "", fmt.Errorf("%w: %w", ErrPaused, err)
		case errFromDenied:
			return "", fmt.Errorf("%w: %w: %w", ErrRejected, ErrFromNotAllowed, err)
		case errThrottle:
			s.mu.Lock()
			s.Throttles++
			s.mu.Unlock()
			s.window.fill(s.now(), s.Rate())
		default:
			// Transient (network, 5xx): the SDK already retried; give
			// the message back to the queue.
			return "", fmt.Errorf("send raw email: %w", err)
		}
		lastErr = err
		// Full jitter: uniform in [0, min(max, base*2^attempt)).
		ceiling := min(s.maxDelay, s.baseDelay<<attempt)
		if err := s.sleep(ctx, time.Duration(rand.Int64N(int64(ceiling)))); err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("%w after %d attempts: %w", ErrThrottled, s.attempts, lastErr)
}

type errClass int

const (
	errTransient errClass = iota
	errThrottle
	errPermanent
	errPaused
	errFromDenied
)

// classify sorts SES errors. Permanent: the message, identity or
// configuration is refused and retrying the same message cannot help.
func classify(err error) errClass {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return errTransient
	}
	switch ae.ErrorCode() {
	case "Throttling", "ThrottlingException", "TooManyRequestsException":
		return errThrottle
	case "AccountSendingPausedException", "AccountSendingPaused",
		"ConfigurationSetSendingPausedException", "ConfigurationSetSendingPaused":
		return errPaused
	case "AccessDenied", "AccessDeniedException":
		// SendRawEmail's resource is the sending identity: a denial is
		// the IAM policy refusing this From (ses:FromAddress, identity).
		return errFromDenied
	case "MessageRejected", "MailFromDomainNotVerifiedException", "MailFromDomainNotVerified",
		"ConfigurationSetDoesNotExist", "ConfigurationSetDoesNotExistException",
		"InvalidParameterValue", "ValidationError":
		if ae.ErrorMessage() == "Maximum sending rate exceeded." {
			return errThrottle
		}
		return errPermanent
	}
	if ae.ErrorMessage() == "Maximum sending rate exceeded." {
		return errThrottle
	}
	return errTransient
}
