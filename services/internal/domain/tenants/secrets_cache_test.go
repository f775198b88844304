package tenants

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	jsonsecrets "github.com/boardpack/boardpack/services/internal/platform/awsjson/secretsmanager"
	jsonssm "github.com/boardpack/boardpack/services/internal/platform/awsjson/ssm"
	"github.com/boardpack/boardpack/services/internal/platform/mototest"
)

// outage is an HTTP transport to moto that can be cut, as an SSM outage
// would, and counts the requests that reach it.
type outage struct {
	down  atomic.Bool
	calls atomic.Int64
}

var errUnreachable = errors.New("connection refused (test outage)")

func (o *outage) RoundTrip(r *http.Request) (*http.Response, error) {
	o.calls.Add(1)
	if o.down.Load() {
		return nil, errUnreachable
	}
	return http.DefaultTransport.RoundTrip(r)
}

// clock is a settable time for the resolver's caches.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func cachingResolver(t *testing.T) (*SecretResolver, *outage, *clock, *ssm.Client) {
	cfg := mototest.Config(t)
	o := &outage{}
	cfg.HTTPClient = &http.Client{Transport: o}
	// One attempt per lookup, so the counts below are lookups.
	cfg.RetryMaxAttempts = 1
	admin := ssm.NewFromConfig(mototest.Config(t))
	clk := &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	r := &SecretResolver{SSM: jsonssm.NewFromConfig(cfg), SecretsManager: jsonsecrets.NewFromConfig(cfg),
		TTL: time.Minute, NegativeTTL: 30 * time.Second, MaxStale: time.Hour, Now: clk.Now}
	return r, o, clk, admin
}

// Failed secret lookups are cached for NegativeTTL, and an outage serves
// the last value read for up to MaxStale (security review, lower
// severity).
func TestSecretLookupServesStaleThroughAnOutage(t *testing.T) {
	r, o, clk, admin := cachingResolver(t)
	ctx := context.Background()
	name := "/boardpack/t" + mototest.UniqueID() + "/whsec"
	if _, err := admin.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String("whsec_one"), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatal(err)
	}
	ref := RefSSM + name
	if v, err := r.Resolve(ctx, ref); err != nil || v != "whsec_one" {
		t.Fatalf("Resolve = %q, %v", v, err)
	}

	o.down.Store(true)
	clk.Add(2 * time.Minute) // past TTL: a refresh is due, and fails
	before := o.calls.Load()
	for range 50 {
		if v, err := r.Resolve(ctx, ref); err != nil || v != "whsec_one" {
			t.Fatalf("during the outage Resolve = %q, %v; want the last value read", v, err)
		}
	}
	if n := o.calls.Load() - before; n != 1 {
		t.Errorf("50 lookups during the outage cost %d calls, want 1 per NegativeTTL", n)
	}
	clk.Add(31 * time.Second) // past NegativeTTL: one more try
	if _, err := r.Resolve(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if n := o.calls.Load() - before; n != 2 {
		t.Errorf("after NegativeTTL the lookup made %d calls in all, want 2", n)
	}

	// Past MaxStale the outage is the answer.
	clk.Add(time.Hour)
	if v, err := r.Resolve(ctx, ref); err == nil || !strings.Contains(err.Error(), ref) {
		t.Errorf("an hour-old value served past MaxStale: %q, %v", v, err)
	}

	// Back up: the new value is read.
	o.down.Store(false)
	if _, err := admin.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String("whsec_two"), Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	clk.Add(31 * time.Second)
	if v, err := r.Resolve(ctx, ref); err != nil || v != "whsec_two" {
		t.Errorf("after the outage Resolve = %q, %v; want the new value", v, err)
	}
}

// A deleted secret is revoked, not an outage: it is not served stale.
func TestDeletedSecretIsNotServedStale(t *testing.T) {
	r, o, clk, admin := cachingResolver(t)
	ctx := context.Background()
	name := "/boardpack/t" + mototest.UniqueID() + "/whsec"
	if _, err := admin.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String("whsec_old"), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatal(err)
	}
	ref := RefSSM + name
	if _, err := r.Resolve(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	clk.Add(2 * time.Minute)
	before := o.calls.Load()
	for range 20 {
		if v, err := r.Resolve(ctx, ref); err == nil || v != "" {
			t.Fatalf("a deleted secret resolved to %q, %v", v, err)
		}
	}
	if n := o.calls.Load() - before; n != 1 {
		t.Errorf("20 lookups of a deleted secret cost %d calls, want 1 per NegativeTTL", n)
	}
}

// Concurrent lookups of one reference share one call.
func TestConcurrentLookupsShareOneCall(t *testing.T) {
	r, o, _, admin := cachingResolver(t)
	ctx := context.Background()
	name := "/boardpack/t" + mototest.UniqueID() + "/api"
	if _, err := admin.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String("rk_shared"), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 20 {
		wg.Go(func() {
			<-start
			if v, err := r.Resolve(ctx, RefSSM+name); err != nil || v != "rk_shared" {
				t.Errorf("Resolve = %q, %v", v, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if n := o.calls.Load(); n != 1 {
		t.Errorf("20 concurrent lookups made %d calls, want them shared", n)
	}
}
