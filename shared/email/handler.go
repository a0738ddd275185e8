// Package email is Frontdesk's email channel: it takes the mail SES
// stored in S3 (read by shared/mailparse), threads replies onto their
// tickets, acknowledges new tickets without ever feeding a mail loop, and
// keeps what it cannot handle in quarantine for replay.
package email

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/frontdesk/frontdesk/shared/deadline"
	"github.com/frontdesk/frontdesk/shared/intake"
	"github.com/frontdesk/frontdesk/shared/mailparse"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Objects is where the raw mail is read from and attachments go (S3).
type Objects interface {
	// Open streams an object and returns its size (-1 when unknown); a
	// missing object is ticket.ErrNotFound.
	Open(ctx context.Context, bucket, key string) (io.ReadCloser, int64, error)
	Put(ctx context.Context, bucket, key, contentType string, data []byte) error
}

// Receiver turns an inbound contact into a ticket (intake.Service).
type Receiver interface {
	Receive(ctx context.Context, in intake.Inbound) (intake.Receipt, error)
}

// Tickets finds the ticket a mail belongs to and records what was sent.
type Tickets interface {
	Ticket(ctx context.Context, id ticket.ID) (*ticket.Ticket, error)
	ByRef(ctx context.Context, ref ticket.Ref) (ticket.ID, error)
	BySent(ctx context.Context, ch ticket.Channel, providerID string) (ticket.ID, error)
	BySource(ctx context.Context, src ticket.Source) (ticket.ID, error)
}

// Recorder writes a change onto a ticket.
type Recorder interface {
	Apply(ctx context.Context, c ticket.Change) error
	// MutateFrom applies the change decide makes from t, reading the
	// ticket again and deciding again while it changes under the write
	// (dynamo.Store.MutateFrom).
	MutateFrom(ctx context.Context, t *ticket.Ticket, decide func(t *ticket.Ticket) (ticket.Change, error)) (*ticket.Ticket, error)
}

// Bounces remembers addresses mail to which failed permanently.
type Bounces interface {
	MarkUndeliverable(ctx context.Context, addr, status string, at time.Time) error
	Undeliverable(ctx context.Context, addr string) (bool, error)
}

// Aliases makes one source of the same mail delivered twice under two
// provider IDs.
type Aliases interface {
	// ClaimAlias returns the first source claimed for key, and whether
	// that source's mail had the same content hash.
	ClaimAlias(ctx context.Context, ch ticket.Channel, key, sourceID, contentHash string) (first string, same bool, err error)
}

// Quarantine keeps what could not be made into a ticket.
type Quarantine interface {
	Quarantine(ctx context.Context, q ticket.Quarantined) error
}

// Handler consumes the SQS queue fed by the SES receipt rule's S3 action
// (SES → S3 → SNS → SQS).
type Handler struct {
	// RecordDeadline bounds the work for one mail, every AWS call
	// included (DefaultRecordDeadline when zero): a stalled dependency
	// fails the mail, which the queue delivers again.
	RecordDeadline time.Duration
	// Objects reads the raw mail and stores attachments.
	Objects Objects
	// Intake makes tickets.
	Intake Receiver
	// Tickets, Recorder, Bounces, Aliases and Quarantine are the ticket
	// table (dynamo.Store).
	Tickets    Tickets
	Recorder   Recorder
	Bounces    Bounces
	Aliases    Aliases
	Quarantine Quarantine
	// Outbound sends the acknowledgement of a new ticket; nil sends
	// none.
	Outbound Messenger
	// From is the mailbox Frontdesk mails from (MAIL_FROM): mail from it
	// is Frontdesk's own come back, and never acknowledged.
	From string
	// Zone shows the reply-by time in the business's time zone.
	Zone *time.Location
	// Signer makes and checks reply tokens.
	Signer Signer
	// Limits bound what a mail may be (the zero value takes defaults).
	Limits mailparse.Limits
	// AttachmentPrefix is the key prefix attachments are stored under, in
	// the bucket the mail came in.
	AttachmentPrefix string
	// QuarantineAfter is the receive count at which a delivery that keeps
	// failing is quarantined instead of retried (the queue's DLQ takes it
	// one receive later). Zero means 4.
	QuarantineAfter int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Errors that quarantine a delivery rather than retry it.
var (
	errVerdict = errors.New("rejected by SES verdict")
	errUnknown = errors.New("delivery report for a message Frontdesk did not send")
)

// permanentError marks a failure that a retry cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }

func (e permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return permanentError{err} }

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

// DefaultRecordDeadline bounds one mail's handling (a 40 MB mail
// included), well inside the function's 90 s timeout.
const DefaultRecordDeadline = 60 * time.Second

// Handle processes one batch and reports the records to retry. A record
// that can never succeed is quarantined and not retried.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, rec := range ev.Records {
		rctx, cancel := deadline.Within(ctx, cmp.Or(h.RecordDeadline, DefaultRecordDeadline))
		err := h.record(rctx, rec)
		cancel()
		if err != nil {
			slog.ErrorContext(ctx, "email delivery failed", "sqsMessageId", rec.MessageId, "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return resp, nil
}

func (h *Handler) record(ctx context.Context, rec events.SQSMessage) error {
	n, err := DecodeNotification([]byte(rec.Body))
	if err != nil {
		return h.quarantine(ctx, ticket.Quarantined{ID: "sqs-" + rec.MessageId, Reason: err.Error(), Payload: []byte(rec.Body)})
	}
	if n == nil {
		// SES's set-up notification when the topic is first used.
		slog.InfoContext(ctx, "email notification ignored", "sqsMessageId", rec.MessageId)
		return nil
	}
	err = h.Process(ctx, n, false)
	if err == nil {
		return nil
	}
	var perm permanentError
	count, _ := strconv.Atoi(rec.Attributes["ApproximateReceiveCount"])
	after := h.QuarantineAfter
	if after <= 0 {
		after = 4
	}
	if !errors.As(err, &perm) && count < after {
		return err
	}
	payload, _ := json.Marshal(n)
	return h.quarantine(ctx, ticket.Quarantined{
		ID: n.Mail.MessageID, Source: n.Mail.MessageID, Reason: err.Error(),
		Payload: payload, ObjectKey: objectURL(n),
	})
}

func (h *Handler) quarantine(ctx context.Context, q ticket.Quarantined) error {
	q.Channel = ticket.Email
	q.At = h.now()
	if err := h.Quarantine.Quarantine(ctx, q); err != nil {
		return fmt.Errorf("quarantine %s: %w", q.ID, err)
	}
	slog.WarnContext(ctx, "email quarantined", "id", q.ID, "reason", q.Reason)
	return nil
}
