package sms

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/wait"
)

// receive hands the text to intake. Intake threads by reading the number's
// open ticket from an index and then writing, so two different texts from
// a new number arriving together (or while the index still lags behind a
// new ticket) could each open a ticket. The guard closes that gap: a new
// ticket for a number also claims two counters for the number in the same
// transaction, one per NewTicketGuard bucket on each of two bucket grids
// half a bucket apart, so two texts less than half a bucket apart share a
// bucket wherever they fall. The second text fails its claim, learns from
// the counter which ticket took it, and threads onto that ticket while it
// is open. When that ticket is no longer open (it was resolved within the
// bucket), the text takes the counters over from it, by name: of two texts
// doing so at once one wins, and the other learns of the winner and
// threads onto it.
func (s *Service) receive(ctx context.Context, in intake.Inbound) (intake.Receipt, error) {
	window := s.ThreadWindow
	if window == 0 {
		window = DefaultThreadWindow
	}
	if window < 0 {
		return s.Intake.Receive(ctx, in)
	}
	in.ThreadWindow = window
	guard := s.NewTicketGuard
	if guard <= 0 {
		guard = DefaultNewTicketGuard
	}
	key := guardKey(in.Contact.Phone)
	in.Limits = []ticket.RateLimit{
		{Key: key, Max: 1, Window: guard},
		{Key: key + "#half", Max: 1, Window: guard, Offset: guard / 2},
	}
	// A text needs at most three tries when the counters name their
	// ticket: fail, take over, thread onto the winner. The pauses are for
	// anything else (a counter naming no ticket); once they are spent, the
	// text opens its ticket without the guard.
	pauses := []time.Duration{20 * time.Millisecond, 80 * time.Millisecond, 250 * time.Millisecond}
	for try := 0; try < 6 && len(pauses) > 0; try++ {
		r, err := s.Intake.Receive(ctx, in)
		var lim *ticket.LimitError
		if !errors.As(err, &lim) {
			return r, err
		}
		if lim.Holder != "" {
			t, err := s.Tickets.Ticket(ctx, lim.Holder)
			if err != nil && !errors.Is(err, ticket.ErrNotFound) {
				return intake.Receipt{}, fmt.Errorf("load ticket %s holding the new-ticket guard: %w", lim.Holder, err)
			}
			open := err == nil && t.Status.Open()
			// The two counters may name different finished tickets: each
			// is taken over from its own holder.
			i := slices.IndexFunc(in.Limits, func(l ticket.RateLimit) bool { return l.Key == lim.Key })
			switch {
			case open && t.ID != in.TicketID:
				in.TicketID = t.ID
				continue
			case !open && i >= 0 && in.Limits[i].Takeover != lim.Holder:
				in.Limits[i].Takeover = lim.Holder
				continue
			}
		}
		if err := wait.Sleep(ctx, pauses[0]); err != nil {
			return intake.Receipt{}, err
		}
		pauses = pauses[1:]
	}
	in.Limits = nil
	return s.Intake.Receive(ctx, in)
}

// guardKey names the new-ticket guard's counters of a number; the
// contact's key comes from shared/dynamo, which alone knows how a number
// is hidden in the table's keys.
func guardKey(phone string) string {
	return "smsnew#" + dynamo.ContactKey("phone", phone)
}
