package scheduler

import (
	"context"
	"errors"
	"strings"

	"github.com/frontdesk/frontdesk/shared/desk"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Messages sends a customer a message about their ticket through the
// ticket's channel and records it on the ticket with the provider's
// message ID, refusing opted-out numbers and undeliverable addresses
// with an error wrapping desk.ErrUnreachable (desk.Channels does). Every
// message the day sweep sends a customer goes through here, so that
// switching to the one outbound service is a change to this file.
type Messages interface {
	Reply(ctx context.Context, t *ticket.Ticket, text, actor string) (ticket.Message, error)
}

// unreachable reports an error saying the customer cannot be reached:
// nothing is sent, and nothing will be on a retry.
func unreachable(err error) bool { return errors.Is(err, desk.ErrUnreachable) }

// triedTexts tell a customer we tried to call them back, one SMS each.
var triedTexts = map[string]string{
	ticket.LangZhHans: "我们多次尝试给您回电未能接通（受理编号{ref}）。如仍需帮助，请直接回复告知方便的时间。回复TD退订。",
	ticket.LangZhHant: "我們多次嘗試給您回電未能接通（受理編號{ref}）。如仍需協助，請直接回覆方便的時間。回覆退訂停止接收。",
	ticket.LangEn:     "We tried to call you back several times about {ref} but could not reach you. If you still need help, reply with a time that suits you. Reply STOP to opt out.",
}

// TriedText tells a customer, in lang, that we tried to call them back.
func TriedText(lang string, ref ticket.Ref) string {
	s, ok := triedTexts[lang]
	if !ok {
		s = triedTexts[ticket.LangEn]
	}
	return strings.ReplaceAll(s, "{ref}", string(ref))
}
