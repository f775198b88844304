package main

import (
	"errors"
	"log/slog"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/boardpack/boardpack/services/internal/platform/bus"
	"github.com/boardpack/boardpack/services/internal/platform/envconfig"
	"github.com/boardpack/boardpack/services/internal/platform/resources"
)

// Write modes (BOARDPACK_AGGREGATOR_WRITES).
const (
	writesBatch       = "batch"
	writesConditional = "conditional"
)

// config is everything the aggregator reads from the environment.
type config struct {
	Names resources.Names
	// HTTPAddr serves /healthz, /readyz and /metrics.
	HTTPAddr string
	// Workers is how many receive loops run at once (ConsumeWorkers): the
	// number of messages handled concurrently.
	Workers int
	// BatchSize is how many messages one ReceiveMessage asks for (1-10).
	BatchSize int
	// HandlerTimeout bounds one message, retries included, and the graceful
	// shutdown's wait for in-flight messages; it must stay well inside the
	// queue's visibility timeout (60 s from bootstrap).
	HandlerTimeout time.Duration
	// Writes is "batch" (facts of concurrent messages coalesced into one
	// BatchWriteItem) or "conditional" (one conditional PutItem per fact,
	// which also counts duplicates).
	Writes string
	// Linger is how long a batch of facts waits for more after its first.
	Linger time.Duration
	// ReceiveLinger is how long a receive loop waits after a partial
	// batch before receiving again (bus.SubscriberConfig.Linger).
	ReceiveLinger time.Duration

	// awsOpts adds SDK options (tests and benchmarks count requests).
	awsOpts []func(*awsconfig.LoadOptions) error
}

// renamed maps each setting to the deprecated name it replaced, still
// read (with a warning) when the new name is unset.
var renamed = map[string]string{
	"BOARDPACK_AGGREGATOR_HANDLER_TIMEOUT": "BOARDPACK_HANDLER_TIMEOUT",
}

// loadConfig reads the configuration, prints it, and returns every
// problem at once.
func loadConfig(log *slog.Logger) (config, error) {
	r := envconfig.Reader{Aliases: renamed}
	c := config{
		Names:          resources.NamesFromEnv(&r),
		HTTPAddr:       r.String("BOARDPACK_HTTP_ADDR", "127.0.0.1:8081"),
		Workers:        r.Int("BOARDPACK_AGGREGATOR_WORKERS", bus.DefaultReceiveWorkers),
		BatchSize:      r.Int("BOARDPACK_AGGREGATOR_BATCH_SIZE", 10),
		HandlerTimeout: r.Duration("BOARDPACK_AGGREGATOR_HANDLER_TIMEOUT", 20*time.Second),
		Writes:         r.String("BOARDPACK_AGGREGATOR_WRITES", writesBatch),
		Linger:         r.Duration("BOARDPACK_AGGREGATOR_LINGER", 5*time.Millisecond),
		ReceiveLinger:  r.Duration("BOARDPACK_AGGREGATOR_RECEIVE_LINGER", bus.DefaultReceiveLinger),
	}
	r.Log(log, "aggregator")
	if err := r.Err(); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// Validate returns every problem at once.
func (c config) Validate() error {
	var errs []error
	if c.Names.Table == "" {
		errs = append(errs, errors.New("BOARDPACK_TABLE: must not be empty"))
	}
	if c.Workers < 1 || c.Workers > 256 {
		errs = append(errs, errors.New("BOARDPACK_AGGREGATOR_WORKERS: must be between 1 and 256"))
	}
	if c.BatchSize < 1 || c.BatchSize > 10 {
		errs = append(errs, errors.New("BOARDPACK_AGGREGATOR_BATCH_SIZE: must be between 1 and 10 (an SQS limit)"))
	}
	if c.Writes != writesBatch && c.Writes != writesConditional {
		errs = append(errs, errors.New("BOARDPACK_AGGREGATOR_WRITES: must be batch or conditional"))
	}
	if c.Linger > time.Second {
		errs = append(errs, errors.New("BOARDPACK_AGGREGATOR_LINGER: at most 1s"))
	}
	if c.ReceiveLinger < 0 || c.ReceiveLinger > time.Second {
		errs = append(errs, errors.New("BOARDPACK_AGGREGATOR_RECEIVE_LINGER: between 0 and 1s"))
	}
	if c.HandlerTimeout < time.Second {
		errs = append(errs, errors.New("BOARDPACK_AGGREGATOR_HANDLER_TIMEOUT: must be at least 1s"))
	}
	return errors.Join(errs...)
}
