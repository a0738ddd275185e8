package email

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/frontdesk/frontdesk/shared/mailparse"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Messenger sends a message to a customer: outbound.Service, the one way
// every channel messages customers.
type Messenger interface {
	Send(ctx context.Context, r outbound.Request) (outbound.Sent, error)
}

// AckContent is the acknowledgement of a new mail ticket: bilingual, with
// the reference and the time by which someone answers, shown in zone
// (UTC when nil).
func AckContent(ref ticket.Ref, by time.Time, zone *time.Location) outbound.Content {
	if zone == nil {
		zone = time.UTC
	}
	by = by.In(zone)
	return outbound.Content{
		Subject: fmt.Sprintf("[%s] 我们已收到您的来信 / We have received your message", ref),
		Text: fmt.Sprintf(`您好，

我们已收到您的来信，受理编号为 %[1]s。工作人员将在 %[2]s 前答复您。
如需补充，请直接回复本邮件，并保留主题中的编号。

Hello,

We have received your message; your reference is %[1]s. A member of
staff will answer by %[3]s. To add anything, reply to this email and
keep the reference in the subject.

此邮件为自动回复。 / This is an automatic reply.
`, ref, by.Format("2006年1月2日 15:04 (MST)"), by.Format("Mon 2 Jan 2006 15:04 MST")),
	}
}

// ackKey keeps a ticket to one acknowledgement by mail, ever: a
// redelivery of the mail that opened it, days later, sends none.
func ackKey(id ticket.ID) string { return "mail-ack#" + string(id) }

// acknowledge mails t's acknowledgement to its contact through outbound,
// which keeps it to one per ticket and to a few per address an hour (the
// hit given back when sending fails), never mails an undeliverable
// address or Frontdesk's own, marks it automatic, threads it onto the
// customer's mail and records it on the ticket so replies come home.
func (h *Handler) acknowledge(ctx context.Context, t *ticket.Ticket, m *mailparse.Mail) error {
	sent, err := h.Outbound.Send(ctx, outbound.Request{
		Ticket: t, Purpose: outbound.Ack, Channel: ticket.Email, Key: ackKey(t.ID),
		InReplyTo: m.MessageID,
		Render: func(ticket.Channel, ticket.Language) outbound.Content {
			return AckContent(t.Ref, t.AckBy, h.Zone)
		},
	})
	switch {
	case err == nil:
		slog.InfoContext(ctx, "acknowledgement sent", "ref", t.Ref, "sesMessageId", sent.ProviderID)
	case errors.Is(err, outbound.ErrDuplicate), errors.Is(err, outbound.ErrThrottled):
		// The ticket had its acknowledgement.
	case errors.Is(err, outbound.ErrUndeliverable), errors.Is(err, outbound.ErrAckAllowance),
		errors.Is(err, outbound.ErrOwnAddress), errors.Is(err, outbound.ErrNoContact):
		slog.InfoContext(ctx, "acknowledgement skipped", "ref", t.Ref, "why", err)
	case sent.ProviderID != "":
		// The mail is out: failing to record it must not send it again.
		// The token in its Message-ID and Reply-To still threads replies.
		slog.ErrorContext(ctx, "acknowledgement not recorded", "ref", t.Ref, "err", err)
	default:
		return fmt.Errorf("acknowledge %s: %w", t.Ref, err)
	}
	return nil
}
