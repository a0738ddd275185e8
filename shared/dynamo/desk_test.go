package dynamo_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

var (
	shanghai, _ = time.LoadLocation("Asia/Shanghai")
	deskRules   = ticket.MustDefaultRules(shanghai)
)

// opened makes a ticket of kind k opened at at, with its limits set.
func opened(k ticket.Kind, p ticket.Priority, at time.Time) *ticket.Ticket {
	t := newTicket(at, "+8613800138000")
	t.Kind, t.Priority, t.Callback = k, p, nil
	t.Owner = deskRules.Rule(k).Queue
	deskRules.Clocks(t)
	return t
}

// act applies a staff action through the store, as the desk does.
func act(tb testing.TB, st *dynamo.Store, t *ticket.Ticket, req ticket.Request) *ticket.Ticket {
	tb.Helper()
	o, err := deskRules.Decide(t, req)
	if err != nil {
		tb.Fatalf("decide %s: %v", req.Action, err)
	}
	if err := st.Apply(context.Background(), ticket.Change{Ticket: o.Ticket, PrevVersion: t.Version, Prev: t, Events: o.Events, Messages: o.Messages}); err != nil {
		tb.Fatalf("apply %s: %v", req.Action, err)
	}
	return o.Ticket
}

func deskRefs(p dynamo.DeskPage) []ticket.Ref {
	var out []ticket.Ref
	for _, t := range p.Tickets {
		out = append(out, t.Ref)
	}
	return out
}

func TestDeskListsMostUrgentFirst(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	mon := time.Date(2026, 11, 23, 9, 0, 0, 0, shanghai)
	// Complaints (P2, ack 4bh) opened 09:00 and 10:00, and one raised to
	// P1; an inquiry routed elsewhere must not show.
	a := opened(ticket.Complaint, ticket.P2, mon.Add(time.Hour))
	b := opened(ticket.Complaint, ticket.P2, mon)
	c := opened(ticket.Complaint, ticket.P1, mon.Add(2*time.Hour))
	c.Owner = "complaints"
	other := opened(ticket.Inquiry, ticket.P3, mon)
	for _, tk := range []*ticket.Ticket{a, b, c, other} {
		create(t, st, tk)
	}
	now := mon.Add(4*time.Hour + 30*time.Minute) // 13:30: b's ack limit (13:00) passed, a's (14:00) not
	list := func(q dynamo.DeskQuery) dynamo.DeskPage {
		t.Helper()
		q.Now = now
		p, err := st.Desk(ctx, q)
		if err != nil {
			t.Fatalf("Desk(%+v) = %v", q, err)
		}
		return p
	}
	yes, no := true, false
	tests := []struct {
		name string
		q    dynamo.DeskQuery
		want []ticket.Ref
	}{
		{"priority then nearest limit", dynamo.DeskQuery{Queues: []string{"complaints"}}, []ticket.Ref{c.Ref, b.Ref, a.Ref}},
		{"one priority", dynamo.DeskQuery{Queues: []string{"complaints"}, Priority: ticket.P2}, []ticket.Ref{b.Ref, a.Ref}},
		{"breached", dynamo.DeskQuery{Queues: []string{"complaints"}, Breached: &yes}, []ticket.Ref{c.Ref, b.Ref}},
		{"not breached", dynamo.DeskQuery{Queues: []string{"complaints"}, Breached: &no}, []ticket.Ref{a.Ref}},
		{"two queues merged", dynamo.DeskQuery{Queues: []string{"complaints", "customer-service"}}, []ticket.Ref{c.Ref, b.Ref, a.Ref, other.Ref}},
		{"by kind", dynamo.DeskQuery{Queues: []string{"complaints", "customer-service"}, Kind: ticket.Inquiry}, []ticket.Ref{other.Ref}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := deskRefs(list(tt.q)); !slices.Equal(got, tt.want) {
				t.Errorf("Desk = %v, want %v", got, tt.want)
			}
		})
	}

	// Pages of one follow on with the cursor, in the same order.
	var got []ticket.Ref
	q := dynamo.DeskQuery{Queues: []string{"complaints", "customer-service"}, Limit: 1}
	for i := 0; i < 10; i++ {
		p := list(q)
		got = append(got, deskRefs(p)...)
		if p.Cursor == "" {
			break
		}
		q.Cursor = p.Cursor
	}
	if want := []ticket.Ref{c.Ref, b.Ref, a.Ref, other.Ref}; !slices.Equal(got, want) {
		t.Errorf("paged listing = %v, want %v", got, want)
	}
	if _, err := st.Desk(ctx, dynamo.DeskQuery{Queues: []string{"complaints"}, Cursor: "%%%"}); !errors.Is(err, dynamo.ErrCursor) {
		t.Errorf("bad cursor = %v, want ErrCursor", err)
	}

	// The agent who acknowledges finds the ticket under their name; once
	// resolved it moves to the queue's finished list.
	b2 := act(t, st, b, ticket.Request{Action: ticket.ActAcknowledge, Actor: "staff:ann", At: now})
	if got := deskRefs(list(dynamodb_agent("staff:ann"))); !slices.Equal(got, []ticket.Ref{b.Ref}) {
		t.Errorf("agent's list = %v, want %v", got, b.Ref)
	}
	act(t, st, b2, ticket.Request{Action: ticket.ActResolve, Actor: "staff:ann", At: now.Add(time.Minute), Resolution: "apologised", AtFault: ticket.FaultProvider})
	if got := deskRefs(list(dynamo.DeskQuery{Queues: []string{"complaints"}, Done: true})); !slices.Equal(got, []ticket.Ref{b.Ref}) {
		t.Errorf("finished list = %v, want %v", got, b.Ref)
	}
	if got := deskRefs(list(dynamodb_agent("staff:ann"))); len(got) != 0 {
		t.Errorf("agent's open list after resolving = %v, want none", got)
	}

	qs, err := st.Queue(ctx, "complaints", now)
	if err != nil {
		t.Fatal(err)
	}
	// a: new, due 14:00 (within the hour); c: P1 new, breached (ack 11:15).
	if want := (dynamo.QueueStats{Queue: "complaints", Open: 2, New: 2, Breached: 1, DueInHour: 1}); qs != want {
		t.Errorf("Queue = %+v, want %+v", qs, want)
	}
}

func dynamodb_agent(subject string) dynamo.DeskQuery { return dynamo.DeskQuery{Agent: subject} }

func TestWaitMovesResolveEntry(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	mon := time.Date(2026, 11, 23, 9, 0, 0, 0, shanghai)
	tk := opened(ticket.Complaint, ticket.P2, mon)
	create(t, st, tk)
	due := func() []ticket.Ref {
		t.Helper()
		ds, err := st.DueBetween(ctx, dynamo.DueResolve, mon, mon.AddDate(0, 0, 14))
		if err != nil {
			t.Fatal(err)
		}
		return refs(ds)
	}
	if got := due(); len(got) != 1 {
		t.Fatalf("resolve entries = %v, want the ticket's", got)
	}
	tk = act(t, st, tk, ticket.Request{Action: ticket.ActAcknowledge, Actor: "staff:ann", At: mon.Add(time.Minute)})
	tk = act(t, st, tk, ticket.Request{Action: ticket.ActWait, Actor: "staff:ann", At: mon.Add(time.Hour), On: ticket.OnThirdParty, Reason: "parts"})
	if got := due(); len(got) != 0 {
		t.Fatalf("resolve entries while waiting = %v, want none", got)
	}
	act(t, st, tk, ticket.Request{Action: ticket.ActAssign, Actor: "staff:ann", At: mon.Add(3 * time.Hour), Agent: "staff:bob"})
	ds, err := st.DueBetween(ctx, dynamo.DueResolve, mon, mon.AddDate(0, 0, 14))
	if err != nil || len(ds) != 1 {
		t.Fatalf("resolve entries after the wait = %v, %v", ds, err)
	}
	if want := time.Date(2026, 11, 26, 11, 0, 0, 0, shanghai); !ds[0].At.Equal(want) {
		t.Errorf("resolve entry at %v, want %v (moved by two hours)", ds[0].At.In(shanghai), want)
	}
}

func TestAnswers(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	if _, err := st.Answer(ctx, "k1"); !errors.Is(err, ticket.ErrNotFound) {
		t.Fatalf("Answer(unknown) = %v, want ErrNotFound", err)
	}
	if err := st.ClaimAnswer(ctx, "k1", "tok"); err != nil {
		t.Fatal(err)
	}
	if err := st.ClaimAnswer(ctx, "k1", "tok2"); !errors.Is(err, ticket.ErrAnswered) {
		t.Errorf("second claim = %v, want ErrAnswered", err)
	}
	if a, err := st.Answer(ctx, "k1"); err != nil || a.Status != 0 {
		t.Errorf("Answer(held) = %+v, %v, want held without answer", a, err)
	}
	tk := newTicket(t0, "+8613800138009")
	create(t, st, tk)
	next := *tk
	next.Version++
	err := st.Apply(ctx, ticket.Change{Ticket: &next, PrevVersion: tk.Version, Request: &ticket.Answer{Key: "k1", Token: "other", Status: 200, Body: []byte("{}")}})
	if !errors.Is(err, ticket.ErrAnswered) {
		t.Errorf("answer with another's token = %v, want ErrAnswered", err)
	}
	if err := st.Apply(ctx, ticket.Change{Ticket: &next, PrevVersion: tk.Version, Request: &ticket.Answer{Key: "k1", Token: "tok", Status: 200, Body: []byte(`{"ok":1}`)}}); err != nil {
		t.Fatal(err)
	}
	if a, err := st.Answer(ctx, "k1"); err != nil || a.Status != 200 || string(a.Body) != `{"ok":1}` {
		t.Errorf("Answer = %+v, %v", a, err)
	}
	if err := st.ReleaseAnswer(ctx, "k1", "tok"); err != nil {
		t.Fatal(err)
	}
	if a, err := st.Answer(ctx, "k1"); err != nil || a.Status != 200 {
		t.Errorf("release took back an answered key: %+v, %v", a, err)
	}
	if err := st.ClaimAnswer(ctx, "k2", "t"); err != nil {
		t.Fatal(err)
	}
	if err := st.ReleaseAnswer(ctx, "k2", "t"); err != nil {
		t.Fatal(err)
	}
	if err := st.ClaimAnswer(ctx, "k2", "t2"); err != nil {
		t.Errorf("claim after release = %v", err)
	}
}

func TestDailyReport(t *testing.T) {
	st, _ := testenv.Table(t)
	st.Zone = shanghai
	ctx := context.Background()
	mon := time.Date(2026, 11, 23, 9, 0, 0, 0, shanghai)
	st.Now = func() time.Time { return mon.Add(48 * time.Hour) }
	a := opened(ticket.Complaint, ticket.P2, mon)
	b := opened(ticket.Repair, ticket.P2, mon.Add(time.Hour))
	b.Channel = ticket.Email
	c := opened(ticket.Inquiry, ticket.P3, mon.Add(25*time.Hour)) // Tuesday
	for _, tk := range []*ticket.Ticket{a, b, c} {
		create(t, st, tk)
	}
	a = act(t, st, a, ticket.Request{Action: ticket.ActAcknowledge, Actor: "staff:ann", At: mon.Add(time.Hour)})
	act(t, st, b, ticket.Request{Action: ticket.ActAcknowledge, Actor: "staff:ann", At: mon.Add(6 * time.Hour)}) // after 14:00
	act(t, st, a, ticket.Request{Action: ticket.ActResolve, Actor: "staff:ann", At: mon.Add(2 * time.Hour), Resolution: "ok", AtFault: ticket.FaultNobody})

	r, err := st.Report(ctx, "2026-11-23")
	if err != nil {
		t.Fatal(err)
	}
	if r.Contacts["sms"] != 1 || r.Contacts["email"] != 1 || r.Kinds["complaint"] != 1 || r.Kinds["repair"] != 1 {
		t.Errorf("contacts = %v kinds = %v", r.Contacts, r.Kinds)
	}
	if r.Acked != 2 || r.AckedIn != 1 || r.AckedPct == nil || *r.AckedPct != 50 {
		t.Errorf("acked %d in limit %d (%v%%), want 2, 1, 50%%", r.Acked, r.AckedIn, r.AckedPct)
	}
	if r.Resolved != 1 || r.ResolvedIn != 1 {
		t.Errorf("resolved %d in limit %d, want 1, 1", r.Resolved, r.ResolvedIn)
	}
	// Monday ends with b open (a resolved); c opens on Tuesday.
	if r.OpenAtEnd != 1 {
		t.Errorf("open at end of Monday = %d, want 1", r.OpenAtEnd)
	}
	if r2, err := st.Report(ctx, "2026-11-24"); err != nil || r2.OpenAtEnd != 2 || r2.Kinds["inquiry"] != 1 {
		t.Errorf("Tuesday = %+v, %v, want 2 open and the inquiry", r2, err)
	}
}
