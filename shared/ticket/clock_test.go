package ticket

import (
	"testing"
	"time"
)

func TestCalendarBetween(t *testing.T) {
	cal := DefaultCalendar(shanghai)
	cal.Holidays["2026-10-01"] = true
	tests := []struct {
		name string
		a, b time.Time
		want time.Duration
	}{
		{"inside one day", at(shanghai, "2026-11-23 10:00"), at(shanghai, "2026-11-23 14:00"), 4 * time.Hour},
		{"overnight", at(shanghai, "2026-11-23 16:30"), at(shanghai, "2026-11-24 11:30"), 4 * time.Hour},
		{"weekend", at(shanghai, "2026-11-27 16:30"), at(shanghai, "2026-11-30 11:30"), 4 * time.Hour},
		{"all closed", at(shanghai, "2026-11-28 10:00"), at(shanghai, "2026-11-29 20:00"), 0},
		{"holiday", at(shanghai, "2026-09-30 17:00"), at(shanghai, "2026-10-02 09:00"), time.Hour},
		{"backwards", at(shanghai, "2026-11-23 14:00"), at(shanghai, "2026-11-23 10:00"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cal.Between(tt.a, tt.b); got != tt.want {
				t.Errorf("Between(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
			if tt.want > 0 {
				if got := cal.Add(tt.a, tt.want); !got.Equal(tt.b) {
					t.Errorf("Add(%v, Between) = %v, want %v", tt.a, got, tt.b)
				}
			}
		})
	}
}

// decide applies a request and fails the test on error.
func decide(t *testing.T, tk *Ticket, req Request) *Ticket {
	t.Helper()
	o, err := rules.Decide(tk, req)
	if err != nil {
		t.Fatalf("Decide(%s) = %v", req.Action, err)
	}
	return o.Ticket
}

func complaint(created time.Time) *Ticket {
	tk := &Ticket{ID: "01JDESK0000000000000000003", Ref: "FD-CCC234", Channel: Email, Kind: Complaint, Priority: P2,
		Status: New, Owner: "complaints", CreatedAt: created, UpdatedAt: created, Version: 1}
	rules.Clocks(tk)
	return tk
}

// The clock bugs helpdesks' users keep reporting, one test each.
func TestPauseKeptWhenReclassified(t *testing.T) {
	// Monday 09:00: a complaint, 3 business days to resolve: Thursday 09:00.
	tk := complaint(at(shanghai, "2026-11-23 09:00"))
	if want := at(shanghai, "2026-11-26 09:00"); !tk.ResolveBy.Equal(want) {
		t.Fatalf("resolve by %v, want %v", tk.ResolveBy.In(shanghai), want)
	}
	tk = decide(t, tk, Request{Action: ActAcknowledge, Actor: "staff:ann", At: at(shanghai, "2026-11-23 09:10")})
	tk = decide(t, tk, Request{Action: ActWait, Actor: "staff:ann", At: at(shanghai, "2026-11-23 10:00"), On: OnThirdParty, Reason: "parts"})
	if _, on := tk.ResolveDue(); on {
		t.Fatal("resolve clock runs while waiting")
	}
	// Waiting from Monday 10:00 to Tuesday 10:00: nine business hours.
	tk = decide(t, tk, Request{Action: ActNote, Actor: "staff:ann", At: at(shanghai, "2026-11-23 15:00"), Text: "parts ordered"})
	if tk.Status != Waiting {
		t.Fatalf("a note ended the wait: %s", tk.Status)
	}
	tk = decide(t, tk, Request{Action: ActAssign, Actor: "staff:sue", At: at(shanghai, "2026-11-24 10:00"), Agent: "staff:bob"})
	want := at(shanghai, "2026-11-27 09:00")
	if at, on := tk.ResolveDue(); !on || !at.Equal(want) {
		t.Fatalf("after the wait resolve by %v (%v), want %v", at.In(shanghai), on, want)
	}
	// Reclassified to a repair (24 h, wall time) then back: the nine
	// business hours (24 wall hours) paused stay counted each time.
	tk = decide(t, tk, Request{Action: ActClassify, Actor: "staff:sue", At: at(shanghai, "2026-11-24 11:00"), Kind: Repair})
	if want := at(shanghai, "2026-11-25 09:00"); !tk.ResolveBy.Equal(want) {
		t.Errorf("as a repair resolve by %v, want %v", tk.ResolveBy.In(shanghai), want)
	}
	tk = decide(t, tk, Request{Action: ActClassify, Actor: "staff:sue", At: at(shanghai, "2026-11-24 11:05"), Kind: Complaint})
	if !tk.ResolveBy.Equal(want) {
		t.Errorf("back as a complaint resolve by %v, want %v", tk.ResolveBy.In(shanghai), want)
	}
}

func TestReplyWithWaitIsFirstResponse(t *testing.T) {
	tk := complaint(at(shanghai, "2026-11-23 09:00"))
	reply := &Message{ID: "M1", Direction: Outbound, Channel: Email, Body: "Could you send the meter number?"}
	tk = decide(t, tk, Request{Action: ActWait, Actor: "staff:ann", At: at(shanghai, "2026-11-23 09:30"),
		On: OnCustomer, Reason: "meter number", Text: reply.Body, Sent: reply})
	if tk.AckedAt.IsZero() || tk.Agent != "staff:ann" {
		t.Errorf("reply + wait: acked %v agent %q, want the first response recorded", tk.AckedAt, tk.Agent)
	}
	if _, on := tk.AckDue(); on {
		t.Error("ack limit still due after a reply sent with wait")
	}
	if len(tk.Breaches(at(shanghai, "2026-12-30 09:00"))) != 0 {
		t.Error("a waiting ticket breached")
	}
}

func TestNoEscalationAfterAnswer(t *testing.T) {
	tk := complaint(at(shanghai, "2026-11-23 09:00"))
	l := Ladder{ManagerAfter: 2 * time.Hour}
	// The ack limit (13:00) passes: one breach, supervisor told.
	late := at(shanghai, "2026-11-23 13:05")
	tk2, ev := l.Escalate(tk, late, "frontdesk:sweep")
	if len(ev) != 2 || ev[0].Type != EventBreached || ev[1].Type != EventEscalated || tk2.EscalationLevel != 1 {
		t.Fatalf("Escalate at ack breach = %v level %d, want breach + level 1", ev, tk2.EscalationLevel)
	}
	if want := at(shanghai, "2026-11-23 15:00"); !tk2.EscalateAt.Equal(want) {
		t.Errorf("next escalation at %v, want %v", tk2.EscalateAt.In(shanghai), want)
	}
	// Run again: nothing new.
	if _, again := l.Escalate(tk2, late.Add(time.Minute), "frontdesk:sweep"); len(again) != 0 {
		t.Errorf("second run escalated again: %v", again)
	}
	// The agent answers at 13:30; at 15:00 the manager is not told.
	reply := &Message{ID: "M2", Direction: Outbound, Channel: Email}
	tk3 := decide(t, tk2, Request{Action: ActReply, Actor: "staff:ann", At: at(shanghai, "2026-11-23 13:30"), Text: "sorry", Sent: reply})
	if !tk3.EscalateAt.IsZero() {
		t.Errorf("escalation still due at %v after the answer", tk3.EscalateAt)
	}
	if _, ev := l.Escalate(tk3, at(shanghai, "2026-11-30 15:00"), "frontdesk:sweep"); len(ev) != 0 {
		t.Errorf("escalated after the agent answered (last word staff's): %v", ev)
	}
	// Without the answer, the manager is told once at 15:00.
	tk4, ev := l.Escalate(tk2, at(shanghai, "2026-11-23 15:00"), "frontdesk:sweep")
	if len(ev) != 1 || tk4.EscalationLevel != 2 || !tk4.EscalateAt.IsZero() {
		t.Errorf("manager step = %v level %d next %v", ev, tk4.EscalationLevel, tk4.EscalateAt)
	}
	if _, ev := l.Escalate(tk4, at(shanghai, "2026-11-23 18:00"), "frontdesk:sweep"); len(ev) != 0 {
		t.Errorf("manager told twice: %v", ev)
	}
}

func TestCustomerAnswerResumesClock(t *testing.T) {
	tk := complaint(at(shanghai, "2026-11-23 09:00"))
	reply := &Message{ID: "M3", Direction: Outbound, Channel: Email}
	tk = decide(t, tk, Request{Action: ActReply, Actor: "staff:ann", At: at(shanghai, "2026-11-23 10:00"), Text: "?", Sent: reply})
	if tk.Pause == nil || tk.Pause.Reason != PauseReply {
		t.Fatalf("after a reply pause = %+v, want the clock waiting for the customer", tk.Pause)
	}
	if !rules.CustomerWrote(tk, at(shanghai, "2026-11-23 12:00")) {
		t.Fatal("customer's answer did not resume the clock")
	}
	if want := at(shanghai, "2026-11-26 11:00"); !tk.ResolveBy.Equal(want) {
		t.Errorf("resolve by %v, want %v (two hours later)", tk.ResolveBy.In(shanghai), want)
	}
}

func TestWaitStep(t *testing.T) {
	tk := complaint(at(shanghai, "2026-11-23 09:00"))
	tk = decide(t, tk, Request{Action: ActWait, Actor: "staff:ann", At: at(shanghai, "2026-11-23 10:00"), On: OnCustomer, Reason: "photo",
		Text: "Please send a photo", Sent: &Message{ID: "M4"}})
	due, on := tk.WaitDue()
	if want := at(shanghai, "2026-11-26 10:00"); !on || !due.Equal(want) {
		t.Fatalf("wait due %v %v, want %v", due.In(shanghai), on, want)
	}
	if _, ev, _ := rules.WaitStep(tk, due.Add(-time.Minute), "frontdesk:sweep"); len(ev) != 0 {
		t.Errorf("stepped early: %v", ev)
	}
	tk2, ev, remind := rules.WaitStep(tk, due, "frontdesk:sweep")
	if !remind || len(ev) != 1 || tk2.Status != Waiting {
		t.Fatalf("first step = %v remind %v status %s, want the reminder", ev, remind, tk2.Status)
	}
	if _, ev, _ := rules.WaitStep(tk2, due.Add(time.Hour), "frontdesk:sweep"); len(ev) != 0 {
		t.Errorf("reminded twice: %v", ev)
	}
	due2, _ := tk2.WaitDue()
	tk3, ev, remind := rules.WaitStep(tk2, due2, "frontdesk:sweep")
	if remind || len(ev) != 1 || tk3.Status != Resolved || tk3.Resolution == "" {
		t.Errorf("second step = %v remind %v status %s, want resolved", ev, remind, tk3.Status)
	}
}

func TestFollowUpRaises(t *testing.T) {
	created := at(shanghai, "2026-11-23 09:00")
	tk := &Ticket{ID: "01JDESK0000000000000000004", Ref: "FD-BBB234", Kind: Billing, Priority: P3, Status: Acknowledged,
		Owner: "billing", Agent: "staff:ann", CreatedAt: created, UpdatedAt: created, AckedAt: created}
	rules.Clocks(tk)
	if _, up := rules.FollowUp(tk, "and the bill is wrong again", created.Add(time.Hour), "customer"); up {
		t.Fatal("an ordinary follow-up raised the ticket")
	}
	e, up := rules.FollowUp(tk, "现在家里燃气泄漏了", created.Add(time.Hour), "customer")
	if !up || tk.Priority != P1 || tk.Owner != "emergency-desk" || e.Type != EventRaised {
		t.Fatalf("FollowUp(燃气泄漏) = %v %v: priority %s owner %s", e, up, tk.Priority, tk.Owner)
	}
	if want := created.Add(time.Hour + 15*time.Minute); !tk.AckBy.Equal(want) {
		t.Errorf("ack by %v, want emergency limit %v", tk.AckBy, want)
	}
	if !Pages(e, *tk) {
		t.Error("raise to P1 does not page")
	}
	ack := Event{Type: EventReplySent, Actor: "frontdesk"}
	if Pages(ack, *tk) {
		t.Error("the acknowledgement to the customer pages again")
	}
	if _, up := rules.FollowUp(tk, "燃气泄漏", created.Add(2*time.Hour), "customer"); up {
		t.Error("raised a P1 again")
	}
}

func TestCount(t *testing.T) {
	created := at(shanghai, "2026-11-23 23:30") // 15:30 UTC: the local date is the 23rd
	tk := complaint(created)
	got := Count(nil, tk, shanghai)
	want := map[string]int{"2026-11-23 contacts.email": 1, "2026-11-23 kind.complaint": 1, "2026-11-23 openDelta": 1}
	check := func(name string, got []Tally, want map[string]int) {
		t.Helper()
		m := map[string]int{}
		for _, g := range got {
			m[g.Day+" "+g.Counter] += g.N
		}
		if len(m) != len(want) {
			t.Errorf("%s: Count = %v, want %v", name, m, want)
		}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("%s: Count[%s] = %d, want %d (all %v)", name, k, m[k], v, m)
			}
		}
	}
	check("create", got, want)
	acked := decide(t, tk, Request{Action: ActAcknowledge, Actor: "staff:ann", At: at(shanghai, "2026-11-24 09:00")})
	check("ack in limit", Count(tk, acked, shanghai), map[string]int{"2026-11-24 acked": 1, "2026-11-24 ackedInLimit": 1})
	late := decide(t, tk, Request{Action: ActAcknowledge, Actor: "staff:ann", At: at(shanghai, "2026-11-25 09:00")})
	check("ack late", Count(tk, late, shanghai), map[string]int{"2026-11-25 acked": 1})
	res := decide(t, acked, Request{Action: ActResolve, Actor: "staff:ann", At: at(shanghai, "2026-11-25 10:00"), Resolution: "fixed", AtFault: FaultProvider})
	check("resolve", Count(acked, res, shanghai), map[string]int{"2026-11-25 openDelta": -1, "2026-11-25 resolved": 1, "2026-11-25 resolvedInLimit": 1})
	esc, _ := Ladder{}.Escalate(tk, at(shanghai, "2026-11-24 13:00"), "frontdesk:sweep")
	check("escalate", Count(tk, esc, shanghai), map[string]int{"2026-11-24 escalations.1": 1})
}

func TestCountFollowUps(t *testing.T) {
	day := at(shanghai, "2026-11-24 10:00")
	base := complaint(day.Add(-24 * time.Hour))
	with := func(f func(t *Ticket)) *Ticket {
		n := base.Clone()
		n.UpdatedAt = day
		f(n)
		return n
	}
	booked := with(func(t *Ticket) {
		t.Callback = &Callback{Start: day, End: day.Add(30 * time.Minute), Zone: "Asia/Shanghai"}
	})
	sent := with(func(t *Ticket) { t.Visit = &Visit{Status: VisitSent, SentAt: day} })
	tests := []struct {
		name       string
		prev, next *Ticket
		want       map[string]int
	}{
		{"callback done", booked, with(func(t *Ticket) { t.Callback = &Callback{Status: CallbackCompleted, Outcome: CallbackDone} }),
			map[string]int{"2026-11-24 callbacks.done": 1}},
		{"done again is not counted", with(func(t *Ticket) { t.Callback = &Callback{Status: CallbackCompleted} }),
			with(func(t *Ticket) { t.Callback = &Callback{Status: CallbackCompleted} }), map[string]int{}},
		{"missed on the day found", booked, with(func(t *Ticket) {
			t.Callback = &Callback{Start: day, End: day.Add(30 * time.Minute), Missed: at(shanghai, "2026-11-25 00:10")}
		}), map[string]int{"2026-11-25 callbacks.missed": 1}},
		{"survey sent", with(func(t *Ticket) { t.Visit = &Visit{Status: VisitDue} }), sent, map[string]int{"2026-11-24 visits.sent": 1}},
		{"not visitable", with(func(t *Ticket) { t.Visit = &Visit{Status: VisitDue} }),
			with(func(t *Ticket) { t.Visit = &Visit{Status: VisitNotVisitable} }), map[string]int{"2026-11-24 visits.notVisitable": 1}},
		{"recently surveyed", with(func(t *Ticket) { t.Visit = &Visit{Status: VisitDue} }),
			with(func(t *Ticket) { t.Visit = &Visit{Status: VisitRecent} }), map[string]int{"2026-11-24 visits.recentlySurveyed": 1}},
		{"answered 4", sent, with(func(t *Ticket) { t.Visit = &Visit{Status: VisitAnswered, SentAt: day, Score: 4, AnsweredAt: day} }),
			map[string]int{"2026-11-24 visits.answered": 1, "2026-11-24 visits.satisfied": 1}},
		{"answered 3", sent, with(func(t *Ticket) { t.Visit = &Visit{Status: VisitAnswered, SentAt: day, Score: 3, AnsweredAt: day} }),
			map[string]int{"2026-11-24 visits.answered": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := map[string]int{}
			for _, g := range Count(tt.prev, tt.next, shanghai) {
				m[g.Day+" "+g.Counter] += g.N
			}
			if len(m) != len(tt.want) {
				t.Errorf("Count = %v, want %v", m, tt.want)
			}
			for k, v := range tt.want {
				if m[k] != v {
					t.Errorf("Count[%s] = %d, want %d (all %v)", k, m[k], v, m)
				}
			}
		})
	}
}
