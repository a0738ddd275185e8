package email

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/jhillyerd/enmime/v2"

	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/mailparse"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Acknowledger sends the one acknowledgement a new email ticket gets.
type Acknowledger struct {
	Mailer Mailer
	// From is the mailbox acknowledgements come from and replies go to
	// ("Frontdesk <support@example.com>"); the reply token is added to
	// its local part in Reply-To.
	From string
	// MaxPerHour is how many acknowledgements one sender gets in Window
	// at most (5 and an hour when zero).
	MaxPerHour int
	Window     time.Duration
	// Zone shows the reply-by time in the business's time zone.
	Zone *time.Location
	// OnSent, when set, is told about every acknowledgement sent (the
	// local stack's outbox).
	OnSent func(ctx context.Context, s Sent)
}

// Sent is an acknowledgement as it went out.
type Sent struct {
	To         string
	Subject    string
	Body       string
	MessageID  string
	ProviderID string
	Ref        ticket.Ref
	At         time.Time
}

// Acknowledgement is a rendered acknowledgement.
type Acknowledgement struct {
	Subject string
	Body    string
	Raw     []byte
}

// Render builds the acknowledgement of t for the mail m, to addr, with
// messageID (no angle brackets) and replyTo: bilingual, marked automatic
// (RFC 3834) so well-behaved autoresponders stay quiet.
func (a *Acknowledger) Render(t *ticket.Ticket, m *mailparse.Mail, addr, messageID, replyTo string, at time.Time) (Acknowledgement, error) {
	from, err := mail.ParseAddress(a.From)
	if err != nil {
		return Acknowledgement{}, fmt.Errorf("acknowledgement sender %q: %w", a.From, err)
	}
	zone := a.Zone
	if zone == nil {
		zone = time.UTC
	}
	by := t.AckBy.In(zone)
	subject := fmt.Sprintf("[%s] 我们已收到您的来信 / We have received your message", t.Ref)
	body := fmt.Sprintf(`您好，

我们已收到您的来信，受理编号为 %[1]s。工作人员将在 %[2]s 前答复您。
如需补充，请直接回复本邮件，并保留主题中的编号。

Hello,

We have received your message; your reference is %[1]s. A member of
staff will answer by %[3]s. To add anything, reply to this email and
keep the reference in the subject.

此邮件为自动回复。 / This is an automatic reply.
`, t.Ref, by.Format("2006年1月2日 15:04 (MST)"), by.Format("Mon 2 Jan 2006 15:04 MST"))

	// Marked automatic three ways (RFC 3834, Exchange, the old
	// Precedence) so that autoresponders stay quiet; the threading
	// headers and the token in Message-ID and Reply-To lead replies home.
	mb := enmime.Builder().
		From(from.Name, from.Address).
		To("", addr).
		ReplyTo(from.Name, replyTo).
		Subject(subject).
		Date(at).
		Header("Message-ID", "<"+messageID+">").
		Header("Auto-Submitted", "auto-replied").
		Header("X-Auto-Response-Suppress", "All").
		Header("Precedence", "auto_reply").
		Text([]byte(body))
	if m.MessageID != "" {
		mb = mb.Header("In-Reply-To", "<"+m.MessageID+">").Header("References", "<"+m.MessageID+">")
	}
	root, err := mb.Build()
	if err != nil {
		return Acknowledgement{}, fmt.Errorf("build acknowledgement of %s: %w", t.Ref, err)
	}
	var b bytes.Buffer
	if err := root.Encode(&b); err != nil {
		return Acknowledgement{}, fmt.Errorf("encode acknowledgement of %s: %w", t.Ref, err)
	}
	return Acknowledgement{Subject: subject, Body: body, Raw: b.Bytes()}, nil
}

func (a *Acknowledger) limits() (int, time.Duration) {
	max, win := a.MaxPerHour, a.Window
	if max <= 0 {
		max = 5
	}
	if win <= 0 {
		win = time.Hour
	}
	return max, win
}

// acknowledge sends t's acknowledgement to addr unless the ticket had one,
// the sender had their allowance this hour, or mail to addr bounces; then
// records it on the ticket as an outbound message so replies thread.
func (h *Handler) acknowledge(ctx context.Context, t *ticket.Ticket, m *mailparse.Mail, addr string) error {
	a := h.Ack
	bad, err := h.Bounces.Undeliverable(ctx, addr)
	if err != nil {
		return err
	}
	if bad {
		slog.InfoContext(ctx, "acknowledgement skipped", "ref", t.Ref, "why", "undeliverable")
		return nil
	}
	max, win := a.limits()
	claimed, err := h.AckClaims.ClaimMailAck(ctx, t.ID, addr, max, win)
	var lim *ticket.LimitError
	switch {
	case errors.As(err, &lim):
		slog.InfoContext(ctx, "acknowledgement skipped", "ref", t.Ref, "why", "sender limit")
		return nil
	case err != nil:
		return err
	case !claimed:
		// The ticket had its acknowledgement: one per ticket, ever.
		return nil
	}
	now := h.now()
	from, err := mail.ParseAddress(a.From)
	if err != nil {
		return fmt.Errorf("acknowledgement sender: %w", err)
	}
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	mid := h.Signer.MessageID(t.ID, domain)
	ack, err := a.Render(t, m, addr, mid, h.Signer.ReplyAddress(from.Address, t.ID), now)
	if err != nil {
		return err
	}
	provider, err := a.Mailer.SendRaw(ctx, from.Address, []string{addr}, ack.Raw)
	if err != nil {
		if rerr := h.AckClaims.ReleaseMailAck(ctx, t.ID); rerr != nil {
			slog.ErrorContext(ctx, "acknowledgement claim not released", "ref", t.Ref, "err", rerr)
		}
		return fmt.Errorf("send acknowledgement of %s: %w", t.Ref, err)
	}
	slog.InfoContext(ctx, "acknowledgement sent", "ref", t.Ref, "sesMessageId", provider)
	if a.OnSent != nil {
		a.OnSent(ctx, Sent{To: addr, Subject: ack.Subject, Body: ack.Body, MessageID: mid, ProviderID: provider, Ref: t.Ref, At: now})
	}
	// The mail is out: failing to record it must not send it again, so
	// errors from here on are logged, not retried. The token in its
	// Message-ID and Reply-To still threads replies.
	if err := h.recordAck(ctx, t, ack, mid, provider, now); err != nil {
		slog.ErrorContext(ctx, "acknowledgement not recorded", "ref", t.Ref, "err", err)
	}
	return nil
}

func (h *Handler) recordAck(ctx context.Context, t *ticket.Ticket, ack Acknowledgement, mid, provider string, at time.Time) error {
	id := t.ID
	msg := ticket.Message{
		ID: string(ticket.NewID(at)), Direction: ticket.Outbound, Channel: ticket.Email,
		Subject: ack.Subject, Body: ack.Body, At: at, SourceID: mid, Automatic: true,
		Meta: map[string]string{"sesMessageId": provider, "purpose": "acknowledgement"},
	}
	for i := 0; i < 8; i++ {
		if i > 0 {
			// Someone wrote the ticket since it was read: read it again.
			var err error
			if t, err = h.Tickets.Ticket(ctx, id); err != nil {
				return err
			}
		}
		next := *t
		next.Version++
		err := h.Recorder.Apply(ctx, ticket.Change{
			Ticket: &next, PrevVersion: t.Version, Messages: []ticket.Message{msg},
			Events: []ticket.Event{intake.NewEvent(ticket.EventReplySent, at, "frontdesk", "acknowledgement", msg.ID)},
		})
		if errors.Is(err, ticket.ErrConflict) {
			continue
		}
		if err != nil {
			return err
		}
		if provider != "" {
			return h.Recorder.IndexSent(ctx, ticket.Email, provider, id, msg.ID)
		}
		return nil
	}
	return fmt.Errorf("record acknowledgement on %s: ticket kept changing", id)
}
