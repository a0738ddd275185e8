package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// ackPlan is what Handle learnt that saves the acknowledgement reads: the
// text's source, its language, the number's opt-out state, when the new
// ticket's acknowledgement slot was taken (zero when it was not), and
// whether the text is a redelivery whose acknowledgement was not sent.
type ackPlan struct {
	src         ticket.Source
	lang        ticket.Language
	optedOut    bool
	taken       time.Time
	redelivered bool
}

// acknowledge texts the ticket reference back, unless the ticket needs a
// person, the number opted out, or the ticket was acknowledged recently.
// A redelivered text is acknowledged too when its first delivery's
// acknowledgement was not sent: a slot taken in the text's own name (by
// the write that opened the ticket) is no throttle for it once the
// delivery that took it has ended (dynamo.AckLease), and a key per text
// keeps redeliveries arriving together to one acknowledgement.
func (s *Service) acknowledge(ctx context.Context, out Outcome, p ackPlan, inline bool) (Outcome, error) {
	t := out.Ticket
	if t.NeedsPerson {
		return out, nil
	}
	r := outbound.Request{
		Ticket: t, Purpose: outbound.Ack, Channel: ticket.SMS, Language: p.lang,
		OptedOut: &p.optedOut, AckTaken: p.taken, Inline: inline,
		// A redelivery learns from this that the text was acknowledged.
		Meta: map[string]string{"answers": p.src.ID},
		Render: func(_ ticket.Channel, lang ticket.Language) outbound.Content {
			return outbound.Content{Text: s.Keywords.Reply(lang, TextAck, t.Ref)}
		},
	}
	if p.redelivered {
		r.Key = "sms-ack#" + p.src.ID
		r.AckClaim = dynamo.AckClaim(p.src)
	}
	sent, err := s.Outbound.Send(ctx, r)
	switch {
	case err == nil:
	case errors.Is(err, ErrOptedOut), errors.Is(err, ErrThrottled), errors.Is(err, ErrNoPhone),
		errors.Is(err, outbound.ErrDuplicate):
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

// answered reports whether t holds an acknowledgement of the text from
// src: one recorded by an earlier delivery of it.
func answered(t *ticket.Ticket, src ticket.Source) bool {
	for _, m := range t.Messages {
		if m.Direction == ticket.Outbound && m.Meta["purpose"] == string(outbound.Ack) && m.Meta["answers"] == src.ID {
			return true
		}
	}
	return false
}
