package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// surveyAnswer reads a reply to a survey text we sent: a score 1–5 first,
// then any comment ("2 still leaking"). Anything else to a survey is an
// ordinary message on its ticket.
func surveyAnswer(body string, sent *ticket.Message) (ticket.SurveyAnswer, bool) {
	if sent == nil || sent.Meta["purpose"] != string(PurposeSurvey) {
		return ticket.SurveyAnswer{}, false
	}
	a, err := ticket.ParseSurveyAnswer(body)
	return a, err == nil
}

// answered returns t after a survey answer at at and the events recording
// it. With a return visit waiting for its answer the domain takes it: a
// score of 1–2 reopens the ticket and escalates it. Otherwise (a survey
// answered twice, or sent before visits were recorded) the score is kept
// in the history only.
func (s *Service) answered(t *ticket.Ticket, a ticket.SurveyAnswer, at time.Time, msgID string) (*ticket.Ticket, []ticket.Event) {
	if s.Intake != nil && s.Intake.Rules != nil {
		if next, events, ok := s.Intake.Rules.AnswerVisit(t, a, at, "customer"); ok {
			for i := range events {
				events[i].MessageID = msgID
			}
			return next, events
		}
	}
	next := t.Clone()
	next.Version++
	if at.After(next.UpdatedAt) {
		next.UpdatedAt = at
	}
	return next, []ticket.Event{intake.NewEvent(ticket.EventSurveyAnswered, at, "customer", "score="+strconv.Itoa(a.Score), msgID)}
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
	var read *ticket.Ticket
	next, err := s.Tickets.Mutate(ctx, in.TicketID, func(t *ticket.Ticket) (ticket.Change, error) {
		read = t
		nt, events := s.answered(t, ans, in.At, msg.ID)
		return ticket.Change{
			Ticket: nt, Messages: []ticket.Message{msg}, Source: &src,
			Events: append([]ticket.Event{intake.NewEvent(ticket.EventMessageAdded, in.At, "customer", "", msg.ID)}, events...),
		}, nil
	})
	var dup *ticket.DuplicateError
	switch {
	case err == nil:
		slog.InfoContext(ctx, "sms survey answer", "source", src.ID, "ref", next.Ref, "score", score)
		return Outcome{Ticket: next, Survey: score}, nil
	case errors.As(err, &dup):
		return Outcome{Ticket: read, Duplicate: true, Survey: score}, nil
	default:
		return Outcome{}, fmt.Errorf("record survey answer %s on ticket %s: %w", src, in.TicketID, err)
	}
}
