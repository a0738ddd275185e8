package blast_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk/frontdesk/shared/blast"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/sms"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// BenchmarkReplyBurst sends a blast to 1,000 numbers, then every number
// replies at once through the SMS channel's service (eight at a time, as
// the SMS function's concurrent instances take them): the replies a
// second intake keeps up with, and the time to read and group the
// incident's 1,000 replies.
func BenchmarkReplyBurst(b *testing.B) {
	const n = 1000
	ctx := context.Background()
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	var perSecond, grouping, incident float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		r := newRig(b)
		id := fmt.Sprintf("burst-%d", i)
		r.plant(b, id, n, blast.Outage, ticket.QuietHours{}, 1000)
		w := r.worker()
		w.PaceKey = id
		for c := range n / blast.ChunkSize {
			if err := w.Chunk(ctx, blast.Job{Blast: id, Chunk: c}); err != nil {
				b.Fatal(err)
			}
		}
		sent := map[string]string{}
		if err := r.store.EachRecipient(ctx, id, func(rc blast.Recipient) error { sent[rc.Phone] = rc.ProviderID; return nil }); err != nil {
			b.Fatal(err)
		}
		in := &intake.Service{Store: r.store, Rules: ticket.MustDefaultRules(shanghai), Region: "CN"}
		svc := sms.New(r.store, in, sms.MustDefaultKeywords(), r.book, "CN")
		jobs := make(chan int)
		var wg sync.WaitGroup
		b.StartTimer()
		begin := time.Now()
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range jobs {
					body := replyBodies[k%len(replyBodies)]
					if strings.Contains(body, "%d") {
						body = fmt.Sprintf(body, k%9)
					}
					m := sms.Message{Provider: sms.EndUserMessaging, ID: fmt.Sprintf("%s-in-%d", id, k), From: phone(k),
						Body: body, ReplyTo: sent[phone(k)], At: time.Now().UTC()}
					if _, err := svc.Handle(ctx, m, false); err != nil {
						b.Errorf("reply %d: %v", k, err)
					}
				}
			}()
		}
		for k := range n {
			jobs <- k
		}
		close(jobs)
		wg.Wait()
		perSecond = n / time.Since(begin).Seconds()
		read := time.Now()
		inc, err := r.service().Incident(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		incident = float64(time.Since(read).Microseconds()) / 1000
		grouping = float64(inc.Grouping.Microseconds()) / 1000
		b.StopTimer()
		if inc.Counts.Replied != n {
			b.Fatalf("replied = %d, want %d", inc.Counts.Replied, n)
		}
	}
	b.ReportMetric(perSecond, "replies/s")
	b.ReportMetric(grouping, "groupingMs")
	b.ReportMetric(incident, "incidentMs")
}
