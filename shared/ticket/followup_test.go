package ticket

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func callbackReq(op CallbackOp, date, from, to, zone string, now time.Time) Request {
	return Request{Action: ActCallback, Actor: "staff:ann", At: now, Op: op,
		Window: &CallbackRequest{Date: date, From: from, To: to, TimeZone: zone}}
}

func TestCallbackSchedule(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	london, _ := time.LoadLocation("Europe/London")
	nyRules := MustDefaultRules(ny)
	tests := []struct {
		name             string
		rules            *Rules
		now              time.Time
		date, from, to   string
		zone             string
		wantErr          string // a word of the refusal
		wantStart        time.Time
		wantRemind       time.Time // zero: none planned
		wantAgentReminds time.Time
	}{
		{"shanghai afternoon", rules, at(shanghai, "2026-11-23 11:00"), "2026-11-24", "14:00", "15:00", "Asia/Shanghai", "",
			at(shanghai, "2026-11-24 14:00"), at(shanghai, "2026-11-24 12:00"), at(shanghai, "2026-11-24 13:45")},
		{"early window: reminded as quiet hours end", rules, at(shanghai, "2026-11-23 11:00"), "2026-11-24", "09:00", "10:00", "Asia/Shanghai", "",
			at(shanghai, "2026-11-24 09:00"), at(shanghai, "2026-11-24 08:00"), at(shanghai, "2026-11-24 08:45")},
		{"opening time: as quiet hours end, before the agent", rules, at(shanghai, "2026-11-23 11:00"), "2026-11-24", "08:30", "09:30", "Asia/Shanghai", "",
			at(shanghai, "2026-11-24 08:30"), at(shanghai, "2026-11-24 08:00"), at(shanghai, "2026-11-24 08:15")},
		{"booked in the night for the morning: as quiet hours end", rules, at(shanghai, "2026-11-23 23:00"), "2026-11-24", "09:00", "10:00", "Asia/Shanghai", "",
			at(shanghai, "2026-11-24 09:00"), at(shanghai, "2026-11-24 08:00"), at(shanghai, "2026-11-24 08:45")},
		{"customer in New York, business in Shanghai: their evening", rules, at(shanghai, "2026-11-23 11:00"), "2026-11-23", "20:00", "21:00", "America/New_York", "",
			at(ny, "2026-11-23 20:00"), at(ny, "2026-11-23 18:00"), at(ny, "2026-11-23 19:45")},
		{"customer in London", rules, at(shanghai, "2026-11-23 11:00"), "2026-11-24", "03:00", "04:00", "Europe/London", "",
			at(london, "2026-11-24 03:00"), at(london, "2026-11-23 15:00"), at(london, "2026-11-24 02:45")},
		{"past", rules, at(shanghai, "2026-11-23 11:00"), "2026-11-23", "09:00", "10:00", "Asia/Shanghai", "passed", time.Time{}, time.Time{}, time.Time{}},
		{"too far", rules, at(shanghai, "2026-11-23 11:00"), "2026-12-09", "09:00", "10:00", "Asia/Shanghai", "too far", time.Time{}, time.Time{}, time.Time{}},
		{"outside hours", rules, at(shanghai, "2026-11-23 11:00"), "2026-11-24", "18:00", "19:00", "Asia/Shanghai", "outside business hours", time.Time{}, time.Time{}, time.Time{}},
		{"weekend", rules, at(shanghai, "2026-11-23 11:00"), "2026-11-28", "10:00", "11:00", "Asia/Shanghai", "outside business hours", time.Time{}, time.Time{}, time.Time{}},
		{"not a zone", rules, at(shanghai, "2026-11-23 11:00"), "2026-11-24", "10:00", "11:00", "Mars/Olympus", "IANA", time.Time{}, time.Time{}, time.Time{}},
		{"new york spring forward: skipped hour", nyRules, at(ny, "2026-03-05 10:00"), "2026-03-08", "02:30", "03:30", "America/New_York", "skip", time.Time{}, time.Time{}, time.Time{}},
		{"new york fall back: repeated hour", nyRules, at(ny, "2026-10-29 10:00"), "2026-11-01", "01:30", "02:30", "America/New_York", "twice", time.Time{}, time.Time{}, time.Time{}},
		{"new york day after spring forward", nyRules, at(ny, "2026-03-05 10:00"), "2026-03-09", "09:00", "10:00", "America/New_York", "",
			at(ny, "2026-03-09 09:00"), at(ny, "2026-03-09 08:00"), at(ny, "2026-03-09 08:45")},
		{"new york on the fall-back day, after the change", nyRules, at(ny, "2026-10-29 10:00"), "2026-11-02", "10:00", "11:00", "America/New_York", "",
			at(ny, "2026-11-02 10:00"), at(ny, "2026-11-02 08:00"), at(ny, "2026-11-02 09:45")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tk := sample(Acknowledged)
			if tt.rules != rules {
				tk.CreatedAt, tk.UpdatedAt = tt.now.Add(-time.Hour), tt.now.Add(-time.Hour)
			}
			o, err := tt.rules.Decide(tk, callbackReq(CallbackSchedule, tt.date, tt.from, tt.to, tt.zone, tt.now))
			if tt.wantErr != "" {
				var inv *InvalidError
				if !errors.As(err, &inv) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("schedule = %v, want an InvalidError saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("schedule = %v", err)
			}
			cb := o.Ticket.Callback
			if !cb.Start.Equal(tt.wantStart) || !cb.RemindAt.Equal(tt.wantRemind) || !cb.AgentAt.Equal(tt.wantAgentReminds) {
				t.Errorf("callback start %s remind %s agent %s, want %s %s %s", cb.Start, cb.RemindAt, cb.AgentAt, tt.wantStart, tt.wantRemind, tt.wantAgentReminds)
			}
			if cb.Attempts != 1 || !cb.Scheduled() {
				t.Errorf("attempts %d status %q, want 1 scheduled", cb.Attempts, cb.Status)
			}
			if len(o.Events) != 1 || o.Events[0].Type != EventCallbackRequested {
				t.Errorf("events = %+v, want one callback_requested", o.Events)
			}
		})
	}
}

// TestCallbackReminderNeverQuiet checks the rule over a whole week of
// windows, in the customer's zone, whoever's zone the business keeps.
func TestCallbackReminderNeverQuiet(t *testing.T) {
	for _, zone := range []string{"Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Sydney"} {
		z, _ := time.LoadLocation(zone)
		now := at(shanghai, "2026-11-23 07:00")
		for h := 0; h < 7*24*4; h++ {
			start := now.Add(time.Duration(h) * 15 * time.Minute).Add(3 * time.Hour)
			if !rules.Calendar.IsOpen(start) || !rules.Calendar.IsOpen(start.Add(29*time.Minute)) {
				continue
			}
			cb := &Callback{Start: start, End: start.Add(30 * time.Minute), Zone: zone}
			rules.plan(cb, now)
			if cb.RemindAt.IsZero() {
				continue
			}
			if quiet, _ := DefaultQuietHours.Next(cb.RemindAt, z); quiet || !cb.RemindAt.Before(start) || cb.RemindAt.Before(now) {
				t.Errorf("%s: callback %s reminded at %s (quiet %v)", zone, start.In(z), cb.RemindAt.In(z), quiet)
			}
		}
	}
}

func TestCallbackOutcomes(t *testing.T) {
	now := at(shanghai, "2026-11-23 11:00")
	tk := sample(Acknowledged)
	o, err := rules.Decide(tk, callbackReq(CallbackSchedule, "2026-11-23", "14:00", "15:00", "Asia/Shanghai", now))
	if err != nil {
		t.Fatal(err)
	}
	tk = o.Ticket
	outcome := func(res CallbackResult, when string) {
		t.Helper()
		o, err := rules.Decide(tk, Request{Action: ActCallback, Op: CallbackOutcome, Result: res, Actor: "staff:ann", At: at(shanghai, when)})
		if err != nil {
			t.Fatalf("outcome %s: %v", res, err)
		}
		if len(o.Events) != 1 || o.Events[0].Type != EventCallbackOutcome {
			t.Fatalf("outcome %s events = %+v", res, o.Events)
		}
		tk = o.Ticket
	}
	outcome(CallbackNoAnswer, "2026-11-23 14:10")
	if cb := tk.Callback; cb.Attempts != 2 || !cb.Start.Equal(at(shanghai, "2026-11-23 16:10")) || !cb.End.Equal(at(shanghai, "2026-11-23 17:10")) || !cb.Scheduled() {
		t.Fatalf("after one no_answer: %+v, want attempt 2 at 16:10–17:10", cb)
	}
	outcome(CallbackNoAnswer, "2026-11-23 16:20")
	// Two business hours after 16:20 is 09:20 the next morning.
	if cb := tk.Callback; cb.Attempts != 3 || !cb.Start.Equal(at(shanghai, "2026-11-24 09:20")) {
		t.Fatalf("after two no_answers: %+v, want attempt 3 at 09:20 next day", cb)
	}
	outcome(CallbackNoAnswer, "2026-11-24 10:00")
	if cb := tk.Callback; cb.Status != CallbackGaveUp || !cb.TriedAt.Equal(at(shanghai, "2026-11-24 10:00")) {
		t.Fatalf("after the last no_answer: %+v, want gave_up, customer told", cb)
	}
	if due, ok := tk.CustomerDue(); !ok || !due.Equal(at(shanghai, "2026-11-24 10:00")) {
		t.Errorf("customer due = %s %v, want the we-tried message now", due, ok)
	}
	if _, ok := tk.AgentDue(); ok {
		t.Error("agent still reminded of a callback given up")
	}
	_, err = rules.Decide(tk, Request{Action: ActCallback, Op: CallbackOutcome, Result: CallbackDone, Actor: "staff:ann", At: at(shanghai, "2026-11-24 11:00")})
	var inv *InvalidError
	if !errors.As(err, &inv) {
		t.Errorf("outcome on a callback given up = %v, want InvalidError", err)
	}
	for _, tt := range []struct {
		res  CallbackResult
		want CallbackStatus
	}{{CallbackDone, CallbackCompleted}, {CallbackWrongNumber, CallbackBadNumber}, {CallbackDeclined, CallbackRefused}} {
		tk := sample(InProgress)
		o, _ := rules.Decide(tk, callbackReq(CallbackSchedule, "2026-11-23", "14:00", "15:00", "Asia/Shanghai", now))
		o, err := rules.Decide(o.Ticket, Request{Action: ActCallback, Op: CallbackOutcome, Result: tt.res, Actor: "staff:ann", At: now.Add(4 * time.Hour)})
		if err != nil || o.Ticket.Callback.Status != tt.want {
			t.Errorf("outcome %s = %v, %+v; want status %s", tt.res, err, o.Ticket, tt.want)
			continue
		}
		for _, due := range []func() (time.Time, bool){o.Ticket.CallbackDue, o.Ticket.AgentDue, o.Ticket.MissedDue, o.Ticket.CustomerDue} {
			if _, ok := due(); ok {
				t.Errorf("outcome %s leaves something due", tt.res)
			}
		}
	}
}

func TestCallbackActionChecks(t *testing.T) {
	now := at(shanghai, "2026-11-23 11:00")
	tk := sample(Acknowledged)
	for _, req := range []Request{
		{Action: ActCallback, Op: CallbackReschedule, Window: &CallbackRequest{}, At: now},
		{Action: ActCallback, Op: CallbackCancel, Reason: "asked", At: now},
		{Action: ActCallback, Op: CallbackOutcome, Result: CallbackDone, At: now},
		{Action: ActCallback, Op: CallbackSchedule, At: now},
		{Action: ActCallback, Op: "later", At: now},
	} {
		var inv *InvalidError
		if _, err := rules.Decide(tk, req); !errors.As(err, &inv) {
			t.Errorf("Decide(%s %s) = %v, want InvalidError", req.Op, req.Result, err)
		}
	}
	o, _ := rules.Decide(tk, callbackReq(CallbackSchedule, "2026-11-24", "10:00", "11:00", "Asia/Shanghai", now))
	var inv *InvalidError
	if _, err := rules.Decide(o.Ticket, callbackReq(CallbackSchedule, "2026-11-25", "10:00", "11:00", "Asia/Shanghai", now)); !errors.As(err, &inv) {
		t.Errorf("second schedule = %v, want InvalidError", err)
	}
	r, err := rules.Decide(o.Ticket, callbackReq(CallbackReschedule, "2026-11-25", "10:00", "11:00", "Asia/Shanghai", now))
	if err != nil || !r.Ticket.Callback.Start.Equal(at(shanghai, "2026-11-25 10:00")) {
		t.Fatalf("reschedule = %v %+v", err, r.Ticket.Callback)
	}
	c, err := rules.Decide(r.Ticket, Request{Action: ActCallback, Op: CallbackCancel, Reason: "customer rang in", At: now})
	if err != nil || c.Ticket.Callback.Status != CallbackCancelled || c.Events[0].Type != EventCallbackCancelled {
		t.Fatalf("cancel = %v %+v", err, c)
	}
	if _, ok := c.Ticket.CallbackDue(); ok {
		t.Error("a cancelled callback is still due")
	}
}

func TestVisit(t *testing.T) {
	resolveAt := at(shanghai, "2026-11-27 16:00") // a Friday
	for _, tt := range []struct {
		kind  Kind
		visit bool
	}{{Repair, true}, {Complaint, true}, {Inquiry, false}, {Billing, false}} {
		tk := sample(InProgress)
		tk.Kind = tt.kind
		o, err := rules.Decide(tk, Request{Action: ActResolve, Resolution: "fixed", AtFault: FaultNobody, Actor: "staff:ann", At: resolveAt})
		if err != nil {
			t.Fatal(err)
		}
		if (o.Ticket.Visit != nil) != tt.visit {
			t.Fatalf("%s resolved: visit %+v, want %v", tt.kind, o.Ticket.Visit, tt.visit)
		}
		if !tt.visit {
			continue
		}
		// One business day (nine business hours) after Friday 16:00 is
		// Monday 16:00.
		if due, ok := o.Ticket.VisitDue(); !ok || !due.Equal(at(shanghai, "2026-11-30 16:00")) {
			t.Errorf("%s visit due %s %v, want Monday 16:00", tt.kind, due, ok)
		}
		// Reopened and resolved again: still one visit.
		re, _ := rules.Decide(o.Ticket, Request{Action: ActReopen, Reason: "again", Actor: "staff:ann", At: resolveAt.Add(time.Hour)})
		if _, ok := re.Ticket.VisitDue(); ok {
			t.Error("a reopened ticket's visit is still due")
		}
	}
}

func TestAnswerVisit(t *testing.T) {
	sent := func() *Ticket {
		tk := sample(Resolved)
		tk.Visit = &Visit{Status: VisitSent, SentAt: at(shanghai, "2026-11-24 10:00"), CloseAt: at(shanghai, "2026-11-27 10:00")}
		return tk
	}
	for _, tt := range []struct {
		score    int
		reopened bool
	}{{1, true}, {2, true}, {3, false}, {4, false}, {5, false}} {
		tk := sent()
		now := at(shanghai, "2026-11-24 12:00")
		next, events, ok := rules.AnswerVisit(tk, SurveyAnswer{Score: tt.score, Comment: "late"}, now, "customer")
		if !ok {
			t.Fatalf("score %d not taken", tt.score)
		}
		if (next.Status == Reopened) != tt.reopened || (next.EscalationLevel >= LevelSupervisor) != tt.reopened {
			t.Errorf("score %d: status %s level %d, want reopened+escalated %v", tt.score, next.Status, next.EscalationLevel, tt.reopened)
		}
		if next.Visit.Score != tt.score || next.Visit.Comment != "late" || next.Visit.Status != VisitAnswered || events[0].Type != EventSurveyAnswered {
			t.Errorf("score %d: visit %+v events %+v", tt.score, next.Visit, events)
		}
		if tk.Visit.Status != VisitSent {
			t.Error("AnswerVisit changed the ticket it was given")
		}
		if _, _, again := rules.AnswerVisit(next, SurveyAnswer{Score: 5}, now, "customer"); again {
			t.Errorf("score %d: a second answer was taken", tt.score)
		}
	}
	if _, _, ok := rules.AnswerVisit(sample(Resolved), SurveyAnswer{Score: 5}, time.Now(), "customer"); ok {
		t.Error("an answer without a survey sent was taken")
	}
}

func TestPlanCallback(t *testing.T) {
	if rules.PlanCallback(nil, time.Now()) != nil {
		t.Error("PlanCallback(nil) is not nil")
	}
	asked := &Callback{Start: at(shanghai, "2026-11-24 14:00"), End: at(shanghai, "2026-11-24 15:00"), Zone: "Asia/Shanghai", Status: CallbackCompleted}
	cb := rules.PlanCallback(asked, at(shanghai, "2026-11-23 11:00"))
	if cb == asked || !cb.Scheduled() || cb.Attempts != 1 || !cb.AgentAt.Equal(at(shanghai, "2026-11-24 13:45")) || !cb.RemindAt.Equal(at(shanghai, "2026-11-24 12:00")) {
		t.Errorf("PlanCallback = %+v, want a scheduled first attempt with both reminders", cb)
	}
}

// TestVisitSendTime: a survey goes out when it falls due unless that is in
// the customer's quiet hours (their own zone, known from their callback),
// and then as they end; the minutes either side of both ends, and the
// clock changes.
func TestVisitSendTime(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	london, _ := time.LoadLocation("Europe/London")
	inZone := func(zone string) *Ticket {
		tk := sample(Resolved)
		if zone != "" {
			tk.Callback = &Callback{Zone: zone, Status: CallbackCompleted}
		}
		return tk
	}
	tests := []struct {
		name string
		zone string // the customer's callback zone; "" for the business's
		due  time.Time
		want time.Time
	}{
		{"Shanghai 20:59", "", at(shanghai, "2026-11-24 20:59"), at(shanghai, "2026-11-24 20:59")},
		{"Shanghai 21:00", "", at(shanghai, "2026-11-24 21:00"), at(shanghai, "2026-11-25 08:00")},
		{"Shanghai 07:59", "", at(shanghai, "2026-11-25 07:59"), at(shanghai, "2026-11-25 08:00")},
		{"Shanghai 08:00", "", at(shanghai, "2026-11-25 08:00"), at(shanghai, "2026-11-25 08:00")},
		{"New York 20:59", "America/New_York", at(ny, "2026-11-24 20:59"), at(ny, "2026-11-24 20:59")},
		{"New York 21:00", "America/New_York", at(ny, "2026-11-24 21:00"), at(ny, "2026-11-25 08:00")},
		{"New York 07:59", "America/New_York", at(ny, "2026-11-25 07:59"), at(ny, "2026-11-25 08:00")},
		{"New York 08:00", "America/New_York", at(ny, "2026-11-25 08:00"), at(ny, "2026-11-25 08:00")},
		// 11:00 in Shanghai, the business's working morning, is 22:00 in New
		// York: the survey waits for their morning.
		{"New York night, Shanghai morning", "America/New_York", at(shanghai, "2026-11-24 11:00"), at(ny, "2026-11-24 08:00")},
		{"Shanghai night, London afternoon", "Europe/London", at(shanghai, "2026-11-24 23:00"), at(shanghai, "2026-11-24 23:00")},
		{"London 07:59 on the morning clocks went back", "Europe/London", at(london, "2026-10-25 07:59"), at(london, "2026-10-25 08:00")},
		{"New York after clocks went forward", "America/New_York", at(ny, "2026-03-08 07:30"), at(ny, "2026-03-08 08:00")},
		{"a zone that is no zone: the business's", "Mars/Olympus", at(shanghai, "2026-11-24 21:30"), at(shanghai, "2026-11-25 08:00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rules.VisitSendTime(inZone(tt.zone), tt.due); !got.Equal(tt.want) {
				t.Errorf("VisitSendTime(%s, %s) = %s, want %s", tt.zone, tt.due.UTC(), got.UTC(), tt.want.UTC())
			}
		})
	}
}
