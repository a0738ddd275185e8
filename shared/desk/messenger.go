package desk

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"time"

	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Channels replies through the ticket's channel: texts through the SMS
// texter (which refuses opted-out numbers), mail through SES with the
// threading headers and reply token the email intake reads back. Web
// form tickets are answered by mail when the customer gave an address,
// by text otherwise. Every message to customers will go through one
// outbound service; this is the desk's side of it until then.
type Channels struct {
	Texter *sms.Texter
	Mail   *Mailer
}

// Mailer sends staff replies by mail.
type Mailer struct {
	SES interface {
		SendRaw(ctx context.Context, from string, to []string, raw []byte) (string, error)
	}
	Signer email.Signer
	// From is the support mailbox ("Frontdesk <support@example.com>").
	From    string
	Bounces interface {
		Undeliverable(ctx context.Context, addr string) (bool, error)
	}
	Tickets interface {
		View(ctx context.Context, id ticket.ID) (*ticket.Ticket, error)
		AddSent(ctx context.Context, t *ticket.Ticket, m ticket.Message, e ticket.Event) error
		IndexSent(ctx context.Context, ch ticket.Channel, providerID string, id ticket.ID, messageID string) error
	}
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

var _ Messenger = (*Channels)(nil)

// ReplyChannel is the channel a reply to t goes through: mail for mail
// tickets and for web form tickets with an address, texts otherwise.
func ReplyChannel(t *ticket.Ticket) ticket.Channel {
	if t.Channel == ticket.Email || (t.Channel == ticket.Web && t.Contact.Email != "") {
		return ticket.Email
	}
	return ticket.SMS
}

// Reply sends text to t's customer and records it.
func (c *Channels) Reply(ctx context.Context, t *ticket.Ticket, text, actor string) (ticket.Message, error) {
	if ReplyChannel(t) == ticket.Email {
		if c.Mail == nil || t.Contact.Email == "" {
			return ticket.Message{}, fmt.Errorf("%w: no mail address", ErrUnreachable)
		}
		return c.Mail.Reply(ctx, t, text, actor)
	}
	if c.Texter == nil {
		return ticket.Message{}, fmt.Errorf("%w: texts are not configured", ErrUnreachable)
	}
	sent, err := c.Texter.Send(ctx, sms.Outgoing{Ticket: t, TicketID: t.ID, Body: text, Purpose: sms.PurposeReply, Actor: actor})
	if errors.Is(err, sms.ErrOptedOut) || errors.Is(err, sms.ErrNoPhone) {
		return ticket.Message{}, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	if err != nil && sent.ProviderID == "" {
		return ticket.Message{}, err
	}
	// Sent but perhaps not recorded: the text is out either way.
	return ticket.Message{ID: sent.MessageID, Direction: ticket.Outbound, Channel: ticket.SMS, Body: text, SourceID: sent.ProviderID}, nil
}

// Reply mails text to t's customer as an answer in the thread: In-Reply-To
// the customer's last mail, References the thread, the reply token in
// Reply-To and the Message-ID, marked automatic like all mail Frontdesk sends.
func (m *Mailer) Reply(ctx context.Context, t *ticket.Ticket, text, actor string) (ticket.Message, error) {
	addr := t.Contact.Email
	bad, err := m.Bounces.Undeliverable(ctx, addr)
	if err != nil {
		return ticket.Message{}, err
	}
	if bad {
		return ticket.Message{}, fmt.Errorf("%w: address marked undeliverable", ErrUnreachable)
	}
	full, err := m.Tickets.View(ctx, t.ID)
	if err != nil {
		return ticket.Message{}, err
	}
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return ticket.Message{}, fmt.Errorf("reply sender %q: %w", m.From, err)
	}
	now := time.Now().UTC()
	if m.Now != nil {
		now = m.Now().UTC()
	}
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	mid := m.Signer.MessageID(t.ID, domain)
	subject, inReplyTo, refs := thread(full)
	raw := renderReply(from, addr, m.Signer.ReplyAddress(from.Address, t.ID), subject, mid, inReplyTo, refs, text, now)
	provider, err := m.SES.SendRaw(ctx, from.Address, []string{addr}, raw)
	if err != nil {
		return ticket.Message{}, fmt.Errorf("send reply on %s: %w", t.Ref, err)
	}
	msg := ticket.Message{
		ID: string(ticket.NewID(now)), Direction: ticket.Outbound, Channel: ticket.Email,
		Subject: subject, Body: text, At: now, SourceID: mid,
		Meta: map[string]string{"sesMessageId": provider, "purpose": "reply", "inReplyTo": inReplyTo},
	}
	if err := m.Tickets.AddSent(ctx, t, msg, intake.NewEvent(ticket.EventReplySent, now, actor, "email reply", msg.ID)); err != nil {
		return msg, fmt.Errorf("reply on %s sent but not recorded: %w", t.Ref, err)
	}
	// SES may rewrite the Message-ID to its own: answers quoting that one
	// thread back too.
	if provider != "" {
		if err := m.Tickets.IndexSent(ctx, ticket.Email, provider, t.ID, msg.ID); err != nil {
			return msg, fmt.Errorf("reply on %s sent but not indexed: %w", t.Ref, err)
		}
	}
	return msg, nil
}

// maxReferences bounds the References header.
const maxReferences = 10

// thread returns the reply's subject and threading headers from the
// ticket's mail so far.
func thread(t *ticket.Ticket) (subject, inReplyTo string, refs []string) {
	subject = "[" + string(t.Ref) + "] " + t.Summary
	for _, m := range t.Messages {
		if m.Channel != ticket.Email || m.Direction == ticket.Internal {
			continue
		}
		id := m.SourceID
		if m.Direction == ticket.Inbound {
			id = m.Meta["messageId"]
			if id != "" {
				inReplyTo = id
			}
			if m.Subject != "" && !m.Automatic {
				subject = m.Subject
			}
		}
		if id != "" {
			refs = append(refs, id)
		}
	}
	if len(refs) > maxReferences {
		refs = append(refs[:1], refs[len(refs)-maxReferences+1:]...)
	}
	if !strings.Contains(subject, string(t.Ref)) {
		subject = "[" + string(t.Ref) + "] " + subject
	}
	if !strings.HasPrefix(strings.ToLower(subject), "re:") {
		subject = "Re: " + subject
	}
	return subject, inReplyTo, refs
}

func renderReply(from *mail.Address, to, replyTo, subject, mid, inReplyTo string, refs []string, text string, at time.Time) []byte {
	var b bytes.Buffer
	hdr := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	hdr("From", from.String())
	hdr("To", (&mail.Address{Address: to}).String())
	hdr("Reply-To", (&mail.Address{Name: from.Name, Address: replyTo}).String())
	hdr("Subject", strings.ReplaceAll(mime.BEncoding.Encode("UTF-8", subject), "?= =?", "?=\r\n =?"))
	hdr("Date", at.Format(time.RFC1123Z))
	hdr("Message-ID", "<"+mid+">")
	if inReplyTo != "" {
		hdr("In-Reply-To", "<"+inReplyTo+">")
	}
	if len(refs) > 0 {
		hdr("References", "<"+strings.Join(refs, ">\r\n <")+">")
	}
	// Every mail Frontdesk sends is marked automatic, so autoresponders
	// stay quiet and no loop starts.
	hdr("Auto-Submitted", "auto-replied")
	hdr("X-Auto-Response-Suppress", "All")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", `text/plain; charset="UTF-8"`)
	hdr("Content-Transfer-Encoding", "base64")
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(text))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}
