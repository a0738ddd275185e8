package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/survey"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// DayStore is what the day sweep needs of the ticket table
// (dynamo.Store).
type DayStore interface {
	Store
	Ticket(ctx context.Context, id ticket.ID) (*ticket.Ticket, error)
	ClaimSurvey(ctx context.Context, contact string, id ticket.ID, at time.Time, every time.Duration) (bool, error)
}

// Day is the day sweep, run every few minutes: it reminds the owning
// agent shortly before each callback, marks a callback missed when its
// window ended without an outcome and escalates it once, sends the
// customers' callback reminders (and the message saying we tried) when
// due, sends return-visit surveys when due and closes the unanswered
// ones. It reads only the due index's ranges for those steps.
//
// Each step is a versioned write on the ticket; a message is claimed by
// such a write before it is sent and recorded with its message ID after,
// so overlapping runs send nothing twice, and a run killed between claim
// and record leaves the item to the next run once the claim times out
// (ticket.ClaimTimeout).
type Day struct {
	Store    DayStore
	Rules    *ticket.Rules
	Messages Messages
	// Overlap and FirstLookback are as the time-limit sweep's.
	Overlap       time.Duration
	FirstLookback time.Duration
	// SurveyLinks, when set, makes the survey mailed to a customer who
	// gave only an email address five signed links (one per score) to
	// the web form's survey pages; without it the mail asks for a reply
	// like the text.
	SurveyLinks *survey.Links
}

// Names of the day sweep.
const (
	DayJob   = "day"
	DayActor = "frontdesk:day"
)

// DayStats say what a day sweep did.
type DayStats struct {
	From, To time.Time
	// Read counts due entries read.
	Read           int
	AgentsReminded int
	Missed         int
	// CustomersReminded counts callback reminders sent, Tried the
	// messages saying we tried, Surveyed the surveys sent.
	CustomersReminded int
	Tried             int
	Surveyed          int
	// Unreachable counts customers no message could reach; NotSurveyed
	// the visits closed unsent (surveyed recently, not visitable);
	// Unanswered the visits closed without an answer.
	Unreachable int
	NotSurveyed int
	Unanswered  int
}

var dayKinds = []string{dynamo.DueCallbackAgent, dynamo.DueCallbackMissed, dynamo.DueCallbackCustomer, dynamo.DueVisit}

// Run sweeps as if at at.
func (d *Day) Run(ctx context.Context, at time.Time) (DayStats, error) {
	at = at.UTC()
	from, to, err := window(ctx, d.Store, DayJob, at, d.Overlap, d.FirstLookback)
	if err != nil {
		return DayStats{}, err
	}
	st := DayStats{From: from, To: at}
	var errs []error
	for _, k := range dayKinds {
		ds, err := d.Store.DueBetween(ctx, k, from, to)
		if err != nil {
			return st, err
		}
		st.Read += len(ds)
		seen := map[ticket.ID]bool{}
		for _, due := range ds {
			if seen[due.TicketID] {
				continue
			}
			seen[due.TicketID] = true
			if err := d.step(ctx, k, due.TicketID, at, &st); err != nil {
				errs = append(errs, fmt.Errorf("%s on %s: %w", k, due.Ref, err))
			}
		}
	}
	if len(errs) > 0 {
		return st, fmt.Errorf("day sweep to %s: %w", at.Format(time.RFC3339), errors.Join(errs...))
	}
	if err := d.Store.SetSweptUntil(ctx, DayJob, at); err != nil {
		return st, err
	}
	slog.InfoContext(ctx, "day sweep done", "from", from, "to", at, "read", st.Read,
		"agentsReminded", st.AgentsReminded, "missed", st.Missed, "customersReminded", st.CustomersReminded,
		"tried", st.Tried, "surveyed", st.Surveyed, "unreachable", st.Unreachable, "unanswered", st.Unanswered)
	return st, nil
}

func (d *Day) step(ctx context.Context, kind string, id ticket.ID, at time.Time, st *DayStats) error {
	switch kind {
	case dynamo.DueCallbackAgent:
		n, err := d.change(ctx, id, at, func(t *ticket.Ticket, ev evFunc) bool {
			due, ok := t.AgentDue()
			if !ok || at.Before(due) {
				return false
			}
			cb := t.Callback
			cb.AgentReminded = at
			ev(ticket.EventCallbackDue, fmt.Sprintf("callback %s–%s (%s), attempt %d; agent %s",
				cb.Start.Format(time.RFC3339), cb.End.Format(time.RFC3339), cb.Zone, cb.Attempts, agentOf(t)))
			return true
		})
		st.AgentsReminded += n
		return err
	case dynamo.DueCallbackMissed:
		n, err := d.change(ctx, id, at, func(t *ticket.Ticket, ev evFunc) bool {
			due, ok := t.MissedDue()
			if !ok || at.Before(due) {
				return false
			}
			t.Callback.Missed = at
			t.EscalationLevel = max(t.EscalationLevel, ticket.LevelSupervisor)
			ev(ticket.EventCallbackMissed, fmt.Sprintf("window ended %s without an outcome; agent %s", t.Callback.End.Format(time.RFC3339), agentOf(t)))
			ev(ticket.EventEscalated, fmt.Sprintf("level %d supervisor: callback missed", ticket.LevelSupervisor))
			return true
		})
		st.Missed += n
		return err
	case dynamo.DueCallbackCustomer:
		return d.remindCustomer(ctx, id, at, st)
	case dynamo.DueVisit:
		return d.visit(ctx, id, at, st)
	}
	return nil
}

type evFunc func(typ ticket.EventType, detail string)

// change applies one step to ticket id with the version check: decide
// changes the ticket it is given (a copy) and reports whether it did. It
// returns 1 when a change was written.
func (d *Day) change(ctx context.Context, id ticket.ID, at time.Time, decide func(t *ticket.Ticket, ev evFunc) bool) (int, error) {
	_, err := d.Store.Mutate(ctx, id, func(t *ticket.Ticket) (ticket.Change, error) {
		next := t.Clone()
		var events []ticket.Event
		ev := func(typ ticket.EventType, detail string) {
			events = append(events, ticket.Event{ID: string(ticket.NewID(at)), Type: typ, At: at, Actor: DayActor, Detail: detail})
		}
		if !decide(next, ev) {
			return ticket.Change{}, dynamo.ErrUnchanged
		}
		next.Version++
		if next.UpdatedAt.Before(at) {
			next.UpdatedAt = at
		}
		return ticket.Change{Ticket: next, Events: events}, nil
	})
	if errors.Is(err, dynamo.ErrUnchanged) || errors.Is(err, ticket.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return 1, nil
}

func agentOf(t *ticket.Ticket) string {
	if t.Agent != "" {
		return t.Agent
	}
	return "none (queue " + t.Owner + ")"
}

// claim marks the item decide names as being sent at at; it reports the
// ticket as claimed, or nil when the item is not due (or another run
// holds it).
func (d *Day) claim(ctx context.Context, id ticket.ID, at time.Time, decide func(t *ticket.Ticket) bool) (*ticket.Ticket, error) {
	t, err := d.Store.Mutate(ctx, id, func(t *ticket.Ticket) (ticket.Change, error) {
		next := t.Clone()
		if !decide(next) {
			return ticket.Change{}, dynamo.ErrUnchanged
		}
		next.Version++
		return ticket.Change{Ticket: next}, nil
	})
	if errors.Is(err, dynamo.ErrUnchanged) || errors.Is(err, ticket.ErrNotFound) {
		return nil, nil
	}
	return t, err
}

// remindCustomer sends the customer's callback reminder, or the message
// saying we tried, when due.
func (d *Day) remindCustomer(ctx context.Context, id ticket.ID, at time.Time, st *DayStats) error {
	var tried bool
	t, err := d.claim(ctx, id, at, func(t *ticket.Ticket) bool {
		due, ok := t.CustomerDue()
		if !ok || at.Before(due) {
			return false
		}
		tried = t.Callback.Status == ticket.CallbackGaveUp
		t.Callback.Claim = at
		return true
	})
	if err != nil || t == nil {
		return err
	}
	text := TriedText(textLanguage(t.Language), t.Ref)
	if !tried {
		if text, err = ticket.CallbackReminder(textLanguage(t.Language), t.Ref, *t.Callback); err != nil {
			return err
		}
	}
	m, err := d.Messages.Send(ctx, t, text, sms.PurposeReminder)
	before := errors.Is(err, ErrSentBefore)
	if before {
		m, err = ticket.Message{}, nil
	}
	if err != nil && !unreachable(err) {
		// The claim stays: the next run after it times out tries again.
		return fmt.Errorf("send callback reminder: %w", err)
	}
	detail := "callback reminder sent"
	if tried {
		detail = "told the customer we tried to call"
	}
	if before {
		detail += " (by an earlier run)"
	}
	if err != nil {
		detail, m.ID = "not sent: the customer cannot be reached", ""
		st.Unreachable++
	} else if tried {
		st.Tried++
	} else {
		st.CustomersReminded++
	}
	_, err = d.change(ctx, id, at, func(t *ticket.Ticket, ev evFunc) bool {
		cb := t.Callback
		if cb == nil || !cb.Claim.Equal(at) {
			return false
		}
		cb.Claim, cb.MessageID = time.Time{}, m.ID
		if tried {
			cb.Told = at
		} else {
			cb.Reminded = at
		}
		ev(ticket.EventCallbackReminded, detail)
		return true
	})
	return err
}
