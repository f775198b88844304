package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/boardpack/boardpack/services/internal/domain/tenants"
)

// Security finding 2 over HTTP, on moto: webhooks for 200,000 distinct
// unknown tenant ids, through the handler with the lookup main wires
// (NewTenantLookup), are each a 404 and cost no DynamoDB read and no heap
// per id; an applied tenant is still served. The 1,000,000-id memory bound
// is TestUnknownTenantFloodKeepsMemoryFlat's.
func TestUnknownTenantFloodOverHTTPReadsNothing(t *testing.T) {
	var wh *Webhook
	h := newHarness(t, func(w *Webhook) { wh = w })
	var calls atomic.Int64
	count := func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("countCalls",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					calls.Add(1)
					return next.HandleInitialize(ctx, in)
				}), middleware.After)
		})
	}
	store := tenants.Store{DB: dynamodb.NewFromConfig(h.env.AWS, count), Table: h.env.Names.Table}
	wh.Tenants = NewTenantLookup(store, time.Hour)

	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/stripe/{tenant}", wh)
	serve := func(tenant string) int {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/webhooks/stripe/"+tenant, strings.NewReader("{}")))
		return rec.Code
	}
	body := capturedCharge(t)
	if code := h.post(t, "acme", body, sign(body, secretOld, time.Now())); code != http.StatusOK {
		t.Fatalf("acme's webhook: %d", code)
	}
	if code := serve("warm-up-unknown"); code != http.StatusNotFound {
		t.Fatalf("unknown tenant: %d, want 404", code)
	}
	warm := calls.Load()
	before := heap()
	const n, limit = 200_000, 8 << 20
	for i := range n {
		if code := serve("unknown-" + strconv.Itoa(i)); code != http.StatusNotFound {
			t.Fatalf("unknown-%d: %d, want 404", i, code)
		}
		if i == 999 || i%50_000 == 49_999 { // early too, so a read per id fails fast
			if c := calls.Load() - warm; c != 0 {
				t.Fatalf("after %d unknown ids: %d DynamoDB calls, want none", i+1, c)
			}
			if got := heap(); got > before+limit {
				t.Fatalf("after %d unknown ids the heap grew %d bytes, want under %d", i+1, got-before, limit)
			}
		}
	}
	if code := serve("acme"); code == http.StatusNotFound {
		t.Error("acme is unknown after the flood")
	}
}
