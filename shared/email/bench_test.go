package email_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/frontdesk/frontdesk/shared/email"
	"github.com/frontdesk/frontdesk/shared/mailparse"
)

// BenchmarkEndToEnd measures mails per second through the real handler:
// read from S3 (fauxqs), parse, thread, write the ticket to DynamoDB
// Local, send and record the acknowledgement (SES emulator). Storing the
// mail in S3 (SES's part) happens before the clock starts.
func BenchmarkEndToEnd(b *testing.B) {
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, bc := range []struct {
		par int
		ack bool
	}{{1, true}, {1, false}, {4, true}} {
		par := bc.par
		b.Run(fmt.Sprintf("workers=%d/ack=%v", bc.par, bc.ack), func(b *testing.B) {
			e := newEnv(b)
			payloads := make([][]byte, b.N)
			for i := range payloads {
				id := sesID(b)
				e.put(id, mailFrom(unique(b, "bench"), fmt.Sprintf("水管爆裂 %d", i), "楼下水管爆裂，水漫进了车库，请尽快派人处理。"))
				payloads[i] = e.event(id)
			}
			handlers := make([]*email.Handler, par)
			for i := range handlers {
				handlers[i] = e.handler(mailparse.Limits{})
				if !bc.ack {
					handlers[i].Outbound = nil
				}
			}
			// Warm the emulators up (JIT, first connections) off the clock.
			warm := sesID(b)
			e.put(warm, mailFrom(unique(b, "warm"), "预热", "预热"))
			e.ok(e.invoke(handlers[0], e.event(warm)))
			var next atomic.Int64
			start := time.Now()
			b.ResetTimer()
			var failed atomic.Int64
			done := make(chan struct{})
			for w := 0; w < par; w++ {
				go func(h *email.Handler) {
					defer func() { done <- struct{}{} }()
					run := lambda.NewHandler(h.Handle)
					for {
						i := next.Add(1) - 1
						if i >= int64(len(payloads)) {
							return
						}
						out, err := run.Invoke(context.Background(), payloads[i])
						if err != nil || strings.Contains(string(out), "itemIdentifier") {
							failed.Add(1)
						}
					}
				}(handlers[w])
			}
			for w := 0; w < par; w++ {
				<-done
			}
			b.StopTimer()
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d of %d mails failed", n, b.N)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}
