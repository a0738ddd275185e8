// Package intake turns an inbound contact from any channel into a ticket or
// a message on an existing ticket: one window for every channel. Channels
// parse their own payloads and decide their own threading hints; intake
// normalizes, classifies, routes, times and writes atomically.
package intake

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Store is what intake needs of the ticket table.
type Store interface {
	// Apply writes one change atomically.
	Apply(ctx context.Context, c ticket.Change) error
	// Ticket returns a ticket without its messages and history.
	Ticket(ctx context.Context, id ticket.ID) (*ticket.Ticket, error)
	// OpenForContact returns the contact's open ticket updated most
	// recently at or after since, or ticket.ErrNotFound.
	OpenForContact(ctx context.Context, c ticket.Contact, since time.Time) (*ticket.Ticket, error)
	// MutateFrom applies the change decide makes from t (filling in Prev
	// and PrevVersion), reading the ticket again and deciding again while
	// it changes under the write; other errors of the write come back as
	// they are (dynamo.Store.MutateFrom).
	MutateFrom(ctx context.Context, t *ticket.Ticket, decide func(t *ticket.Ticket) (ticket.Change, error)) (*ticket.Ticket, error)
}

// Directory tells VIP customers apart. It is optional.
type Directory interface {
	// Lookup returns the customer's tier for a normalized contact.
	Lookup(ctx context.Context, c ticket.Contact) (Customer, error)
}

// Customer is what the customer directory knows of a contact.
type Customer struct {
	VIP            bool
	AccountManager string
}

// Service receives contacts from every channel.
type Service struct {
	Store Store
	Rules *ticket.Rules
	// Region reads phone numbers written without a country code.
	Region string
	// Directory, when set, marks VIP customers.
	Directory Directory
	// CallbackAhead is how far ahead callbacks may be booked
	// (ticket.MaxCallbackAhead when zero).
	CallbackAhead time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Inbound is one contact as a channel hands it over.
type Inbound struct {
	// Source is the delivery's identity; the same source twice makes one
	// ticket or message.
	Source  ticket.Source
	Contact ticket.Contact
	// Kind is what the customer chose, if anything.
	Kind     ticket.Kind
	Subject  string
	Body     string
	FullBody string
	// At is when the provider received the contact (Now when zero).
	At          time.Time
	Language    ticket.Language
	Callback    *ticket.Callback
	Automatic   bool
	NeedsPerson bool
	BlastID     string
	Attachments []ticket.Attachment
	Meta        map[string]string
	// TicketID threads the contact onto a ticket the channel found (a reply
	// token, a reply to a message Frontdesk sent).
	TicketID ticket.ID
	// ThreadWindow, when set, adds the contact to the contact's open ticket
	// updated within that window.
	ThreadWindow time.Duration
	// Limits are counted with a new ticket (the web form's rate limits).
	Limits []ticket.RateLimit
	// AckAt, when set, takes a new ticket's acknowledgement slot at that
	// instant in the write that opens it (see ticket.Change.AckAt).
	AckAt time.Time
	// Actor is recorded in the history ("customer" when empty).
	Actor string
	// Events are recorded with the message, in the same write (a channel's
	// own findings, such as a callback asked for in a mail); those without
	// a message ID get the message's.
	Events []ticket.Event
}

// Receipt says what became of an inbound contact.
type Receipt struct {
	Ticket    *ticket.Ticket
	MessageID string
	// Created is set when a new ticket was opened.
	Created bool
	// Duplicate is set when the source had been received before; Ticket
	// is the one it went to then.
	Duplicate bool
}

// attempts bounds retries of optimistic writes (a ticket changed under us,
// a reference clash).
const attempts = 8

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Receive makes in a ticket or a message on one. Bad contact details come
// back as a ticket.ValidationError; a source seen before comes back as a
// duplicate receipt, not an error.
func (s *Service) Receive(ctx context.Context, in Inbound) (Receipt, error) {
	if in.Source.ID == "" || !in.Source.Channel.Valid() {
		return Receipt{}, fmt.Errorf("receive: source %q has no channel or ID", in.Source)
	}
	contact, verrs := ticket.NormalizeContact(in.Contact, s.Region)
	if len(verrs) > 0 {
		return Receipt{}, verrs
	}
	in.Contact = contact
	if verrs := clean(&in); len(verrs) > 0 {
		return Receipt{}, verrs
	}
	if in.At.IsZero() {
		in.At = s.now()
	}
	in.At = in.At.UTC()
	if in.Actor == "" {
		in.Actor = "customer"
	}

	target, err := s.thread(ctx, in)
	if err != nil {
		return Receipt{}, err
	}
	if target != nil {
		return s.append(ctx, target, in)
	}
	return s.create(ctx, in)
}

// clean drops hidden characters (ticket.CleanText) from every text field
// a channel hands over, before anything is stored: every channel passes
// here. A message that had text and is left with nothing (no subject, no
// attachment either) is refused as empty.
func clean(in *Inbound) ticket.ValidationError {
	had := strings.TrimSpace(in.Body) != ""
	in.Subject = ticket.CleanLine(in.Subject)
	in.Body = ticket.CleanText(in.Body)
	in.FullBody = ticket.CleanText(in.FullBody)
	for i := range in.Attachments {
		in.Attachments[i].Name = ticket.CleanLine(in.Attachments[i].Name)
	}
	if len(in.Meta) > 0 {
		meta := make(map[string]string, len(in.Meta))
		for k, v := range in.Meta {
			meta[k] = ticket.CleanText(v)
		}
		in.Meta = meta
	}
	var verrs ticket.ValidationError
	if had && strings.TrimSpace(in.Body) == "" && in.Subject == "" && len(in.Attachments) == 0 {
		verrs.Add("message", ticket.CodeRequired, nil)
	}
	return verrs
}

// thread finds the ticket in belongs to, or nil for a new one.
func (s *Service) thread(ctx context.Context, in Inbound) (*ticket.Ticket, error) {
	if in.TicketID != "" {
		t, err := s.Store.Ticket(ctx, in.TicketID)
		if err == nil {
			return s.survivor(ctx, t)
		}
		if !errors.Is(err, ticket.ErrNotFound) {
			return nil, fmt.Errorf("load ticket %s to thread %s: %w", in.TicketID, in.Source, err)
		}
	}
	if in.ThreadWindow > 0 {
		t, err := s.Store.OpenForContact(ctx, in.Contact, in.At.Add(-in.ThreadWindow))
		if err == nil {
			return t, nil
		}
		if !errors.Is(err, ticket.ErrNotFound) {
			return nil, fmt.Errorf("find open ticket to thread %s: %w", in.Source, err)
		}
	}
	return nil, nil
}

// maxMerges bounds following merged tickets to their survivor.
const maxMerges = 5

// survivor follows a merged ticket to the one it was merged into: later
// messages from either thread land there.
func (s *Service) survivor(ctx context.Context, t *ticket.Ticket) (*ticket.Ticket, error) {
	for i := 0; i < maxMerges && t.MergedIntoID != ""; i++ {
		next, err := s.Store.Ticket(ctx, t.MergedIntoID)
		if err != nil {
			return nil, fmt.Errorf("load ticket %s that %s was merged into: %w", t.MergedInto, t.Ref, err)
		}
		t = next
	}
	return t, nil
}

func (s *Service) message(in Inbound) ticket.Message {
	return ticket.Message{
		ID:          string(ticket.NewID(in.At)),
		Direction:   ticket.Inbound,
		Channel:     in.Source.Channel,
		Subject:     in.Subject,
		Body:        in.Body,
		FullBody:    in.FullBody,
		At:          in.At,
		SourceID:    in.Source.ID,
		Automatic:   in.Automatic,
		Attachments: in.Attachments,
		Meta:        in.Meta,
	}
}

// NewEvent returns a history event of type typ at at.
func NewEvent(typ ticket.EventType, at time.Time, actor, detail, messageID string) ticket.Event {
	return ticket.Event{ID: string(ticket.NewID(at)), Type: typ, At: at, Actor: actor, Detail: detail, MessageID: messageID}
}

func (s *Service) create(ctx context.Context, in Inbound) (Receipt, error) {
	var cust Customer
	if s.Directory != nil {
		var err error
		if cust, err = s.Directory.Lookup(ctx, in.Contact); err != nil && !errors.Is(err, ticket.ErrNotFound) {
			return Receipt{}, fmt.Errorf("look up customer for %s: %w", in.Source, err)
		}
	}
	text := in.Subject + "\n" + in.Body
	if in.Automatic {
		// Nobody wrote it (an autoresponder, a mailing list): its words
		// must not page anyone, so it gets the chosen kind's priority.
		text = ""
	}
	cls := s.Rules.Classify(in.Kind, text, cust.VIP)
	msg := s.message(in)
	t := &ticket.Ticket{
		ID:             ticket.NewID(in.At),
		Channel:        in.Source.Channel,
		Kind:           cls.Kind,
		Priority:       cls.Priority,
		Status:         ticket.New,
		Contact:        in.Contact,
		Language:       in.Language,
		Owner:          cls.Queue,
		VIP:            cust.VIP,
		AccountManager: cust.AccountManager,
		NeedsPerson:    in.NeedsPerson,
		BlastID:        in.BlastID,
		Keywords:       cls.Keywords,
		Summary:        ticket.Summarize(in.Subject, in.Body),
		CreatedAt:      in.At,
		UpdatedAt:      in.At,
		Callback:       s.Rules.PlanCallback(in.Callback, in.At),
		Version:        1,
	}
	t.AckBy, t.ResolveBy = s.Rules.Deadlines(t.Kind, t.Priority, t.Major, in.At)
	events := []ticket.Event{NewEvent(ticket.EventCreated, in.At, in.Actor, createdDetail(cls), msg.ID)}
	if in.Callback != nil {
		events = append(events, callbackEvent(in))
	}
	events = append(events, channelEvents(in, msg.ID)...)
	src := in.Source
	for i := 0; i < attempts; i++ {
		t.Ref = ticket.NewRef()
		err := s.Store.Apply(ctx, ticket.Change{
			Ticket: t, Create: true, Messages: []ticket.Message{msg}, Events: events,
			Source: &src, Limits: in.Limits, AckAt: in.AckAt,
		})
		var dup *ticket.DuplicateError
		switch {
		case err == nil:
			return Receipt{Ticket: t, MessageID: msg.ID, Created: true}, nil
		case errors.Is(err, ticket.ErrRefTaken):
			continue
		case errors.As(err, &dup):
			return s.duplicate(ctx, dup)
		default:
			return Receipt{}, fmt.Errorf("open ticket for %s: %w", in.Source, err)
		}
	}
	return Receipt{}, fmt.Errorf("open ticket for %s: no free reference after %d tries", in.Source, attempts)
}

// callbackEvent records a callback request: the window asked for, or that
// none was given.
func callbackEvent(in Inbound) ticket.Event {
	detail := "no window given"
	if cb := in.Callback; cb != nil {
		detail = cb.Start.Format(time.RFC3339) + "/" + cb.End.Format(time.RFC3339) + " " + cb.Zone
	}
	return NewEvent(ticket.EventCallbackRequested, in.At, in.Actor, detail, "")
}

// channelEvents returns the channel's own events for the message msgID.
func channelEvents(in Inbound, msgID string) []ticket.Event {
	out := make([]ticket.Event, len(in.Events))
	for i, e := range in.Events {
		if e.MessageID == "" {
			e.MessageID = msgID
		}
		out[i] = e
	}
	return out
}

func createdDetail(c ticket.Classification) string {
	d := "kind=" + string(c.Kind) + " priority=" + c.Priority.String() + " owner=" + c.Queue
	if c.EmergencyWord {
		d += " emergency-keyword"
	}
	return d
}

func (s *Service) duplicate(ctx context.Context, dup *ticket.DuplicateError) (Receipt, error) {
	t, err := s.Store.Ticket(ctx, dup.TicketID)
	if err != nil {
		return Receipt{}, fmt.Errorf("load ticket %s for duplicate %s: %w", dup.TicketID, dup.Source, err)
	}
	return Receipt{Ticket: t, MessageID: dup.MessageID, Duplicate: true}, nil
}

func (s *Service) append(ctx context.Context, t *ticket.Ticket, in Inbound) (Receipt, error) {
	msg := s.message(in)
	src := in.Source
	// The ticket was read moments ago to thread the message: the first
	// round decides on it, and only a concurrent write reads it again.
	next, err := s.Store.MutateFrom(ctx, t, func(t *ticket.Ticket) (ticket.Change, error) {
		next := *t
		next.Version++
		if in.At.After(next.UpdatedAt) {
			next.UpdatedAt = in.At
		}
		if next.BlastID == "" {
			next.BlastID = in.BlastID
		}
		next.NeedsPerson = next.NeedsPerson || in.NeedsPerson
		if !next.Language.Known() || next.Language == ticket.Chinese &&
			(in.Language == ticket.SimplifiedChinese || in.Language == ticket.TraditionalChinese) {
			// A ticket learns its customer's language from the first
			// message that shows it (or its script).
			next.Language = ticket.Prefer(in.Language, next.Language)
		}
		events := []ticket.Event{NewEvent(ticket.EventMessageAdded, in.At, in.Actor, "", msg.ID)}
		// A person writing again about a finished case reopens it; an
		// autoresponder never does.
		if !next.Status.Open() && !in.Automatic {
			s.Rules.Reopen(&next, in.At)
			events = append(events, NewEvent(ticket.EventReopened, in.At, in.Actor, "new message", msg.ID))
		}
		if !in.Automatic {
			next.Pauses = slices.Clone(next.Pauses)
			// The customer answered: a wait (or the pause after staff's
			// last word) ends and the resolve clock runs on.
			if s.Rules.CustomerWrote(&next, in.At) {
				events = append(events, NewEvent(ticket.EventResumed, in.At, in.Actor, "customer wrote", msg.ID))
			}
			// A follow-up is checked for emergencies like a new contact;
			// nothing else a customer writes lowers what staff set.
			if e, raised := s.Rules.FollowUp(&next, in.Subject+"\n"+in.Body, in.At, in.Actor); raised {
				e.MessageID = msg.ID
				events = append(events, e)
			}
		}
		if in.Callback != nil {
			next.Callback = s.Rules.PlanCallback(in.Callback, in.At)
		}
		// A callback asked for without a window (the SMS callback keyword)
		// is recorded too: on an existing ticket the message alone would
		// not tell staff that the customer wants a call.
		if in.Callback != nil || in.Kind == ticket.CallbackRq {
			events = append(events, callbackEvent(in))
		}
		events = append(events, channelEvents(in, msg.ID)...)
		return ticket.Change{Ticket: &next, Messages: []ticket.Message{msg}, Events: events, Source: &src}, nil
	})
	var dup *ticket.DuplicateError
	switch {
	case err == nil:
		return Receipt{Ticket: next, MessageID: msg.ID}, nil
	case errors.As(err, &dup):
		return s.duplicate(ctx, dup)
	default:
		return Receipt{}, fmt.Errorf("add message %s to ticket %s: %w", in.Source, t.Ref, err)
	}
}
