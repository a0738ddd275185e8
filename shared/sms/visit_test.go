package sms_test

import (
	"context"
	"testing"

	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// TestLowSurveyScoreReopens: a score of 2 with a comment, answering the
// return visit's survey, lands on the surveyed ticket, keeps the comment,
// reopens the case and escalates it.
func TestLowSurveyScoreReopens(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	const phone = "+8613800138060"
	first, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: "v1", From: phone, Body: "报修：厨房水管漏水"}, false)
	if err != nil {
		t.Fatal(err)
	}
	rules := ticket.MustDefaultRules(shanghai)
	at := f.clock.now()
	_, err = f.store.Mutate(ctx, first.Ticket.ID, func(tk *ticket.Ticket) (ticket.Change, error) {
		o, err := rules.Decide(tk, ticket.Request{Action: ticket.ActResolve, Resolution: "pipe replaced", AtFault: ticket.FaultNobody, Actor: "staff:ann", At: at})
		if err != nil {
			return ticket.Change{}, err
		}
		o.Ticket.Visit.Status, o.Ticket.Visit.SentAt = ticket.VisitSent, at
		return ticket.Change{Ticket: o.Ticket, Events: o.Events}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	survey, err := f.svc.Outbound.Send(ctx, outbound.Request{TicketID: first.Ticket.ID, Purpose: sms.PurposeSurvey, Key: "survey-v1",
		Render: func(ticket.Channel, ticket.Language) outbound.Content {
			return outbound.Content{Text: ticket.SurveyText(ticket.SimplifiedChinese, first.Ticket.Ref)}
		}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.svc.Handle(ctx, sms.Message{Provider: sms.EndUserMessaging, ID: "v2", From: phone, Body: "2分 还在漏水", ReplyTo: survey.ProviderID}, false)
	if err != nil {
		t.Fatal(err)
	}
	if out.Survey != 2 || out.Ticket.ID != first.Ticket.ID {
		t.Fatalf("answer = %+v, want score 2 on %s", out, first.Ticket.Ref)
	}
	full := f.view(t, first.Ticket.ID)
	if full.Status != ticket.Reopened || full.EscalationLevel < ticket.LevelSupervisor {
		t.Errorf("after a score of 2: status %s level %d, want reopened and escalated", full.Status, full.EscalationLevel)
	}
	if v := full.Visit; v == nil || v.Status != ticket.VisitAnswered || v.Score != 2 || v.Comment != "还在漏水" {
		t.Errorf("visit = %+v, want answered 2 with the comment", full.Visit)
	}
	kinds := map[ticket.EventType]int{}
	for _, e := range full.History {
		kinds[e.Type]++
	}
	if kinds[ticket.EventSurveyAnswered] != 1 || kinds[ticket.EventReopened] != 1 || kinds[ticket.EventEscalated] != 1 {
		t.Errorf("history kinds = %v, want one survey_answered, reopened, escalated", kinds)
	}
}
