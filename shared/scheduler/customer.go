package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/frontdesk/frontdesk/shared/desk"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Messages sends a customer a message about their ticket and records it
// on the ticket with the provider's message ID (so the answer threads
// back), refusing opted-out numbers and undeliverable addresses with an
// error wrapping desk.ErrUnreachable. purpose is sms.PurposeReminder or
// sms.PurposeSurvey. Every message the day sweep sends a customer goes
// through here, so that switching to the one outbound service is a change
// to this file.
type Messages interface {
	Send(ctx context.Context, t *ticket.Ticket, text string, purpose sms.Purpose) (ticket.Message, error)
}

// Channels sends the day sweep's messages: texts through the SMS texter
// with their purpose (so a survey's answer is read as one), mail through
// the desk's mailer for customers who gave only an address.
type Channels struct {
	Texter *sms.Texter
	Mail   *desk.Mailer
}

var _ Messages = (*Channels)(nil)

// Send texts t's customer, or mails them when they have no number.
func (c *Channels) Send(ctx context.Context, t *ticket.Ticket, text string, purpose sms.Purpose) (ticket.Message, error) {
	if t.Contact.Phone == "" {
		if c.Mail == nil || t.Contact.Email == "" {
			return ticket.Message{}, fmt.Errorf("%w: no phone number or mail address", desk.ErrUnreachable)
		}
		return c.Mail.Reply(ctx, t, text, DayActor)
	}
	if c.Texter == nil {
		return ticket.Message{}, fmt.Errorf("%w: texts are not configured", desk.ErrUnreachable)
	}
	sent, err := c.Texter.Send(ctx, sms.Outgoing{Ticket: t, TicketID: t.ID, Body: text, Purpose: purpose, Actor: DayActor})
	if errors.Is(err, sms.ErrOptedOut) || errors.Is(err, sms.ErrNoPhone) {
		return ticket.Message{}, fmt.Errorf("%w: %w", desk.ErrUnreachable, err)
	}
	if err != nil && sent.ProviderID == "" {
		return ticket.Message{}, err
	}
	// Sent but perhaps not recorded on the ticket: it is out either way,
	// and the sweep records it with the item.
	return ticket.Message{ID: sent.MessageID, Direction: ticket.Outbound, Channel: ticket.SMS, Body: text, SourceID: sent.ProviderID}, nil
}

// unreachable reports an error saying the customer cannot be reached:
// nothing is sent, and nothing will be on a retry.
func unreachable(err error) bool { return errors.Is(err, desk.ErrUnreachable) }

// triedTexts tell a customer we tried to call them back, one SMS each.
var triedTexts = map[string]string{
	ticket.LangZhHans: "我们多次尝试给您回电未能接通（受理编号{ref}）。如仍需帮助，请直接回复告知方便的时间。回复TD退订。",
	ticket.LangZhHant: "我們多次嘗試給您回電未能接通（受理編號{ref}）。如仍需協助，請直接回覆方便的時間。回覆退訂停止接收。",
	ticket.LangEn:     "We tried to call you back about {ref} but could not reach you. If you still need help, reply with a time that suits you. Reply STOP to opt out.",
}

// TriedText tells a customer, in lang, that we tried to call them back.
func TriedText(lang string, ref ticket.Ref) string {
	s, ok := triedTexts[lang]
	if !ok {
		s = triedTexts[ticket.LangEn]
	}
	return strings.ReplaceAll(s, "{ref}", string(ref))
}
