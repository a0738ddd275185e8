package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/desk"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/scheduler"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// outbox stands in for the channels: it counts what each ticket's
// customer was sent, refuses the numbers listed as opted out, and fails
// every send after failAfter (a run dying while it sends).
type outbox struct {
	mu        sync.Mutex
	sent      map[ticket.ID][]string
	optedOut  map[string]bool
	failAfter int // 0: never
	n         int
}

func newOutbox() *outbox { return &outbox{sent: map[ticket.ID][]string{}, optedOut: map[string]bool{}} }

func (o *outbox) Send(_ context.Context, t *ticket.Ticket, text string, _ sms.Purpose) (ticket.Message, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.optedOut[t.Contact.Phone] {
		return ticket.Message{}, fmt.Errorf("%w: opted out", desk.ErrUnreachable)
	}
	if o.failAfter > 0 && o.n >= o.failAfter {
		return ticket.Message{}, errors.New("provider timed out")
	}
	o.n++
	o.sent[t.ID] = append(o.sent[t.ID], text)
	return ticket.Message{ID: fmt.Sprintf("M%d", o.n), Channel: ticket.SMS, SourceID: fmt.Sprintf("P%d", o.n)}, nil
}

func (o *outbox) count(id ticket.ID) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.sent[id])
}

// history counts a ticket's history events by type.
func history(t *testing.T, st *dynamo.Store, id ticket.ID) map[ticket.EventType]int {
	t.Helper()
	v, err := st.View(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[ticket.EventType]int{}
	for _, e := range v.History {
		out[e.Type]++
	}
	return out
}

// act applies a staff request to the ticket as stored.
func act(t *testing.T, st *dynamo.Store, id ticket.ID, req ticket.Request) *ticket.Ticket {
	t.Helper()
	got, err := st.Mutate(context.Background(), id, func(tk *ticket.Ticket) (ticket.Change, error) {
		o, err := rules.Decide(tk, req)
		if err != nil {
			return ticket.Change{}, err
		}
		return ticket.Change{Ticket: o.Ticket, Events: o.Events, Messages: o.Messages}, nil
	})
	if err != nil {
		t.Fatalf("%s %s: %v", req.Action, req.Op, err)
	}
	return got
}

// booked opens n complaints on Sunday evening, each with a callback on
// Monday, 30 minutes long, a quarter of an hour apart from 09:00.
func booked(t *testing.T, st *dynamo.Store, n int) []*ticket.Ticket {
	t.Helper()
	sunday := monday9.Add(-13 * time.Hour)
	var out []*ticket.Ticket
	for i := 0; i < n; i++ {
		tk := complaint(t, st, sunday, i)
		start := monday9.Add(time.Duration(i) * 15 * time.Minute)
		tk = act(t, st, tk.ID, ticket.Request{Action: ticket.ActCallback, Op: ticket.CallbackSchedule, Actor: "staff:ann", At: sunday,
			Window: &ticket.CallbackRequest{Date: start.Format(time.DateOnly), From: start.Format("15:04"), To: start.Add(30 * time.Minute).Format("15:04"), TimeZone: "Asia/Shanghai"}})
		out = append(out, tk)
	}
	return out
}

// tick runs the day sweep every 5 minutes from from to to, with each
// of runs (several: overlapping runs) started at once, and before each
// tick calls before.
func tick(t *testing.T, from, to time.Time, before func(at time.Time), runs ...*scheduler.Day) {
	t.Helper()
	tickEvery(t, 5*time.Minute, from, to, before, runs...)
}

func tickEvery(t *testing.T, step time.Duration, from, to time.Time, before func(at time.Time), runs ...*scheduler.Day) {
	t.Helper()
	for at := from; !at.After(to); at = at.Add(step) {
		if before != nil {
			before(at)
		}
		var wg sync.WaitGroup
		for _, d := range runs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := d.Run(context.Background(), at); err != nil && len(runs) == 1 {
					t.Errorf("run at %s: %v", at, err)
				}
			}()
		}
		wg.Wait()
	}
}

func TestDayCallbacks(t *testing.T) {
	for _, overlapping := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d runs at once", overlapping), func(t *testing.T) {
			st, _ := testenv.Table(t)
			const n = 24
			tks := booked(t, st, n)
			box := newOutbox()
			var runs []*scheduler.Day
			for i := 0; i < overlapping; i++ {
				runs = append(runs, &scheduler.Day{Store: st, Rules: rules, Messages: box})
			}
			// Every even ticket is called back in its window; the odd
			// ones are missed.
			done := map[ticket.ID]bool{}
			tick(t, monday9.Add(-12*time.Hour), monday9.Add(9*time.Hour), func(at time.Time) {
				for i, tk := range tks {
					if i%2 == 0 && !done[tk.ID] && !at.Before(tk.Callback.Start.Add(10*time.Minute)) {
						act(t, st, tk.ID, ticket.Request{Action: ticket.ActCallback, Op: ticket.CallbackOutcome, Result: ticket.CallbackDone, Actor: "staff:ann", At: at})
						done[tk.ID] = true
					}
				}
			}, runs...)
			for i, tk := range tks {
				h := history(t, st, tk.ID)
				missed := 0
				if i%2 == 1 {
					missed = 1
				}
				if box.count(tk.ID) != 1 || h[ticket.EventCallbackReminded] != 1 {
					t.Errorf("ticket %d: customer sent %d, reminded %d times; want once", i, box.count(tk.ID), h[ticket.EventCallbackReminded])
				}
				if h[ticket.EventCallbackDue] != 1 {
					t.Errorf("ticket %d: agent reminded %d times, want once", i, h[ticket.EventCallbackDue])
				}
				if h[ticket.EventCallbackMissed] != missed || h[ticket.EventEscalated] != missed {
					t.Errorf("ticket %d: missed %d, escalated %d; want %d", i, h[ticket.EventCallbackMissed], h[ticket.EventEscalated], missed)
				}
				cur, _ := st.Ticket(context.Background(), tk.ID)
				if cb := cur.Callback; cb.Reminded.IsZero() || cb.Reminded.After(cb.Start) || !cb.Claim.IsZero() {
					t.Errorf("ticket %d: reminded at %s for a window at %s (claim %s)", i, cb.Reminded, cb.Start, cb.Claim)
				}
			}
		})
	}
}

func TestDayKilledHalfWayLosesNothing(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	const n = 12
	tks := booked(t, st, n)
	// The first run to send reminders dies after three; the one after it
	// dies in the store after a few writes.
	box := newOutbox()
	box.failAfter = 3
	first := monday9.Add(-30 * time.Minute)
	d := &scheduler.Day{Store: st, Rules: rules, Messages: box}
	// The reminders due by 08:30 in one run.
	if _, err := d.Run(ctx, first); err == nil {
		t.Fatal("a run whose sends failed reported success")
	}
	if box.n != 3 {
		t.Fatalf("%d sent before the failures, want 3", box.n)
	}
	box.mu.Lock()
	box.failAfter = 0
	box.mu.Unlock()
	dy := &dying{Store: st}
	dy.left.Store(5)
	if _, err := (&scheduler.Day{Store: dy, Rules: rules, Messages: box}).Run(ctx, first.Add(ticket.ClaimTimeout)); err == nil {
		t.Fatal("a run whose store died reported success")
	}
	tick(t, first.Add(ticket.ClaimTimeout+5*time.Minute), monday9.Add(6*time.Hour), nil, d)
	dup := 0
	for i, tk := range tks {
		c := box.count(tk.ID)
		if c == 0 {
			t.Errorf("ticket %d: customer never reminded", i)
		}
		dup += c - 1
		if h := history(t, st, tk.ID); h[ticket.EventCallbackReminded] != 1 || h[ticket.EventCallbackDue] != 1 {
			t.Errorf("ticket %d: reminded %d, agent %d; want once each", i, h[ticket.EventCallbackReminded], h[ticket.EventCallbackDue])
		}
	}
	// A store dying between a send and its record can send that one
	// again once its claim times out; nothing else is sent twice.
	if dup > 1 {
		t.Errorf("%d reminders sent twice, want at most the one in flight when the store died", dup)
	}
}

func TestDayNoAnswerTellsTheCustomer(t *testing.T) {
	st, _ := testenv.Table(t)
	tk := booked(t, st, 1)[0]
	box := newOutbox()
	d := &scheduler.Day{Store: st, Rules: rules, Messages: box}
	tries := 0
	tick(t, monday9.Add(-12*time.Hour), monday9.Add(30*time.Hour), func(at time.Time) {
		cur, _ := st.Ticket(context.Background(), tk.ID)
		if cur.Callback.Scheduled() && !at.Before(cur.Callback.Start.Add(5*time.Minute)) {
			act(t, st, tk.ID, ticket.Request{Action: ticket.ActCallback, Op: ticket.CallbackOutcome, Result: ticket.CallbackNoAnswer, Actor: "staff:ann", At: at})
			tries++
		}
	}, d)
	cur, _ := st.Ticket(context.Background(), tk.ID)
	if tries != 3 || cur.Callback.Status != ticket.CallbackGaveUp || cur.Callback.Told.IsZero() {
		t.Fatalf("after %d tries: %+v, want given up after 3 and the customer told", tries, cur.Callback)
	}
	h := history(t, st, tk.ID)
	if h[ticket.EventCallbackDue] != 3 || h[ticket.EventCallbackMissed] != 0 {
		t.Errorf("agent reminded %d times, missed %d; want 3 and 0", h[ticket.EventCallbackDue], h[ticket.EventCallbackMissed])
	}
	// A reminder per attempt with a decent hour left, and the we-tried
	// message last.
	box.mu.Lock()
	sent := box.sent[tk.ID]
	box.mu.Unlock()
	if len(sent) < 2 || sent[len(sent)-1] != scheduler.TriedText("", tk.Ref) {
		t.Errorf("sent %q, want reminders then the we-tried message", sent)
	}
}

func TestDayVisits(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	box := newOutbox()
	d := &scheduler.Day{Store: st, Rules: rules, Messages: box}
	resolveAt := monday9.Add(time.Hour)
	var tks []*ticket.Ticket
	for i := 0; i < 8; i++ {
		tk := complaint(t, st, monday9, i)
		tks = append(tks, tk)
	}
	// 0 and 1 are one customer: surveyed once. 2 opted out. 3 answers 2
	// (reopened, escalated), 4 answers 5 with a comment. 5 is a customer
	// in New York whose survey waits for their morning. 6 is an inquiry:
	// no visit.
	same := tks[1]
	_, err := st.Mutate(ctx, same.ID, func(tk *ticket.Ticket) (ticket.Change, error) {
		next := tk.Clone()
		next.Version++
		next.Contact.Phone = tks[0].Contact.Phone
		return ticket.Change{Ticket: next}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	box.optedOut[tks[2].Contact.Phone] = true
	ny := act(t, st, tks[5].ID, ticket.Request{Action: ticket.ActCallback, Op: ticket.CallbackSchedule, Actor: "staff:ann", At: monday9,
		Window: &ticket.CallbackRequest{Date: "2026-11-23", From: "03:00", To: "03:30", TimeZone: "America/New_York"}})
	_ = ny
	act(t, st, tks[6].ID, ticket.Request{Action: ticket.ActClassify, Kind: ticket.Inquiry, Actor: "staff:ann", At: monday9})
	for i, tk := range tks {
		at := resolveAt
		if i == 5 {
			at = monday9.Add(7 * time.Hour) // due Tuesday 16:00: 03:00 in New York
		}
		act(t, st, tk.ID, ticket.Request{Action: ticket.ActResolve, Resolution: "fixed", AtFault: ticket.FaultProvider, Actor: "staff:ann", At: at})
	}
	answered := map[int]bool{}
	answers := map[int]ticket.SurveyAnswer{3: {Score: 2, Comment: "still leaking"}, 4: {Score: 5, Comment: "thanks"}}
	tickEvery(t, 15*time.Minute, resolveAt, monday9.Add(5*24*time.Hour), func(at time.Time) {
		for i, a := range answers {
			if answered[i] {
				continue
			}
			cur, _ := st.Ticket(ctx, tks[i].ID)
			if cur.Visit == nil || cur.Visit.Status != ticket.VisitSent {
				continue
			}
			_, err := st.Mutate(ctx, cur.ID, func(tk *ticket.Ticket) (ticket.Change, error) {
				next, events, ok := rules.AnswerVisit(tk, a, at, "customer")
				if !ok {
					return ticket.Change{}, dynamo.ErrUnchanged
				}
				return ticket.Change{Ticket: next, Events: events}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			answered[i] = true
		}
	}, d)
	want := []struct {
		status ticket.VisitStatus
		sent   int
	}{
		{ticket.VisitUnanswered, 1}, {ticket.VisitRecent, 0}, {ticket.VisitNotVisitable, 0},
		{ticket.VisitAnswered, 1}, {ticket.VisitAnswered, 1}, {ticket.VisitUnanswered, 1}, {"", 0}, {ticket.VisitUnanswered, 1},
	}
	// Which of one customer's two tickets is surveyed depends on the
	// order they are read in: one is, the other is not.
	if box.count(tks[0].ID) == 0 {
		want[0], want[1] = want[1], want[0]
	}
	for i, tk := range tks {
		cur, _ := st.Ticket(ctx, tk.ID)
		var got ticket.VisitStatus
		if cur.Visit != nil {
			got = cur.Visit.Status
		}
		if got != want[i].status || box.count(tk.ID) != want[i].sent {
			t.Errorf("ticket %d: visit %q, %d surveys; want %q, %d", i, got, box.count(tk.ID), want[i].status, want[i].sent)
		}
		h := history(t, st, tk.ID)
		if h[ticket.EventSurveySent] != want[i].sent {
			t.Errorf("ticket %d: %d survey_sent events, want %d", i, h[ticket.EventSurveySent], want[i].sent)
		}
		if i == 3 && (cur.Status != ticket.Reopened || cur.EscalationLevel < ticket.LevelSupervisor || cur.Visit.Comment != "still leaking") {
			t.Errorf("score 2: status %s level %d visit %+v, want reopened, escalated, comment kept", cur.Status, cur.EscalationLevel, cur.Visit)
		}
		if i == 4 && (cur.Status != ticket.Resolved || cur.Visit.Score != 5) {
			t.Errorf("score 5: status %s visit %+v", cur.Status, cur.Visit)
		}
		if i == 5 {
			nyz, _ := time.LoadLocation("America/New_York")
			if local := cur.Visit.SentAt.In(nyz); local.Hour() < 8 || local.Hour() >= 21 {
				t.Errorf("survey to New York sent at %s their time, inside quiet hours", local)
			}
		}
	}
}

// TestDayKilledAfterSendSendsOnce kills a day sweep right after the
// provider took a reminder, before the sweep recorded it: the run that
// claims the item again once the claim timed out must not send it again.
func TestDayKilledAfterSendSendsOnce(t *testing.T) {
	st, _ := testenv.Table(t)
	tks := booked(t, st, 3)
	var now atomic.Int64
	clock := func() time.Time { return time.Unix(0, now.Load()).UTC() }
	texts := &senders{clock: clock}
	out := &outbound.Service{Store: st, Texts: texts, Zone: shanghai, Now: clock}
	first := monday9.Add(-30 * time.Minute) // every reminder due (08:00 and after)
	now.Store(first.UnixNano())
	ctx, cancel := context.WithCancel(context.Background())
	d := &flaky{texts: texts, cancel: cancel}
	d.ok.Store(1)
	killedOut := *out
	killedOut.Texts = d
	if _, err := (&scheduler.Day{Store: st, Rules: rules, Messages: &scheduler.Channels{Out: &killedOut}}).Run(ctx, first); err == nil {
		t.Fatal("a run killed after a send reported success")
	}
	if n := len(texts.since(0)); n != 1 {
		t.Fatalf("%d texts went before the run was killed, want 1", n)
	}
	day := &scheduler.Day{Store: st, Rules: rules, Messages: &scheduler.Channels{Out: out}}
	for at := first.Add(5 * time.Minute); !at.After(first.Add(ticket.ClaimTimeout + 10*time.Minute)); at = at.Add(5 * time.Minute) {
		now.Store(at.UnixNano())
		if _, err := day.Run(context.Background(), at); err != nil {
			t.Fatalf("run at %s: %v", at, err)
		}
	}
	perRef := map[string]int{}
	for _, s := range texts.since(0) {
		perRef[refRE.FindString(s.body)]++
	}
	for i, tk := range tks {
		h := history(t, st, tk.ID)
		if perRef[string(tk.Ref)] != 1 || h[ticket.EventCallbackReminded] != 1 {
			t.Errorf("ticket %d: %d reminders sent, %d recorded; want 1 and 1", i, perRef[string(tk.Ref)], h[ticket.EventCallbackReminded])
		}
		if cur, _ := st.Ticket(context.Background(), tk.ID); cur.Callback.Reminded.IsZero() || !cur.Callback.Claim.IsZero() {
			t.Errorf("ticket %d: callback %+v, want reminded and no claim left", i, cur.Callback)
		}
	}
}

// refRE finds a ticket reference in a text sent.
var refRE = regexp.MustCompile(`FD-[0-9A-Z]+`)

// sentText is one message a recording sender was handed.
type sentText struct {
	to, body, providerID string
	at                   time.Time
	mail                 bool
}

// senders records every text and mail the outbound service sends.
type senders struct {
	mu    sync.Mutex
	clock func() time.Time
	sent  []sentText
}

func (s *senders) record(to, body string, mail bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := fmt.Sprintf("prov-%d", len(s.sent)+1)
	s.sent = append(s.sent, sentText{to: to, body: body, providerID: id, at: s.clock(), mail: mail})
	return id
}

func (s *senders) Send(_ context.Context, to, body string) (string, error) {
	return s.record(to, body, false), nil
}

func (s *senders) SendMail(_ context.Context, m outbound.Mail) (string, error) {
	return s.record(m.To, m.Text, true), nil
}

func (s *senders) since(n int) []sentText {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sent[n:])
}

// flaky passes the first ok sends on and fails the rest, as a provider
// going away; with cancel set, it cancels the run's context after the
// ok-th send instead, as a run killed between a send and its record.
type flaky struct {
	texts  *senders
	ok     atomic.Int32
	cancel context.CancelFunc
}

func (d *flaky) Send(ctx context.Context, to, body string) (string, error) {
	if d.ok.Add(-1) < 0 {
		return "", errors.New("provider went away")
	}
	id, err := d.texts.Send(ctx, to, body)
	if d.cancel != nil && d.ok.Load() == 0 {
		d.cancel()
	}
	return id, err
}

func (d *flaky) SendMail(ctx context.Context, m outbound.Mail) (string, error) {
	if d.ok.Add(-1) < 0 {
		return "", errors.New("provider went away")
	}
	id, err := d.texts.SendMail(ctx, m)
	if d.cancel != nil && d.ok.Load() == 0 {
		d.cancel()
	}
	return id, err
}
