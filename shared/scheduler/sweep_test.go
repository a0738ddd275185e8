package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/scheduler"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

var (
	shanghai, _ = time.LoadLocation("Asia/Shanghai")
	monday9     = time.Date(2026, 11, 23, 9, 0, 0, 0, shanghai)
	rules       = ticket.MustDefaultRules(shanghai)
)

// complaint opens a complaint at at (acknowledge within 4 business hours).
func complaint(t *testing.T, st *dynamo.Store, at time.Time, i int) *ticket.Ticket {
	t.Helper()
	tk := &ticket.Ticket{
		ID: ticket.NewID(at), Ref: ticket.NewRef(), Channel: ticket.SMS, Kind: ticket.Complaint, Priority: ticket.P2,
		Status: ticket.New, Contact: ticket.Contact{Phone: fmt.Sprintf("+86138001390%02d", i)}, Owner: "complaints",
		Summary: "rude engineer", CreatedAt: at, UpdatedAt: at, Version: 1,
	}
	rules.Clocks(tk)
	err := st.Apply(context.Background(), ticket.Change{Ticket: tk, Create: true,
		Events: []ticket.Event{{ID: string(ticket.NewID(at)), Type: ticket.EventCreated, At: at, Actor: "customer"}}})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// levels counts, from the history alone, each ticket's breach and
// escalation events.
func levels(t *testing.T, st *dynamo.Store, id ticket.ID) (breaches int, byLevel map[string]int) {
	t.Helper()
	v, err := st.View(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	byLevel = map[string]int{}
	for _, e := range v.History {
		switch e.Type {
		case ticket.EventBreached:
			breaches++
		case ticket.EventEscalated:
			byLevel[e.Detail[:7]]++ // "level 1" / "level 2"
		}
	}
	return breaches, byLevel
}

// dying fails every Mutate after the first few, as a run killed half-way.
type dying struct {
	*dynamo.Store
	left atomic.Int32
}

func (d *dying) Mutate(ctx context.Context, id ticket.ID, f func(*ticket.Ticket) (ticket.Change, error)) (*ticket.Ticket, error) {
	if d.left.Add(-1) < 0 {
		return nil, context.Canceled
	}
	return d.Store.Mutate(ctx, id, f)
}

func TestSweepEscalatesOncePerLevel(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	const n = 6
	var tks []*ticket.Ticket
	for i := 0; i < n; i++ {
		tks = append(tks, complaint(t, st, monday9.Add(time.Duration(i)*time.Minute), i))
	}
	// A ticket acknowledged in time never escalates.
	met := complaint(t, st, monday9, 99)
	o, err := rules.Decide(met, ticket.Request{Action: ticket.ActAcknowledge, Actor: "staff:ann", At: monday9.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Apply(ctx, ticket.Change{Ticket: o.Ticket, Prev: met, PrevVersion: met.Version, Events: o.Events}); err != nil {
		t.Fatal(err)
	}
	ladder := ticket.Ladder{ManagerAfter: 2 * time.Hour}
	sweep := func(s scheduler.Store) *scheduler.Sweep {
		return &scheduler.Sweep{Store: s, Rules: rules, Ladder: ladder}
	}
	breach := monday9.Add(4*time.Hour + 10*time.Minute) // every ack limit (13:00–13:05) passed

	// A run killed after two tickets, then three overlapping runs.
	d := &dying{Store: st}
	d.left.Store(2)
	if _, err := sweep(d).Run(ctx, breach); err == nil {
		t.Fatal("killed run reported no error")
	}
	var wg sync.WaitGroup
	var escalated atomic.Int32
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := sweep(st).Run(ctx, breach.Add(time.Duration(i)*time.Minute))
			if err != nil {
				t.Error(err)
			}
			escalated.Add(int32(s.Escalated))
		}()
	}
	wg.Wait()
	for _, tk := range tks {
		b, l := levels(t, st, tk.ID)
		if b != 1 || l["level 1"] != 1 || l["level 2"] != 0 {
			t.Errorf("%s: %d breaches, levels %v; want one breach at level 1", tk.Ref, b, l)
		}
	}
	if b, l := levels(t, st, met.ID); b != 0 || len(l) != 0 {
		t.Errorf("acknowledged ticket escalated: %d %v", b, l)
	}
	// One ticket is answered before the senior manager would hear of it.
	ans, _ := st.Ticket(ctx, tks[0].ID)
	o, err = rules.Decide(ans, ticket.Request{Action: ticket.ActReply, Actor: "staff:ann", At: breach.Add(time.Hour), Text: "sorry", Sent: &ticket.Message{ID: "M"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Apply(ctx, ticket.Change{Ticket: o.Ticket, Prev: ans, PrevVersion: ans.Version, Events: o.Events}); err != nil {
		t.Fatal(err)
	}
	// Two hours after the limits: level 2, once, for all but the answered
	// one, across overlapping runs.
	later := monday9.Add(6*time.Hour + 10*time.Minute)
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := sweep(st).Run(ctx, later.Add(time.Duration(i)*time.Minute)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for i, tk := range tks {
		_, l := levels(t, st, tk.ID)
		want := 1
		if i == 0 {
			want = 0
		}
		if l["level 2"] != want || l["level 1"] != 1 {
			t.Errorf("%s: levels %v, want level 2 ×%d", tk.Ref, l, want)
		}
	}
	// The sweep read only what fell due: later runs read nothing new.
	s, err := sweep(st).Run(ctx, later.Add(30*time.Minute))
	if err != nil || s.Escalated != 0 {
		t.Errorf("quiet run = %+v, %v", s, err)
	}
}

type reminders struct {
	mu   sync.Mutex
	sent []ticket.Ref
}

func (r *reminders) Reply(_ context.Context, t *ticket.Ticket, text, actor string) (ticket.Message, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, t.Ref)
	return ticket.Message{ID: "R"}, nil
}

func TestSweepRemindsThenResolvesWaits(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	tk := complaint(t, st, monday9, 1)
	o, err := rules.Decide(tk, ticket.Request{Action: ticket.ActWait, Actor: "staff:ann", At: monday9.Add(time.Hour), On: ticket.OnCustomer,
		Reason: "photo of the meter", Text: "please send a photo", Sent: &ticket.Message{ID: "M"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Apply(ctx, ticket.Change{Ticket: o.Ticket, Prev: tk, PrevVersion: tk.Version, Events: o.Events}); err != nil {
		t.Fatal(err)
	}
	rem := &reminders{}
	sw := &scheduler.Sweep{Store: st, Rules: rules, Reminder: rem, FirstLookback: 7 * 24 * time.Hour}
	// Thursday 10:00 is three business days on: the reminder, once.
	thu := monday9.Add(3*24*time.Hour + time.Hour)
	for i := 0; i < 2; i++ {
		if _, err := sw.Run(ctx, thu.Add(time.Duration(i)*5*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if len(rem.sent) != 1 {
		t.Fatalf("reminders = %v, want one", rem.sent)
	}
	cur, _ := st.Ticket(ctx, tk.ID)
	if cur.Status != ticket.Waiting {
		t.Fatalf("after the reminder status %s, want still waiting", cur.Status)
	}
	// Three business days later (Tuesday 10:00): resolved, no breach on the
	// way (the clock was paused).
	tue := thu.AddDate(0, 0, 5)
	if _, err := sw.Run(ctx, tue); err != nil {
		t.Fatal(err)
	}
	cur, _ = st.Ticket(ctx, tk.ID)
	if cur.Status != ticket.Resolved || cur.Resolution == "" {
		t.Errorf("after waiting status %s resolution %q, want resolved", cur.Status, cur.Resolution)
	}
	if b, _ := levels(t, st, tk.ID); b != 0 {
		t.Errorf("%d breaches while waiting, want none", b)
	}
	if len(rem.sent) != 1 {
		t.Errorf("reminders = %v, want still one", rem.sent)
	}
}

func TestSweepErrorKeepsProgress(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	complaint(t, st, monday9, 1)
	d := &dying{Store: st}
	at := monday9.Add(5 * time.Hour)
	if _, err := (&scheduler.Sweep{Store: d, Rules: rules}).Run(ctx, at); !errors.Is(err, context.Canceled) {
		t.Fatalf("run = %v, want the failure", err)
	}
	if _, err := st.SweptUntil(ctx, scheduler.Job); !errors.Is(err, ticket.ErrNotFound) {
		t.Errorf("a failed run recorded progress: %v", err)
	}
}
