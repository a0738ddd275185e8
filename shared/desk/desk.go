// Package desk is the staff side of a ticket's life: the actions staff take
// (acknowledge, assign, transfer, note, reply, wait, merge, resolve,
// reopen, close, classify). It loads the ticket, checks who may act, asks
// the domain what the action changes, and saves that as one change with
// the version the caller read: a concurrent change loses nothing and
// answers ErrConflict. A retried request with the same idempotency key
// gets the first answer again.
package desk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/frontdesk/frontdesk/shared/identity"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Store is what the desk needs of the ticket table (dynamo.Store).
type Store interface {
	TicketByRef(ctx context.Context, ref ticket.Ref) (*ticket.Ticket, error)
	Ticket(ctx context.Context, id ticket.ID) (*ticket.Ticket, error)
	View(ctx context.Context, id ticket.ID) (*ticket.Ticket, error)
	ApplyAll(ctx context.Context, cs ...ticket.Change) error
	// MutateFrom applies the change decide makes from t, reading the
	// ticket again and deciding again while it changes under the write
	// (dynamo.Store.MutateFrom).
	MutateFrom(ctx context.Context, t *ticket.Ticket, decide func(t *ticket.Ticket) (ticket.Change, error)) (*ticket.Ticket, error)
	Answer(ctx context.Context, key string) (ticket.Answer, error)
	ClaimAnswer(ctx context.Context, key, token string) error
	ReleaseAnswer(ctx context.Context, key, token string) error
}

// Messenger sends a reply to a ticket's customer through the ticket's
// channel and records it on the ticket (the message with its provider ID,
// so the customer's answer threads back, and its reply_sent event by
// actor). It refuses opted-out numbers and undeliverable addresses with
// an error wrapping ErrUnreachable.
type Messenger interface {
	Reply(ctx context.Context, t *ticket.Ticket, text, actor string) (ticket.Message, error)
}

// Errors the desk returns; the HTTP layer turns them into statuses.
var (
	// ErrForbidden: the member of staff may not act on this ticket.
	ErrForbidden = errors.New("not allowed to act on this ticket")
	// ErrUnreachable: the customer cannot be reached on the ticket's
	// channel (opted out, undeliverable, no contact detail).
	ErrUnreachable = errors.New("customer cannot be reached")
	// ErrInProgress: another attempt of the same request is under way.
	ErrInProgress = errors.New("the same request is in progress")
)

// ConflictError reports a version that is no longer current.
type ConflictError struct {
	Ref     ticket.Ref
	Version int
	Current int
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("ticket %s changed: version %d was read, it is now at %d", e.Ref, e.Version, e.Current)
}

// Service carries out staff actions.
type Service struct {
	Store     Store
	Rules     *ticket.Rules
	Messenger Messenger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Command is one action on one ticket, as a member of staff asked for it.
type Command struct {
	Ref ticket.Ref
	// Version is the ticket's version the caller read.
	Version int
	// Key is the request's idempotency key ("" for none).
	Key     string
	Request ticket.Request
}

// Result is what an action did: the ticket as it now stands and the
// history events it added. The same request retried gets the same
// result.
type Result struct {
	Ticket   ticket.Ticket  `json:"ticket"`
	Events   []ticket.Event `json:"events"`
	Replayed bool           `json:"-"`
}

// May reports whether s may act on t: agents on their queues' tickets,
// supervisors also on any escalated ticket, admins on all.
func May(s identity.Staff, t *ticket.Ticket) bool {
	switch {
	case s.Has(identity.Admin):
		return true
	case s.Has(identity.Supervisor) && (s.InQueue(t.Owner) || t.EscalationLevel > 0):
		return true
	case s.Has(identity.Agent) && s.InQueue(t.Owner):
		return true
	}
	return false
}

// answerKey scopes an idempotency key to the member of staff who sent it.
func answerKey(who identity.Staff, key string) string { return who.Subject + "#" + key }

// Do carries out cmd for who. Errors: ticket.ErrNotFound, ErrForbidden,
// *ConflictError, *ticket.NotAllowedError, *ticket.InvalidError,
// ticket.ErrMerged, ErrUnreachable, ErrInProgress.
func (s *Service) Do(ctx context.Context, who identity.Staff, cmd Command) (Result, error) {
	key := ""
	if cmd.Key != "" {
		key = answerKey(who, cmd.Key)
		if r, err := s.replay(ctx, key); !errors.Is(err, ticket.ErrNotFound) {
			return r, err
		}
	}
	t, err := s.Store.TicketByRef(ctx, cmd.Ref)
	if err != nil {
		return Result{}, fmt.Errorf("load ticket %s: %w", cmd.Ref, err)
	}
	if !May(who, t) {
		return Result{}, ErrForbidden
	}
	if t.Version != cmd.Version {
		return Result{}, &ConflictError{Ref: t.Ref, Version: cmd.Version, Current: t.Version}
	}
	req := cmd.Request
	req.Actor, req.At = who.Actor(), s.now()
	// An agent is named as history names staff, whichever form the
	// caller used, so that an assignment and an acknowledgement make the
	// same owner and "only mine" finds both.
	req.Agent = identity.Actor(req.Agent)
	if err := s.Rules.Check(t, req); err != nil {
		return Result{}, err
	}
	switch req.Action {
	case ticket.ActMerge:
		return s.merge(ctx, who, key, t, req)
	case ticket.ActReply:
		return s.reply(ctx, key, t, req)
	case ticket.ActWait:
		if req.Text != "" {
			return s.reply(ctx, key, t, req)
		}
	}
	o, err := s.Rules.Decide(t, req)
	if err != nil {
		return Result{}, err
	}
	return s.save(ctx, key, "", t, o)
}

// save writes an outcome with the version check, and the answer with it.
func (s *Service) save(ctx context.Context, key, token string, prev *ticket.Ticket, o ticket.Outcome, more ...ticket.Change) (Result, error) {
	c, res, err := change(key, token, prev, o)
	if err != nil {
		return Result{}, err
	}
	err = s.Store.ApplyAll(ctx, append([]ticket.Change{c}, more...)...)
	switch {
	case errors.Is(err, ticket.ErrConflict):
		cur, rerr := s.Store.Ticket(ctx, prev.ID)
		if rerr != nil {
			return Result{}, fmt.Errorf("reload ticket %s: %w", prev.Ref, rerr)
		}
		return Result{}, &ConflictError{Ref: prev.Ref, Version: prev.Version, Current: cur.Version}
	case errors.Is(err, ticket.ErrAnswered) && key != "":
		return s.replay(ctx, key)
	case err != nil:
		return Result{}, fmt.Errorf("save %s on %s: %w", o.Ticket.Ref, prev.Ref, err)
	}
	slog.InfoContext(ctx, "staff action", "ref", prev.Ref, "events", len(o.Events), "version", o.Ticket.Version)
	return res, nil
}

// errStale stops recording a reply's consequences: the ticket moved on
// so that they no longer apply.
var errStale = errors.New("reply's status change no longer applies")

// change is the change an outcome makes to prev, with the answer a retry
// of the request under key gets, and that answer's result.
func change(key, token string, prev *ticket.Ticket, o ticket.Outcome) (ticket.Change, Result, error) {
	res := Result{Ticket: *o.Ticket, Events: o.Events}
	res.Ticket.Messages, res.Ticket.History = nil, nil
	c := ticket.Change{Ticket: o.Ticket, PrevVersion: prev.Version, Prev: prev, Events: o.Events, Messages: o.Messages}
	if key != "" {
		body, err := json.Marshal(res)
		if err != nil {
			return ticket.Change{}, Result{}, fmt.Errorf("encode answer: %w", err)
		}
		c.Request = &ticket.Answer{Key: key, Status: 200, Body: body, Token: token}
	}
	return c, res, nil
}

// replay returns the answer stored under key: ticket.ErrNotFound when
// there is none, ErrInProgress while another attempt holds the key.
func (s *Service) replay(ctx context.Context, key string) (Result, error) {
	a, err := s.Store.Answer(ctx, key)
	if err != nil {
		return Result{}, err
	}
	if a.Status == 0 {
		return Result{}, ErrInProgress
	}
	var r Result
	if err := json.Unmarshal(a.Body, &r); err != nil {
		return Result{}, fmt.Errorf("decode stored answer: %w", err)
	}
	r.Replayed = true
	return r, nil
}

// reply sends the customer a message, then records what it changes. The
// key is claimed before sending so a retried request never sends twice;
// once the message is out, its consequences are recorded on a fresh read
// if the ticket changed meanwhile: the reply is not undone by a conflict.
func (s *Service) reply(ctx context.Context, key string, t *ticket.Ticket, req ticket.Request) (Result, error) {
	token := ""
	if key != "" {
		token = string(ticket.NewID(req.At))
		if err := s.Store.ClaimAnswer(ctx, key, token); errors.Is(err, ticket.ErrAnswered) {
			return s.replay(ctx, key)
		} else if err != nil {
			return Result{}, err
		}
	}
	m, err := s.Messenger.Reply(ctx, t, req.Text, req.Actor)
	if err != nil {
		if key != "" {
			if rerr := s.Store.ReleaseAnswer(ctx, key, token); rerr != nil {
				slog.ErrorContext(ctx, "request claim not released", "ref", t.Ref, "err", rerr)
			}
		}
		return Result{}, fmt.Errorf("reply on %s: %w", t.Ref, err)
	}
	req.Sent = &m
	var res Result
	var stale error
	_, err = s.Store.MutateFrom(ctx, t, func(cur *ticket.Ticket) (ticket.Change, error) {
		t = cur
		o, err := s.Rules.Decide(cur, req)
		if err != nil {
			stale = err
			return ticket.Change{}, errStale
		}
		c, r, err := change(key, token, cur, o)
		res = r
		return c, err
	})
	switch {
	case errors.Is(err, errStale):
		// The reply went out and is recorded; what it would have
		// changed no longer applies (resolved meanwhile, say).
		slog.WarnContext(ctx, "reply recorded without its status change", "ref", t.Ref, "err", stale)
		return Result{Ticket: *t}, nil
	case errors.Is(err, ticket.ErrAnswered) && key != "":
		return s.replay(ctx, key)
	case errors.Is(err, ticket.ErrConflict):
		return Result{}, fmt.Errorf("reply on %s sent, ticket kept changing: %w", t.Ref, err)
	case err != nil:
		return Result{}, fmt.Errorf("save reply on %s: %w", t.Ref, err)
	}
	slog.InfoContext(ctx, "staff action", "ref", t.Ref, "events", len(res.Events), "version", res.Ticket.Version)
	return res, nil
}

// merge folds t into the ticket req.Into names, in one transaction over
// both: t closes pointing at it, its messages move there, both
// histories say so.
func (s *Service) merge(ctx context.Context, who identity.Staff, key string, t *ticket.Ticket, req ticket.Request) (Result, error) {
	into, err := s.Store.TicketByRef(ctx, req.Into)
	if err != nil {
		return Result{}, fmt.Errorf("load ticket %s to merge into: %w", req.Into, err)
	}
	if !May(who, into) {
		return Result{}, ErrForbidden
	}
	full, err := s.Store.View(ctx, t.ID)
	if err != nil {
		return Result{}, err
	}
	if full.Version != t.Version {
		return Result{}, &ConflictError{Ref: t.Ref, Version: t.Version, Current: full.Version}
	}
	from, survivor, err := s.Rules.Merge(full, into, req.Actor, req.At)
	if err != nil {
		return Result{}, err
	}
	from.Ticket.Messages, from.Ticket.History = nil, nil
	more := ticket.Change{Ticket: survivor.Ticket, PrevVersion: into.Version, Prev: into, Events: survivor.Events, Messages: survivor.Messages}
	return s.save(ctx, key, "", t, from, more)
}
