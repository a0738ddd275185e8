package notice

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/frontdesk/frontdesk/shared/deadline"
)

// publisher sends notices and returns the ones that failed for good.
type publisher interface {
	Publish(ctx context.Context, ns []Notice) []Failure
}

// Handler is the notifier: it turns a batch of ticket-table stream records
// into notices.
type Handler struct {
	Builder   Builder
	Publisher publisher
	Log       *slog.Logger
	// Deadline bounds publishing one batch, retries included
	// (DefaultDeadline when zero): a stalled SNS fails the batch's
	// records, which the stream delivers again, instead of the invocation.
	Deadline time.Duration
}

// DefaultDeadline bounds publishing one batch.
const DefaultDeadline = 20 * time.Second

// NewHandler returns the notifier over a publisher.
func NewHandler(b Builder, p *Publisher, log *slog.Logger) *Handler {
	return &Handler{Builder: b, Publisher: p, Log: log}
}

// Handle publishes one notice per history event insert in the batch and
// ignores every other record (see IsEvent). It reports exactly the records
// whose notice did not go out — unreadable ones included, so they reach
// the on-failure destination instead of vanishing — as batch item
// failures; the error is always nil so one bad record never fails its
// neighbours.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	log := h.Log
	if log == nil {
		log = slog.Default()
	}
	resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
	failedSeq := map[string]bool{}
	var notices []Notice
	var seqs []string
	ignored := 0
	for _, r := range ev.Records {
		if !IsEvent(r) {
			ignored++
			continue
		}
		seq := r.Change.SequenceNumber
		e, t, err := Decode(r)
		var n Notice
		if err == nil {
			n, err = h.Builder.Build(e, t)
		}
		if err != nil {
			log.ErrorContext(ctx, "stream record unreadable", "sequenceNumber", seq, "eventID", r.EventID, "err", err)
			failedSeq[seq] = true
			continue
		}
		notices = append(notices, n)
		seqs = append(seqs, seq)
	}
	pctx, cancel := deadline.Within(ctx, cmp.Or(h.Deadline, DefaultDeadline))
	defer cancel()
	for _, f := range h.Publisher.Publish(pctx, notices) {
		n := notices[f.Index]
		log.ErrorContext(ctx, "notice not published", "noticeId", n.ID, "ref", n.Ref, "event", n.Event,
			"sequenceNumber", seqs[f.Index], "permanent", errors.As(f.Err, new(permanent)), "err", f.Err)
		failedSeq[seqs[f.Index]] = true
	}
	// Report in stream order, each record once.
	for _, r := range ev.Records {
		if seq := r.Change.SequenceNumber; failedSeq[seq] {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: seq})
			delete(failedSeq, seq)
		}
	}
	log.InfoContext(ctx, "stream batch handled", "records", len(ev.Records), "notices", len(notices),
		"ignored", ignored, "failed", len(resp.BatchItemFailures))
	return resp, nil
}
