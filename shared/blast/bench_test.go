package blast_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/blast"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// BenchmarkPace sends a blast at 1, 10 and 50 messages a second with four
// sender instances on the emulators and reports the rate measured from
// the first text to the last against the pace (ratio ≤ 1 is the ceiling).
func BenchmarkPace(b *testing.B) {
	for _, pace := range []float64{1, 10, 50} {
		b.Run(fmt.Sprintf("pace=%v", pace), func(b *testing.B) {
			r := newRig(b)
			n := int(pace * 6)
			if n < 8 {
				n = 8
			}
			var ratio, rate float64
			for i := 0; i < b.N; i++ {
				r.book = &phoneBook{}
				id := fmt.Sprintf("pace-%v-%d", pace, i)
				r.plant(b, id, n, blast.Notice, ticket.QuietHours{}, pace)
				w := r.worker()
				w.PaceKey = id
				var wg sync.WaitGroup
				// Four instances work through every chunk; the claims keep
				// each recipient to one of them.
				jobs := blast.Jobs(&blast.Blast{ID: id, Chunks: (n + blast.ChunkSize - 1) / blast.ChunkSize})
				for k := range 4 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						// Each instance starts at its own chunk, as SQS hands
						// different messages to different instances.
						for c := range jobs {
							j := jobs[(c+k)%len(jobs)]
							if err := w.Chunk(context.Background(), j); err != nil {
								b.Error(err)
							}
						}
					}()
				}
				wg.Wait()
				at := r.book.at
				if len(at) != n {
					b.Fatalf("%d texts, want %d", len(at), n)
				}
				first, last := at[0], at[0]
				for _, t := range at {
					if t.Before(first) {
						first = t
					}
					if t.After(last) {
						last = t
					}
				}
				rate = float64(n-1) / last.Sub(first).Seconds()
				ratio = rate / pace
			}
			b.ReportMetric(rate, "sends/s")
			b.ReportMetric(ratio, "ofPace")
		})
	}
}

// BenchmarkGroupReplies groups 1,000 replies.
func BenchmarkGroupReplies(b *testing.B) {
	rs := make([]blast.Reply, 1000)
	for i := range rs {
		rs[i] = blast.Reply{Phone: phone(i), Body: fmt.Sprintf(replyBodies[i%len(replyBodies)], i%9), At: time.Now()}
	}
	b.ReportAllocs()
	for b.Loop() {
		blast.GroupReplies(rs)
	}
}
