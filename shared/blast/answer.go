package blast

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/frontdesk/frontdesk/shared/identity"
	"github.com/frontdesk/frontdesk/shared/outbound"
	"github.com/frontdesk/frontdesk/shared/staffauth"
	"github.com/frontdesk/frontdesk/shared/ticket"
	"github.com/frontdesk/frontdesk/shared/wait"
)

// AllReplies names every reply of an incident where a group key is asked
// for.
const AllReplies = "all"

// MaxAnswer bounds an answer's text, as a blast's.
const MaxAnswer = 1600

// BlastAnswer is one reply staff write to a group of a blast's replies (or to
// all of them): texted to each replier on the ticket of their reply, at
// the blast's pace, in the background.
type Answer struct {
	ID    string `json:"id"`
	Blast string `json:"blast"`
	// Group is the group key answered, or AllReplies.
	Group string    `json:"group"`
	Text  string    `json:"text"`
	By    string    `json:"by"`
	At    time.Time `json:"at"`
	// Targets is how many repliers it goes to; Chunks how many send-queue
	// messages cover them.
	Targets int `json:"targets"`
	Chunks  int `json:"chunks"`
	// Set names the targets written by the request that made the answer:
	// two requests for one answer at once each write their own, and only
	// the winner's are sent to.
	Set string `json:"set"`
}

// TargetSet names the answer's targets in the store.
func (a *Answer) TargetSet() string { return a.ID + "." + a.Set }

// AnswerCounts tally what became of an answer's targets.
type AnswerCounts struct {
	Sent int `json:"sent"`
	// OptedOut counts repliers skipped because their number opted out.
	OptedOut int `json:"optedOut"`
	// Failed counts repliers who could not be reached (no ticket, no
	// number).
	Failed int `json:"failed"`
}

// AnswerStatus is an answer with its progress.
type AnswerStatus struct {
	Answer
	Counts  AnswerCounts `json:"counts"`
	Pending int          `json:"pending"`
	Done    bool         `json:"done"`
}

// Progress fills Pending and Done from the counts.
func (a *AnswerStatus) Progress() {
	a.Pending = max(a.Targets-a.Counts.Sent-a.Counts.OptedOut-a.Counts.Failed, 0)
	a.Done = a.Pending == 0
}

// Target is one replier an answer goes to: the reply whose ticket gets it,
// numbered from 0 in the answer's order (Seq/ChunkSize is its chunk).
type Target struct {
	Seq      int    `json:"seq"`
	Phone    string `json:"phone"`
	SourceID string `json:"sourceId"`
	// Status is Pending until the target is settled: Sent, Skipped
	// (opted out) or Failed.
	Status     RecipientStatus `json:"status"`
	TicketID   string          `json:"ticketId,omitempty"`
	ProviderID string          `json:"providerId,omitempty"`
}

// AnswerStore keeps answers and their targets; the DynamoDB store
// provides it.
type AnswerStore interface {
	// PutBlastAnswerTargets stores the targets of an answer under its
	// target set (Answer.TargetSet), pending, before the answer itself.
	PutBlastAnswerTargets(ctx context.Context, blast, set string, ts []Target) error
	// CreateBlastAnswer stores a new answer, reporting false when one with its
	// ID is there already.
	CreateBlastAnswer(ctx context.Context, a *Answer) (bool, error)
	// BlastAnswer reads one answer with its counts (ErrNotFound when none).
	BlastAnswer(ctx context.Context, blast, id string) (*AnswerStatus, error)
	// BlastAnswers reads every answer to a blast's replies, with their counts.
	BlastAnswers(ctx context.Context, blast string) ([]AnswerStatus, error)
	// BlastAnswerTargets reads the targets of one chunk of an answer.
	BlastAnswerTargets(ctx context.Context, blast, set string, chunk int) ([]Target, error)
	// SettleBlastAnswerTarget moves a pending target to t.Status (with its ticket and
	// provider ID) and counts it, once: a target settled before is left
	// alone.
	SettleBlastAnswerTarget(ctx context.Context, a *Answer, t Target) error
	// BySource returns the ticket an inbound message went to.
	BySource(ctx context.Context, src ticket.Source) (ticket.ID, error)
}

// Targets picks the repliers an answer to group (a group key, or
// AllReplies) goes to: one per number, on the ticket of their latest reply
// in the group, ordered by number. It reports false when the incident has
// no such group.
func Targets(rs []Reply, group string) ([]Target, bool) {
	var picked []Reply
	if group == AllReplies {
		picked = rs
	} else {
		for _, g := range GroupReplies(rs) {
			if g.Key == group {
				picked = g.Replies
				break
			}
		}
	}
	if len(picked) == 0 {
		return nil, false
	}
	latest := map[string]Reply{}
	for _, r := range picked {
		if l, ok := latest[r.Phone]; !ok || r.At.After(l.At) || (r.At.Equal(l.At) && r.SourceID > l.SourceID) {
			latest[r.Phone] = r
		}
	}
	ts := make([]Target, 0, len(latest))
	for _, r := range latest {
		ts = append(ts, Target{Phone: r.Phone, SourceID: r.SourceID, Status: Pending})
	}
	slices.SortFunc(ts, func(a, b Target) int { return cmp.Compare(a.Phone, b.Phone) })
	for i := range ts {
		ts[i].Seq = i
	}
	return ts, true
}

// AnswerDraft is what staff ask for when answering replies.
type AnswerDraft struct {
	// Group is a group key from the incident, or AllReplies.
	Group string `json:"group"`
	Text  string `json:"text"`
}

// answerID names the answer to blast id asked with key (the request's
// Idempotency-Key) or, without one, by its group and text: a request
// retried makes the same answer, never a second one.
func answerID(blast, key string, d AnswerDraft) string {
	parts := []string{blast, "key", key}
	if key == "" {
		parts = []string{blast, "group", d.Group, d.Text}
	}
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "A" + strings.ToUpper(hex.EncodeToString(h.Sum(nil)[:12]))
}

// AnswerReplies sends one answer to a group of blast id's replies (or all
// of them), as staff member by: supervisors and admins may, like sending a
// blast (an agent answers the tickets one by one). The repliers are picked
// now and their chunks queued; a request made again (the same
// Idempotency-Key, or without one the same group and text) returns the
// answer made first, queued again, and created reports false.
func (s *Service) AnswerReplies(ctx context.Context, by identity.Staff, id, key string, d AnswerDraft) (_ *AnswerStatus, created bool, _ error) {
	if !staffauth.MayBlast(by, false) {
		return nil, false, ErrForbidden
	}
	if s.Answers == nil {
		return nil, false, errors.New("answer replies: no answer store")
	}
	d.Group, d.Text = strings.TrimSpace(d.Group), strings.TrimSpace(d.Text)
	var errs []error
	if d.Group == "" {
		errs = append(errs, fmt.Errorf("group: give a group key from the replies, or %q", AllReplies))
	}
	if d.Text == "" {
		errs = append(errs, errors.New("text: give the answer"))
	}
	if len(d.Text) > MaxAnswer {
		errs = append(errs, fmt.Errorf("text: longer than %d bytes", MaxAnswer))
	}
	if len(errs) > 0 {
		return nil, false, &InputError{errors.Join(errs...)}
	}
	if _, err := s.Store.Blast(ctx, id); err != nil {
		return nil, false, err
	}
	aid := answerID(id, key, d)
	a, err := s.Answers.BlastAnswer(ctx, id, aid)
	switch {
	case err == nil:
		// Asked before: queue it again, in case the first request stopped
		// before queuing; the per-ticket claims keep anyone from getting it
		// twice.
		return a, false, s.queueAnswer(ctx, &a.Answer)
	case !errors.Is(err, ErrNotFound):
		return nil, false, err
	}
	rs, err := s.Store.Replies(ctx, id)
	if err != nil {
		return nil, false, err
	}
	ts, ok := Targets(rs, d.Group)
	if !ok {
		return nil, false, &InputError{fmt.Errorf("group: no replies in group %q", d.Group)}
	}
	now := s.now()
	na := &Answer{ID: aid, Blast: id, Group: d.Group, Text: d.Text, By: by.Actor(), At: now,
		Targets: len(ts), Chunks: (len(ts) + ChunkSize - 1) / ChunkSize, Set: string(ticket.NewID(now))}
	if err := s.Answers.PutBlastAnswerTargets(ctx, id, na.TargetSet(), ts); err != nil {
		return nil, false, err
	}
	if created, err = s.Answers.CreateBlastAnswer(ctx, na); err != nil {
		return nil, false, err
	}
	if !created {
		// The same request, made at the same time: the first one's stands.
		if a, err = s.Answers.BlastAnswer(ctx, id, aid); err != nil {
			return nil, false, err
		}
		return a, false, s.queueAnswer(ctx, &a.Answer)
	}
	slog.InfoContext(ctx, "blast replies answered", "blast", id, "answer", aid, "targets", len(ts))
	st := &AnswerStatus{Answer: *na}
	st.Progress()
	return st, true, s.queueAnswer(ctx, na)
}

func (s *Service) queueAnswer(ctx context.Context, a *Answer) error {
	jobs := make([]Job, a.Chunks)
	for i := range jobs {
		jobs[i] = Job{Blast: a.Blast, Chunk: i, Answer: a.ID}
	}
	if err := s.Queue.Enqueue(ctx, jobs, 0); err != nil {
		return fmt.Errorf("queue answer %s to blast %s: %w", a.ID, a.Blast, err)
	}
	return nil
}

// answerChunk sends an answer to the pending targets of one chunk.
func (w *Worker) answerChunk(ctx context.Context, j Job) error {
	if w.Answers == nil {
		return errors.New("answer replies: no answer store")
	}
	a, err := w.Answers.BlastAnswer(ctx, j.Blast, j.Answer)
	if errors.Is(err, ErrNotFound) {
		slog.ErrorContext(ctx, "blast answer job for no answer", "blast", j.Blast, "answer", j.Answer)
		return nil
	}
	if err != nil {
		return err
	}
	b, err := w.Store.Blast(ctx, j.Blast)
	if err != nil {
		return err
	}
	ts, err := w.Answers.BlastAnswerTargets(ctx, j.Blast, a.TargetSet(), j.Chunk)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if t.Status != Pending {
			continue
		}
		if err := w.answerOne(ctx, b, &a.Answer, t); err != nil {
			return err
		}
	}
	return nil
}

// answerKey keeps answer a to one message per ticket.
func answerKey(a *Answer, id ticket.ID) string {
	return "blast-answer:" + a.Blast + ":" + a.ID + ":" + string(id)
}

// answerOne texts answer a to target t's ticket through the outbound
// service (purpose reply, recorded on the ticket), after the opt-out check
// and at the blast's pace, and settles the target.
func (w *Worker) answerOne(ctx context.Context, b *Blast, a *Answer, t Target) error {
	id, err := w.Answers.BySource(ctx, ticket.Source{Channel: ticket.SMS, ID: t.SourceID})
	switch {
	case errors.Is(err, ticket.ErrNotFound):
		slog.WarnContext(ctx, "blast answer target has no ticket", "blast", b.ID, "answer", a.ID, "seq", t.Seq)
		t.Status = Failed
		return w.settle(ctx, a, t)
	case err != nil:
		return err
	}
	t.TicketID = string(id)
	opted, err := w.OptOuts.OptedOut(ctx, t.Phone)
	if err != nil {
		return err
	}
	if opted {
		t.Status = Skipped
		return w.settle(ctx, a, t)
	}
	slot, err := w.Pacer.TakeSlot(ctx, w.paceKey(), time.Duration(float64(time.Second)/b.Pace))
	if err != nil {
		return err
	}
	// Nothing is claimed while waiting: a stopped invocation leaves the
	// target pending.
	if err := wait.Sleep(ctx, time.Until(slot)); err != nil {
		return err
	}
	// From the claim to the record the message is seen through, even when
	// the invocation is being stopped (see one).
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	sent, err := w.Sender.Send(sendCtx, outbound.Request{
		TicketID: id, Purpose: outbound.Reply, Key: answerKey(a, id), Actor: a.By,
		Render: func(ticket.Channel, ticket.Language) outbound.Content { return outbound.Content{Text: a.Text} },
		Meta:   map[string]string{"blast": b.ID, "answer": a.ID},
	})
	switch {
	case err == nil:
		t.Status, t.ProviderID = Sent, sent.ProviderID
	case errors.Is(err, outbound.ErrDuplicate):
		// An earlier delivery of this chunk sent it and stopped before
		// settling.
		t.Status = Sent
	case errors.Is(err, outbound.ErrOptedOut):
		t.Status = Skipped
	case errors.Is(err, outbound.ErrNoContact), errors.Is(err, outbound.ErrNoChannel):
		slog.WarnContext(ctx, "blast answer target unreachable", "blast", b.ID, "answer", a.ID, "seq", t.Seq, "err", err)
		t.Status = Failed
	case sent.ProviderID != "":
		// Out but not recorded on the ticket: the claim stays, so it never
		// goes again.
		slog.ErrorContext(ctx, "blast answer not recorded", "blast", b.ID, "answer", a.ID, "seq", t.Seq, "err", err)
		t.Status, t.ProviderID = Sent, sent.ProviderID
	default:
		return fmt.Errorf("answer target %d of blast %s: %w", t.Seq, b.ID, err)
	}
	return w.settle(sendCtx, a, t)
}

func (w *Worker) settle(ctx context.Context, a *Answer, t Target) error {
	return w.Answers.SettleBlastAnswerTarget(ctx, a, t)
}
