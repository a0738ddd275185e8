package dynamo_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

var t0 = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)

func newTicket(at time.Time, phone string) *ticket.Ticket {
	return &ticket.Ticket{
		ID: ticket.NewID(at), Ref: ticket.NewRef(), Channel: ticket.SMS, Kind: ticket.Repair, Priority: ticket.P2,
		Status: ticket.New, Contact: ticket.Contact{Phone: phone}, Owner: "field-service", Summary: "meter",
		CreatedAt: at, UpdatedAt: at, AckBy: at.Add(4 * time.Hour), ResolveBy: at.Add(24 * time.Hour), Version: 1,
		Callback: &ticket.Callback{Start: at.Add(26 * time.Hour), End: at.Add(27 * time.Hour), Zone: "Asia/Shanghai"},
	}
}

func create(tb testing.TB, st *dynamo.Store, t *ticket.Ticket) {
	tb.Helper()
	err := st.Apply(context.Background(), ticket.Change{
		Ticket: t, Create: true,
		Messages: []ticket.Message{{ID: string(ticket.NewID(t.CreatedAt)), Direction: ticket.Inbound, Channel: t.Channel, Body: "meter", At: t.CreatedAt}},
		Events:   []ticket.Event{{ID: string(ticket.NewID(t.CreatedAt)), Type: ticket.EventCreated, At: t.CreatedAt, Actor: "customer"}},
	})
	if err != nil {
		tb.Fatalf("create %s: %v", t.Ref, err)
	}
}

func refs(ds []dynamo.Due) []ticket.Ref {
	var out []ticket.Ref
	for _, d := range ds {
		out = append(out, d.Ref)
	}
	return out
}

func TestDueIndexReadsATimeRange(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	early := newTicket(t0, "+8613800138001")                 // ack due 06:00
	late := newTicket(t0.Add(3*time.Hour), "+8613800138002") // ack due 09:00
	create(t, st, early)
	create(t, st, late)

	tests := []struct {
		name     string
		kind     string
		from, to time.Time
		want     []ticket.Ref
	}{
		{"both acks", dynamo.DueAck, t0, t0.Add(12 * time.Hour), []ticket.Ref{early.Ref, late.Ref}},
		{"to is exclusive", dynamo.DueAck, t0, t0.Add(4 * time.Hour), nil},
		{"from is inclusive", dynamo.DueAck, t0.Add(4 * time.Hour), t0.Add(5 * time.Hour), []ticket.Ref{early.Ref}},
		{"only the later", dynamo.DueAck, t0.Add(5 * time.Hour), t0.Add(48 * time.Hour), []ticket.Ref{late.Ref}},
		{"callbacks only in their own buckets", dynamo.DueCallback, t0, t0.Add(27 * time.Hour), []ticket.Ref{early.Ref}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := st.DueBetween(ctx, tt.kind, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if g := refs(got); len(g) != len(tt.want) || (len(g) > 0 && (g[0] != tt.want[0] || g[len(g)-1] != tt.want[len(tt.want)-1])) {
				t.Errorf("DueBetween(%s, %v, %v) = %v, want %v", tt.kind, tt.from, tt.to, g, tt.want)
			}
		})
	}

	// Acknowledging removes the ack entry and keeps the others.
	prev := *early
	acked := *early
	acked.Status, acked.Version = ticket.Acknowledged, 2
	if err := st.Apply(ctx, ticket.Change{Ticket: &acked, Prev: &prev, PrevVersion: 1,
		Events: []ticket.Event{{ID: string(ticket.NewID(t0)), Type: ticket.EventAcknowledged, At: t0.Add(time.Hour), Actor: "agent"}}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.DueBetween(ctx, dynamo.DueAck, t0, t0.Add(12*time.Hour)); len(got) != 1 || got[0].Ref != late.Ref {
		t.Errorf("after acknowledging, ack entries = %v, want only %s", refs(got), late.Ref)
	}
	if got, _ := st.DueBetween(ctx, dynamo.DueResolve, t0, t0.Add(48*time.Hour)); len(got) != 2 {
		t.Errorf("resolve entries = %v, want both tickets", refs(got))
	}
	// A stale version is refused.
	if err := st.Apply(ctx, ticket.Change{Ticket: &acked, PrevVersion: 1}); !errors.Is(err, ticket.ErrConflict) {
		t.Errorf("Apply at a stale version = %v, want ErrConflict", err)
	}
}

func TestLookups(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	tk := newTicket(t0, "+8613800138003")
	create(t, st, tk)
	if id, err := st.ByRef(ctx, tk.Ref); err != nil || id != tk.ID {
		t.Errorf("ByRef = %s, %v; want %s", id, err, tk.ID)
	}
	if _, err := st.ByRef(ctx, "FD-ZZZZZZ"); !errors.Is(err, ticket.ErrNotFound) {
		t.Errorf("ByRef(unknown) = %v, want ErrNotFound", err)
	}
	next := *tk
	next.Version = 2
	sent := ticket.Message{ID: string(ticket.NewID(t0)), Direction: ticket.Outbound, Channel: ticket.SMS, Body: "ack", At: t0, SourceID: "sns-msg-123"}
	if err := st.Apply(ctx, ticket.Change{Ticket: &next, Prev: tk, PrevVersion: 1, Messages: []ticket.Message{sent}}); err != nil {
		t.Fatal(err)
	}
	if id, err := st.BySent(ctx, ticket.SMS, "sns-msg-123"); err != nil || id != tk.ID {
		t.Errorf("BySent = %s, %v; want %s", id, err, tk.ID)
	}
	got, err := st.OpenForContact(ctx, ticket.Contact{Phone: "+8613800138003"}, t0.Add(-time.Hour))
	if err != nil || got.ID != tk.ID {
		t.Errorf("OpenForContact = %v, %v; want %s", got, err, tk.Ref)
	}
	if _, err := st.OpenForContact(ctx, ticket.Contact{Phone: "+8613800138003"}, t0.Add(time.Hour)); !errors.Is(err, ticket.ErrNotFound) {
		t.Errorf("OpenForContact after the last update = %v, want ErrNotFound", err)
	}
	// A resolved ticket leaves the contact index.
	done := next
	done.Status, done.Version = ticket.Resolved, 3
	if err := st.Apply(ctx, ticket.Change{Ticket: &done, Prev: &next, PrevVersion: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.OpenForContact(ctx, ticket.Contact{Phone: "+8613800138003"}, t0.Add(-time.Hour)); !errors.Is(err, ticket.ErrNotFound) {
		t.Errorf("OpenForContact for a resolved ticket = %v, want ErrNotFound", err)
	}
}

func TestQuarantine(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	q := ticket.Quarantined{Channel: ticket.SMS, ID: "in-1", Reason: "empty body", Payload: []byte(`{"messageBody":""}`)}
	for range 2 {
		if err := st.Quarantine(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	list, err := st.Quarantined(ctx, ticket.SMS, false)
	if err != nil || len(list) != 1 || list[0].Reason != "empty body" || string(list[0].Payload) != `{"messageBody":""}` {
		t.Fatalf("Quarantined = %+v, %v; want the one record", list, err)
	}
	if err := st.MarkReplayed(ctx, ticket.SMS, "in-1", t0); err != nil {
		t.Fatal(err)
	}
	if list, _ := st.Quarantined(ctx, ticket.SMS, false); len(list) != 0 {
		t.Errorf("after replay, %d records still wait", len(list))
	}
	if list, _ := st.Quarantined(ctx, ticket.SMS, true); len(list) != 1 || list[0].Replayed.IsZero() {
		t.Errorf("all records = %+v, want one marked replayed", list)
	}
	if err := st.MarkReplayed(ctx, ticket.SMS, "nope", t0); err == nil {
		t.Error("MarkReplayed of an unknown record succeeded")
	}
}

// TestLimitTakeover: a counter held by a finished ticket is taken over by
// a change naming that ticket; of several racing to do so exactly one
// wins, and the others learn which.
func TestLimitTakeover(t *testing.T) {
	st, _ := testenv.Table(t)
	st.Now = func() time.Time { return t0 }
	ctx := context.Background()
	limit := ticket.RateLimit{Key: "takeover-test", Max: 1, Window: 10 * time.Minute}
	apply := func(tk *ticket.Ticket, l ticket.RateLimit) error {
		return st.Apply(ctx, ticket.Change{Ticket: tk, Create: true, Limits: []ticket.RateLimit{l}})
	}
	old := newTicket(t0, "+8613800138004")
	if err := apply(old, limit); err != nil {
		t.Fatal(err)
	}
	var lim *ticket.LimitError
	if err := apply(newTicket(t0, "+8613800138004"), limit); !errors.As(err, &lim) || lim.Holder != old.ID {
		t.Fatalf("Apply over the limit = %v, want a LimitError held by %s", err, old.ID)
	}
	if err := apply(newTicket(t0, "+8613800138004"), ticket.RateLimit{Key: limit.Key, Max: 1, Window: limit.Window, Takeover: "01OTHERTICKET"}); !errors.As(err, &lim) {
		t.Fatalf("Apply taking over from another ticket = %v, want a LimitError", err)
	}

	const n = 4
	racers := make([]*ticket.Ticket, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		racers[i] = newTicket(t0, "+8613800138004")
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := limit
			l.Takeover = old.ID
			errs[i] = apply(racers[i], l)
		}()
	}
	wg.Wait()
	var winner ticket.ID
	for i, err := range errs {
		if err == nil {
			if winner != "" {
				t.Fatalf("%s and %s both took the counter over", winner, racers[i].ID)
			}
			winner = racers[i].ID
		}
	}
	if winner == "" {
		t.Fatalf("no change took the counter over: %v", errs)
	}
	for i, err := range errs {
		if err != nil && (!errors.As(err, &lim) || lim.Holder != winner) {
			t.Errorf("racer %d = %v, want a LimitError held by the winner %s", i, err, winner)
		}
	}
}
