package sms

import (
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
