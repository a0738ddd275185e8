package scheduler_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/scheduler"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// fillCallbacks loads n tickets opened over the week before monday9, in
// batches (BatchWriteItem, eight writers), each with its time-limit
// entries in the due index; one in ten has a callback booked later in
// the fortnight after Monday (entries of the kinds the planner and the
// day sweep read, but not due on Monday). The first due of them have a
// callback on Monday morning, a minute apart from 09:00.
func fillCallbacks(b *testing.B, st *dynamo.Store, n, due int) {
	b.Helper()
	week := monday9.Add(-7 * 24 * time.Hour)
	ts := make([]*ticket.Ticket, 0, n+due)
	for i := 0; i < n+due; i++ {
		at := week.Add(time.Duration(i) * 7 * 24 * time.Hour / time.Duration(n+due))
		tk := &ticket.Ticket{
			ID: ticket.NewID(at), Ref: ticket.NewRef(), Channel: ticket.SMS, Kind: ticket.Complaint, Priority: ticket.P2,
			Status: ticket.New, Contact: ticket.Contact{Phone: fmt.Sprintf("+86138%08d", i)}, Owner: "complaints",
			Summary: "rude engineer", CreatedAt: at, UpdatedAt: at, Version: 1,
		}
		rules.Clocks(tk)
		var start time.Time
		switch {
		case i < due:
			start = monday9.Add(time.Duration(i) * time.Minute)
		case i%10 == 0:
			// Tuesday to the Friday after next, 09:00–16:30.
			d := 1 + (i/10)%11
			start = monday9.AddDate(0, 0, d).Add(time.Duration(i%16) * 30 * time.Minute)
		}
		if !start.IsZero() {
			tk.Callback = rules.PlanCallback(&ticket.Callback{Start: start, End: start.Add(30 * time.Minute), Zone: "Asia/Shanghai"}, week)
		}
		ts = append(ts, tk)
	}
	load(b, st, ts)
}

// BenchmarkPlannerAndSweep: what the overnight planner and the day sweep
// read grows with what is due (200 callbacks on Monday morning), not with
// the table: 1k and 10k tickets (and 100k with FRONTDESK_BENCH_LARGE=1),
// a tenth of them with callbacks on other days. Filling the table is
// outside the timed part.
func BenchmarkPlannerAndSweep(b *testing.B) {
	const due = 200
	sizes := []int{1000, 10000}
	if os.Getenv("FRONTDESK_BENCH_LARGE") != "" {
		sizes = append(sizes, 100000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("tickets=%d", n), func(b *testing.B) {
			st, _ := testenv.Table(b)
			began := time.Now()
			fillCallbacks(b, st, n-due, due)
			b.Logf("%d tickets loaded in %s", n, time.Since(began).Round(time.Millisecond))
			ctx := context.Background()
			b.Run("planner", func(b *testing.B) {
				var d digests
				p := &scheduler.Planner{Store: st, Zone: shanghai, Digests: &d}
				var s scheduler.PlanStats
				for i := 0; i < b.N; i++ {
					var err error
					if s, err = p.Run(ctx, monday9.Add(-7*time.Hour)); err != nil {
						b.Fatal(err)
					}
				}
				if s.Read != due {
					b.Fatalf("planner read %d callbacks, want the %d on Monday", s.Read, due)
				}
				b.ReportMetric(float64(s.Read), "items-read")
			})
			// The day sweep at 13:00 on Monday: every agent reminder,
			// customer reminder and missed window of the morning is due
			// (3 entries a callback). The first run, here, does them all;
			// the timed runs after it, as of the same instant (an
			// overlapping run), find them done.
			box := newOutbox()
			d := &scheduler.Day{Store: st, Rules: rules, Messages: box}
			at := monday9.Add(4 * time.Hour)
			start := time.Now()
			first, err := d.Run(ctx, at)
			took := time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			if first.Read != 3*due || first.AgentsReminded != due || first.Missed != due || first.CustomersReminded != due {
				b.Fatalf("first run = %+v, want %d of each step", first, due)
			}
			b.Run("day-sweep", func(b *testing.B) {
				read := 0
				for i := 0; i < b.N; i++ {
					s, err := d.Run(ctx, at)
					if err != nil {
						b.Fatal(err)
					}
					if s.AgentsReminded+s.Missed+s.CustomersReminded != 0 {
						b.Fatalf("a rerun did it again: %+v", s)
					}
					read += s.Read
				}
				b.ReportMetric(float64(first.Read), "items-read-first-run")
				b.ReportMetric(float64(took.Milliseconds()), "first-run-ms")
				b.ReportMetric(float64(read)/float64(b.N), "items-read/run")
			})
		})
	}
}
