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

// fillCallbacks opens n tickets over the week before monday9 (each with its own
// time-limit entries in the due index, none with a callback) and books
// due callbacks on Monday morning, a minute apart from 09:00.
func fillCallbacks(b *testing.B, st *dynamo.Store, n, due int) {
	b.Helper()
	ctx := context.Background()
	week := monday9.Add(-7 * 24 * time.Hour)
	var wg sync.WaitGroup
	jobs := make(chan int)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				at := week.Add(time.Duration(i) * 7 * 24 * time.Hour / time.Duration(n+due))
				tk := &ticket.Ticket{
					ID: ticket.NewID(at), Ref: ticket.NewRef(), Channel: ticket.SMS, Kind: ticket.Complaint, Priority: ticket.P2,
					Status: ticket.New, Contact: ticket.Contact{Phone: fmt.Sprintf("+861380%07d", i)}, Owner: "complaints",
					Summary: "rude engineer", CreatedAt: at, UpdatedAt: at, Version: 1,
				}
				rules.Clocks(tk)
				if i < due {
					start := monday9.Add(time.Duration(i) * time.Minute)
					tk.Callback = rules.PlanCallback(&ticket.Callback{Start: start, End: start.Add(30 * time.Minute), Zone: "Asia/Shanghai"}, week)
				}
				if err := st.Apply(ctx, ticket.Change{Ticket: tk, Create: true}); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for i := 0; i < n+due; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

// BenchmarkPlannerAndSweep: what the overnight planner and the day sweep
// read grows with what is due (200 callbacks), not with the table (1k and
// 10k tickets, and 100k with FRONTDESK_BENCH_LARGE=1).
func BenchmarkPlannerAndSweep(b *testing.B) {
	const due = 200
	sizes := []int{1000, 10000}
	if os.Getenv("FRONTDESK_BENCH_LARGE") != "" {
		sizes = append(sizes, 100000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("tickets=%d", n+due), func(b *testing.B) {
			st, _ := testenv.Table(b)
			fillCallbacks(b, st, n, due)
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
				b.ReportMetric(float64(s.Read), "items-read")
			})
			// The sweep's reads over the morning the callbacks fall in:
			// every range of every kind it handles.
			b.Run("sweep-read", func(b *testing.B) {
				read := 0
				for i := 0; i < b.N; i++ {
					read = 0
					for _, k := range []string{dynamo.DueCallbackAgent, dynamo.DueCallbackMissed, dynamo.DueCallbackCustomer, dynamo.DueVisit} {
						ds, err := st.DueBetween(ctx, k, monday9.Add(-2*time.Hour), monday9.Add(4*time.Hour))
						if err != nil {
							b.Fatal(err)
						}
						read += len(ds)
					}
				}
				b.ReportMetric(float64(read), "items-read")
			})
			// The day sweep at 12:30, its first run: every customer and
			// agent reminded (the last window opens at 12:19), most
			// windows missed. The reruns, as of the same instant, read
			// the same range and send nothing.
			// (Last: it changes the tickets the others read.)
			d := &scheduler.Day{Store: st, Rules: rules, Messages: newOutbox()}
			at := monday9.Add(3*time.Hour + 30*time.Minute)
			var first scheduler.DayStats
			var took time.Duration
			b.Run("day-sweep", func(b *testing.B) {
				// The testing package calls this more than once; the
				// first call makes the first run.
				if first.To.IsZero() {
					start := time.Now()
					var err error
					if first, err = d.Run(ctx, at); err != nil {
						b.Fatal(err)
					}
					took = time.Since(start)
					if first.CustomersReminded != due || first.AgentsReminded != due {
						b.Fatalf("first run reminded %d customers and %d agents, want %d each", first.CustomersReminded, first.AgentsReminded, due)
					}
				}
				b.ResetTimer()
				read := 0
				for i := 0; i < b.N; i++ {
					s, err := d.Run(ctx, at)
					if err != nil {
						b.Fatal(err)
					}
					if s.CustomersReminded != 0 {
						b.Fatalf("a rerun reminded %d", s.CustomersReminded)
					}
					read += s.Read
				}
				b.StopTimer()
				b.ReportMetric(float64(first.Read), "items-read-first-run")
				b.ReportMetric(float64(took.Milliseconds()), "first-run-ms")
				b.ReportMetric(float64(read)/float64(b.N), "items-read/run")
			})
		})
	}
}
