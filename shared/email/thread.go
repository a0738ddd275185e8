package email

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/frontdesk/frontdesk/shared/mailparse"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Threading routes, as recorded in a message's "threadedBy".
const (
	ByToken     = "token"
	ByReference = "in-reply-to"
	BySubject   = "subject-ref"
)

// sesDomain ends the Message-ID SES puts on what it sends: the SES message
// ID, then "@" and a regional amazonses.com host.
const sesDomain = "amazonses.com"

// Thread finds the ticket a mail belongs to, in this order: our signed
// reply token (in the address it was sent to, or in a Message-ID it
// answers); a Message-ID we sent to this sender; a ticket reference in the
// subject when the sender is that ticket's contact. It returns "" for a
// new ticket. Forged tokens and strangers quoting a reference are ignored.
func (h *Handler) Thread(ctx context.Context, m *mailparse.Mail) (ticket.ID, string, error) {
	sender, _ := ticket.NormalizeEmail(m.From.Address)
	answered := append(append([]string(nil), m.InReplyTo...), m.References...)
	if m.Bounce != nil && m.Bounce.OriginalMessageID != "" {
		answered = append([]string{m.Bounce.OriginalMessageID}, answered...)
	}

	// 1. Our own token: the HMAC makes it unforgeable.
	var candidates []ticket.ID
	for _, a := range m.To {
		if id, ok := h.Signer.FromAddress(a); ok {
			candidates = append(candidates, id)
		}
	}
	for _, mid := range answered {
		if id, ok := h.Signer.FromMessageID(mid); ok {
			candidates = append(candidates, id)
		}
	}
	for _, id := range candidates {
		if _, err := h.ticket(ctx, id); err == nil {
			return id, ByToken, nil
		} else if !errors.Is(err, ticket.ErrNotFound) {
			return "", "", err
		}
	}

	// 2. A reply to something we sent to this very sender (or, for a
	// delivery report, to the address that bounced).
	for _, mid := range answered {
		id, err := h.sent(ctx, mid)
		if errors.Is(err, ticket.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", "", err
		}
		t, err := h.ticket(ctx, id)
		if errors.Is(err, ticket.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", "", err
		}
		if sameAddress(t.Contact.Email, sender) || m.Bounce != nil && bounced(m.Bounce, t.Contact.Email) {
			return id, ByReference, nil
		}
	}

	// 3. A reference in the subject, only from the ticket's own contact.
	if ref, ok := ticket.FindRef(m.Subject); ok && sender != "" {
		id, err := h.Tickets.ByRef(ctx, ref)
		if err != nil && !errors.Is(err, ticket.ErrNotFound) {
			return "", "", fmt.Errorf("thread by subject reference: %w", err)
		}
		if err == nil {
			t, err := h.ticket(ctx, id)
			if err != nil && !errors.Is(err, ticket.ErrNotFound) {
				return "", "", err
			}
			if err == nil && sameAddress(t.Contact.Email, sender) {
				return id, BySubject, nil
			}
		}
	}
	return "", "", nil
}

func (h *Handler) ticket(ctx context.Context, id ticket.ID) (*ticket.Ticket, error) {
	t, err := h.Tickets.Ticket(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("thread onto ticket %s: %w", id, err)
	}
	return t, nil
}

// sent looks a Message-ID up among the mail Frontdesk sent: as we set it,
// or as SES rewrote it (its own message ID at amazonses.com).
func (h *Handler) sent(ctx context.Context, mid string) (ticket.ID, error) {
	id, err := h.Tickets.BySent(ctx, ticket.Email, mid)
	if err == nil || !errors.Is(err, ticket.ErrNotFound) {
		return id, err
	}
	if local, host, ok := strings.Cut(mid, "@"); ok && strings.HasSuffix(strings.ToLower(host), sesDomain) {
		return h.Tickets.BySent(ctx, ticket.Email, local)
	}
	return "", err
}

func sameAddress(a, b string) bool {
	return a != "" && strings.EqualFold(a, b)
}

func bounced(b *mailparse.Bounce, addr string) bool {
	for _, r := range b.Recipients {
		if sameAddress(r.Address, addr) {
			return true
		}
	}
	return false
}
