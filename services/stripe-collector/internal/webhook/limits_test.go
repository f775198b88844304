package webhook

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// blockingTenants holds every lookup until released, so requests pile up
// in the handler.
type blockingTenants struct {
	next    tenantGetter
	entered chan struct{}
	release chan struct{}
}

func (b *blockingTenants) Get(ctx context.Context, id string) (tenants.Tenant, error) {
	b.entered <- struct{}{}
	<-b.release
	return b.next.Get(ctx, id)
}

// Requests beyond MaxInFlight are answered 503 at once (Stripe retries),
// instead of each holding a goroutine, a body buffer and a DynamoDB read.
func TestWebhookConcurrencyIsBounded(t *testing.T) {
	var block *blockingTenants
	h := newHarness(t, func(w *Webhook) {
		block = &blockingTenants{next: w.Tenants, entered: make(chan struct{}, 8), release: make(chan struct{})}
		w.Tenants = block
		w.MaxInFlight = 2
	})
	good := capturedCharge(t)
	var wg sync.WaitGroup
	statuses := make(chan int, 2)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- h.post(t, "acme", good, sign(good, secretOld, time.Now()))
		}()
	}
	for range 2 {
		select {
		case <-block.entered:
		case <-time.After(10 * time.Second):
			t.Fatal("the first requests never reached the tenant lookup")
		}
	}
	// Over the bound the answer comes at once; without a bound the request
	// would wait in the lookup with the others.
	req, _ := http.NewRequest(http.MethodPost, h.url+"/webhooks/stripe/acme", bytes.NewReader(good))
	req.Header.Set("Stripe-Signature", sign(good, secretOld, time.Now()))
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		close(block.release)
		t.Fatalf("request over the bound: %v, want an immediate 503", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("request over the bound = %d, want 503", resp.StatusCode)
	}
	close(block.release)
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != http.StatusOK {
			t.Errorf("request within the bound = %d, want 200", s)
		}
	}
	if got := h.post(t, "acme", good, sign(good, secretOld, time.Now())); got != http.StatusOK {
		t.Errorf("after the others finished = %d, want 200", got)
	}
}

// A 413 closes the connection: the rest of an oversized body is not read
// into the server, and the client cannot keep streaming on it.
func TestWebhookClosesConnectionOn413(t *testing.T) {
	h := newHarness(t, nil)
	good := capturedCharge(t)
	big := append(bytes.Repeat([]byte(" "), MaxBodyBytes), good...)
	req, _ := http.NewRequest(http.MethodPost, h.url+"/webhooks/stripe/acme", bytes.NewReader(big))
	req.Header.Set("Stripe-Signature", sign(big, secretOld, time.Now()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !resp.Close {
		t.Errorf("oversized body: %d, Connection close %v; want 413 and close", resp.StatusCode, resp.Close)
	}
	// An ordinary answer keeps the connection.
	req, _ = http.NewRequest(http.MethodPost, h.url+"/webhooks/stripe/acme", bytes.NewReader(good))
	req.Header.Set("Stripe-Signature", sign(good, secretOld, time.Now()))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Errorf("ordinary request: %d, close %v", resp.StatusCode, resp.Close)
	}
}
