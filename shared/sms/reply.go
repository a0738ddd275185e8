package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

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
