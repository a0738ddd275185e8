package blast

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/wait"
)

// Sender is the outbound service (outbound.Service), the one way
// Frontdesk messages a customer: SendText texts a blast recipient, whom
// the blast claims and records itself; Send messages a ticket (an answer
// to a reply), claimed under its key and recorded on the ticket.
type Sender interface {
	SendText(ctx context.Context, t outbound.Text) (providerID string, err error)
	Send(ctx context.Context, r outbound.Request) (outbound.Sent, error)
}

// OptOuts says whether a number asked for no more texts.
type OptOuts interface {
	OptedOut(ctx context.Context, phone string) (bool, error)
}

// Store keeps blasts and their recipients; the DynamoDB store provides it.
type Store interface {
	CreateBlast(ctx context.Context, b *Blast) error
	Blast(ctx context.Context, id string) (*Blast, error)
	BlastState(ctx context.Context, id string) (State, error)
	SaveBlast(ctx context.Context, b *Blast, prev int) error
	PutRecipients(ctx context.Context, id string, rs []Recipient) error
	Recipients(ctx context.Context, id string, chunk int) ([]Recipient, error)
	ClaimRecipient(ctx context.Context, id string, r Recipient, at time.Time) (bool, error)
	ReleaseRecipient(ctx context.Context, id string, r Recipient, attempts int, failed bool) error
	SkipRecipient(ctx context.Context, id string, r Recipient) error
	RecordBlastSent(ctx context.Context, id string, r Recipient, providerID string, at time.Time) error
	BlastCounts(ctx context.Context, id string) (Counts, error)
	// Replies returns the replies linked to a blast.
	Replies(ctx context.Context, id string) ([]Reply, error)
}

// Pacer hands out send slots at a pace shared by every sender.
type Pacer interface {
	// TakeSlot reserves the next slot of the pace named key, one every
	// interval, and returns when it opens.
	TakeSlot(ctx context.Context, key string, interval time.Duration) (time.Time, error)
}

// Job is one send-queue message: a chunk of a blast's recipients; with
// Answer set, a chunk of the tickets one answer to its replies goes to;
// with Plan set, the plan of the blast's uploaded audience.
type Job struct {
	Blast  string `json:"blast"`
	Chunk  int    `json:"chunk"`
	Answer string `json:"answer,omitempty"`
	Plan   bool   `json:"plan,omitempty"`
}

// Queue puts jobs on the send queue.
type Queue interface {
	// Enqueue sends jobs, each delivered no sooner than delay (at most
	// MaxDelay).
	Enqueue(ctx context.Context, jobs []Job, delay time.Duration) error
}

// MaxDelay is the longest a queue message can be held back (SQS's limit);
// a longer quiet-hours hold is made of several.
const MaxDelay = 15 * time.Minute

// MaxAttempts is how many failed sends mark a recipient failed.
const MaxAttempts = 3

// Jobs returns the send-queue messages covering every recipient of b.
func Jobs(b *Blast) []Job {
	jobs := make([]Job, b.Chunks)
	for i := range jobs {
		jobs[i] = Job{Blast: b.ID, Chunk: i}
	}
	return jobs
}

// Worker texts the recipients of the chunks it is handed, at the pace,
// in order, each once: the SQS-fed sender.
type Worker struct {
	Store   Store
	Pacer   Pacer
	Queue   Queue
	Sender  Sender
	OptOuts OptOuts
	// Answers keeps answers to replies (nil: none are sent).
	Answers AnswerStore
	// Plans runs plan jobs (Service.RunPlan; nil: plan jobs fail and are
	// retried).
	Plans *Service
	// PaceKey names the pace shared by everything sending from one
	// number ("sms" when empty).
	PaceKey string
	// Margin is kept back before the invocation's deadline, to give back
	// a claim and report the chunk (3 s when zero).
	Margin time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (w *Worker) paceKey() string {
	if w.PaceKey == "" {
		return "sms"
	}
	return w.PaceKey
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now().UTC()
	}
	return time.Now().UTC()
}

// Handle is the Lambda SQS handler: each record is one Job; a record
// whose chunk could not be finished is reported as a batch item failure
// and comes back after the visibility timeout, when the claims already
// made keep it from texting anyone twice.
func (w *Worker) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	margin := w.Margin
	if margin == 0 {
		margin = 3 * time.Second
	}
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-margin))
		defer cancel()
	}
	for _, rec := range ev.Records {
		var j Job
		if err := json.Unmarshal([]byte(rec.Body), &j); err != nil || j.Blast == "" {
			// Nothing Frontdesk wrote: retrying cannot help.
			slog.ErrorContext(ctx, "blast job unreadable", "messageId", rec.MessageId)
			continue
		}
		if err := w.Chunk(ctx, j); err != nil {
			slog.WarnContext(ctx, "blast job not finished", "blast", j.Blast, "chunk", j.Chunk, "plan", j.Plan, "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return resp, nil
}

// Chunk texts the pending recipients of one chunk. It stops, leaving the
// rest pending, when the blast is no longer sending (paused, cancelled:
// resuming queues the chunks again). Recipients whom quiet hours hold
// are left pending and the chunk is queued again for when the first of
// them may be texted.
func (w *Worker) Chunk(ctx context.Context, j Job) error {
	if j.Answer != "" {
		return w.answerChunk(ctx, j)
	}
	if j.Plan {
		if w.Plans == nil {
			return fmt.Errorf("plan blast %s: this sender does not plan", j.Blast)
		}
		return w.Plans.RunPlan(ctx, j.Blast)
	}
	b, err := w.Store.Blast(ctx, j.Blast)
	if errors.Is(err, ErrNotFound) {
		slog.ErrorContext(ctx, "blast job for no blast", "blast", j.Blast)
		return nil
	}
	if err != nil {
		return err
	}
	if b.State != Sending {
		return nil
	}
	rs, err := w.Store.Recipients(ctx, j.Blast, j.Chunk)
	if err != nil {
		return err
	}
	var heldUntil time.Time
	sent := 0
	for _, r := range rs {
		if r.Status != Pending {
			continue
		}
		if held, until := b.Hold(w.now(), r.Zone); held {
			if heldUntil.IsZero() || until.Before(heldUntil) {
				heldUntil = until
			}
			continue
		}
		stop, err := w.one(ctx, b, r)
		var quiet *outbound.QuietError
		if errors.As(err, &quiet) {
			// Quiet hours began while the recipient waited for the pace.
			if heldUntil.IsZero() || quiet.Until.Before(heldUntil) {
				heldUntil = quiet.Until
			}
			continue
		}
		if err != nil {
			return err
		}
		if stop {
			return nil
		}
		sent++
	}
	if !heldUntil.IsZero() {
		delay := min(heldUntil.Sub(w.now()), MaxDelay)
		slog.InfoContext(ctx, "blast held by quiet hours", "blast", b.ID, "chunk", j.Chunk, "until", heldUntil)
		if err := w.Queue.Enqueue(ctx, []Job{j}, delay); err != nil {
			return fmt.Errorf("hold chunk %d of blast %s: %w", j.Chunk, b.ID, err)
		}
		return nil
	}
	return w.finish(ctx, b)
}

// one texts one recipient: opt-out check, claim, pace slot, state check,
// send, record. It reports stop when the blast stopped sending.
func (w *Worker) one(ctx context.Context, b *Blast, r Recipient) (stop bool, err error) {
	if st, err := w.Store.BlastState(ctx, b.ID); err != nil {
		return false, err
	} else if st != Sending {
		return true, nil
	}
	opted, err := w.OptOuts.OptedOut(ctx, r.Phone)
	if err != nil {
		return false, err
	}
	if opted {
		return false, w.Store.SkipRecipient(ctx, b.ID, r)
	}
	// The claim is written even when the invocation is being stopped: a
	// claim cut off after DynamoDB applied it would hold the recipient with
	// nobody to text them.
	claimCtx, cancelClaim := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	ok, err := w.Store.ClaimRecipient(claimCtx, b.ID, r, w.now())
	cancelClaim()
	if err != nil || !ok {
		return false, err
	}
	release := func(cause error, attempts int, failed bool) error {
		if rerr := w.Store.ReleaseRecipient(ctx, b.ID, r, attempts, failed); rerr != nil {
			return errors.Join(cause, rerr)
		}
		return cause
	}
	slot, err := w.Pacer.TakeSlot(ctx, w.paceKey(), time.Duration(float64(time.Second)/b.Pace))
	if err != nil {
		return false, release(err, r.Attempts, false)
	}
	// The slot is on the wall clock shared by every sender, not Now.
	if err := wait.Sleep(ctx, time.Until(slot)); err != nil {
		return false, release(err, r.Attempts, false)
	}
	// A pause or cancel while waiting for the slot stops the text.
	if st, err := w.Store.BlastState(ctx, b.ID); err != nil || st != Sending {
		if err == nil {
			return true, release(nil, r.Attempts, false)
		}
		return false, release(err, r.Attempts, false)
	}
	// Once a text is handed to the provider it is seen through, even when
	// the invocation is being stopped: cutting the call short could leave a
	// text sent and its claim given back, and the customer texted twice.
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	pid, err := w.Sender.SendText(sendCtx, b.outboundText(r))
	cancel()
	switch {
	case errors.Is(err, outbound.ErrOptedOut):
		// Opted out while waiting for the pace.
		if err := release(nil, r.Attempts, false); err != nil {
			return false, err
		}
		return false, w.Store.SkipRecipient(ctx, b.ID, r)
	case errors.Is(err, outbound.ErrQuietHours):
		return false, release(err, r.Attempts, false)
	}
	if err != nil {
		failed := r.Attempts+1 >= MaxAttempts
		err = release(fmt.Errorf("text recipient %d of blast %s: %w", r.Seq, b.ID, err), r.Attempts+1, failed)
		if failed {
			slog.WarnContext(ctx, "blast recipient failed", "blast", b.ID, "seq", r.Seq, "err", err)
			return false, nil
		}
		return false, err
	}
	if err := w.Store.RecordBlastSent(ctx, b.ID, r, pid, w.now()); err != nil {
		// The text is out; the claim stays, so it never goes again.
		slog.ErrorContext(ctx, "blast text not recorded", "blast", b.ID, "seq", r.Seq, "providerId", pid, "err", err)
	}
	return false, nil
}

// finish marks the blast done once every recipient is handled.
func (w *Worker) finish(ctx context.Context, b *Blast) error {
	for range 5 {
		c, err := w.Store.BlastCounts(ctx, b.ID)
		if err != nil {
			return err
		}
		if c.Handled() < b.Plan.Recipients {
			return nil
		}
		cur, err := w.Store.Blast(ctx, b.ID)
		if err != nil {
			return err
		}
		if cur.State != Sending {
			return nil
		}
		prev := cur.Version
		if err := cur.Apply(Finish, "system:blast-sender", w.now(), fmt.Sprintf("sent=%d failed=%d optedOut=%d", c.Sent, c.Failed, c.OptedOut)); err != nil {
			return nil
		}
		err = w.Store.SaveBlast(ctx, cur, prev)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err == nil {
			slog.InfoContext(ctx, "blast done", "blast", b.ID, "sent", c.Sent, "failed", c.Failed, "optedOut", c.OptedOut)
		}
		return err
	}
	return nil
}
