package sms

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Sender sends one SMS and returns the provider's message ID.
type Sender interface {
	Send(ctx context.Context, to, body string) (providerID string, err error)
}

// OptOuts keeps who asked for no more texts.
type OptOuts interface {
	// OptedOut reports whether the E.164 number opted out.
	OptedOut(ctx context.Context, phone string) (bool, error)
	// SetOptOut records an opt-out (or opt-in) made at at; an older
	// record never replaces a newer one, and reports false when a newer
	// one was already there.
	SetOptOut(ctx context.Context, phone string, optedOut bool, at time.Time) (bool, error)
}

// AckGate lets at most one acknowledgement per ticket through in a period.
type AckGate interface {
	// ClaimAck takes the ticket's slot at at unless it was taken less than
	// every ago; it reports whether it did.
	ClaimAck(ctx context.Context, id ticket.ID, at time.Time, every time.Duration) (bool, error)
	// ReleaseAck gives back the slot taken at at.
	ReleaseAck(ctx context.Context, id ticket.ID, at time.Time) error
}

// Tickets is what the SMS channel needs of the ticket table.
type Tickets interface {
	Ticket(ctx context.Context, id ticket.ID) (*ticket.Ticket, error)
	Apply(ctx context.Context, c ticket.Change) error
	// AddSent records a message Frontdesk sent, and its event, on t
	// without rewriting the ticket; the message's provider ID (SourceID)
	// is indexed so that replies find the ticket.
	AddSent(ctx context.Context, t *ticket.Ticket, m ticket.Message, e ticket.Event) error
}

// Why a text was not sent. Callers check them with errors.Is.
var (
	ErrOptedOut  = errors.New("number opted out of texts")
	ErrThrottled = errors.New("ticket acknowledged recently")
	ErrNoPhone   = errors.New("ticket has no phone number")
)

// Purpose says why a text is sent; it is kept on the message (meta
// "purpose"), so a reply to a survey is known as one.
type Purpose string

// The purposes.
const (
	PurposeAck      Purpose = "ack"
	PurposeReminder Purpose = "reminder"
	PurposeSurvey   Purpose = "survey"
	PurposeReply    Purpose = "reply"
)

// Outgoing is one text to a ticket's customer.
type Outgoing struct {
	TicketID ticket.ID
	// Ticket, when the caller has just read or written it, saves a read.
	Ticket  *ticket.Ticket
	Body    string
	Purpose Purpose
	// Inline records the text but leaves sending to the caller (a Twilio
	// webhook answers with TwiML).
	Inline bool
	// Actor is recorded in the history ("frontdesk" when empty).
	Actor string
}

// Sent is a text that went out.
type Sent struct {
	MessageID  string
	ProviderID string
	Body       string
	Segments   Segments
}

// Texter sends texts to customers about their tickets: never to an
// opted-out number, acknowledgements at most once per ticket per AckEvery,
// and every text recorded on the ticket with the provider's message ID so
// that replies thread (the store indexes it as a sent message).
type Texter struct {
	Sender  Sender
	OptOuts OptOuts
	Gate    AckGate
	Tickets Tickets
	// AckEvery is the least time between two acknowledgements of one
	// ticket (10 minutes when zero).
	AckEvery time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// DefaultAckEvery is the least time between acknowledgements of a ticket.
const DefaultAckEvery = 10 * time.Minute

func (x *Texter) now() time.Time {
	if x.Now != nil {
		return x.Now().UTC()
	}
	return time.Now().UTC()
}

// Send texts the ticket's customer. It fails with ErrNoPhone, ErrOptedOut
// or (acknowledgements only) ErrThrottled without sending anything. When
// the text went out but could not be recorded, the error says so and Sent
// still carries the provider ID.
func (x *Texter) Send(ctx context.Context, o Outgoing) (Sent, error) {
	t := o.Ticket
	if t == nil {
		var err error
		if t, err = x.Tickets.Ticket(ctx, o.TicketID); err != nil {
			return Sent{}, fmt.Errorf("load ticket %s to text: %w", o.TicketID, err)
		}
	}
	if t.Contact.Phone == "" {
		return Sent{}, fmt.Errorf("text %s: %w", t.Ref, ErrNoPhone)
	}
	out, err := x.OptOuts.OptedOut(ctx, t.Contact.Phone)
	if err != nil {
		return Sent{}, fmt.Errorf("text %s: %w", t.Ref, err)
	}
	if out {
		return Sent{}, fmt.Errorf("text %s: %w", t.Ref, ErrOptedOut)
	}
	at := x.now()
	if at.Before(t.UpdatedAt) {
		// The provider's clock (which dated the customer's text) may run
		// ahead of ours: a reply is never older than what it answers.
		at = t.UpdatedAt
	}
	if o.Purpose == PurposeAck {
		every := x.AckEvery
		if every <= 0 {
			every = DefaultAckEvery
		}
		ok, err := x.Gate.ClaimAck(ctx, t.ID, at, every)
		if err != nil {
			return Sent{}, fmt.Errorf("text %s: %w", t.Ref, err)
		}
		if !ok {
			return Sent{}, fmt.Errorf("text %s: %w", t.Ref, ErrThrottled)
		}
	}
	sent := Sent{Body: o.Body, Segments: Count(o.Body)}
	if !o.Inline {
		if sent.ProviderID, err = x.Sender.Send(ctx, t.Contact.Phone, o.Body); err != nil {
			if o.Purpose == PurposeAck {
				if rerr := x.Gate.ReleaseAck(ctx, t.ID, at); rerr != nil {
					err = errors.Join(err, rerr)
				}
			}
			return Sent{}, fmt.Errorf("text %s: %w", t.Ref, err)
		}
	}
	msg := ticket.Message{
		ID:        string(ticket.NewID(at)),
		Direction: ticket.Outbound,
		Channel:   ticket.SMS,
		Body:      o.Body,
		At:        at,
		SourceID:  sent.ProviderID,
		Automatic: true,
		Meta:      map[string]string{"purpose": string(o.Purpose), "parts": strconv.Itoa(sent.Segments.Parts)},
	}
	sent.MessageID = msg.ID
	actor := o.Actor
	if actor == "" {
		actor = "frontdesk"
	}
	if err := x.record(ctx, t, msg, actor, o.Purpose); err != nil {
		return sent, fmt.Errorf("text %s sent but not recorded: %w", t.Ref, err)
	}
	return sent, nil
}

// record adds the sent message and a reply_sent event to the ticket. The
// ticket itself is not rewritten: a text Frontdesk sends changes nothing
// in it, and in particular does not keep a case open for threading.
func (x *Texter) record(ctx context.Context, t *ticket.Ticket, msg ticket.Message, actor string, p Purpose) error {
	e := intake.NewEvent(ticket.EventReplySent, msg.At, actor, "sms "+string(p), msg.ID)
	return x.Tickets.AddSent(ctx, t, msg, e)
}
