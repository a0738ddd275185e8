package scheduler_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/notice"
	"github.com/frontdesk/frontdesk/shared/scheduler"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// digests collects what the planner publishes.
type digests struct {
	mu        sync.Mutex
	worklists []notice.Worklist
	daily     []notice.Digest
}

func (d *digests) Worklist(_ context.Context, w notice.Worklist) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.worklists = append(d.worklists, w)
	return nil
}

func (d *digests) Digest(_ context.Context, g notice.Digest) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.daily = append(d.daily, g)
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
	var pub digests
	p := &scheduler.Planner{Store: st, Zone: shanghai, Digests: &pub}
	s, err := p.Run(ctx, monday9.Add(-7*time.Hour)) // 02:00 Monday
	if err != nil {
		t.Fatal(err)
	}
	got := pub.worklists
	if s.Date != "2026-11-23" || s.Read != 4 || len(got) != 2 {
		t.Fatalf("run = %+v, worklists %+v; want 4 callbacks on 2026-11-23 in 2 worklists", s, got)
	}
	refs := func(w notice.Worklist) []ticket.Ref {
		var out []ticket.Ref
		for _, it := range w.Callbacks {
			out = append(out, it.Ref)
		}
		return out
	}
	if w := got[0]; w.Owner != "complaints" || len(w.Callbacks) != 3 || w.Callbacks[0].Ref != tks[0].Ref || w.Callbacks[1].Ref != tks[4].Ref || w.Callbacks[2].Ref != tks[5].Ref {
		t.Errorf("complaints worklist = %v, want %s %s %s in time order", refs(w), tks[0].Ref, tks[4].Ref, tks[5].Ref)
	}
	if w := got[1]; w.Owner != "field-service" || len(w.Callbacks) != 1 || w.Callbacks[0].Ref != tks[1].Ref || w.ID != "callback_worklist#field-service#2026-11-23" {
		t.Errorf("field-service worklist = %+v", w)
	}
	// The digest is Friday's: the business day before Monday.
	if s.Digest != "2026-11-20" || len(pub.daily) != 1 || pub.daily[0].ID != "daily_digest#2026-11-20" {
		t.Errorf("digest = %q %+v, want Friday's", s.Digest, pub.daily)
	}
	// Tuesday's planner sees the rescheduled one only.
	pub.worklists = nil
	if s, err := p.Run(ctx, monday9.Add(17*time.Hour)); err != nil || s.Read != 1 || len(pub.worklists) != 1 || pub.worklists[0].Callbacks[0].Ref != tks[2].Ref {
		t.Errorf("Tuesday = %+v %v %+v, want the rescheduled callback", s, err, pub.worklists)
	}
}
