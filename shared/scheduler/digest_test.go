package scheduler_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/notice"
	"github.com/frontdesk/frontdesk/shared/scheduler"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// TestDigestCountsMatchTheTickets runs a Monday — callbacks made and
// missed, return visits sent, refused and answered, tickets resolved —
// then Tuesday's planner, and checks the digest of Monday against what
// the test itself did and what the tickets' histories say, never against
// the counters the digest reads.
func TestDigestCountsMatchTheTickets(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	const monday = "2026-11-23"
	local := func(at time.Time) string { return at.In(shanghai).Format(time.DateOnly) }

	callbacks := booked(t, st, 8) // Monday from 09:00, a quarter of an hour apart
	// Six complaints resolved on Friday: their visits fall due on Monday.
	// Two are one customer (one is surveyed, the other recently was), one
	// customer opted out.
	friday := monday9.AddDate(0, 0, -3)
	var visited []*ticket.Ticket
	for i := 0; i < 6; i++ {
		tk := complaint(t, st, friday, 50+i)
		if i == 1 {
			_, err := st.Mutate(ctx, tk.ID, func(cur *ticket.Ticket) (ticket.Change, error) {
				next := cur.Clone()
				next.Version++
				next.Contact.Phone = visited[0].Contact.Phone
				return ticket.Change{Ticket: next}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		act(t, st, tk.ID, ticket.Request{Action: ticket.ActResolve, Resolution: "fixed", AtFault: ticket.FaultProvider, Actor: "staff:ann", At: friday.Add(time.Hour)})
		visited = append(visited, tk)
	}
	box := newOutbox()
	box.optedOut[visited[2].Contact.Phone] = true
	d := &scheduler.Day{Store: st, Rules: rules, Messages: box}

	// What the test does on Monday, by its own count.
	done := map[ticket.ID]bool{}
	resolved := map[ticket.ID]bool{}
	scores := []int{5, 4, 1}
	answered := map[ticket.ID]int{}
	tick(t, monday9.Add(-12*time.Hour), monday9.Add(14*time.Hour+55*time.Minute), func(at time.Time) {
		for i, tk := range callbacks {
			// Even ones are called back in their window; odd ones missed.
			if i%2 == 0 && !done[tk.ID] && !at.Before(tk.Callback.Start.Add(10*time.Minute)) {
				act(t, st, tk.ID, ticket.Request{Action: ticket.ActCallback, Op: ticket.CallbackOutcome, Result: ticket.CallbackDone, Actor: "staff:ann", At: at})
				done[tk.ID] = true
			}
			// Two are resolved in the afternoon.
			if i < 2 && !resolved[tk.ID] && !at.Before(monday9.Add(6*time.Hour)) {
				act(t, st, tk.ID, ticket.Request{Action: ticket.ActResolve, Resolution: "fixed", AtFault: ticket.FaultProvider, Actor: "staff:ann", At: at})
				resolved[tk.ID] = true
			}
		}
		// Surveys answered as they arrive, while scores are left.
		for _, tk := range visited {
			if _, ok := answered[tk.ID]; ok || len(answered) == len(scores) {
				continue
			}
			cur, err := st.Ticket(ctx, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			if cur.Visit == nil || cur.Visit.Status != ticket.VisitSent {
				continue
			}
			score := scores[len(answered)]
			_, err = st.Mutate(ctx, tk.ID, func(cur *ticket.Ticket) (ticket.Change, error) {
				next, events, ok := rules.AnswerVisit(cur, ticket.SurveyAnswer{Score: score}, at, "customer")
				if !ok {
					return ticket.Change{}, dynamo.ErrUnchanged
				}
				return ticket.Change{Ticket: next, Events: events}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			answered[tk.ID] = score
		}
	}, d)

	var pub digests
	p := &scheduler.Planner{Store: st, Zone: shanghai, Digests: &pub}
	s, err := p.Run(ctx, monday9.Add(17*time.Hour)) // Tuesday 02:00
	if err != nil {
		t.Fatal(err)
	}
	if s.Digest != monday || len(pub.daily) != 1 {
		t.Fatalf("Tuesday's planner = %+v, digests %d; want Monday's digest", s, len(pub.daily))
	}
	got := pub.daily[0]

	// The histories' count of Monday's events.
	var missed, sent, notVisitable, recent int
	for _, tk := range append(append([]*ticket.Ticket{}, callbacks...), visited...) {
		v, err := st.View(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range v.History {
			if local(e.At) != monday {
				continue
			}
			switch {
			case e.Type == ticket.EventCallbackMissed:
				missed++
			case e.Type == ticket.EventSurveySent:
				sent++
			case e.Type == ticket.EventVisitClosed && strings.HasPrefix(e.Detail, string(ticket.VisitNotVisitable)):
				notVisitable++
			case e.Type == ticket.EventVisitClosed && strings.HasPrefix(e.Detail, string(ticket.VisitRecent)):
				recent++
			}
		}
	}
	satisfied := 0
	for _, score := range answered {
		if score >= 4 {
			satisfied++
		}
	}
	f := got.FollowUps
	want := dynamo.FollowUps{Date: monday, CallbacksDone: len(done), CallbacksMissed: missed, VisitsSent: sent,
		VisitsNotVisitable: notVisitable, VisitsRecent: recent, VisitsAnswered: len(answered), VisitsSatisfied: satisfied}
	if f != want {
		t.Errorf("digest follow-ups = %+v\nwant (from the tickets) %+v", f, want)
	}
	// The scenario is what it means to be: every count is exercised.
	if len(done) != 4 || missed != 4 || sent != 4 || notVisitable != 1 || recent != 1 || len(answered) != 3 {
		t.Errorf("scenario: done %d missed %d sent %d not visitable %d recent %d answered %d; want 4 4 4 1 1 3",
			len(done), missed, sent, notVisitable, recent, len(answered))
	}
	if got.Report.Resolved != len(resolved) {
		t.Errorf("digest resolved = %d, want %d", got.Report.Resolved, len(resolved))
	}
	wantVisited := float64(int(1000*float64(sent)/float64(sent+notVisitable+recent)+0.5)) / 10
	wantSatisfied := float64(int(1000*float64(satisfied)/float64(len(answered))+0.5)) / 10
	if got.Visited == nil || *got.Visited != wantVisited || got.VisitedMet || got.Satisfied == nil || *got.Satisfied != wantSatisfied || got.SatisfiedMet {
		t.Errorf("digest shares: visited %v met %v, satisfied %v met %v; want %v and %v, both short of target",
			got.Visited, got.VisitedMet, got.Satisfied, got.SatisfiedMet, wantVisited, wantSatisfied)
	}
}

// TestPlannerPublishesEachOnce: overlapping planner runs publish each
// worklist and the digest once; a run that dies after claiming leaves
// the publication to the first run after the claim times out; a failed
// publish is given back for the retry.
func TestPlannerPublishesEachOnce(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	tks := booked(t, st, 4)
	act(t, st, tks[1].ID, ticket.Request{Action: ticket.ActAssign, Queue: "field-service", Actor: "staff:ann", At: monday9.Add(-10 * time.Hour)})
	at := monday9.Add(-7 * time.Hour)
	var pub digests
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := &scheduler.Planner{Store: st, Zone: shanghai, Digests: &pub}
			if _, err := p.Run(ctx, at.Add(time.Duration(i)*time.Second)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	ids := map[string]int{}
	for _, w := range pub.worklists {
		ids[w.ID]++
	}
	for _, g := range pub.daily {
		ids[g.ID]++
	}
	want := []string{"callback_worklist#complaints#2026-11-23", "callback_worklist#field-service#2026-11-23", "daily_digest#2026-11-20"}
	if len(ids) != len(want) {
		t.Errorf("published %v, want each of %v once", ids, want)
	}
	for _, id := range want {
		if ids[id] != 1 {
			t.Errorf("%s published %d times, want once", id, ids[id])
		}
	}

	// Tuesday: a run claims the digest and dies; the next run within the
	// claim's time skips it, the first after publishes it.
	tuesday := monday9.Add(17 * time.Hour)
	if ok, err := st.ClaimPublish(ctx, notice.DigestID("2026-11-23"), tuesday, ticket.ClaimTimeout); !ok || err != nil {
		t.Fatalf("ClaimPublish = %v, %v", ok, err)
	}
	pub = digests{}
	p := &scheduler.Planner{Store: st, Zone: shanghai, Digests: &pub}
	if s, err := p.Run(ctx, tuesday.Add(time.Minute)); err != nil || s.Digest != "" || len(pub.daily) != 0 {
		t.Errorf("run while another holds the claim = %+v, %v, %d digests; want none", s, err, len(pub.daily))
	}
	if s, err := p.Run(ctx, tuesday.Add(ticket.ClaimTimeout+time.Minute)); err != nil || s.Digest != "2026-11-23" || len(pub.daily) != 1 {
		t.Errorf("run after the claim timed out = %+v, %v, %d digests; want Monday's", s, err, len(pub.daily))
	}

	// Wednesday: the topic refuses; the claim is given back and the
	// platform's retry publishes.
	wednesday := tuesday.Add(24 * time.Hour)
	failing := &refusing{}
	p.Digests = failing
	if _, err := p.Run(ctx, wednesday); err == nil {
		t.Fatal("a run whose publish failed reported success")
	}
	p.Digests = &pub
	if s, err := p.Run(ctx, wednesday.Add(time.Minute)); err != nil || s.Digest != "2026-11-24" {
		t.Errorf("retry = %+v, %v; want Tuesday's digest published", s, err)
	}
}

type refusing struct{}

func (refusing) Worklist(context.Context, notice.Worklist) error {
	return errors.New("topic unavailable")
}
func (refusing) Digest(context.Context, notice.Digest) error { return errors.New("topic unavailable") }
