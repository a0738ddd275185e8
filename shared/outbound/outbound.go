// Package outbound is the one way Frontdesk messages a customer:
// acknowledgements, keyword answers, staff replies, callback reminders,
// surveys and blasts all go through Service.Send. It picks the channel and
// the language from the ticket, refuses opted-out numbers and undeliverable
// addresses, keeps quiet hours for the purposes that must, claims before
// sending so that nothing goes twice, and records every message it sends
// with the provider's ID so that answers thread back. Channel senders are
// adapters behind small interfaces: a TextSender (SNS, the local outbox)
// and a MailSender (SES through SESMailer).
package outbound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/mail"
	"strings"
	"time"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Purpose says why a message is sent. It is kept on the message (meta
// "purpose"), so that an answer to a survey is known as one.
type Purpose string

// The purposes.
const (
	// Ack acknowledges a contact: at most once per ticket per AckEvery
	// (once ever with a Key), and by mail at most MailAcks per address
	// per MailAckWindow.
	Ack Purpose = "ack"
	// Keyword answers a keyword (STOP, START, HELP). It goes even to an
	// opted-out number: the customer asked for it and carriers require it.
	Keyword Purpose = "keyword"
	// Reply is a staff member's answer.
	Reply Purpose = "reply"
	// Reminder reminds the customer of a callback.
	Reminder Purpose = "reminder"
	// Survey asks for a return-visit score.
	Survey Purpose = "survey"
	// Blast is one recipient's part of a notification blast.
	Blast Purpose = "blast"
)

// Valid reports whether p is a known purpose.
func (p Purpose) Valid() bool {
	switch p {
	case Ack, Keyword, Reply, Reminder, Survey, Blast:
		return true
	}
	return false
}

// Automatic reports whether nobody wrote the message: all but staff
// replies.
func (p Purpose) Automatic() bool { return p != Reply }

// Quiet reports whether the purpose keeps the customer's quiet hours:
// reminders, surveys and blasts (an urgent blast is sent anyway, see
// Request.Urgent).
func (p Purpose) Quiet() bool { return p == Reminder || p == Survey || p == Blast }

// AutoSubmitted is the mail's Auto-Submitted header (RFC 3834):
// "auto-replied" for answers to the customer's own message (Ack, Keyword),
// "auto-generated" for everything else, staff replies included, so that
// no autoresponder answers any mail Frontdesk sends.
func (p Purpose) AutoSubmitted() string {
	if p == Ack || p == Keyword {
		return "auto-replied"
	}
	return "auto-generated"
}

// Why a message was not sent. Callers check them with errors.Is; none of
// them sent anything.
var (
	ErrOptedOut      = errors.New("number opted out of texts")
	ErrUndeliverable = errors.New("email address is undeliverable")
	ErrThrottled     = errors.New("ticket acknowledged recently")
	ErrAckAllowance  = errors.New("address had its acknowledgements for now")
	ErrOwnAddress    = errors.New("mail to Frontdesk's own address")
	ErrDuplicate     = errors.New("message already sent under this key")
	ErrNoContact     = errors.New("no phone or email to reach the customer")
	ErrNoChannel     = errors.New("no sender for the channel")
	ErrQuietHours    = errors.New("customer's quiet hours")
)

// QuietError is returned for a purpose that keeps quiet hours when the
// customer is in them: nothing was sent; Until is when it may be.
type QuietError struct{ Until time.Time }

func (e *QuietError) Error() string {
	return "customer's quiet hours until " + e.Until.UTC().Format(time.RFC3339)
}

// Is makes errors.Is(err, ErrQuietHours) true.
func (e *QuietError) Is(target error) bool { return target == ErrQuietHours }

// TextSender sends one SMS and returns the provider's message ID.
type TextSender interface {
	Send(ctx context.Context, to, body string) (providerID string, err error)
}

// Mail is one mail to a customer.
type Mail struct {
	From    string
	To      string
	Subject string
	Text    string
	// MessageID is the mail's Message-ID, without angle brackets.
	MessageID string
	// InReplyTo and References thread the mail (Message-IDs without angle
	// brackets).
	InReplyTo  string
	References []string
	// Headers are added as they are (Auto-Submitted, Reply-To, …).
	Headers map[string]string
	Date    time.Time
}

// MailSender sends one mail and returns the provider's message ID.
type MailSender interface {
	SendMail(ctx context.Context, m Mail) (providerID string, err error)
}

// Content is a message in one channel and language.
type Content struct {
	Subject string // mail only
	Text    string
}

// Render returns a message's content for the channel and language chosen.
type Render func(ch ticket.Channel, lang ticket.Language) Content

// Request is one message to a customer.
type Request struct {
	// Ticket, or TicketID to read it, is what the message is about. A
	// keyword answer has no ticket: then Contact says where it goes.
	Ticket   *ticket.Ticket
	TicketID ticket.ID
	Contact  ticket.Contact
	Purpose  Purpose
	// Render writes the message once channel and language are chosen.
	Render Render
	// Channel, when set, is used instead of the one the ticket implies
	// (a staff member answering by mail a ticket that came by text).
	Channel ticket.Channel
	// Language is the language of the customer's last message, when the
	// caller knows it; the ticket's is used otherwise (see ticket.Prefer).
	Language ticket.Language
	// Key makes the message go once: a second Send with the same key
	// fails with ErrDuplicate. Required for every purpose but Ack, which
	// is claimed per ticket and period; an Ack with a Key also goes once
	// ever (the acknowledgement of a new mail ticket).
	Key string
	// OptedOut, when set, is the number's opt-out state the caller read
	// moments ago, saving a read.
	OptedOut *bool
	// AckTaken is when the caller already took the ticket's
	// acknowledgement slot (in the transaction that opened the ticket);
	// zero means Send claims it. It needs Ticket.
	AckTaken time.Time
	// AckClaim names the acknowledgement's claim on the ticket's slot
	// when Send claims it: a slot taken under the same name (by the
	// write that opened the ticket for the same inbound message) is this
	// message's own, not a reason to throttle. Empty: a fresh name.
	AckClaim string
	// Inline records a text but leaves sending it to the caller (a Twilio
	// webhook answers with TwiML).
	Inline bool
	// Urgent sends a purpose that keeps quiet hours anyway (an emergency
	// blast).
	Urgent bool
	// InReplyTo and References thread a mail.
	InReplyTo  string
	References []string
	// Meta is kept on the recorded message.
	Meta map[string]string
	// Actor is recorded in the history ("frontdesk" when empty).
	Actor string
}

// Sent is a message that went out (or, inline, is to go out).
type Sent struct {
	Channel    ticket.Channel
	Language   ticket.Language
	MessageID  string
	ProviderID string
	Subject    string
	Text       string
	At         time.Time
}

// Store is what the service needs of the ticket table; the DynamoDB store
// provides it all.
type Store interface {
	Ticket(ctx context.Context, id ticket.ID) (*ticket.Ticket, error)
	// OptedOut reports whether an E.164 number opted out of texts.
	OptedOut(ctx context.Context, phone string) (bool, error)
	// Undeliverable reports whether mail to addr bounced for good.
	Undeliverable(ctx context.Context, addr string) (bool, error)
	// ClaimAck takes the ticket's acknowledgement slot at at, under the
	// name claim (a fresh one when empty), unless another claim took it
	// less than every ago; ReleaseAck gives back a slot taken at at.
	ClaimAck(ctx context.Context, id ticket.ID, at time.Time, every time.Duration, claim string) (bool, error)
	ReleaseAck(ctx context.Context, id ticket.ID, at time.Time) error
	// CountMailAck counts an acknowledgement mailed to addr at at
	// against the address's allowance of max per window, reporting false
	// when it is used up; UncountMailAck gives the hit back to the window
	// it was counted in.
	CountMailAck(ctx context.Context, addr string, at time.Time, max int, window time.Duration) (bool, error)
	UncountMailAck(ctx context.Context, addr string, at time.Time, window time.Duration) error
	// ClaimSend takes an idempotency key, reporting false when it was
	// taken before; ReleaseSend gives it back.
	ClaimSend(ctx context.Context, key string) (bool, error)
	ReleaseSend(ctx context.Context, key string) error
	// AddSent records a message sent about t, and its event, indexing
	// its provider ID (SourceID) so that replies find the ticket.
	AddSent(ctx context.Context, t *ticket.Ticket, m ticket.Message, e ticket.Event) error
	// AddSentTo records a message sent to a contact outside any ticket.
	AddSentTo(ctx context.Context, c ticket.Contact, m ticket.Message) error
}

// Service sends messages to customers.
type Service struct {
	Store Store
	// Texts sends SMS; Mail sends email. Either may be nil when the
	// deployment has no such channel.
	Texts TextSender
	Mail  MailSender
	// From is the mailbox mail comes from ("Frontdesk <support@…>").
	From string
	// AckEvery is the least time between two acknowledgements of one
	// ticket (DefaultAckEvery when zero).
	AckEvery time.Duration
	// MailAcks is how many acknowledgements one address is mailed per
	// MailAckWindow at most (DefaultMailAcks and an hour when zero): a
	// sender opening ticket after ticket, or an autoresponder that slips
	// through every check, gets no more.
	MailAcks      int
	MailAckWindow time.Duration
	// Quiet are the customers' quiet hours (DefaultQuietHours when zero);
	// Zone is the zone of a customer who gave none (UTC when nil).
	Quiet ticket.QuietHours
	Zone  *time.Location
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Signer, when set, signs a mail about a ticket: its Message-ID and
	// Reply-To carry a token naming the ticket, so the customer's answer
	// threads back whatever their mail program keeps of the headers.
	Signer ReplySigner
}

// ReplySigner makes the signed Message-ID and reply address of a mail
// about a ticket (email.Signer).
type ReplySigner interface {
	MessageID(id ticket.ID, domain string) string
	ReplyAddress(mailbox string, id ticket.ID) string
}

// DefaultAckEvery is the least time between acknowledgements of a ticket.
const DefaultAckEvery = 10 * time.Minute

// DefaultMailAcks is how many acknowledgements an address is mailed an
// hour at most.
const DefaultMailAcks = 5

func (s *Service) mailAcks() (int, time.Duration) {
	max, win := s.MailAcks, s.MailAckWindow
	if max <= 0 {
		max = DefaultMailAcks
	}
	if win <= 0 {
		win = time.Hour
	}
	return max, win
}

// Own reports whether addr is the mailbox mail is sent from: Frontdesk
// never mails itself.
func (s *Service) Own(addr string) bool { return SameMailbox(s.From, addr) }

// SameMailbox reports whether addr is the mailbox of the address mailbox
// ("Frontdesk <support@example.com>"), with or without a "+" part in its
// local part (the reply-token address).
func SameMailbox(mailbox, addr string) bool {
	from, err := mail.ParseAddress(mailbox)
	if err != nil || addr == "" {
		return false
	}
	return strings.EqualFold(baseAddress(addr), baseAddress(from.Address))
}

// baseAddress drops the "+" part of an address's local part.
func baseAddress(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr
	}
	local, _, _ := strings.Cut(addr[:at], "+")
	return local + addr[at:]
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Channel returns the channel a message about t goes by: the ticket's own
// when it can carry it (a text ticket with a phone, a mail ticket with an
// address); for a web-form ticket, SMS when the customer gave a phone
// (texts are read sooner, and reminders are texts) and email otherwise.
// It is "" when the ticket has neither.
func Channel(t *ticket.Ticket) ticket.Channel {
	c := t.Contact
	switch {
	case t.Channel == ticket.SMS && c.Phone != "":
		return ticket.SMS
	case t.Channel == ticket.Email && c.Email != "":
		return ticket.Email
	case c.Phone != "":
		return ticket.SMS
	case c.Email != "":
		return ticket.Email
	}
	return ""
}

// zone is the customer's time zone: the one their callback was booked in,
// else the service's.
func (s *Service) zone(t *ticket.Ticket) *time.Location {
	if t != nil && t.Callback != nil && t.Callback.Zone != "" {
		if z, err := time.LoadLocation(t.Callback.Zone); err == nil {
			return z
		}
	}
	if s.Zone != nil {
		return s.Zone
	}
	return time.UTC
}

// NextAllowed returns when a message of purpose p about t may go out at
// the earliest, from at: at itself for purposes that ignore quiet hours.
func (s *Service) NextAllowed(t *ticket.Ticket, p Purpose, at time.Time) time.Time {
	if !p.Quiet() {
		return at
	}
	q := s.Quiet
	if q == (ticket.QuietHours{}) {
		q = ticket.DefaultQuietHours
	}
	_, next := q.Next(at, s.zone(t))
	return next
}

// Send sends one message. It refuses, sending nothing, with ErrNoContact,
// ErrOptedOut, ErrUndeliverable, ErrOwnAddress, ErrThrottled and
// ErrAckAllowance (acknowledgements), ErrDuplicate (a key used before) or
// a *QuietError. When the message went
// out but could not be recorded, the error says so and Sent still carries
// the provider ID: the caller must not send it again. An acknowledgement
// slot the caller took (AckTaken) is given back whenever nothing was sent.
func (s *Service) Send(ctx context.Context, r Request) (sent Sent, err error) {
	if !r.AckTaken.IsZero() {
		defer func() {
			if err != nil && sent.ProviderID == "" && sent.MessageID == "" && r.Ticket != nil {
				if rerr := s.Store.ReleaseAck(ctx, r.Ticket.ID, r.AckTaken.UTC()); rerr != nil {
					err = errors.Join(err, rerr)
				}
			}
		}()
	}
	return s.send(ctx, r)
}

func (s *Service) send(ctx context.Context, r Request) (Sent, error) {
	if !r.Purpose.Valid() {
		return Sent{}, fmt.Errorf("send: purpose %q is not known", r.Purpose)
	}
	if r.Render == nil {
		return Sent{}, errors.New("send: nothing to render")
	}
	t := r.Ticket
	if t == nil && r.TicketID != "" {
		var err error
		if t, err = s.Store.Ticket(ctx, r.TicketID); err != nil {
			return Sent{}, fmt.Errorf("load ticket %s to message: %w", r.TicketID, err)
		}
	}
	what := "contact"
	to := r.Contact
	var ticketLang ticket.Language
	ch := r.Channel
	if t != nil {
		what, to, ticketLang = string(t.Ref), t.Contact, t.Language
		if ch == "" {
			ch = Channel(t)
		}
	} else if ch == "" {
		ch = Channel(&ticket.Ticket{Contact: to})
	}
	switch {
	case ch == ticket.SMS && to.Phone == "", ch == ticket.Email && to.Email == "", ch == "":
		return Sent{}, fmt.Errorf("message %s: %w", what, ErrNoContact)
	case ch == ticket.SMS && s.Texts == nil, ch == ticket.Email && s.Mail == nil:
		return Sent{}, fmt.Errorf("message %s by %s: %w", what, ch, ErrNoChannel)
	case ch != ticket.SMS && ch != ticket.Email:
		return Sent{}, fmt.Errorf("message %s: cannot send by %s", what, ch)
	}
	if r.Purpose != Ack && r.Key == "" || r.Purpose == Ack && t == nil && r.Key == "" {
		return Sent{}, fmt.Errorf("message %s: a %s needs an idempotency key", what, r.Purpose)
	}
	at := s.now()
	if t != nil && at.Before(t.UpdatedAt) {
		// The provider's clock (which dated the customer's message) may
		// run ahead of ours: an answer is never older than its question.
		at = t.UpdatedAt
	}
	if ch == ticket.SMS && !r.Urgent {
		if next := s.NextAllowed(t, r.Purpose, at); !next.Equal(at) {
			return Sent{}, fmt.Errorf("message %s: %w", what, &QuietError{Until: next})
		}
	}
	if err := s.reachable(ctx, r, ch, to); err != nil {
		return Sent{}, fmt.Errorf("message %s: %w", what, err)
	}

	release, err := s.claim(ctx, r, t, ch, to, &at)
	if err != nil {
		return Sent{}, fmt.Errorf("message %s: %w", what, err)
	}
	lang := ticket.Prefer(r.Language, ticketLang)
	c := r.Render(ch, lang)
	sent := Sent{Channel: ch, Language: lang, Subject: c.Subject, Text: c.Text, At: at,
		MessageID: string(ticket.NewID(at))}
	msg := ticket.Message{
		ID: sent.MessageID, Direction: ticket.Outbound, Channel: ch, Subject: c.Subject, Body: c.Text,
		At: at, Automatic: r.Purpose.Automatic(), Meta: map[string]string{"purpose": string(r.Purpose)},
	}
	maps.Copy(msg.Meta, r.Meta)
	if lang != "" {
		msg.Meta["language"] = string(lang)
	}
	if !r.Inline || ch != ticket.SMS {
		switch ch {
		case ticket.SMS:
			sent.ProviderID, err = s.Texts.Send(ctx, to.Phone, c.Text)
		case ticket.Email:
			m := s.mail(r, t, to.Email, c, at)
			msg.Meta["messageId"] = m.MessageID
			sent.ProviderID, err = s.Mail.SendMail(ctx, m)
		}
		if err != nil {
			if rerr := release(); rerr != nil {
				err = errors.Join(err, rerr)
			}
			return Sent{}, fmt.Errorf("message %s by %s: %w", what, ch, err)
		}
	}
	msg.SourceID = sent.ProviderID
	actor := r.Actor
	if actor == "" {
		actor = "frontdesk"
	}
	if t != nil {
		e := ticket.Event{ID: string(ticket.NewID(at)), Type: ticket.EventReplySent, At: at, Actor: actor,
			Detail: string(ch) + " " + string(r.Purpose), MessageID: msg.ID}
		err = s.Store.AddSent(ctx, t, msg, e)
	} else {
		err = s.Store.AddSentTo(ctx, to, msg)
	}
	if err != nil {
		return sent, fmt.Errorf("message %s sent but not recorded: %w", what, err)
	}
	slog.InfoContext(ctx, "customer messaged", "ticket", what, "channel", ch, "purpose", r.Purpose,
		"language", lang, "inline", r.Inline && ch == ticket.SMS)
	return sent, nil
}

// reachable refuses opted-out numbers and undeliverable addresses.
func (s *Service) reachable(ctx context.Context, r Request, ch ticket.Channel, to ticket.Contact) error {
	switch ch {
	case ticket.SMS:
		if r.Purpose == Keyword {
			return nil
		}
		out := false
		if r.OptedOut != nil {
			out = *r.OptedOut
		} else {
			var err error
			if out, err = s.Store.OptedOut(ctx, to.Phone); err != nil {
				return err
			}
		}
		if out {
			return ErrOptedOut
		}
	case ticket.Email:
		if s.Own(to.Email) {
			return ErrOwnAddress
		}
		bad, err := s.Store.Undeliverable(ctx, to.Email)
		if err != nil {
			return err
		}
		if bad {
			return ErrUndeliverable
		}
	}
	return nil
}

// claim takes what keeps the message to one: the caller's key, and for
// an acknowledgement the ticket's slot and, by mail, a hit on the
// address's allowance. It returns how to give all of it back when sending
// fails. An acknowledgement slot already taken by the caller sets *at to
// the time it was taken, so that the release names it.
func (s *Service) claim(ctx context.Context, r Request, t *ticket.Ticket, ch ticket.Channel, to ticket.Contact, at *time.Time) (func() error, error) {
	var undo []func() error
	release := func() error {
		var errs []error
		for i := len(undo) - 1; i >= 0; i-- {
			errs = append(errs, undo[i]())
		}
		return errors.Join(errs...)
	}
	refuse := func(err error) (func() error, error) {
		return nil, errors.Join(err, release())
	}
	if r.Key != "" {
		ok, err := s.Store.ClaimSend(ctx, r.Key)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, ErrDuplicate
		}
		undo = append(undo, func() error { return s.Store.ReleaseSend(ctx, r.Key) })
	}
	if r.Purpose != Ack || t == nil {
		return release, nil
	}
	if !r.AckTaken.IsZero() {
		// Taken by the caller; Send gives it back if nothing goes.
		*at = r.AckTaken.UTC()
	} else {
		every := s.AckEvery
		if every <= 0 {
			every = DefaultAckEvery
		}
		ok, err := s.Store.ClaimAck(ctx, t.ID, *at, every, r.AckClaim)
		if err != nil {
			return refuse(err)
		}
		if !ok {
			return refuse(ErrThrottled)
		}
		taken := *at
		undo = append(undo, func() error { return s.Store.ReleaseAck(ctx, t.ID, taken) })
	}
	if ch == ticket.Email {
		max, win := s.mailAcks()
		counted := *at
		ok, err := s.Store.CountMailAck(ctx, to.Email, counted, max, win)
		if err != nil {
			return refuse(err)
		}
		if !ok {
			return refuse(ErrAckAllowance)
		}
		undo = append(undo, func() error { return s.Store.UncountMailAck(ctx, to.Email, counted, win) })
	}
	return release, nil
}

// mail builds a mail from the service's mailbox, threaded and marked
// automatic as the purpose says.
func (s *Service) mail(r Request, t *ticket.Ticket, to string, c Content, at time.Time) Mail {
	domain := "frontdesk.invalid"
	from, err := mail.ParseAddress(s.From)
	if err == nil {
		domain = from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	}
	m := Mail{
		From: s.From, To: to, Subject: c.Subject, Text: c.Text, Date: at,
		MessageID: string(ticket.NewID(at)) + "@" + domain,
		InReplyTo: r.InReplyTo, References: r.References,
		Headers: map[string]string{"Auto-Submitted": r.Purpose.AutoSubmitted()},
	}
	if r.Purpose.AutoSubmitted() == "auto-replied" {
		// Older autoresponders and list servers know only Precedence.
		m.Headers["Precedence"] = "auto_reply"
	}
	if s.Signer != nil && t != nil && from != nil {
		m.MessageID = s.Signer.MessageID(t.ID, domain)
		m.Headers["Reply-To"] = (&mail.Address{Name: from.Name, Address: s.Signer.ReplyAddress(from.Address, t.ID)}).String()
	}
	if r.Purpose.Automatic() {
		// Outlook and Exchange honour this rather than RFC 3834.
		m.Headers["X-Auto-Response-Suppress"] = "All"
	}
	return m
}
