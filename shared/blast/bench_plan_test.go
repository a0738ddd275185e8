package blast_test

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/frontdesk/frontdesk/local/testenv"
	"github.com/frontdesk/frontdesk/shared/blast"
	"github.com/frontdesk/frontdesk/shared/dynamo"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// generated serves an audience file of rows numbers, written as it is
// read, so that the file itself takes no memory.
type generated struct{ rows int }

func (g generated) UploadURL(context.Context, string) (string, error) { return "", nil }

func (g generated) Open(context.Context, string) (io.ReadCloser, error) {
	pr, pw := io.Pipe()
	go func() {
		bw := make([]byte, 0, 64<<10)
		bw = append(bw, "phone,name,language\n"...)
		for i := range g.rows {
			lang := "zh"
			if i%4 == 0 {
				lang = "en"
			}
			bw = fmt.Appendf(bw, "139%08d,住户%d,%s\n", i, i, lang)
			if len(bw) > 60<<10 {
				if _, err := pw.Write(bw); err != nil {
					return
				}
				bw = bw[:0]
			}
		}
		_, _ = pw.Write(bw)
		pw.Close()
	}()
	return pr, nil
}

// oneAtATime hides the store's bulk read: opt-outs checked a number at a
// time, as planning did before.
type oneAtATime struct{ o blast.OptOuts }

func (o oneAtATime) OptedOut(ctx context.Context, p string) (bool, error) {
	return o.o.OptedOut(ctx, p)
}

// requestCounter counts the DynamoDB requests a client makes, by
// operation.
type requestCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *requestCounter) options(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("countRequests", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			c.n[middleware.GetOperationName(ctx)]++
			c.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
	})
}

// peakHeap samples the heap in use until stop is closed and returns the
// highest sample.
func peakHeap(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		var peak uint64
		var m runtime.MemStats
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// BenchmarkPlanAudience runs the plan job of an uploaded audience on the
// emulators, 1% of its numbers opted out: the time, the peak heap while planning, and
// the DynamoDB requests by operation. 200,000 rows is the largest file a
// blast takes; the 20,000-row runs compare the bulk opt-out read with the
// read of one number at a time, and one recipient write in flight with
// WritesInFlight.
func BenchmarkPlanAudience(b *testing.B) {
	for _, bc := range []struct {
		rows   int
		bulk   bool
		writes int
	}{{20_000, false, 0}, {20_000, true, 1}, {20_000, true, 0}, {200_000, true, 0}} {
		mode := "bulk"
		if !bc.bulk {
			mode = "oneByOne"
		}
		writes := bc.writes
		if writes == 0 {
			writes = blast.WritesInFlight
		}
		b.Run(fmt.Sprintf("rows=%d/%s/writes=%d", bc.rows, mode, writes), func(b *testing.B) {
			base, client := testenv.Table(b)
			ctx := context.Background()
			// Seed the opt-outs: every hundredth number.
			var wg sync.WaitGroup
			var next atomic.Int64
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := int(next.Add(100)) - 100; i < bc.rows; i = int(next.Add(100)) - 100 {
						if _, err := base.SetOptOut(ctx, fmt.Sprintf("+86139%08d", i), true, time.Now()); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			counter := &requestCounter{n: map[string]int{}}
			store := dynamo.New(dynamodb.New(client.Options(), counter.options), base.Table())
			svc := &blast.Service{Store: store, OptOuts: store, Queue: &heldJobs{}, Audiences: generated{rows: bc.rows}, Count: segments,
				Region: "CN", Zone: "Asia/Shanghai", Quiet: ticket.QuietHours{}, Pace: 50, Writes: bc.writes}
			if !bc.bulk {
				svc.OptOuts = oneAtATime{store}
			}
			var peak uint64
			var planned *blast.Blast
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				created, err := svc.Create(ctx, supervisor, blast.Draft{Kind: blast.Notice, Upload: true,
					Text: map[string]string{"zh": "明日9时至17时停水", "en": "Water off tomorrow 9-17"}})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := svc.PlanUpload(ctx, supervisor, created.ID); err != nil {
					b.Fatal(err)
				}
				counter.mu.Lock()
				clear(counter.n)
				counter.mu.Unlock()
				runtime.GC()
				stop := make(chan struct{})
				heap := peakHeap(stop)
				b.StartTimer()
				err = svc.RunPlan(ctx, created.ID)
				b.StopTimer()
				close(stop)
				peak = max(peak, <-heap)
				if err != nil {
					b.Fatal(err)
				}
				if planned, err = store.Blast(ctx, created.ID); err != nil {
					b.Fatal(err)
				}
			}
			if want := bc.rows - bc.rows/100; planned.Plan.Recipients != want || planned.Removed.OptedOut != bc.rows/100 {
				b.Fatalf("planned %d recipients, %d opted out; want %d, %d", planned.Plan.Recipients, planned.Removed.OptedOut, want, bc.rows/100)
			}
			b.ReportMetric(float64(peak)/(1<<20), "peakHeapMB")
			total := 0
			for op, n := range counter.n {
				b.ReportMetric(float64(n), op+"/op")
				total += n
			}
			b.ReportMetric(float64(total), "requests/op")
		})
	}
}
