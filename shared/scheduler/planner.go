package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Worklist is one queue's callbacks for one business day, published to
// staff before the morning shift. It carries only what Frontdesk wrote:
// references, kinds, priorities and windows, never a phone number.
type Worklist struct {
	// ID is the same for the same queue and day, so consumers drop a
	// worklist published twice.
	ID    string     `json:"id"`
	Event string     `json:"event"`
	Queue string     `json:"queue"`
	Date  string     `json:"date"`
	Items []WorkItem `json:"callbacks"`
}

// WorkItem is one callback on a worklist.
type WorkItem struct {
	Ref      ticket.Ref  `json:"ref"`
	TicketID ticket.ID   `json:"ticketId"`
	Kind     ticket.Kind `json:"kind"`
	Priority string      `json:"priority"`
	Start    time.Time   `json:"start"`
}

// EventWorklist names a worklist among notices.
const EventWorklist = "callback_worklist"

// Digests publishes worklists to staff (the notices topic).
type Digests interface {
	Worklist(ctx context.Context, w Worklist) error
}

// Planner is the overnight job: it reads the day's callbacks from the due
// index (the day's range, never a scan) and publishes one worklist per
// owning queue.
type Planner struct {
	Store interface {
		DueBetween(ctx context.Context, kind string, from, to time.Time) ([]dynamo.Due, error)
	}
	// Zone is the business's: the day runs midnight to midnight there.
	Zone    *time.Location
	Digests Digests
}

// PlanStats say what a planner run did.
type PlanStats struct {
	Date      string
	Read      int
	Worklists int
}

// Run plans the business day holding at.
func (p *Planner) Run(ctx context.Context, at time.Time) (PlanStats, error) {
	local := at.In(p.Zone)
	y, m, d := local.Date()
	from := time.Date(y, m, d, 0, 0, 0, 0, p.Zone)
	to := time.Date(y, m, d+1, 0, 0, 0, 0, p.Zone)
	st := PlanStats{Date: from.Format(time.DateOnly)}
	ds, err := p.Store.DueBetween(ctx, dynamo.DueCallback, from, to)
	if err != nil {
		return st, err
	}
	st.Read = len(ds)
	byQueue := map[string][]WorkItem{}
	for _, due := range ds {
		byQueue[due.Owner] = append(byQueue[due.Owner], WorkItem{Ref: due.Ref, TicketID: due.TicketID, Kind: due.Type, Priority: due.Priority.String(), Start: due.At})
	}
	queues := make([]string, 0, len(byQueue))
	for q := range byQueue {
		queues = append(queues, q)
	}
	slices.Sort(queues)
	for _, q := range queues {
		items := byQueue[q]
		slices.SortStableFunc(items, func(a, b WorkItem) int { return a.Start.Compare(b.Start) })
		w := Worklist{ID: EventWorklist + "#" + q + "#" + st.Date, Event: EventWorklist, Queue: q, Date: st.Date, Items: items}
		if err := p.Digests.Worklist(ctx, w); err != nil {
			return st, fmt.Errorf("publish worklist %s: %w", w.ID, err)
		}
		st.Worklists++
	}
	slog.InfoContext(ctx, "worklists published", "date", st.Date, "read", st.Read, "worklists", st.Worklists)
	return st, nil
}
