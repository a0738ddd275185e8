package email

import (
	"context"
	"errors"

	"github.com/frontdesk/frontdesk/shared/mailparse"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Reasons the channel itself gives for automatic mail, beside those
// mailparse finds in the mail alone.
const (
	// AutoOwnAddress: mail from the address Frontdesk sends from (its
	// own acknowledgement come back, through a forward or a list).
	AutoOwnAddress = "own-address"
	// AutoReplySubject: an autoresponder's subject ("Automatic reply:",
	// "自动回复:" …) on an answer to mail Frontdesk sent.
	AutoReplySubject = "auto-reply-subject"
)

// ownMail marks mail from Frontdesk's own sending address as automatic,
// so that it is kept but never acknowledged: answering it would be
// Frontdesk answering itself.
func (h *Handler) ownMail(ctx context.Context, m *mailparse.Mail) {
	if !m.Automatic && h.own(m.From.Address) {
		m.Automatic, m.AutoReason = true, AutoOwnAddress
	}
}

// own reports whether addr is the mailbox Frontdesk sends from, with or
// without a "+" part (the reply-token address).
func (h *Handler) own(addr string) bool { return outbound.SameMailbox(h.From, addr) }

// autoReply marks as automatic a mail whose subject starts like an
// autoresponder's when it answers mail Frontdesk sent: vacation replies
// that carry no header saying what they are. A person's mail with such a
// subject that answers nothing of ours stays a person's.
func (h *Handler) autoReply(ctx context.Context, m *mailparse.Mail) error {
	if m.Automatic || !m.AutoReplySubject {
		return nil
	}
	ours, err := h.answersOurs(ctx, m)
	if err != nil || !ours {
		return err
	}
	m.Automatic, m.AutoReason = true, AutoReplySubject
	return nil
}

// answersOurs reports whether m answers mail Frontdesk sent: one of its
// In-Reply-To or References is our signed Message-ID, or the ID SES gave
// mail we sent.
func (h *Handler) answersOurs(ctx context.Context, m *mailparse.Mail) (bool, error) {
	ids := append(append([]string(nil), m.InReplyTo...), m.References...)
	for _, mid := range ids[:min(len(ids), maxReportedIDs)] {
		if _, ok := h.Signer.FromMessageID(mid); ok {
			return true, nil
		}
		_, err := h.sent(ctx, mid)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, ticket.ErrNotFound) {
			return false, err
		}
	}
	return false, nil
}
