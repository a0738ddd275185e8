package email

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/frontdesk/frontdesk/shared/mailparse"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// bounce records what a delivery report says: a permanent failure of
// mail Frontdesk sent marks the address undeliverable. Anyone can send
// mail that looks like a report, so it counts only when it names a
// Message-ID of mail Frontdesk sent, and only for the address that mail
// went to: the contact of its ticket.
func (h *Handler) bounce(ctx context.Context, m *mailparse.Mail, at time.Time) error {
	t, err := h.bouncedTicket(ctx, reportedIDs(m))
	if errors.Is(err, ticket.ErrNotFound) {
		slog.InfoContext(ctx, "delivery report ignored", "why", "not about mail Frontdesk sent")
		return nil
	}
	if err != nil {
		return err
	}
	for _, r := range m.Bounce.Recipients {
		if !r.Permanent() {
			continue
		}
		addr, code := ticket.NormalizeEmail(r.Address)
		if code != "" || !sameAddress(addr, t.Contact.Email) {
			continue
		}
		if err := h.Bounces.MarkUndeliverable(ctx, addr, r.Status, at); err != nil {
			return err
		}
		slog.InfoContext(ctx, "email address undeliverable", "ref", t.Ref, "status", r.Status)
	}
	return nil
}

// maxReportedIDs bounds the Message-IDs of a delivery report looked up.
const maxReportedIDs = 10

// reportedIDs lists the Message-IDs a delivery report says it is about:
// the returned headers' first, then In-Reply-To and References.
func reportedIDs(m *mailparse.Mail) []string {
	var out []string
	if m.Bounce.OriginalMessageID != "" {
		out = append(out, m.Bounce.OriginalMessageID)
	}
	out = append(append(out, m.InReplyTo...), m.References...)
	return out[:min(len(out), maxReportedIDs)]
}

// bouncedTicket finds the ticket of the mail a delivery report returns:
// one of ids is our own signed Message-ID, or the ID SES gave mail we
// sent. It fails with ticket.ErrNotFound when none is.
func (h *Handler) bouncedTicket(ctx context.Context, ids []string) (*ticket.Ticket, error) {
	for _, mid := range ids {
		id, ok := h.Signer.FromMessageID(mid)
		if !ok {
			var err error
			if id, err = h.sent(ctx, mid); errors.Is(err, ticket.ErrNotFound) {
				continue
			} else if err != nil {
				return nil, fmt.Errorf("find bounced mail: %w", err)
			}
		}
		t, err := h.Tickets.Ticket(ctx, id)
		if errors.Is(err, ticket.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("load bounced ticket %s: %w", id, err)
		}
		return t, nil
	}
	return nil, fmt.Errorf("delivery report: %w", ticket.ErrNotFound)
}
