package ticket

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// fields returns a request for action a that carries what a needs.
func fields(a Action) Request {
	yes := true
	r := Request{Action: a, Actor: "staff:ann", At: at(shanghai, "2026-11-23 11:00")}
	switch a {
	case ActAssign:
		r.Agent = "staff:bob"
	case ActTransfer:
		r.Queue, r.Reason = "complaints", "customer is complaining"
	case ActNote:
		r.Text = "called, no answer"
	case ActReply:
		r.Text = "We are on it."
		r.Sent = &Message{ID: "M1", Direction: Outbound, Channel: SMS, Body: r.Text, At: r.At}
	case ActWait:
		r.On, r.Reason = OnCustomer, "meter reading"
	case ActMerge:
		r.Into = "FD-ZZZZZZ"
	case ActResolve:
		r.Resolution, r.AtFault = "meter replaced", FaultProvider
	case ActReopen:
		r.Reason = "still broken"
	case ActClassify:
		r.Major = &yes
	case ActCallback:
		r.Op = CallbackSchedule
		r.Window = &CallbackRequest{Date: "2026-11-24", From: "10:00", To: "11:00", TimeZone: "Asia/Shanghai"}
	}
	return r
}

func sample(s Status) *Ticket {
	created := at(shanghai, "2026-11-23 09:00")
	t := &Ticket{
		ID: "01JDESK0000000000000000001", Ref: "FD-ABC234", Channel: SMS, Kind: Repair, Priority: P2,
		Status: s, Owner: "field-service", CreatedAt: created, UpdatedAt: created, Version: 3,
	}
	if s != New && s != Reopened {
		t.AckedAt, t.Agent = created.Add(10*time.Minute), "staff:zed"
	}
	if s == Waiting {
		t.Pause = &Pause{Since: created.Add(20 * time.Minute), Reason: PauseWait, On: OnThirdParty, Why: "parts"}
	}
	if s == Resolved || s == Closed {
		t.ResolvedAt = created.Add(time.Hour)
	}
	rules.Clocks(t)
	return t
}

var rules = MustDefaultRules(shanghai)

// want is the status machine as the README's table shows it: the status
// each action leads to from each status, "" where it is not allowed.
var want = map[Action]map[Status]Status{
	ActAcknowledge: {New: Acknowledged, Reopened: Acknowledged},
	ActAssign:      {New: New, Acknowledged: Acknowledged, InProgress: InProgress, Waiting: InProgress, Reopened: Reopened},
	ActTransfer:    {New: New, Acknowledged: New, InProgress: New, Waiting: New, Reopened: New},
	ActNote:        {New: New, Acknowledged: Acknowledged, InProgress: InProgress, Waiting: Waiting, Resolved: Resolved, Closed: Closed, Reopened: Reopened},
	ActReply:       {New: Acknowledged, Acknowledged: InProgress, InProgress: InProgress, Waiting: InProgress, Reopened: Acknowledged},
	ActWait:        {New: Waiting, Acknowledged: Waiting, InProgress: Waiting, Waiting: Waiting, Reopened: Waiting},
	ActMerge:       {New: Closed, Acknowledged: Closed, InProgress: Closed, Waiting: Closed, Reopened: Closed},
	ActResolve:     {New: Resolved, Acknowledged: Resolved, InProgress: Resolved, Waiting: Resolved, Reopened: Resolved},
	ActReopen:      {Resolved: Reopened, Closed: Reopened},
	ActClose:       {Resolved: Closed},
	ActClassify:    {New: New, Acknowledged: Acknowledged, InProgress: InProgress, Waiting: InProgress, Reopened: Reopened},
	ActCallback:    {New: New, Acknowledged: Acknowledged, InProgress: InProgress, Waiting: InProgress, Reopened: Reopened},
}

func TestStatusMachine(t *testing.T) {
	for _, a := range Actions {
		for _, s := range Statuses {
			t.Run(string(a)+" from "+string(s), func(t *testing.T) {
				tk := sample(s)
				req := fields(a)
				exp, allowed := want[a][s]
				var got Status
				var err error
				if a == ActMerge {
					into := sample(Acknowledged)
					into.ID, into.Ref = "01JDESK0000000000000000002", "FD-ZZZZZZ"
					var from Outcome
					from, _, err = rules.Merge(tk, into, req.Actor, req.At)
					if err == nil {
						got = from.Ticket.Status
					}
				} else {
					var o Outcome
					o, err = rules.Decide(tk, req)
					if err == nil {
						got = o.Ticket.Status
						if o.Ticket.Version != tk.Version+1 {
							t.Errorf("version = %d, want %d", o.Ticket.Version, tk.Version+1)
						}
						// A reply's own event is recorded by whoever sent it.
						if len(o.Events) == 0 && a != ActReply {
							t.Error("no history event recorded")
						}
						for _, e := range o.Events {
							if e.Actor != req.Actor || e.At.IsZero() || e.ID == "" {
								t.Errorf("event %+v lacks who or when", e)
							}
						}
					}
				}
				if !allowed {
					var na *NotAllowedError
					if !errors.As(err, &na) {
						t.Fatalf("Decide(%s from %s) = %v, want NotAllowedError", a, s, err)
					}
					if !slices.Equal(na.Allowed, Allowed(s)) || slices.Contains(na.Allowed, a) {
						t.Errorf("allowed = %v, want %v without %s", na.Allowed, Allowed(s), a)
					}
					return
				}
				if err != nil {
					t.Fatalf("Decide(%s from %s) = %v, want %s", a, s, err, exp)
				}
				if got != exp {
					t.Errorf("Decide(%s from %s) status = %s, want %s", a, s, got, exp)
				}
			})
		}
	}
}

func TestDecideLeavesInputAlone(t *testing.T) {
	tk := sample(Waiting)
	before := *tk.Pause
	if _, err := rules.Decide(tk, fields(ActReply)); err != nil {
		t.Fatal(err)
	}
	if tk.Status != Waiting || tk.Pause == nil || *tk.Pause != before || len(tk.Pauses) != 0 {
		t.Errorf("Decide changed its input: %+v", tk)
	}
}

func TestCheckFields(t *testing.T) {
	tk := sample(Acknowledged)
	tests := []struct {
		name string
		req  Request
	}{
		{"unknown action", Request{Action: "delete"}},
		{"assign both", Request{Action: ActAssign, Agent: "a", Queue: "q"}},
		{"assign none", Request{Action: ActAssign}},
		{"transfer without reason", Request{Action: ActTransfer, Queue: "billing"}},
		{"empty note", Request{Action: ActNote, Text: "  "}},
		{"reply too long", Request{Action: ActReply, Text: string(make([]rune, MaxReply+1))}},
		{"wait on nobody", Request{Action: ActWait, Reason: "x"}},
		{"merge into itself", Request{Action: ActMerge, Into: tk.Ref}},
		{"resolve without fault", Request{Action: ActResolve, Resolution: "done"}},
		{"classify nothing", Request{Action: ActClassify}},
		{"classify bad kind", Request{Action: ActClassify, Kind: "spam"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inv *InvalidError
			if err := rules.Check(tk, tt.req); !errors.As(err, &inv) {
				t.Errorf("Check(%+v) = %v, want InvalidError", tt.req, err)
			}
		})
	}
	merged := sample(Closed)
	merged.MergedInto = "FD-ZZZZZZ"
	if err := rules.Check(merged, fields(ActReopen)); !errors.Is(err, ErrMerged) {
		t.Errorf("reopen of a merged ticket = %v, want ErrMerged", err)
	}
}

func TestFirstContactOwnership(t *testing.T) {
	tk := sample(New)
	o, err := rules.Decide(tk, Request{Action: ActAcknowledge, Actor: "staff:ann", At: at(shanghai, "2026-11-23 09:30")})
	if err != nil {
		t.Fatal(err)
	}
	if o.Ticket.Agent != "staff:ann" || o.Ticket.AckedAt.IsZero() {
		t.Fatalf("after acknowledge agent = %q acked %v", o.Ticket.Agent, o.Ticket.AckedAt)
	}
	// Someone else helping (a note, a reply) does not take ownership.
	for _, a := range []Action{ActNote, ActReply, ActWait, ActClassify} {
		req := fields(a)
		req.Actor = "staff:bob"
		o2, err := rules.Decide(o.Ticket, req)
		if err != nil {
			t.Fatal(err)
		}
		if o2.Ticket.Agent != "staff:ann" {
			t.Errorf("%s by another agent moved ownership to %q", a, o2.Ticket.Agent)
		}
	}
	o3, err := rules.Decide(o.Ticket, Request{Action: ActTransfer, Actor: "staff:ann", At: at(shanghai, "2026-11-23 10:00"), Queue: "billing", Reason: "a billing matter"})
	if err != nil {
		t.Fatal(err)
	}
	if o3.Ticket.Owner != "billing" || o3.Ticket.Agent != "" || o3.Ticket.Status != New {
		t.Errorf("after transfer owner=%q agent=%q status=%s", o3.Ticket.Owner, o3.Ticket.Agent, o3.Ticket.Status)
	}
	if _, on := o3.Ticket.AckDue(); on {
		t.Error("a transfer made the first response count again")
	}
}
