package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/frontdesk/frontdesk/shared/blast"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Threads finds what a text answers.
type Threads interface {
	// SentMessage returns a message Frontdesk sent, by the provider's ID,
	// and its ticket (an empty ID for a text sent outside any ticket);
	// ticket.ErrNotFound when it is not ours.
	SentMessage(ctx context.Context, ch ticket.Channel, providerID string) (ticket.ID, *ticket.Message, error)
}

// BlastReplies links replies to the blasts Frontdesk sent.
type BlastReplies interface {
	// LinkReply links an inbound text answering the text sent with
	// providerID to that text's blast and returns the blast's ID, or an
	// error wrapping ticket.ErrNotFound when that text was no blast's.
	LinkReply(ctx context.Context, providerID string, r blast.Reply) (string, error)
}

// Quarantiner keeps deliveries that cannot become tickets.
type Quarantiner interface {
	Quarantine(ctx context.Context, q ticket.Quarantined) error
}

// Store is everything the SMS channel needs of the ticket table; the
// DynamoDB store provides it all.
type Store interface {
	Tickets
	OptOuts
	State
	Threads
	Quarantiner
	outbound.Store
}

// Service turns inbound texts into tickets, keyword actions or survey
// answers, and acknowledges them.
type Service struct {
	Intake   *intake.Service
	Keywords *Keywords
	// Outbound sends every text: acknowledgements and keyword answers.
	Outbound    *outbound.Service
	Threads     Threads
	State       State
	OptOuts     OptOuts
	Tickets     Tickets
	Quarantiner Quarantiner
	// Blasts links replies to Frontdesk's own blasts (nil: none).
	Blasts BlastReplies
	// Region reads numbers written without a country code.
	Region string
	// ThreadWindow adds a text to the number's open ticket updated within
	// it (DefaultThreadWindow when zero; negative turns it off).
	ThreadWindow time.Duration
	// NewTicketGuard is the period in which a number may open only one
	// ticket through concurrent deliveries (DefaultNewTicketGuard when
	// zero); see receive.
	NewTicketGuard time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Defaults of the service.
const (
	DefaultThreadWindow   = 7 * 24 * time.Hour
	DefaultNewTicketGuard = 10 * time.Minute
)

// New wires a service over one store.
func New(store Store, in *intake.Service, kw *Keywords, sender Sender, region string) *Service {
	s := &Service{
		Intake:   in,
		Keywords: kw,
		Outbound: &outbound.Service{Store: store, Texts: sender},
		Threads:  store, State: store, OptOuts: store, Tickets: store, Quarantiner: store,
		Region: region,
	}
	if b, ok := store.(BlastReplies); ok {
		s.Blasts = b
	}
	return s
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Outcome says what became of an inbound text.
type Outcome struct {
	// Action is the keyword acted on (None for a ticket message).
	Action Action
	// Ticket is the ticket the text went to, if any.
	Ticket    *ticket.Ticket
	Created   bool
	Duplicate bool
	// Survey is the score recorded (1–5), or 0.
	Survey int
	// Reply is the text answered with: sent already, or for inline
	// handling (a Twilio webhook) left to the caller to put in its answer.
	Reply string
	// Acked is set when an acknowledgement was sent (or is Reply).
	Acked bool
	// Callback says what the text did about a callback time: booked,
	// asked, retry or left (CallbackBooked …), or "".
	Callback string
}

// Handle acts on one inbound text. A text that cannot be used comes back
// as an *InputError for the caller to quarantine (Reject); other errors
// are worth retrying. With inline set, replies are not sent but returned
// in Outcome.Reply.
func (s *Service) Handle(ctx context.Context, m Message, inline bool) (Outcome, error) {
	if err := m.check(); err != nil {
		return Outcome{}, err
	}
	if strings.TrimSpace(m.Body) == "" {
		return Outcome{}, inputErr(ReasonEmpty, "no text")
	}
	phone, code := ticket.NormalizePhone(m.From, s.Region)
	switch code {
	case "":
	case ticket.CodePhoneRegion:
		return Outcome{}, inputErr(ReasonRegion, "sender's number has no known region")
	default:
		return Outcome{}, inputErr(ReasonNumber, "sender's number is not a phone number")
	}
	if m.At.IsZero() {
		m.At = s.now()
	}
	src := ticket.Source{Channel: ticket.SMS, ID: m.ID}
	action, lang := s.Keywords.Match(m.Body)
	var cbt callbackText
	if action == None {
		var l ticket.Language
		if cbt, l = s.callbackKeyword(m); cbt.keyword {
			action, lang = Callback, l
		}
	}
	switch action {
	case OptOut, OptIn:
		applied, err := s.OptOuts.SetOptOut(ctx, phone, action == OptOut, m.At)
		if err != nil {
			return Outcome{}, fmt.Errorf("keyword %s from %s: %w", action, src, err)
		}
		// An opt-out answering a blast's text also joins its incident,
		// where staff see what the blast caused.
		if action == OptOut && m.ReplyTo != "" && s.Blasts != nil {
			_, err := s.Blasts.LinkReply(ctx, m.ReplyTo, blast.Reply{SourceID: src.ID, Phone: phone, Body: m.Body, At: m.At})
			if err != nil && !errors.Is(err, ticket.ErrNotFound) {
				return Outcome{}, fmt.Errorf("link blast opt-out %s: %w", src, err)
			}
		}
		if !applied {
			// A later STOP or START already stands (this one was delayed or
			// replayed): confirming this one would tell the customer the
			// opposite of what holds.
			slog.InfoContext(ctx, "sms keyword overtaken by a later one", "source", src.ID, "action", action)
			return Outcome{}, nil
		}
		text := TextOptOut
		if action == OptIn {
			text = TextOptIn
		}
		return s.keywordReply(ctx, src, phone, action, lang, text, inline)
	case Help:
		return s.keywordReply(ctx, src, phone, action, lang, TextHelp, inline)
	}

	if lang == "" {
		lang = ticket.DetectLanguage(m.Body)
	}
	in := intake.Inbound{
		Source:   src,
		Contact:  ticket.Contact{Phone: phone},
		Body:     m.Body,
		At:       m.At,
		Language: lang,
		Meta:     map[string]string{"provider": string(m.Provider)},
	}
	if m.Keyword != "" {
		in.Meta["keyword"] = m.Keyword
	}
	if action == Callback {
		// A time read from the text is booked in the write that records
		// it, as the web form's callback fields are.
		in.Kind, in.Callback = ticket.CallbackRq, cbt.window
	}
	if action == None && s.Keywords.AsksToStop(m.Body) {
		in.NeedsPerson = true
	}
	if m.ReplyTo != "" {
		in.Meta["replyTo"] = m.ReplyTo
		id, sent, err := s.Threads.SentMessage(ctx, ticket.SMS, m.ReplyTo)
		switch {
		case err == nil && id == "":
			// Ours, sent outside any ticket (a keyword's answer): nothing
			// to thread onto, and no blast.
		case err == nil:
			in.TicketID = id
			if ans, ok := surveyAnswer(m.Body, sent); ok {
				return s.survey(ctx, in, ans)
			}
		case errors.Is(err, ticket.ErrNotFound) && id != "":
			// Ours, though the sent message itself is gone: still its ticket.
			in.TicketID = id
		case errors.Is(err, ticket.ErrNotFound):
			// Not a ticket's: a blast Frontdesk sent, whose incident
			// gathers the replies, or one another system sent, whose ID
			// groups them for staff.
			in.BlastID = m.ReplyTo
			if s.Blasts != nil {
				id, err := s.Blasts.LinkReply(ctx, m.ReplyTo, blast.Reply{SourceID: src.ID, Phone: phone, Body: m.Body, At: m.At})
				switch {
				case err == nil:
					in.BlastID = id
				case !errors.Is(err, ticket.ErrNotFound):
					return Outcome{}, fmt.Errorf("link blast reply %s: %w", src, err)
				}
			}
		default:
			return Outcome{}, fmt.Errorf("thread reply %s: %w", src, err)
		}
	}
	// A redelivery, and the number's opt-out, are known by one batch read
	// before the transaction; the source claim in that transaction stays
	// the guarantee when two deliveries race.
	id, optedOut, err := s.State.SMSState(ctx, src, phone)
	if err != nil {
		return Outcome{}, fmt.Errorf("check source %s: %w", src, err)
	}
	ack := ackPlan{src: src, lang: lang, optedOut: optedOut}
	if id != "" {
		t, err := s.Tickets.View(ctx, id)
		if err != nil {
			return Outcome{}, fmt.Errorf("load ticket %s for duplicate %s: %w", id, src, err)
		}
		acked := answered(t, src)
		slog.InfoContext(ctx, "sms received", "source", src.ID, "ref", t.Ref, "created", false, "duplicate", true, "acked", acked)
		out := Outcome{Action: action, Ticket: t, Duplicate: true}
		if acked {
			return out, nil
		}
		// The first delivery failed before its acknowledgement went out,
		// perhaps after the write that opened the ticket (and took the
		// slot in this text's name) was made: this one sends it
		// (a callback's confirmation or question goes under its own key).
		ack.redelivered = true
		return s.replyTo(ctx, out, ack, m, cbt, inline)
	}
	if !optedOut && !in.NeedsPerson && action != Callback {
		// A new ticket takes its acknowledgement slot in the write that
		// opens it, saving a round trip; the acknowledgement is dated
		// then, never before the text it answers.
		in.AckAt = s.now()
		if in.AckAt.Before(in.At) {
			in.AckAt = in.At
		}
	}
	r, err := s.receive(ctx, in)
	if err != nil {
		var verr ticket.ValidationError
		if errors.As(err, &verr) {
			return Outcome{}, inputErr(ReasonNumber, "%v", verr)
		}
		return Outcome{}, err
	}
	out := Outcome{Action: action, Ticket: r.Ticket, Created: r.Created, Duplicate: r.Duplicate}
	slog.InfoContext(ctx, "sms received", "source", src.ID, "ref", r.Ticket.Ref, "created", r.Created,
		"duplicate", r.Duplicate, "kind", r.Ticket.Kind, "priority", r.Ticket.Priority.String(), "blast", in.BlastID != "")
	if r.Created {
		ack.taken = in.AckAt
	}
	return s.replyTo(ctx, out, ack, m, cbt, inline)
}
