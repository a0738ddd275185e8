package sms

import (
	"cmp"
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/frontdesk/frontdesk/shared/deadline"
)

// QueueHandler consumes the inbound queue (End User Messaging → SNS →
// SQS). Records of a batch are handled concurrently; each one that fails
// is reported in the batch response so SQS retries only it. A record that
// cannot be used is quarantined and counts as done.
type QueueHandler struct {
	Service *Service
	// Workers bounds the records handled at once (10 when zero).
	Workers int
	// Deadline bounds the work for one record, every AWS call included
	// (DefaultRecordDeadline when zero): a stalled dependency fails the
	// record, which the queue delivers again, instead of the invocation.
	Deadline time.Duration
}

// DefaultRecordDeadline bounds one text's handling, well inside the
// function's 30 s timeout.
const DefaultRecordDeadline = 20 * time.Second

// Handle is the Lambda handler.
func (h *QueueHandler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	workers := h.Workers
	if workers <= 0 {
		workers = 10
	}
	var (
		mu   sync.Mutex
		resp events.SQSEventResponse
		wg   sync.WaitGroup
		sem  = make(chan struct{}, workers)
	)
	for _, rec := range ev.Records {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			rctx, cancel := deadline.Within(ctx, cmp.Or(h.Deadline, DefaultRecordDeadline))
			defer cancel()
			if err := h.record(rctx, rec); err != nil {
				slog.ErrorContext(ctx, "sms record failed", "messageId", rec.MessageId, "err", err)
				mu.Lock()
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return resp, nil
}

func (h *QueueHandler) record(ctx context.Context, rec events.SQSMessage) error {
	m, err := ParseRecord([]byte(rec.Body))
	if err == nil {
		_, err = h.Service.Handle(ctx, m, false)
	}
	if IsInput(err) {
		m.Provider = EndUserMessaging
		return h.Service.Reject(ctx, m, rec.MessageId, []byte(rec.Body), err)
	}
	return err
}
