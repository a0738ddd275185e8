package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/wait"
)

// Attempts bounds Mutate's read-decide-write rounds. Every round some
// writer wins, and losers wait a growing, random while before reading
// again, so a dozen writers racing on one ticket (a burst of texts from
// one number, staff acting at once) all land.
const Attempts = 12

// ErrUnchanged is what a decide function returns when there is nothing to
// write; Mutate then returns it with the ticket as read.
var ErrUnchanged = errors.New("nothing to change")

// Mutate is the one read-decide-write loop for changes that may be
// retried on a fresh read (a sweep, a customer's message): it reads the
// ticket, asks decide for the change, and applies it with the version
// check; when the ticket changed meanwhile it reads again and decides
// again. decide gets the ticket as stored and returns the change to
// apply (with Prev and PrevVersion filled in by Mutate), or ErrUnchanged.
// Any other error of the write (a *ticket.DuplicateError) is returned as
// it is.
func (st *Store) Mutate(ctx context.Context, id ticket.ID, decide func(t *ticket.Ticket) (ticket.Change, error)) (*ticket.Ticket, error) {
	return st.mutate(ctx, id, nil, decide)
}

// MutateFrom is Mutate from t, read by the caller moments ago: the first
// round decides on t without reading it again, and only a conflict reads
// afresh. Intake threads a message onto the ticket it has just found this
// way, so a message costs no read more than it did before.
func (st *Store) MutateFrom(ctx context.Context, t *ticket.Ticket, decide func(t *ticket.Ticket) (ticket.Change, error)) (*ticket.Ticket, error) {
	return st.mutate(ctx, t.ID, t, decide)
}

func (st *Store) mutate(ctx context.Context, id ticket.ID, t *ticket.Ticket, decide func(t *ticket.Ticket) (ticket.Change, error)) (*ticket.Ticket, error) {
	for i := 0; i < Attempts; i++ {
		if t == nil {
			var err error
			if t, err = st.Ticket(ctx, id); err != nil {
				return nil, err
			}
		}
		c, err := decide(t)
		if errors.Is(err, ErrUnchanged) {
			return t, ErrUnchanged
		}
		if err != nil {
			return nil, err
		}
		c.Prev, c.PrevVersion = t, t.Version
		if c.Ticket.Version != t.Version+1 {
			return nil, fmt.Errorf("change %s: version %d does not follow %d", t.Ref, c.Ticket.Version, t.Version)
		}
		err = st.Apply(ctx, c)
		if errors.Is(err, ticket.ErrConflict) {
			t = nil
			if err := wait.Sleep(ctx, time.Duration(rand.IntN(5*(i+1))+1)*time.Millisecond); err != nil {
				return nil, fmt.Errorf("change ticket %s: %w", id, err)
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		return c.Ticket, nil
	}
	return nil, fmt.Errorf("change ticket %s: still changing after %d tries: %w", id, Attempts, ticket.ErrConflict)
}
