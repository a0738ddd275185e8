package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/survey"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// visit takes a return visit one step: the survey when it is due (in the
// customer's daytime, at most one per customer per the policy's Every),
// or closing it when no answer came in time.
func (d *Day) visit(ctx context.Context, id ticket.ID, at time.Time, st *DayStats) error {
	p := d.Rules.VisitPolicy()
	t, err := d.Store.Ticket(ctx, id)
	if errors.Is(err, ticket.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	due, ok := t.VisitDue()
	if !ok || at.Before(due) {
		return nil
	}
	if t.Visit.Status == ticket.VisitSent {
		n, err := d.change(ctx, id, at, func(t *ticket.Ticket, ev evFunc) bool {
			if t.Visit == nil || t.Visit.Status != ticket.VisitSent || at.Before(t.Visit.CloseAt) {
				return false
			}
			t.Visit.Status = ticket.VisitUnanswered
			ev(ticket.EventVisitClosed, fmt.Sprintf("unanswered %s after the survey", p.AnswerWithin))
			return true
		})
		st.Unanswered += n
		return err
	}
	// Not in the customer's night: the visit waits for their morning.
	if send := d.Rules.VisitSendTime(t, at); send.After(at) {
		_, err := d.change(ctx, id, at, func(t *ticket.Ticket, ev evFunc) bool {
			if t.Visit == nil || t.Visit.Status != ticket.VisitDue || !t.Visit.Claim.IsZero() || !t.Visit.Due.Before(send) {
				return false
			}
			t.Visit.Due = send
			return true
		})
		return err
	}
	closeVisit := func(status ticket.VisitStatus, why string) error {
		n, err := d.change(ctx, id, at, func(t *ticket.Ticket, ev evFunc) bool {
			if t.Visit == nil || t.Visit.Status != ticket.VisitDue {
				return false
			}
			t.Visit.Status, t.Visit.Reason, t.Visit.Claim = status, why, time.Time{}
			ev(ticket.EventVisitClosed, string(status)+": "+why)
			return true
		})
		st.NotSurveyed += n
		return err
	}
	contact := ""
	switch {
	case t.Contact.Phone != "":
		contact = dynamo.ContactKey("phone", t.Contact.Phone)
	case t.Contact.Email != "":
		contact = dynamo.ContactKey("email", t.Contact.Email)
	default:
		return closeVisit(ticket.VisitNotVisitable, "no phone or email")
	}
	ok, err = d.Store.ClaimSurvey(ctx, contact, id, at, p.Every)
	if err != nil {
		return err
	}
	if !ok {
		return closeVisit(ticket.VisitRecent, fmt.Sprintf("surveyed within %s", p.Every))
	}
	t, err = d.claim(ctx, id, at, func(t *ticket.Ticket) bool {
		due, ok := t.VisitDue()
		if !ok || at.Before(due) || t.Visit.Status != ticket.VisitDue {
			return false
		}
		t.Visit.Claim = at
		return true
	})
	if err != nil || t == nil {
		return err
	}
	text := ticket.SurveyText(textLanguage(t.Language), t.Ref)
	if d.SurveyLinks != nil && outbound.Channel(t) == ticket.Email {
		// A mail cannot be answered "reply 1-5" reliably: it carries five
		// signed links instead, valid until the visit closes.
		links := d.SurveyLinks.For(t.ID, t.Visit.Due, at.Add(p.AnswerWithin))
		text = survey.Mail(textLanguage(t.Language), t.Ref, links, int((p.AnswerWithin+23*time.Hour)/(24*time.Hour)))
	}
	m, err := d.Messages.Send(ctx, t, text, sms.PurposeSurvey)
	how := "survey sent by " + string(m.Channel)
	if errors.Is(err, ErrSentBefore) {
		m, err, how = ticket.Message{}, nil, "survey sent by an earlier run"
	}
	if unreachable(err) {
		st.Unreachable++
		return closeVisit(ticket.VisitNotVisitable, "the customer cannot be reached")
	}
	if err != nil {
		return fmt.Errorf("send survey: %w", err)
	}
	n, err := d.change(ctx, id, at, func(t *ticket.Ticket, ev evFunc) bool {
		v := t.Visit
		if v == nil || v.Status != ticket.VisitDue || !v.Claim.Equal(at) {
			return false
		}
		v.Status, v.Claim, v.SentAt, v.CloseAt = ticket.VisitSent, time.Time{}, at, at.Add(p.AnswerWithin)
		v.MessageID, v.ProviderID = m.ID, m.SourceID
		ev(ticket.EventSurveySent, how)
		return true
	})
	st.Surveyed += n
	return err
}
