package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/frontdesk/frontdesk/shared/desk"
	"github.com/frontdesk/frontdesk/shared/outbound"
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

// Channels sends the day sweep's messages through the outbound service,
// which picks the channel (a text, or mail for customers who gave only an
// address), refuses opted-out numbers and undeliverable addresses, keeps
// reminders and surveys out of the customer's quiet hours, and records
// the message with its provider ID and purpose (so a survey's answer is
// read as one).
type Channels struct {
	Out desk.Outbound
}

var _ Messages = (*Channels)(nil)

// ErrSentBefore says a message went out on an earlier run that was
// killed before it recorded it: nothing is sent again, and the item is
// done.
var ErrSentBefore = errors.New("sent by an earlier run")

// Send messages t's customer. The key names the item, not the claim: a
// run killed between sending and recording leaves the key taken, so the
// run that claims the item again after the claim timed out is told
// ErrSentBefore instead of sending it twice.
func (c *Channels) Send(ctx context.Context, t *ticket.Ticket, text string, purpose sms.Purpose) (ticket.Message, error) {
	sent, err := c.Out.Send(ctx, outbound.Request{
		Ticket: t, Purpose: purpose, Actor: DayActor, Key: itemKey(t, purpose),
		Render: func(ticket.Channel, ticket.Language) outbound.Content {
			return outbound.Content{Subject: "[" + string(t.Ref) + "]", Text: text}
		},
	})
	switch {
	case errors.Is(err, outbound.ErrOptedOut), errors.Is(err, outbound.ErrUndeliverable),
		errors.Is(err, outbound.ErrNoContact), errors.Is(err, outbound.ErrNoChannel):
		return ticket.Message{}, fmt.Errorf("%w: %w", desk.ErrUnreachable, err)
	case errors.Is(err, outbound.ErrDuplicate):
		return ticket.Message{}, fmt.Errorf("%w: %w", ErrSentBefore, err)
	case err != nil && sent.ProviderID == "":
		return ticket.Message{}, err
	}
	// Sent but perhaps not recorded on the ticket: it is out either way,
	// and the sweep records it with the item.
	return ticket.Message{ID: sent.MessageID, Direction: ticket.Outbound, Channel: sent.Channel, Body: text, SourceID: sent.ProviderID}, nil
}

// itemKey names the one message an item of the day sweep sends: a
// callback attempt's reminder (by its attempt and window, so a
// rescheduled window is reminded again), the message saying we tried,
// or a ticket's survey (a ticket has one return visit).
func itemKey(t *ticket.Ticket, purpose sms.Purpose) string {
	key := string(purpose) + "#" + string(t.ID)
	if cb := t.Callback; purpose == sms.PurposeReminder && cb != nil {
		if cb.Status == ticket.CallbackGaveUp {
			return key + "#tried#" + strconv.FormatInt(cb.TriedAt.Unix(), 10)
		}
		key += "#" + strconv.Itoa(cb.Attempts) + "#" + strconv.FormatInt(cb.Start.Unix(), 10)
	}
	return key
}

// customerLanguages are the languages customer texts are written in.
var customerLanguages = ticket.NewMatcher(ticket.English, ticket.SimplifiedChinese, ticket.TraditionalChinese)

// textLanguage is the language a customer text is rendered in for l
// ("zh" and "zh-CN" read Simplified; unknown reads English).
func textLanguage(l ticket.Language) ticket.Language { return customerLanguages.Match(l) }

// unreachable reports an error saying the customer cannot be reached:
// nothing is sent, and nothing will be on a retry.
func unreachable(err error) bool { return errors.Is(err, desk.ErrUnreachable) }

// triedTexts tell a customer we tried to call them back, one SMS each.
var triedTexts = map[ticket.Language]string{
	ticket.SimplifiedChinese:  "我们多次尝试给您回电未能接通（受理编号{ref}）。如仍需帮助，请直接回复告知方便的时间。回复TD退订。",
	ticket.TraditionalChinese: "我們多次嘗試給您回電未能接通（受理編號{ref}）。如仍需協助，請直接回覆方便的時間。回覆退訂停止接收。",
	ticket.English:            "We tried to call you back about {ref} but could not reach you. If you still need help, reply with a time that suits you. Reply STOP to opt out.",
}

// TriedText tells a customer, in lang, that we tried to call them back.
func TriedText(lang ticket.Language, ref ticket.Ref) string {
	s, ok := triedTexts[lang]
	if !ok {
		s = triedTexts[ticket.English]
	}
	return strings.ReplaceAll(s, "{ref}", string(ref))
}
