package ticket_test

import (
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/ticket"
)

func TestAnswerCallbackAsk(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	rules := ticket.MustDefaultRules(sh)
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, sh)
	window := &ticket.Callback{Start: at.Add(24 * time.Hour).UTC(), End: at.Add(25 * time.Hour).UTC(), Zone: "Asia/Shanghai"}
	awaiting := func(tries int, last string) *ticket.Ticket {
		return &ticket.Ticket{ID: "T1", Ref: "FD-AAAAAA", Status: ticket.New, Version: 3, UpdatedAt: at.Add(-time.Hour),
			CallbackAsk: &ticket.CallbackAsk{Status: ticket.AskAwaiting, AskedAt: at.Add(-time.Hour), Source: "ask-1", Tries: tries, Last: last}}
	}
	noTime := &ticket.CallbackTextError{Code: ticket.CodeNoTime}
	tests := []struct {
		name      string
		t         *ticket.Ticket
		src       string
		cb        *ticket.Callback
		refusal   *ticket.CallbackTextError
		ok        bool
		status    ticket.AskStatus
		event     ticket.EventType
		retry     bool
		left      bool
		scheduled bool
	}{
		{name: "a time is booked", t: awaiting(0, ""), src: "a-1", cb: window, ok: true, status: ticket.AskAnswered, event: ticket.EventCallbackRequested, scheduled: true},
		{name: "a time after a retry is booked", t: awaiting(1, "a-1"), src: "a-2", cb: window, ok: true, status: ticket.AskAnswered, event: ticket.EventCallbackRequested, scheduled: true},
		{name: "first answer without a time asks again", t: awaiting(0, ""), src: "a-1", refusal: noTime, ok: true, status: ticket.AskAwaiting, event: ticket.EventCallbackAsked, retry: true},
		{name: "second answer without a time is left for staff", t: awaiting(1, "a-1"), src: "a-2", refusal: &ticket.CallbackTextError{Code: ticket.CodeAmbiguous}, ok: true, status: ticket.AskLeft, event: ticket.EventCallbackRequested, left: true},
		{name: "the same answer again changes nothing", t: awaiting(1, "a-1"), src: "a-1", refusal: noTime},
		{name: "the text that asked is no answer", t: awaiting(0, ""), src: "ask-1", refusal: noTime},
		{name: "a window booked already answers without a second request", t: func() *ticket.Ticket {
			t := awaiting(0, "")
			t.Callback = rules.PlanCallback(window, at)
			return t
		}(), src: "a-1", cb: window, ok: true, status: ticket.AskAnswered, scheduled: true},
		{name: "no question, no answer", t: &ticket.Ticket{ID: "T1", Status: ticket.New, Version: 1}, src: "a-1", cb: window},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, events, res, ok := rules.AnswerCallbackAsk(tt.t, tt.src, tt.cb, tt.refusal, at, "customer")
			if ok != tt.ok {
				t.Fatalf("AnswerCallbackAsk(%s) ok = %v, want %v", tt.src, ok, tt.ok)
			}
			if !ok {
				if next != tt.t || len(events) != 0 {
					t.Errorf("AnswerCallbackAsk(%s) changed the ticket: %+v, %v", tt.src, next, events)
				}
				return
			}
			if next.Version != tt.t.Version+1 || next.CallbackAsk.Status != tt.status || next.CallbackAsk.Last != tt.src {
				t.Errorf("ask = %+v version %d, want status %s last %s version %d", next.CallbackAsk, next.Version, tt.status, tt.src, tt.t.Version+1)
			}
			if tt.t.CallbackAsk.Status != ticket.AskAwaiting {
				t.Errorf("the ticket given was changed: %+v", tt.t.CallbackAsk)
			}
			if tt.event == "" && len(events) != 0 || tt.event != "" && (len(events) != 1 || events[0].Type != tt.event) {
				t.Errorf("events = %+v, want %q", events, tt.event)
			}
			if res.Retry != tt.retry || res.Left != tt.left || (res.Window != nil) != tt.scheduled {
				t.Errorf("result = %+v, want retry %v left %v booked %v", res, tt.retry, tt.left, tt.scheduled)
			}
			if tt.scheduled {
				cb := next.Callback
				if cb == nil || !cb.Start.Equal(window.Start) || cb.Attempts != 1 || cb.AgentAt.IsZero() || cb.RemindAt.IsZero() {
					t.Errorf("callback = %+v, want the window planned as a first attempt with its reminders", cb)
				}
			} else if next.Callback != nil {
				t.Errorf("callback = %+v, want none", next.Callback)
			}
		})
	}
}
