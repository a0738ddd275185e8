package email

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/mailparse"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Size limits of what is kept on a message (DynamoDB items stop at
// 400 KB); the raw mail stays in S3.
const (
	maxBodyBytes = 100 << 10
	maxFullBytes = 200 << 10
	maxMeta      = 1000
)

// Process turns one stored mail into a ticket or a message on one, then
// acknowledges it when it should. Errors a retry cannot fix are marked
// permanent. Replays skip the SES verdicts: someone decided to let the
// mail in.
func (h *Handler) Process(ctx context.Context, n *Notification, replay bool) error {
	sesID := n.Mail.MessageID
	if !replay {
		for _, v := range []struct{ name, status string }{{"spam", n.Receipt.SpamVerdict.Status}, {"virus", n.Receipt.VirusVerdict.Status}} {
			if strings.EqualFold(v.status, "FAIL") {
				return permanent(fmt.Errorf("mail %s: %s verdict FAIL: %w", sesID, v.name, errVerdict))
			}
		}
	}
	m, err := h.fetch(ctx, n)
	if err != nil {
		return err
	}
	// The envelope recipients carry the reply token even when the
	// headers do not show it (Bcc, a list expanding the address).
	for _, r := range n.Receipt.Recipients {
		if !slices.Contains(m.To, r) {
			m.To = append(m.To, r)
		}
	}
	source, reused, err := h.source(ctx, m, sesID)
	if err != nil {
		return err
	}
	h.ownMail(ctx, m)
	if err := h.autoReply(ctx, m); err != nil {
		return err
	}
	at := n.Mail.Timestamp
	if at.IsZero() {
		at = h.now()
	}
	if m.Bounce != nil {
		if err := h.bounce(ctx, m, at); err != nil {
			return err
		}
	}
	in, err := h.inbound(ctx, n, m, source, at)
	if err != nil {
		return err
	}
	h.callbackEvent(&in, m.Body, at)
	if reused != "" {
		if in.TicketID, err = h.reusedThread(ctx, in, reused); err != nil {
			return err
		}
		in.Meta["messageIdReusedBy"] = reused
	}
	r, err := h.Intake.Receive(ctx, in)
	var verr ticket.ValidationError
	if errors.As(err, &verr) {
		return permanent(fmt.Errorf("mail %s: %w", sesID, err))
	}
	if err != nil {
		return fmt.Errorf("receive mail %s: %w", sesID, err)
	}
	slog.InfoContext(ctx, "email received", "sesMessageId", sesID, "ref", r.Ticket.Ref,
		"created", r.Created, "duplicate", r.Duplicate, "automatic", m.Automatic, "attachments", len(in.Attachments))
	if reused != "" && !r.Duplicate {
		if err := h.noteReused(ctx, r, in, reused); err != nil {
			// The message is kept; only the note is missing.
			slog.ErrorContext(ctx, "reused Message-ID not noted", "ref", r.Ticket.Ref, "err", err)
		}
	}
	// A redelivery of the mail that opened the ticket still gets the
	// acknowledgement its first delivery may not have sent; the claim
	// keeps it to one.
	opened := r.Created || r.Duplicate && r.Ticket.CreatedAt.Equal(in.At.UTC())
	if h.Outbound != nil && !m.Automatic && opened && r.Ticket.Contact.Email == in.Contact.Email {
		if err := h.acknowledge(ctx, r.Ticket, m); err != nil {
			return err
		}
	}
	return nil
}

// fetch reads and parses the stored mail, streaming it from S3.
func (h *Handler) fetch(ctx context.Context, n *Notification) (*mailparse.Mail, error) {
	a := n.Receipt.Action
	body, size, err := h.Objects.Open(ctx, a.BucketName, a.ObjectKey)
	if errors.Is(err, ticket.ErrNotFound) {
		return nil, permanent(fmt.Errorf("read mail %s: %w", n.Mail.MessageID, err))
	}
	if err != nil {
		return nil, fmt.Errorf("read mail %s: %w", n.Mail.MessageID, err)
	}
	defer body.Close()
	lim := h.Limits.WithDefaults()
	if size > lim.MaxMessage {
		return nil, permanent(fmt.Errorf("mail %s: %d bytes: %w", n.Mail.MessageID, size, mailparse.ErrTooLarge))
	}
	m, err := mailparse.Parse(body, lim)
	if errors.Is(err, mailparse.ErrTooLarge) || errors.Is(err, mailparse.ErrMalformed) {
		return nil, permanent(fmt.Errorf("mail %s: %w", n.Mail.MessageID, err))
	}
	if err != nil {
		return nil, fmt.Errorf("mail %s: %w", n.Mail.MessageID, err)
	}
	return m, nil
}

// inbound builds what intake receives: the contact, the texts cut to what
// an item holds, the attachments stored, and the ticket it threads onto.
func (h *Handler) inbound(ctx context.Context, n *Notification, m *mailparse.Mail, source string, at time.Time) (intake.Inbound, error) {
	id, how, err := h.Thread(ctx, m)
	if err != nil {
		return intake.Inbound{}, err
	}
	if m.Bounce != nil && id == "" {
		return intake.Inbound{}, permanent(fmt.Errorf("mail %s: %w", n.Mail.MessageID, errUnknown))
	}
	contact := ticket.Contact{Name: m.From.Name, Email: m.From.Address}
	if addr, code := ticket.NormalizeEmail(m.From.Address); code != "" || m.Bounce != nil {
		// A report from a mail system, or a sender address that does not
		// parse, still belongs on the ticket it threads onto.
		if id == "" {
			return intake.Inbound{}, permanent(fmt.Errorf("mail %s: sender address: %s", n.Mail.MessageID, code))
		}
		t, err := h.Tickets.Ticket(ctx, id)
		if err != nil {
			return intake.Inbound{}, fmt.Errorf("load ticket %s: %w", id, err)
		}
		contact = t.Contact
	} else {
		contact.Email = addr
	}
	if utf8.RuneCountInString(contact.Name) > ticket.MaxName {
		contact.Name = string([]rune(contact.Name)[:ticket.MaxName])
	}
	body, cutBody := cut(m.Body, maxBodyBytes)
	full := ""
	if m.Text != m.Body {
		full, _ = cut(m.Text, maxFullBytes)
	}
	meta := map[string]string{"s3Key": objectURL(n), "sesMessageId": n.Mail.MessageID}
	fields := map[string]string{"messageId": m.MessageID, "charset": m.Charset, "autoReason": m.AutoReason, "threadedBy": how, "listId": m.ListID,
		"notes": strings.Join(m.Notes, "\n")}
	if m.Bounce != nil {
		var st, diag []string
		for _, r := range m.Bounce.Recipients {
			st = append(st, r.Action+" "+r.Status)
			if r.Diagnostic != "" {
				diag = append(diag, r.Diagnostic)
			}
		}
		fields["bounce"] = strings.Join(st, ", ")
		fields["bounceDiagnostic"] = strings.Join(diag, "\n")
		fields["bouncedMessageId"] = m.Bounce.OriginalMessageID
	}
	for k, v := range fields {
		if v != "" {
			meta[k] = v
		}
	}
	for k, v := range meta {
		// Headers can be long; an item cannot (400 KB).
		meta[k] = truncateRunes(v, maxMeta)
	}
	if m.FromHTML {
		meta["fromHtml"] = "true"
	}
	if cutBody || m.Truncated {
		meta["truncated"] = "true"
	}
	atts, err := h.storeAttachments(ctx, n, m, source)
	if err != nil {
		return intake.Inbound{}, err
	}
	kind := ticket.Kind("")
	if m.Automatic {
		kind = ticket.Other
	}
	return intake.Inbound{
		Source:      ticket.Source{Channel: ticket.Email, ID: source},
		Contact:     contact,
		Kind:        kind,
		Subject:     truncateRunes(m.Subject, 500),
		Body:        body,
		FullBody:    full,
		At:          at,
		Language:    ticket.DetectLanguage(m.Subject + "\n" + m.Body),
		Automatic:   m.Automatic,
		Attachments: atts,
		Meta:        meta,
		TicketID:    id,
		Actor:       actor(m),
	}, nil
}

func actor(m *mailparse.Mail) string {
	if m.Automatic {
		return ticket.AutomaticActor(m.AutoReason)
	}
	return "customer"
}

// cut keeps at most max bytes of s, on a rune boundary.
func cut(s string, max int) (string, bool) {
	if len(s) <= max {
		return s, false
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max], true
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// storeAttachments writes the attachments next to the raw mail under keys
// derived from the source, so a redelivery overwrites instead of adding.
func (h *Handler) storeAttachments(ctx context.Context, n *Notification, m *mailparse.Mail, source string) ([]ticket.Attachment, error) {
	var out []ticket.Attachment
	for i, a := range m.Attachments {
		ta := ticket.Attachment{Name: a.Name, Type: a.Type, Size: a.Size, Inline: a.Inline, Skipped: a.Oversize}
		if !a.Oversize {
			key := h.AttachmentPrefix + source + "/" + strconv.Itoa(i+1) + "-" + url.PathEscape(a.Name)
			if err := h.Objects.Put(ctx, n.Receipt.Action.BucketName, key, a.Type, a.Data); err != nil {
				return nil, fmt.Errorf("store attachment %d of %s: %w", i+1, n.Mail.MessageID, err)
			}
			ta.Key = key
		}
		out = append(out, ta)
	}
	return out, nil
}
