package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/scheduler"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

type digests []scheduler.Worklist

func (d *digests) Worklist(_ context.Context, w scheduler.Worklist) error {
	*d = append(*d, w)
	return nil
}

func TestPlannerWorklistPerQueue(t *testing.T) {
	st, _ := testenv.Table(t)
	ctx := context.Background()
	tks := booked(t, st, 6) // Monday 09:00, 09:15, … in "complaints"
	// One moves to the repairs queue, one to Tuesday, one is cancelled.
	act(t, st, tks[1].ID, ticket.Request{Action: ticket.ActAssign, Queue: "field-service", Actor: "staff:ann", At: monday9.Add(-10 * time.Hour)})
	act(t, st, tks[2].ID, ticket.Request{Action: ticket.ActCallback, Op: ticket.CallbackReschedule, Actor: "staff:ann", At: monday9.Add(-10 * time.Hour),
		Window: &ticket.CallbackRequest{Date: "2026-11-24", From: "10:00", To: "10:30", TimeZone: "Asia/Shanghai"}})
	act(t, st, tks[3].ID, ticket.Request{Action: ticket.ActCallback, Op: ticket.CallbackCancel, Reason: "customer rang in", Actor: "staff:ann", At: monday9.Add(-10 * time.Hour)})
	var got digests
	p := &scheduler.Planner{Store: st, Zone: shanghai, Digests: &got}
	s, err := p.Run(ctx, monday9.Add(-7*time.Hour)) // 02:00 Monday
	if err != nil {
		t.Fatal(err)
	}
	if s.Date != "2026-11-23" || s.Read != 4 || len(got) != 2 {
		t.Fatalf("run = %+v, worklists %+v; want 4 callbacks on 2026-11-23 in 2 worklists", s, got)
	}
	refs := func(w scheduler.Worklist) []ticket.Ref {
		var out []ticket.Ref
		for _, it := range w.Items {
			out = append(out, it.Ref)
		}
		return out
	}
	if w := got[0]; w.Queue != "complaints" || len(w.Items) != 3 || w.Items[0].Ref != tks[0].Ref || w.Items[1].Ref != tks[4].Ref || w.Items[2].Ref != tks[5].Ref {
		t.Errorf("complaints worklist = %v, want %s %s %s in time order", refs(w), tks[0].Ref, tks[4].Ref, tks[5].Ref)
	}
	if w := got[1]; w.Queue != "field-service" || len(w.Items) != 1 || w.Items[0].Ref != tks[1].Ref || w.ID != "callback_worklist#field-service#2026-11-23" {
		t.Errorf("field-service worklist = %+v", w)
	}
	// Tuesday's planner sees the rescheduled one only.
	got = nil
	if s, err := p.Run(ctx, monday9.Add(17*time.Hour)); err != nil || s.Read != 1 || got[0].Items[0].Ref != tks[2].Ref {
		t.Errorf("Tuesday = %+v %v %+v, want the rescheduled callback", s, err, got)
	}
}
