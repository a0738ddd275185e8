package sms

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/frontdesk/frontdesk/shared/blast"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/wait"
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
	switch action {
	case OptOut, OptIn:
		applied, err := s.OptOuts.SetOptOut(ctx, phone, action == OptOut, m.At)
		if err != nil {
			return Outcome{}, fmt.Errorf("keyword %s from %s: %w", action, src, err)
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
		in.Kind = ticket.CallbackRq
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
	ack := ackPlan{lang: lang, optedOut: optedOut}
	if id != "" {
		t, err := s.Tickets.Ticket(ctx, id)
		if err != nil {
			return Outcome{}, fmt.Errorf("load ticket %s for duplicate %s: %w", id, src, err)
		}
		slog.InfoContext(ctx, "sms received", "source", src.ID, "ref", t.Ref, "created", false, "duplicate", true)
		return s.acknowledge(ctx, Outcome{Action: action, Ticket: t, Duplicate: true}, ack, inline)
	}
	if !optedOut && !in.NeedsPerson {
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
	return s.acknowledge(ctx, out, ack, inline)
}

// receive hands the text to intake. Intake threads by reading the number's
// open ticket from an index and then writing, so two different texts from
// a new number arriving together (or while the index still lags behind a
// new ticket) could each open a ticket. The guard closes that gap: a new
// ticket for a number also claims two counters for the number in the same
// transaction, one per NewTicketGuard bucket on each of two bucket grids
// half a bucket apart, so two texts less than half a bucket apart share a
// bucket wherever they fall. The second text fails its claim, learns from
// the counter which ticket took it, and threads onto that ticket while it
// is open. When that ticket is no longer open (it was resolved within the
// bucket), the text takes the counters over from it, by name: of two texts
// doing so at once one wins, and the other learns of the winner and
// threads onto it.
func (s *Service) receive(ctx context.Context, in intake.Inbound) (intake.Receipt, error) {
	window := s.ThreadWindow
	if window == 0 {
		window = DefaultThreadWindow
	}
	if window < 0 {
		return s.Intake.Receive(ctx, in)
	}
	in.ThreadWindow = window
	guard := s.NewTicketGuard
	if guard <= 0 {
		guard = DefaultNewTicketGuard
	}
	key := "smsnew#" + numberKey(in.Contact.Phone)
	in.Limits = []ticket.RateLimit{
		{Key: key, Max: 1, Window: guard},
		{Key: key + "#half", Max: 1, Window: guard, Offset: guard / 2},
	}
	// A text needs at most three tries when the counters name their
	// ticket: fail, take over, thread onto the winner. The pauses are for
	// anything else (a counter naming no ticket); once they are spent, the
	// text opens its ticket without the guard.
	pauses := []time.Duration{20 * time.Millisecond, 80 * time.Millisecond, 250 * time.Millisecond}
	for try := 0; try < 6 && len(pauses) > 0; try++ {
		r, err := s.Intake.Receive(ctx, in)
		var lim *ticket.LimitError
		if !errors.As(err, &lim) {
			return r, err
		}
		if lim.Holder != "" {
			t, err := s.Tickets.Ticket(ctx, lim.Holder)
			if err != nil && !errors.Is(err, ticket.ErrNotFound) {
				return intake.Receipt{}, fmt.Errorf("load ticket %s holding the new-ticket guard: %w", lim.Holder, err)
			}
			open := err == nil && t.Status.Open()
			// The two counters may name different finished tickets: each
			// is taken over from its own holder.
			i := slices.IndexFunc(in.Limits, func(l ticket.RateLimit) bool { return l.Key == lim.Key })
			switch {
			case open && t.ID != in.TicketID:
				in.TicketID = t.ID
				continue
			case !open && i >= 0 && in.Limits[i].Takeover != lim.Holder:
				in.Limits[i].Takeover = lim.Holder
				continue
			}
		}
		if err := wait.Sleep(ctx, pauses[0]); err != nil {
			return intake.Receipt{}, err
		}
		pauses = pauses[1:]
	}
	in.Limits = nil
	return s.Intake.Receive(ctx, in)
}

// numberKey names a number in keys without showing it.
func numberKey(phone string) string {
	sum := sha256.Sum256([]byte("phone:" + phone))
	return hex.EncodeToString(sum[:16])
}

// ackPlan is what Handle learnt that saves the acknowledgement reads: the
// language of the text, the number's opt-out state, and when the new
// ticket's acknowledgement slot was taken (zero when it was not).
type ackPlan struct {
	lang     ticket.Language
	optedOut bool
	taken    time.Time
}

// acknowledge texts the ticket reference back, unless the ticket needs a
// person, the number opted out, or the ticket was acknowledged recently.
// A redelivered text is acknowledged too when its first delivery's
// acknowledgement failed; the slot keeps that to one.
func (s *Service) acknowledge(ctx context.Context, out Outcome, p ackPlan, inline bool) (Outcome, error) {
	t := out.Ticket
	if t.NeedsPerson {
		return out, nil
	}
	sent, err := s.Outbound.Send(ctx, outbound.Request{
		Ticket: t, Purpose: outbound.Ack, Channel: ticket.SMS, Language: p.lang,
		OptedOut: &p.optedOut, AckTaken: p.taken, Inline: inline,
		Render: func(_ ticket.Channel, lang ticket.Language) outbound.Content {
			return outbound.Content{Text: s.Keywords.Reply(lang, TextAck, t.Ref)}
		},
	})
	switch {
	case err == nil:
	case errors.Is(err, ErrOptedOut), errors.Is(err, ErrThrottled), errors.Is(err, ErrNoPhone):
		return out, nil
	case sent.ProviderID != "" || sent.MessageID != "":
		// It went out (or, inline, goes out with the answer); only the
		// record of it failed. Retrying would not send it again (the slot
		// is taken), so do not fail the text.
		slog.ErrorContext(ctx, "sms acknowledgement not recorded", "ref", t.Ref, "err", err)
	default:
		return out, fmt.Errorf("acknowledge %s: %w", t.Ref, err)
	}
	out.Acked = true
	if inline {
		out.Reply = sent.Text
	}
	return out, nil
}

// keywordReply answers a keyword once per inbound message, through the
// outbound service, which records the answer like every text sent. Opt-out
// and help answers go out even to an opted-out number: they are what the
// customer asked for, and carriers require them.
func (s *Service) keywordReply(ctx context.Context, src ticket.Source, phone string, a Action, lang ticket.Language, text Text, inline bool) (Outcome, error) {
	out := Outcome{Action: a}
	sent, err := s.Outbound.Send(ctx, outbound.Request{
		Contact: ticket.Contact{Phone: phone}, Channel: ticket.SMS, Purpose: outbound.Keyword,
		Key: "sms-keyword#" + src.ID, Language: lang, Inline: inline,
		Meta: map[string]string{"keyword": string(a), "answers": src.ID},
		Render: func(_ ticket.Channel, l ticket.Language) outbound.Content {
			return outbound.Content{Text: s.Keywords.Reply(l, text, "")}
		},
	})
	dup := errors.Is(err, outbound.ErrDuplicate)
	slog.InfoContext(ctx, "sms keyword", "source", src.ID, "action", a, "duplicate", dup)
	switch {
	case dup:
		out.Duplicate = true
		return out, nil
	case err == nil:
	case sent.ProviderID != "" || sent.MessageID != "":
		slog.ErrorContext(ctx, "sms keyword answer not recorded", "source", src.ID, "err", err)
	default:
		return out, fmt.Errorf("answer keyword %s: %w", src, err)
	}
	out.Reply = sent.Text
	return out, nil
}

// survey records a survey answer on the ticket the survey was sent for:
// the message and a survey_answered event (detail "score=N") in one write.
func (s *Service) survey(ctx context.Context, in intake.Inbound, ans ticket.SurveyAnswer) (Outcome, error) {
	score := ans.Score
	msg := ticket.Message{
		ID: string(ticket.NewID(in.At)), Direction: ticket.Inbound, Channel: ticket.SMS,
		Body: in.Body, At: in.At, SourceID: in.Source.ID, Meta: in.Meta,
	}
	msg.Meta["surveyScore"] = strconv.Itoa(score)
	src := in.Source
	for i := 0; i < 8; i++ {
		t, err := s.Tickets.Ticket(ctx, in.TicketID)
		if err != nil {
			return Outcome{}, fmt.Errorf("load ticket %s for survey answer %s: %w", in.TicketID, src, err)
		}
		nt, events := s.answered(t, ans, in.At, msg.ID)
		next := *nt
		err = s.Tickets.Apply(ctx, ticket.Change{
			Ticket: &next, PrevVersion: t.Version, Prev: t, Messages: []ticket.Message{msg}, Source: &src,
			Events: append([]ticket.Event{intake.NewEvent(ticket.EventMessageAdded, in.At, "customer", "", msg.ID)}, events...),
		})
		var dup *ticket.DuplicateError
		switch {
		case err == nil:
			slog.InfoContext(ctx, "sms survey answer", "source", src.ID, "ref", next.Ref, "score", score)
			return Outcome{Ticket: &next, Survey: score}, nil
		case errors.As(err, &dup):
			return Outcome{Ticket: t, Duplicate: true, Survey: score}, nil
		case errors.Is(err, ticket.ErrConflict):
			continue
		default:
			return Outcome{}, fmt.Errorf("record survey answer %s on %s: %w", src, t.Ref, err)
		}
	}
	return Outcome{}, fmt.Errorf("record survey answer %s: ticket %s still changing", src, in.TicketID)
}

// Reject quarantines a delivery that could not be used, with the reason,
// so it can be replayed; deliveryID names it when the text's own ID is
// unknown. The raw delivery is kept as received.
func (s *Service) Reject(ctx context.Context, m Message, deliveryID string, raw []byte, cause error) error {
	reason := cause.Error()
	var ie *InputError
	if errors.As(cause, &ie) {
		reason = ie.Reason
		if ie.Detail != "" {
			reason += ": " + ie.Detail
		}
	}
	// The record's key must always be valid, or the delivery is never
	// kept and the queue retries it for ever: an ID that is missing or
	// was refused (too long, not UTF-8) gives way to the delivery's own
	// ID, or to a hash of the bytes received.
	id := m.ID
	if !usableID(id) {
		if usableID(deliveryID) {
			id = "delivery-" + deliveryID
		} else {
			sum := sha256.Sum256(raw)
			id = "received-" + hex.EncodeToString(sum[:16])
		}
	}
	if !usableID(deliveryID) {
		deliveryID = id
	}
	q := ticket.Quarantined{
		Channel: ticket.SMS, ID: id, Source: string(m.Provider) + ":" + deliveryID,
		Reason: reason, At: s.now(), Payload: raw,
	}
	if err := s.Quarantiner.Quarantine(ctx, q); err != nil {
		return fmt.Errorf("quarantine sms %s: %w", id, err)
	}
	slog.WarnContext(ctx, "sms quarantined", "id", id, "delivery", deliveryID, "reason", reason)
	return nil
}

// usableID reports whether a provider's ID can name a record as it is:
// present, valid UTF-8, printable and no longer than the limit on fields.
func usableID(id string) bool {
	if id == "" || len(id) > maxField || !utf8.ValidString(id) {
		return false
	}
	return !strings.ContainsFunc(id, func(r rune) bool { return !unicode.IsPrint(r) })
}
