package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// ErrDeadWebhook marks a webhook Slack says is gone (404, 410): never
// retried; reported to the operator once.
var ErrDeadWebhook = errors.New("slack webhook is gone")

// ErrSlackRejected marks another permanent refusal (400 invalid_payload,
// 403 action_prohibited, ...): recorded, never retried.
var ErrSlackRejected = errors.New("slack refused the message")

// ErrSlackUnavailable marks a failure worth retrying later (5xx, network,
// rate limiting beyond the wait budget).
var ErrSlackUnavailable = errors.New("slack unavailable")

// SlackMessage is an incoming-webhook payload: Block Kit blocks plus the
// plain-text fallback Slack shows in notifications and old clients.
type SlackMessage struct {
	Text   string           `json:"text"`
	Blocks []map[string]any `json:"blocks,omitempty"`
}

// Slack posts to incoming webhooks. It spaces posts to one webhook by
// MinInterval (Slack allows about one message per second per webhook) and
// waits out a 429's Retry-After, up to MaxWait in all.
type Slack struct {
	Client      *http.Client
	MinInterval time.Duration
	MaxWait     time.Duration
	Attempts    int
	// Sleep is the clock's sleep (tests replace it).
	Sleep func(context.Context, time.Duration) error

	mu   sync.Mutex
	next map[string]time.Time
}

// NewSlack returns a sender with Slack's documented limits.
func NewSlack() *Slack {
	return &Slack{Client: &http.Client{Timeout: 10 * time.Second}, MinInterval: time.Second, MaxWait: 30 * time.Second, Attempts: 4}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// pace waits for the webhook's next free slot and takes it.
func (s *Slack) pace(ctx context.Context, url string) error {
	s.mu.Lock()
	if s.next == nil {
		s.next = map[string]time.Time{}
	}
	now := time.Now()
	at := s.next[url]
	if at.Before(now) {
		at = now
	}
	s.next[url] = at.Add(s.MinInterval)
	s.mu.Unlock()
	return s.sleep(ctx, time.Until(at))
}

func (s *Slack) sleep(ctx context.Context, d time.Duration) error {
	if s.Sleep != nil {
		return s.Sleep(ctx, d)
	}
	return sleepCtx(ctx, d)
}

// Post sends msg to the webhook url. The error wraps ErrDeadWebhook,
// ErrSlackRejected or ErrSlackUnavailable, and never contains the URL
// (a secret).
func (s *Slack) Post(ctx context.Context, url string, msg SlackMessage) error {
	body, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("%w: encode: %v", ErrSlackRejected, err)
	}
	attempts := max(1, s.Attempts)
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		if err := s.pace(ctx, url); err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("%w: bad webhook URL", ErrSlackRejected)
		}
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		resp, err := s.Client.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%w: post failed", ErrSlackUnavailable)
		}
		reply, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK:
			return nil
		case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
			return fmt.Errorf("%w (%d %s)", ErrDeadWebhook, resp.StatusCode, bytes.TrimSpace(reply))
		case resp.StatusCode == http.StatusTooManyRequests:
			wait := retryAfter(resp.Header.Get("Retry-After"))
			if attempt >= attempts || waited+wait > s.MaxWait {
				return fmt.Errorf("%w: rate limited (Retry-After %s)", ErrSlackUnavailable, wait)
			}
			waited += wait
			// Later posts to this webhook wait too.
			s.mu.Lock()
			if t := time.Now().Add(wait); t.After(s.next[url]) {
				s.next[url] = t
			}
			s.mu.Unlock()
			continue
		case resp.StatusCode >= 500:
			if attempt >= attempts {
				return fmt.Errorf("%w: %d", ErrSlackUnavailable, resp.StatusCode)
			}
			if err := s.sleep(ctx, time.Duration(attempt)*500*time.Millisecond); err != nil {
				return err
			}
			continue
		default:
			return fmt.Errorf("%w (%d %s)", ErrSlackRejected, resp.StatusCode, bytes.TrimSpace(reply))
		}
	}
}

// retryAfter reads Retry-After in seconds (Slack's form); 1s when absent
// or unreadable.
func retryAfter(v string) time.Duration {
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return time.Second
}
