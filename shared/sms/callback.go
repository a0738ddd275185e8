package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// What a text did about a callback (Outcome.Callback).
const (
	// CallbackBooked: a callback time was read and booked.
	CallbackBooked = "booked"
	// CallbackAsked: the customer was asked when suits them.
	CallbackAsked = "asked"
	// CallbackRetry: their answer gave no usable time; they were asked
	// once more.
	CallbackRetry = "retry"
	// CallbackLeft: no usable time in their answers; left for staff.
	CallbackLeft = "left"
)

// callbackText is what a text says about a callback: whether it starts
// with the callback keyword, and the window read from the words after it
// (or why none could be).
type callbackText struct {
	keyword bool
	words   string
	window  *ticket.Callback
	refusal *ticket.CallbackTextError
}

// CallbackWords returns the words after the callback keyword a text
// starts with ("回电 明天上午10点", "CALL tomorrow 10am", "回電後天早上9點半"),
// the keyword's language, and true. A text that is the keyword alone (see
// Match), or starts with none, gives false; so does a keyword run into a
// longer Latin word ("CALLING").
func (k *Keywords) CallbackWords(body string) (string, ticket.Language, bool) {
	f := strings.TrimLeftFunc(ticket.Fold(visible(body)), separator)
	best, lang := "", ticket.Language("")
	for key, m := range k.exact {
		if m.action != Callback || len(key) <= len(best) || !strings.HasPrefix(f, key) {
			continue
		}
		last, _ := utf8.DecodeLastRuneInString(key)
		next, _ := utf8.DecodeRuneInString(f[len(key):])
		if !unicode.Is(unicode.Han, last) && (unicode.IsLetter(next) || unicode.IsDigit(next)) {
			continue
		}
		best, lang = key, m.lang
	}
	if best == "" {
		return "", "", false
	}
	rest := strings.TrimFunc(f[len(best):], separator)
	if keywordForm(rest) == "" {
		return "", "", false
	}
	return rest, lang, true
}

// separator reports the characters around a keyword: spaces, punctuation
// and symbols.
func separator(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) }

// readCallback reads a callback time from words received at at in zone
// (the business's when nil), as the web form's callback fields are
// checked: business hours, at most the policy's days ahead, wall times
// the clocks skip or repeat refused.
func (s *Service) readCallback(words string, zone *time.Location, at time.Time) (*ticket.Callback, *ticket.CallbackTextError) {
	rules := s.Intake.Rules
	w, err := ticket.ReadCallback(words, ticket.CallbackReading{
		Calendar: rules.Calendar, Zone: zone, Now: at, MaxAhead: rules.CallbackPolicy().MaxAhead,
	})
	var terr *ticket.CallbackTextError
	switch {
	case err == nil:
		return &w.Callback, nil
	case errors.As(err, &terr):
		return nil, terr
	}
	return nil, &ticket.CallbackTextError{Code: ticket.CodeNoTime}
}

// callbackKeyword reads a text that may be the callback keyword followed by
// a time. Words after the keyword that name no time at all ("call centre
// never answered") make an ordinary message, not a callback request.
func (s *Service) callbackKeyword(m Message) (callbackText, ticket.Language) {
	if s.Intake == nil || s.Intake.Rules == nil {
		return callbackText{}, ""
	}
	words, lang, ok := s.Keywords.CallbackWords(m.Body)
	if !ok {
		return callbackText{}, ""
	}
	cb, refusal := s.readCallback(words, nil, m.At)
	if refusal != nil && refusal.Code == ticket.CodeNoTime {
		return callbackText{}, ""
	}
	return callbackText{keyword: true, words: words, window: cb, refusal: refusal}, lang
}

// replyTo answers a text once it is on its ticket: a callback booked from
// the text is confirmed; a callback keyword without a usable time asks
// when suits the customer (once per ticket); an answer to that question is
// read the same way; anything else is acknowledged. A redelivered text
// gets the same answer, which the outbound keys keep to one.
func (s *Service) replyTo(ctx context.Context, out Outcome, p ackPlan, m Message, cbt callbackText, inline bool) (Outcome, error) {
	t := out.Ticket
	src := ticket.Source{Channel: ticket.SMS, ID: m.ID}
	switch {
	case out.Action == Callback && cbt.window != nil:
		if t.Awaiting() {
			// A keyword with a time answers the question too.
			nt, changed, _, err := s.answerAsk(ctx, t.ID, src.ID, cbt.window, nil, m.At)
			if err != nil {
				return out, err
			}
			if changed {
				out.Ticket, t = nt, nt
			}
		}
		out.Callback = CallbackBooked
		if t.Callback == nil {
			return s.acknowledge(ctx, out, p, inline)
		}
		text, err := ticket.CallbackBooked(textLanguage(ticket.Prefer(p.lang, t.Language)), t.Ref, *t.Callback)
		if err != nil {
			return out, err
		}
		return s.callbackReply(ctx, out, p, "sms-callback#"+src.ID, text, true, inline)
	case out.Action == Callback:
		return s.ask(ctx, out, p, src, m.At, cbt, inline)
	case out.Action == None && !s.Keywords.AsksToStop(m.Body) && (t.Awaiting() || t.CallbackAsk != nil && t.CallbackAsk.Last == src.ID):
		// A sentence asking us to stop is for a person, never an answer.
		return s.answer(ctx, out, p, m, inline)
	}
	return s.acknowledge(ctx, out, p, inline)
}

// ask asks the customer when suits them, once per ticket: the question is
// recorded on the ticket before it is sent, so that their next text is
// read as the answer whatever happens to this delivery. A callback time
// that could not be booked ("CALL Sat 10am": closed) is answered with why,
// after the usual acknowledgement.
func (s *Service) ask(ctx context.Context, out Outcome, p ackPlan, src ticket.Source, at time.Time, cbt callbackText, inline bool) (Outcome, error) {
	t, asked, err := s.change(ctx, out.Ticket.ID, func(t *ticket.Ticket) (*ticket.Ticket, []ticket.Event, bool) {
		if t.CallbackAsk != nil {
			return t, nil, false
		}
		next := t.Clone()
		next.CallbackAsk = &ticket.CallbackAsk{Status: ticket.AskAwaiting, AskedAt: at, Source: src.ID}
		next.Version++
		e := ticket.Event{ID: string(ticket.NewID(at)), Type: ticket.EventCallbackAsked, At: at, Actor: "frontdesk",
			Detail: "no callback time given: asked the customer when suits them"}
		return next, []ticket.Event{e}, true
	})
	if err != nil {
		return out, err
	}
	out.Ticket = t
	if !asked && (t.CallbackAsk == nil || t.CallbackAsk.Source != src.ID) {
		// Asked already about this ticket: once is enough.
		return s.acknowledge(ctx, out, p, inline)
	}
	out.Callback = CallbackAsked
	lang := textLanguage(ticket.Prefer(p.lang, t.Language))
	if cbt.refusal == nil {
		return s.callbackReply(ctx, out, p, "sms-callback-ask#"+string(t.ID), ticket.CallbackQuestion(lang, t.Ref), true, inline)
	}
	// The refusal says what to send instead but not the reference: the
	// acknowledgement gives it first (inline, only one text can answer).
	if !inline {
		if out, err = s.acknowledge(ctx, out, p, false); err != nil {
			return out, err
		}
	}
	return s.callbackReply(ctx, out, p, "sms-callback-ask#"+string(t.ID), cbt.refusal.Message(lang), false, inline)
}

// answer reads a text on a ticket awaiting a callback time as the answer:
// a usable time is booked and confirmed; the first answer without one
// gets one prompt saying why and what to send; the next is left for staff.
func (s *Service) answer(ctx context.Context, out Outcome, p ackPlan, m Message, inline bool) (Outcome, error) {
	t := out.Ticket
	zone := ticket.QuietZone("", s.Intake.Rules.Calendar.Zone)
	if t.Callback != nil {
		zone = ticket.QuietZone(t.Callback.Zone, zone)
	}
	cb, refusal := s.readCallback(m.Body, zone, m.At)
	t, changed, res, err := s.answerAsk(ctx, t.ID, m.ID, cb, refusal, m.At)
	if err != nil {
		return out, err
	}
	if !changed {
		// Acted on before (a redelivery): the same answer again, from
		// the ticket as the answer's round read it.
		switch a := t.CallbackAsk; {
		case a == nil || a.Last != m.ID:
			return s.acknowledge(ctx, out, p, inline)
		case a.Status == ticket.AskAnswered && a.LastCode == "":
			res.Window = t.Callback
		case a.Status == ticket.AskLeft:
			res.Left = true
		default:
			res.Retry, res.Refusal = true, refusal
		}
	}
	out.Ticket = t
	lang := textLanguage(ticket.Prefer(p.lang, t.Language))
	switch {
	case res.Window != nil:
		out.Callback = CallbackBooked
		text, err := ticket.CallbackBooked(lang, t.Ref, *res.Window)
		if err != nil {
			return out, err
		}
		return s.callbackReply(ctx, out, p, "sms-callback#"+m.ID, text, true, inline)
	case res.Retry:
		out.Callback = CallbackRetry
		if res.Refusal == nil {
			res.Refusal = &ticket.CallbackTextError{Code: ticket.CodeNoTime}
		}
		return s.callbackReply(ctx, out, p, "sms-callback-retry#"+string(t.ID), res.Refusal.Message(lang), false, inline)
	}
	out.Callback = CallbackLeft
	slog.InfoContext(ctx, "sms callback time left for staff", "ref", t.Ref, "source", m.ID)
	return out, nil
}

// answerAsk records an answer to the ticket's callback question and
// returns the ticket as written, and true; when the ticket awaits none or
// the answer was recorded before, the ticket as read, and false.
func (s *Service) answerAsk(ctx context.Context, id ticket.ID, src string, cb *ticket.Callback, refusal *ticket.CallbackTextError, at time.Time) (*ticket.Ticket, bool, ticket.CallbackTime, error) {
	var res ticket.CallbackTime
	t, changed, err := s.change(ctx, id, func(t *ticket.Ticket) (*ticket.Ticket, []ticket.Event, bool) {
		next, events, r, ok := s.Intake.Rules.AnswerCallbackAsk(t, src, cb, refusal, at, "customer")
		res = r
		return next, events, ok
	})
	return t, changed, res, err
}

// change applies decide to ticket id through the one read-decide-write
// loop (Tickets.Mutate): the version check, reading and deciding again
// when the ticket changed meanwhile. It reports false, with the ticket as
// read, when decide had nothing to change.
func (s *Service) change(ctx context.Context, id ticket.ID, decide func(t *ticket.Ticket) (*ticket.Ticket, []ticket.Event, bool)) (*ticket.Ticket, bool, error) {
	t, err := s.Tickets.Mutate(ctx, id, func(t *ticket.Ticket) (ticket.Change, error) {
		next, events, ok := decide(t)
		if !ok {
			return ticket.Change{}, dynamo.ErrUnchanged
		}
		return ticket.Change{Ticket: next, Events: events}, nil
	})
	switch {
	case err == nil:
		return t, true, nil
	case errors.Is(err, dynamo.ErrUnchanged):
		return t, false, nil
	}
	return nil, false, fmt.Errorf("sms callback: %w", err)
}

// callbackReply sends a callback text once under key. One that carries
// the ticket's reference stands for the acknowledgement. An opted-out
// number gets none: what the text asked for is done, but only the
// keywords' own answers reach a number that said STOP.
func (s *Service) callbackReply(ctx context.Context, out Outcome, p ackPlan, key, text string, acks, inline bool) (Outcome, error) {
	t := out.Ticket
	if p.optedOut {
		return out, nil
	}
	sent, err := s.Outbound.Send(ctx, outbound.Request{
		Ticket: t, Channel: ticket.SMS, Purpose: outbound.Keyword, Key: key, Language: p.lang, Inline: inline,
		Meta:   map[string]string{"keyword": string(Callback), "callback": out.Callback},
		Render: func(ticket.Channel, ticket.Language) outbound.Content { return outbound.Content{Text: text} },
	})
	switch {
	case err == nil:
	case errors.Is(err, outbound.ErrDuplicate), errors.Is(err, ErrNoPhone):
		return out, nil
	case sent.ProviderID != "" || sent.MessageID != "":
		slog.ErrorContext(ctx, "sms callback text not recorded", "ref", t.Ref, "err", err)
	default:
		return out, fmt.Errorf("callback text for %s: %w", t.Ref, err)
	}
	out.Acked = out.Acked || acks
	if inline {
		out.Reply = sent.Text
	}
	return out, nil
}

// textLanguages are the languages customer texts are written in.
var textLanguages = ticket.NewMatcher(ticket.English, ticket.SimplifiedChinese, ticket.TraditionalChinese)

// textLanguage is the language code a customer text is rendered in for l.
func textLanguage(l ticket.Language) ticket.Language { return textLanguages.Match(l) }
