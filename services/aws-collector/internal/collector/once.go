package collector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// ErrTenantsFailed is returned by -once when a tenant could not be
// collected completely.
var ErrTenantsFailed = errors.New("some tenants failed")

// Once runs one pass and prints each tenant's outcome.
func (s *Service) Once(ctx context.Context, stdout io.Writer) error {
	results, err := s.Pass(ctx)
	if err != nil {
		return err
	}
	if len(results) == 0 {
		fmt.Fprintln(stdout, "no tenant configures aws")
	}
	failed := 0
	for _, r := range results {
		if r.Err != nil {
			failed++
			fmt.Fprintf(stdout, "tenant %s: FAILED after %s (%d events, %d finding changes published): %v\n",
				r.TenantID, r.Duration.Round(time.Millisecond), r.Events, r.Findings, r.Err)
			continue
		}
		fmt.Fprintf(stdout, "tenant %s: ok in %s: %d events, %d open findings, %d finding changes published\n",
			r.TenantID, r.Duration.Round(time.Millisecond), r.Events, r.Open, r.Findings)
		for _, n := range r.Notes {
			fmt.Fprintf(stdout, "tenant %s: note: %s\n", r.TenantID, n)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%w: %d of %d", ErrTenantsFailed, failed, len(results))
	}
	return nil
}
