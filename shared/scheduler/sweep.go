// Package scheduler runs Frontdesk's scheduled jobs. The time-limit sweep
// reads the due index for what fell due since its last run (a time-range
// query per hour bucket, with a safety overlap), and for each ticket asks
// the domain what is due now: a breach climbs the escalation ladder once
// per level, a wait on a silent customer sends its reminder and later
// resolves the ticket. Each step is a conditional write on the ticket's
// version, so overlapping runs, or a run killed half-way and started
// again, do nothing twice and miss nothing.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Store is what the sweep needs of the ticket table (dynamo.Store).
type Store interface {
	DueBetween(ctx context.Context, kind string, from, to time.Time) ([]dynamo.Due, error)
	Mutate(ctx context.Context, id ticket.ID, decide func(t *ticket.Ticket) (ticket.Change, error)) (*ticket.Ticket, error)
	SweptUntil(ctx context.Context, job string) (time.Time, error)
	SetSweptUntil(ctx context.Context, job string, until time.Time) error
}

// Reminder sends the customer of a waiting ticket a reminder (the desk's
// Messenger does).
type Reminder interface {
	Reply(ctx context.Context, t *ticket.Ticket, text, actor string) (ticket.Message, error)
}

// Sweep enforces time limits.
type Sweep struct {
	Store  Store
	Rules  *ticket.Rules
	Ladder ticket.Ladder
	// Reminder sends wait reminders; without one, reminders are recorded
	// but not sent.
	Reminder Reminder
	// Overlap is read again before the last run's end, so entries written
	// late (a slow transaction, a clock a little behind) are not missed
	// (DefaultOverlap when zero).
	Overlap time.Duration
	// FirstLookback is how far back the first run reads
	// (DefaultFirstLookback when zero); later runs start at the last.
	FirstLookback time.Duration
}

// Defaults of the sweep.
const (
	DefaultOverlap       = 15 * time.Minute
	DefaultFirstLookback = 24 * time.Hour
	// Job names the sweep's progress record.
	Job = "time-limits"
	// Actor is the sweep's name in history.
	Actor = "frontdesk:sweep"
)

// kinds are the due kinds the sweep handles.
var kinds = []string{dynamo.DueAck, dynamo.DueResolve, dynamo.DueEscalate, dynamo.DueWait}

// Stats say what a run did.
type Stats struct {
	From, To time.Time
	// Read counts due entries read; Tickets the distinct tickets checked.
	Read    int
	Tickets int
	// Escalated counts ladder steps, Reminded reminders, Resolved
	// tickets that resolved themselves after waiting.
	Escalated int
	Reminded  int
	Resolved  int
}

// ReminderText is the reminder a silent customer gets, in Chinese and
// English.
func ReminderText(ref ticket.Ref) string {
	return fmt.Sprintf("【%[1]s】我们仍在等待您的回复，以便继续处理。如已解决，无需回复。/ We are still waiting for your answer on %[1]s to carry on. If it is settled, no need to reply.", ref)
}

// Run sweeps as if at at: everything due in [last run − overlap, at].
func (s *Sweep) Run(ctx context.Context, at time.Time) (Stats, error) {
	at = at.UTC()
	from, to, err := window(ctx, s.Store, Job, at, s.Overlap, s.FirstLookback)
	if err != nil {
		return Stats{}, err
	}
	st := Stats{From: from, To: at}
	seen := map[ticket.ID]bool{}
	var order []ticket.ID
	for _, k := range kinds {
		ds, err := s.Store.DueBetween(ctx, k, from, to)
		if err != nil {
			return st, err
		}
		st.Read += len(ds)
		for _, d := range ds {
			if !seen[d.TicketID] {
				seen[d.TicketID] = true
				order = append(order, d.TicketID)
			}
		}
	}
	st.Tickets = len(order)
	var errs []error
	for _, id := range order {
		if err := s.check(ctx, id, at, &st); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		// The progress stays where it was: the next run (or the
		// platform's retry) reads this range again; what was done is not
		// done twice.
		return st, fmt.Errorf("sweep to %s: %w", at.Format(time.RFC3339), errors.Join(errs...))
	}
	if err := s.Store.SetSweptUntil(ctx, Job, at); err != nil {
		return st, err
	}
	slog.InfoContext(ctx, "sweep done", "from", from, "to", at, "read", st.Read, "tickets", st.Tickets,
		"escalated", st.Escalated, "reminded", st.Reminded, "resolved", st.Resolved)
	return st, nil
}

// window returns the range of the due index a job run at at reads:
// from its last finished run less the overlap (or the first lookback) to
// just after at, so what falls due at at is handled now.
func window(ctx context.Context, st Store, job string, at time.Time, overlap, look time.Duration) (from, to time.Time, err error) {
	if overlap <= 0 {
		overlap = DefaultOverlap
	}
	if look <= 0 {
		look = DefaultFirstLookback
	}
	from = at.Add(-look)
	last, err := st.SweptUntil(ctx, job)
	switch {
	case err == nil:
		from = last.Add(-overlap)
	case !errors.Is(err, ticket.ErrNotFound):
		return time.Time{}, time.Time{}, err
	}
	if from.After(at) {
		// Ticked back in time (a tester jumping about): sweep the overlap.
		from = at.Add(-overlap)
	}
	return from, at.Add(time.Nanosecond), nil
}

// check takes one ticket through what is due at at.
func (s *Sweep) check(ctx context.Context, id ticket.ID, at time.Time, st *Stats) error {
	var remind bool
	var escalated, resolved int
	t, err := s.Store.Mutate(ctx, id, func(t *ticket.Ticket) (ticket.Change, error) {
		remind, escalated, resolved = false, 0, 0
		next, events := s.Ladder.Escalate(t, at, Actor)
		for _, e := range events {
			if e.Type == ticket.EventEscalated {
				escalated++
			}
		}
		waited, wev, rem := s.Rules.WaitStep(next, at, Actor)
		if len(wev) > 0 {
			if len(events) > 0 {
				// Both in one write: one version step.
				waited.Version--
			}
			next, events, remind = waited, append(events, wev...), rem
			if next.Status == ticket.Resolved {
				resolved++
			}
		}
		if len(events) == 0 {
			return ticket.Change{}, dynamo.ErrUnchanged
		}
		if next.UpdatedAt.Before(at) {
			next.UpdatedAt = at
		}
		return ticket.Change{Ticket: next, Events: events}, nil
	})
	if errors.Is(err, dynamo.ErrUnchanged) || errors.Is(err, ticket.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sweep ticket %s: %w", id, err)
	}
	st.Escalated += escalated
	st.Resolved += resolved
	if escalated > 0 {
		slog.InfoContext(ctx, "ticket escalated", "ref", t.Ref, "level", t.EscalationLevel)
	}
	if remind {
		st.Reminded++
		if s.Reminder == nil {
			return nil
		}
		// The step is recorded first, so no run reminds twice; a reminder
		// that fails to go out is logged for staff to follow up.
		if _, err := s.Reminder.Reply(ctx, t, ReminderText(t.Ref), Actor); err != nil {
			slog.ErrorContext(ctx, "wait reminder not sent", "ref", t.Ref, "err", err)
		}
	}
	return nil
}
