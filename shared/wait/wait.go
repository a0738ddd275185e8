// Package wait pauses work without outliving its context: the backoff
// between retries of a conflicting write, a throttled publish, an empty
// poll.
package wait

import (
	"context"
	"time"
)

// Sleep waits for d, or until ctx is done; it returns ctx's error then.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
