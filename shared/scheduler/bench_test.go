package scheduler_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/scheduler"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// fill loads n tickets whose limits lie in the coming weeks, and due
// tickets whose acknowledge limit passed in the five minutes before at.
func fill(b *testing.B, st *dynamo.Store, n, due int, at time.Time) {
	b.Helper()
	var ts []*ticket.Ticket
	for i := 0; i < n+due; i++ {
		created := at.Add(24*time.Hour + time.Duration(i%(30*24*60))*time.Minute) // spread over the next 30 days
		if i < due {
			created = at.Add(-15*time.Minute - time.Duration(i)*5*time.Second) // ack (15 min, P1) just passed
		}
		t := &ticket.Ticket{
			ID: ticket.NewID(created), Ref: ticket.NewRef(), Channel: ticket.SMS, Kind: ticket.Emergency, Priority: ticket.P1,
			Status: ticket.New, Owner: "emergency-desk", Summary: "load", CreatedAt: created, UpdatedAt: created, Version: 1,
		}
		rules.Clocks(t)
		ts = append(ts, t)
	}
	load(b, st, ts)
}

// BenchmarkSweep measures a sweep run with 50 limits due among 1k and 10k
// tickets (and 100k with FRONTDESK_BENCH_LARGE=1): the entries it reads
// must stay the due ones plus the overlap, whatever the table holds.
func BenchmarkSweep(b *testing.B) {
	sizes := []int{1000, 10000}
	if os.Getenv("FRONTDESK_BENCH_LARGE") != "" {
		sizes = append(sizes, 100000)
	}
	const due = 50
	for _, n := range sizes {
		b.Run(fmt.Sprintf("tickets=%d", n), func(b *testing.B) {
			st, _ := testenv.Table(b)
			at := monday9.AddDate(0, 0, 7)
			fill(b, st, n, due, at)
			sw := &scheduler.Sweep{Store: st, Rules: rules}
			ctx := context.Background()
			start := time.Now()
			first, err := sw.Run(ctx, at)
			took := time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			if first.Escalated != due {
				b.Fatalf("first run escalated %d, want %d", first.Escalated, due)
			}
			b.ResetTimer()
			var read int
			for i := 0; i < b.N; i++ {
				// Runs again as of the same instant (an overlapping run):
				// the same entries read, nothing escalated twice.
				s, err := sw.Run(ctx, at)
				if err != nil {
					b.Fatal(err)
				}
				if s.Escalated != 0 {
					b.Fatalf("a rerun escalated %d", s.Escalated)
				}
				read += s.Read
			}
			b.StopTimer()
			b.ReportMetric(float64(first.Read), "items-read-first-run")
			b.ReportMetric(float64(took.Milliseconds()), "first-run-ms")
			b.ReportMetric(float64(read)/float64(b.N), "items-read/run")
		})
	}
}

// load writes the tickets in eight parallel parts (batch writes), outside
// any timed part of a benchmark.
func load(b *testing.B, st *dynamo.Store, ts []*ticket.Ticket) {
	b.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	chunk := (len(ts) + 7) / 8
	for i := 0; i < len(ts); i += chunk {
		wg.Add(1)
		go func(part []*ticket.Ticket) {
			defer wg.Done()
			if err := st.Load(context.Background(), part); err != nil {
				errs <- err
			}
		}(ts[i:min(i+chunk, len(ts))])
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}
