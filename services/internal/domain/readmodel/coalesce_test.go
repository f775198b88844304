package readmodel_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/boardpack/boardpack/services/internal/domain/readmodel"
)

// batchRecorder is a BatchAPI that records each request's size.
type batchRecorder struct {
	mu    sync.Mutex
	sizes []int
	err   error
}

func (b *batchRecorder) BatchWriteItem(_ context.Context, in *dynamodb.BatchWriteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return nil, b.err
	}
	for _, reqs := range in.RequestItems {
		b.sizes = append(b.sizes, len(reqs))
	}
	return &dynamodb.BatchWriteItemOutput{}, nil
}

// putConcurrently puts n distinct records from n goroutines, as the
// aggregator's handlers do, and returns each Put's error.
func putConcurrently(t *testing.T, db readmodel.BatchAPI, n int) []error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := readmodel.NewCoalescer(db, "t", time.Second)
	go c.Run(ctx)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			rec := readmodel.Record{TenantID: "jada", SK: fmt.Sprintf("F#m#%03d", i), Doc: []byte("{}"), Occurred: time.Now()}
			dup, err := c.Put(ctx, rec)
			if dup {
				t.Errorf("Put reported a duplicate: a batched write cannot know")
			}
			errs[i] = err
		})
	}
	wg.Wait()
	return errs
}

// TestCoalescerBatchesConcurrentPuts: concurrent records share requests of
// at most MaxBatch, and every Put returns only once its record is written.
func TestCoalescerBatchesConcurrentPuts(t *testing.T) {
	db := &batchRecorder{}
	for i, err := range putConcurrently(t, db, 30) {
		if err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
	}
	total := 0
	for _, n := range db.sizes {
		if n > readmodel.MaxBatch {
			t.Errorf("a request of %d items, at most %d", n, readmodel.MaxBatch)
		}
		total += n
	}
	if total != 30 || len(db.sizes) >= 30 {
		t.Errorf("requests %v: want 30 items in fewer than 30 requests", db.sizes)
	}
}

// TestCoalescerReportsTheBatchErrorToEveryWriter: no writer's message is
// acked when its batch failed.
func TestCoalescerReportsTheBatchErrorToEveryWriter(t *testing.T) {
	boom := errors.New("throttled")
	for i, err := range putConcurrently(t, &batchRecorder{err: boom}, 5) {
		if !errors.Is(err, boom) {
			t.Fatalf("Put %d = %v, want the batch's error", i, err)
		}
	}
}
