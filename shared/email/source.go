package email

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/mailparse"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// EventMessageIDReused is the history event of a mail that reused the
// Message-ID of an earlier mail from the same sender with other content:
// kept as a message of its own, and noted, since mail clients and
// servers that reuse Message-IDs are broken and staff may meet it again.
const EventMessageIDReused ticket.EventType = "message_id_reused"

// ByReusedID is the threading route of a mail that reused an earlier
// mail's Message-ID: it goes to that mail's ticket.
const ByReusedID = "reused-message-id"

// source returns the source a delivery is received under. The same mail
// can reach us as two SES messages (two recipients, two rules): its
// sender and Message-ID make them one source, as long as the content is
// the same. Another mail under the same sender and Message-ID is a
// message of its own: its source is claimed under its content hash too
// (so its own second copies fold into it), and reused names the first
// mail's source.
func (h *Handler) source(ctx context.Context, m *mailparse.Mail, sesID string) (source, reused string, err error) {
	if m.MessageID == "" || m.From.Address == "" {
		return sesID, "", nil
	}
	key := strings.ToLower(m.From.Address) + "\n" + m.MessageID
	first, same, err := h.Aliases.ClaimAlias(ctx, ticket.Email, key, sesID, m.ContentHash)
	if err != nil || same {
		return first, "", err
	}
	source, _, err = h.Aliases.ClaimAlias(ctx, ticket.Email, key+"\n"+m.ContentHash, sesID, m.ContentHash)
	if err != nil {
		return "", "", err
	}
	return source, first, nil
}

// reusedThread returns the ticket a mail that reused the Message-ID of
// the mail received as first goes to: the one it threads onto by itself,
// or else that mail's.
func (h *Handler) reusedThread(ctx context.Context, in intake.Inbound, first string) (ticket.ID, error) {
	if in.TicketID != "" {
		return in.TicketID, nil
	}
	id, err := h.Tickets.BySource(ctx, ticket.Source{Channel: ticket.Email, ID: first})
	if errors.Is(err, ticket.ErrNotFound) {
		// The first mail was quarantined, or is still on its way.
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find ticket of mail %s: %w", first, err)
	}
	in.Meta["threadedBy"] = ByReusedID
	return id, nil
}

// noteReused records in the history of the ticket r names that the
// message it received reused the Message-ID of the mail received as
// first.
func (h *Handler) noteReused(ctx context.Context, r intake.Receipt, in intake.Inbound, first string) error {
	ev := intake.NewEvent(EventMessageIDReused, in.At, "frontdesk",
		"Message-ID "+truncateRunes(in.Meta["messageId"], 200)+" already came with other content (mail "+first+"): kept as a message of its own", r.MessageID)
	_, err := h.Recorder.MutateFrom(ctx, r.Ticket, func(t *ticket.Ticket) (ticket.Change, error) {
		next := *t
		next.Version++
		return ticket.Change{Ticket: &next, Events: []ticket.Event{ev}}, nil
	})
	if err != nil {
		return fmt.Errorf("note reused Message-ID on %s: %w", r.Ticket.Ref, err)
	}
	return nil
}
