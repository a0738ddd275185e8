package webform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Messenger sends a message to a ticket's customer: outbound.Service, the
// one way every channel messages customers.
type Messenger interface {
	Send(ctx context.Context, r outbound.Request) (outbound.Sent, error)
}

// acknowledge tells the customer the form was taken, as the other channels
// do: by SMS when they gave a phone number, by email otherwise, in their
// language, with the reference and the time by which someone responds.
// Outbound refuses opted-out numbers and undeliverable addresses and sends
// at most one acknowledgement per ticket per period, so a resubmission
// acknowledges nothing twice. A failure is logged, never turned into an
// error for a contact that was saved.
func (h *Handler) acknowledge(ctx context.Context, t *ticket.Ticket) {
	if h.cfg.Messenger == nil || t.NeedsPerson {
		return
	}
	zone := h.cfg.Calendar.Zone
	if zone == nil {
		zone = time.UTC
	}
	_, err := h.cfg.Messenger.Send(ctx, outbound.Request{
		Ticket: t, Purpose: outbound.Ack,
		Render: func(ch ticket.Channel, lang ticket.Language) outbound.Content {
			return ackContent(ch, lang, t.Ref, t.AckBy.In(zone))
		},
	})
	switch {
	case err == nil:
		slog.InfoContext(ctx, "web contact acknowledged", "ref", t.Ref)
	case errors.Is(err, outbound.ErrOptedOut), errors.Is(err, outbound.ErrUndeliverable),
		errors.Is(err, outbound.ErrThrottled), errors.Is(err, outbound.ErrNoContact):
		slog.InfoContext(ctx, "web contact not acknowledged", "ref", t.Ref, "reason", err)
	default:
		slog.ErrorContext(ctx, "web acknowledgement failed", "ref", t.Ref, "err", err)
	}
}

// ackLanguages are the languages the acknowledgement is written in.
var ackLanguages = ticket.NewMatcher(ticket.English, ticket.SimplifiedChinese, ticket.TraditionalChinese)

// ackContent is the acknowledgement's text: one SMS segment by text (GSM-7
// in English, UCS-2 within 70 characters in Chinese), a short mail by
// email. by is the acknowledge-by time in the business's zone.
func ackContent(ch ticket.Channel, lang ticket.Language, ref ticket.Ref, by time.Time) outbound.Content {
	zone := by.Location().String()
	switch ackLanguages.Match(lang) {
	case ticket.TraditionalChinese:
		when := fmt.Sprintf("%d月%d日%s", by.Month(), by.Day(), by.Format("15:04"))
		if ch == ticket.SMS {
			return outbound.Content{Text: fmt.Sprintf("已收到您的留言，受理編號%s，我們將於%s前回覆。回覆退訂停止接收。", ref, when)}
		}
		return outbound.Content{
			Subject: fmt.Sprintf("[%s] 已收到您的留言", ref),
			Text: fmt.Sprintf("您好，\n\n我們已收到您的留言，受理編號 %s。我們將於 %s（%s 時間）前與您聯絡。\n"+
				"回覆本郵件即可補充資料，請保留主題中的受理編號。\n\n此郵件由系統自動發送。\n", ref, when, zone),
		}
	case ticket.SimplifiedChinese:
		when := fmt.Sprintf("%d月%d日%s", by.Month(), by.Day(), by.Format("15:04"))
		if ch == ticket.SMS {
			return outbound.Content{Text: fmt.Sprintf("已收到您的留言，受理编号%s，我们将于%s前回复。回复TD退订。", ref, when)}
		}
		return outbound.Content{
			Subject: fmt.Sprintf("[%s] 已收到您的留言", ref),
			Text: fmt.Sprintf("您好，\n\n我们已收到您的留言，受理编号 %s。我们将于 %s（%s 时间）前与您联系。\n"+
				"回复本邮件即可补充信息，请保留主题中的受理编号。\n\n此邮件由系统自动发送。\n", ref, when, zone),
		}
	}
	when := by.Format("2 Jan 15:04")
	if ch == ticket.SMS {
		return outbound.Content{Text: fmt.Sprintf("We got your message, ref %s. We will be in touch by %s (%s). Reply STOP to opt out.",
			ref, when, shortZone(zone))}
	}
	return outbound.Content{
		Subject: fmt.Sprintf("[%s] We received your message", ref),
		Text: fmt.Sprintf("Hello,\n\nWe received your message: its reference is %s. Someone will be in touch by %s (%s time).\n"+
			"Reply to this mail to add anything; please keep the reference in the subject.\n\nThis mail was sent automatically.\n",
			ref, when, zone),
	}
}

// shortZone keeps a zone's city for a text ("Asia/Shanghai" → "Shanghai").
func shortZone(zone string) string {
	if i := strings.LastIndexByte(zone, '/'); i >= 0 {
		return strings.ReplaceAll(zone[i+1:], "_", " ")
	}
	return zone
}
