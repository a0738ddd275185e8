package sms

import (
	"context"
	"time"

	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Sender sends one SMS and returns the provider's message ID.
type Sender = outbound.TextSender

// OptOuts keeps who asked for no more texts.
type OptOuts interface {
	// SetOptOut records an opt-out (or opt-in) made at at; an older
	// record never replaces a newer one, and reports false when a newer
	// one was already there.
	SetOptOut(ctx context.Context, phone string, optedOut bool, at time.Time) (bool, error)
}

// State reads, in one round trip, what an inbound text needs before
// anything is written.
type State interface {
	// SMSState returns the ticket src already went to ("" when none) and
	// whether phone opted out.
	SMSState(ctx context.Context, src ticket.Source, phone string) (ticket.ID, bool, error)
}

// Tickets is what the SMS channel needs of the ticket table.
type Tickets interface {
	Ticket(ctx context.Context, id ticket.ID) (*ticket.Ticket, error)
	// View returns the ticket with its messages: what a redelivered text
	// reads to learn whether it was acknowledged.
	View(ctx context.Context, id ticket.ID) (*ticket.Ticket, error)
	Apply(ctx context.Context, c ticket.Change) error
	// Mutate applies the change decide makes, reading the ticket again
	// and deciding again while it changes under the write
	// (dynamo.Store.Mutate).
	Mutate(ctx context.Context, id ticket.ID, decide func(t *ticket.Ticket) (ticket.Change, error)) (*ticket.Ticket, error)
}

// Why a text was not sent: the outbound service's reasons, named here for
// the channel's callers. Check them with errors.Is.
var (
	ErrOptedOut  = outbound.ErrOptedOut
	ErrThrottled = outbound.ErrThrottled
	ErrNoPhone   = outbound.ErrNoContact
)

// Purpose says why a text is sent; it is kept on the message (meta
// "purpose"), so a reply to a survey is known as one.
type Purpose = outbound.Purpose

// The purposes texts are sent for.
const (
	PurposeAck      = outbound.Ack
	PurposeKeyword  = outbound.Keyword
	PurposeReminder = outbound.Reminder
	PurposeSurvey   = outbound.Survey
	PurposeReply    = outbound.Reply
)
