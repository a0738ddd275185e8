package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/notice"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Digests publishes to staff (the notices topic: notice.Publisher).
type Digests interface {
	Worklist(ctx context.Context, w notice.Worklist) error
	Digest(ctx context.Context, d notice.Digest) error
}

// PlanStore is what the planner needs of the ticket table
// (dynamo.Store): the due index's callbacks, the report counters, and a
// claim per publication.
type PlanStore interface {
	DueBetween(ctx context.Context, kind string, from, to time.Time) ([]dynamo.Due, error)
	Report(ctx context.Context, day string) (dynamo.Daily, error)
	FollowUps(ctx context.Context, day string) (dynamo.FollowUps, error)
	ClaimPublish(ctx context.Context, key string, at time.Time, timeout time.Duration) (bool, error)
	Published(ctx context.Context, key string, at, published time.Time) error
	ReleasePublish(ctx context.Context, key string, at time.Time) error
}

// Planner is the overnight job: it reads the day's callbacks from the due
// index (the day's range, never a scan) and publishes one worklist per
// owning queue, then the previous business day's daily digest.
//
// Each publication is claimed (a conditional write) before it is sent
// and marked published after, so overlapping runs publish it once; a run
// that dies between the two leaves the claim to time out
// (ticket.ClaimTimeout) and the next run publishes it.
type Planner struct {
	Store PlanStore
	// Zone is the business's: the day runs midnight to midnight there.
	Zone *time.Location
	// Calendar says which days are business days (DefaultCalendar(Zone)
	// when its Zone is nil).
	Calendar ticket.Calendar
	Digests  Digests
	// Links makes the worklists' console links (none when zero).
	Links notice.Builder
}

// Names of the planner.
const PlannerJob = "planner"

// PlanStats say what a planner run did.
type PlanStats struct {
	Date string
	// Read counts the day's callbacks read from the due index.
	Read      int
	Worklists int
	// Digest is the date of the daily digest published, if this run
	// published it.
	Digest string
	// Skipped counts publications another run made (or is making).
	Skipped int
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
	byQueue := map[string][]dynamo.Due{}
	for _, due := range ds {
		byQueue[due.Owner] = append(byQueue[due.Owner], due)
	}
	queues := make([]string, 0, len(byQueue))
	for q := range byQueue {
		queues = append(queues, q)
	}
	slices.Sort(queues)
	var errs []error
	for _, q := range queues {
		items := byQueue[q]
		slices.SortStableFunc(items, func(a, b dynamo.Due) int { return a.At.Compare(b.At) })
		w := p.Links.Worklist(q, st.Date, at, items)
		done, err := p.once(ctx, w.ID, at, func() error { return p.Digests.Worklist(ctx, w) })
		switch {
		case err != nil:
			errs = append(errs, err)
		case done:
			st.Worklists++
		default:
			st.Skipped++
		}
	}
	day := p.previousBusinessDay(from)
	done, err := p.once(ctx, notice.DigestID(day), at, func() error {
		r, err := p.Store.Report(ctx, day)
		if err != nil {
			return err
		}
		f, err := p.Store.FollowUps(ctx, day)
		if err != nil {
			return err
		}
		return p.Digests.Digest(ctx, notice.NewDigest(r, f, at))
	})
	switch {
	case err != nil:
		errs = append(errs, err)
	case done:
		st.Digest = day
	default:
		st.Skipped++
	}
	if len(errs) > 0 {
		return st, fmt.Errorf("plan %s: %w", st.Date, errors.Join(errs...))
	}
	slog.InfoContext(ctx, "planner done", "date", st.Date, "read", st.Read, "worklists", st.Worklists,
		"digest", st.Digest, "skipped", st.Skipped)
	return st, nil
}

// once publishes the publication key with publish unless another run
// did (or is doing so): it reports whether this run published it.
func (p *Planner) once(ctx context.Context, key string, at time.Time, publish func() error) (bool, error) {
	ok, err := p.Store.ClaimPublish(ctx, key, at, ticket.ClaimTimeout)
	if err != nil || !ok {
		return false, err
	}
	if err := publish(); err != nil {
		if rerr := p.Store.ReleasePublish(ctx, key, at); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return false, fmt.Errorf("publish %s: %w", key, err)
	}
	if err := p.Store.Published(ctx, key, at, at); err != nil {
		// Out, but not marked: a run after the claim times out publishes
		// it again, and consumers drop it by its ID.
		return true, err
	}
	return true, nil
}

// previousBusinessDay is the business day before the local day starting
// at day, as a local date.
func (p *Planner) previousBusinessDay(day time.Time) string {
	cal := p.Calendar
	if cal.Zone == nil {
		cal = ticket.DefaultCalendar(p.Zone)
	}
	d := day.AddDate(0, 0, -1)
	// A month of holidays in a row is not a calendar anyone keeps.
	for i := 0; i < 31 && !cal.IsBusinessDay(d.Add(12*time.Hour)); i++ {
		d = d.AddDate(0, 0, -1)
	}
	return d.Format(time.DateOnly)
}
