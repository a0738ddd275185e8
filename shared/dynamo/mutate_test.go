package dynamo_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// TestMutateFrom: the first round decides on the ticket as the caller
// read it; when that read is stale, the write conflicts, and the next
// round decides on a fresh read. Concurrent callers all land, one version
// each.
func TestMutateFrom(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	tk := newTicket(t0, "+8613800138071")
	create(t, st, tk)
	stale := tk.Clone()
	bump := func(cur *ticket.Ticket) (ticket.Change, error) {
		next := cur.Clone()
		next.Version++
		next.Summary = cur.Summary + "+"
		return ticket.Change{Ticket: next}, nil
	}
	if _, err := st.MutateFrom(ctx, tk, bump); err != nil {
		t.Fatalf("MutateFrom(current) = %v", err)
	}
	var seen []int
	got, err := st.MutateFrom(ctx, stale, func(cur *ticket.Ticket) (ticket.Change, error) {
		seen = append(seen, cur.Version)
		return bump(cur)
	})
	if err != nil || got.Version != 3 || len(seen) != 2 || seen[0] != 1 || seen[1] != 2 {
		t.Fatalf("MutateFrom(stale) = version %v, %v after deciding on versions %v; want 3 after deciding on 1, then 2", got, err, seen)
	}

	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := st.MutateFrom(ctx, got, bump)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil && !errors.Is(err, ticket.ErrConflict) {
			t.Errorf("concurrent MutateFrom = %v", err)
		}
	}
	final, err := st.Ticket(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := 3 + 6; final.Version != want || len(final.Summary) != len("meter")+final.Version-1 {
		t.Errorf("after six concurrent changes: version %d, summary %q; want version %d, one + per change", final.Version, final.Summary, want)
	}
}
