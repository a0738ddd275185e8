package blast

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/frontdesk/frontdesk/shared/identity"
	"github.com/frontdesk/frontdesk/shared/staffauth"
	"github.com/frontdesk/frontdesk/shared/ticket"
)

// Audiences keeps uploaded audience files: the staff API hands out an
// upload URL, and planning reads the file back.
type Audiences interface {
	// UploadURL returns a presigned URL for a PUT of the audience file
	// key, valid for a while.
	UploadURL(ctx context.Context, key string) (string, error)
	// Open reads the audience file key.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

// Service creates blasts, plans them and moves them through their states
// for the staff API.
type Service struct {
	Store     Store
	Queue     Queue
	OptOuts   OptOuts
	Audiences Audiences
	// Answers keeps answers to replies (nil: replies cannot be answered).
	Answers AnswerStore
	// Count is the SMS segment counter.
	Count Counter
	// Region reads numbers written without a country code.
	Region string
	// Zone is the business zone (IANA) for recipients whose own is unknown.
	Zone string
	// Quiet are the quiet hours (ticket.DefaultQuietHours when zero).
	Quiet ticket.QuietHours
	// Pace is the default pace, messages per second (DefaultPace when 0).
	Pace        float64
	ReplyWindow time.Duration
	// MaxRows bounds uploaded audiences (MaxRows when 0).
	MaxRows int
	// Writes bounds the recipient writes planning keeps in flight
	// (WritesInFlight when 0).
	Writes int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Listed is one recipient given in a request.
type Listed struct {
	Phone    string `json:"phone"`
	Name     string `json:"name,omitempty"`
	Language string `json:"language,omitempty"`
}

// Draft is what staff ask for when creating a blast.
type Draft struct {
	Kind Kind `json:"kind"`
	// Text is the message by language: "zh" (or "zh-Hans"), "zh-Hant",
	// "en".
	Text map[string]string `json:"text"`
	// Audience lists up to MaxListed recipients; with Upload set instead,
	// the audience is a CSV uploaded to the URL the answer gives.
	Audience []Listed `json:"audience,omitempty"`
	Upload   bool     `json:"upload,omitempty"`
	// Window may narrow the quiet hours' complement: {"quiet": "21:00-08:00"}.
	Window struct {
		Quiet string `json:"quiet,omitempty"`
	} `json:"window"`
	Pace            float64 `json:"pace,omitempty"`
	DefaultLanguage string  `json:"defaultLanguage,omitempty"`
	// ReplyWindow is how long replies join the incident ("72h").
	ReplyWindow string `json:"replyWindow,omitempty"`
}

// InputError is a request that cannot be acted on, for a 400 answer.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// ErrForbidden is a member of staff acting outside their role.
var ErrForbidden = staffauth.ErrForbidden

// Create makes a blast from d for staff member by: planned at once for a
// listed audience, or awaiting its uploaded file (Audience returns the
// URL to put it to).
func (s *Service) Create(ctx context.Context, by identity.Staff, d Draft) (*Blast, error) {
	if !staffauth.MayBlast(by, d.Kind == Emergency) {
		return nil, ErrForbidden
	}
	now := s.now()
	b := &Blast{
		ID: string(ticket.NewID(now)), Kind: d.Kind, Texts: map[string]string{}, Pace: d.Pace,
		Quiet: s.Quiet, Zone: s.Zone, ReplyWindow: s.ReplyWindow, CreatedBy: by.Actor(), CreatedAt: now, Version: 1,
		DefaultLanguage: Language(d.DefaultLanguage),
	}
	var errs []error
	for l, t := range d.Text {
		lang := Language(l)
		if lang == "" {
			lang = l
		}
		if t = strings.TrimSpace(t); t != "" {
			b.Texts[lang] = t
		}
	}
	if b.DefaultLanguage == "" {
		for _, l := range []string{string(ticket.SimplifiedChinese), string(ticket.TraditionalChinese), string(ticket.English)} {
			if b.Texts[l] != "" {
				b.DefaultLanguage = l
				break
			}
		}
	}
	if b.Pace == 0 {
		b.Pace = s.Pace
		if b.Pace == 0 {
			b.Pace = DefaultPace
		}
	}
	if b.Quiet == (ticket.QuietHours{}) {
		b.Quiet = ticket.DefaultQuietHours
	}
	if d.Window.Quiet != "" {
		q, err := ticket.ParseQuietHours(d.Window.Quiet)
		if err != nil {
			errs = append(errs, fmt.Errorf("window: %w", err))
		}
		b.Quiet = q
	}
	if d.ReplyWindow != "" {
		w, err := time.ParseDuration(d.ReplyWindow)
		if err != nil || w <= 0 {
			errs = append(errs, fmt.Errorf("replyWindow %q is not a duration such as 72h", d.ReplyWindow))
		}
		b.ReplyWindow = w
	}
	if err := b.Check(); err != nil {
		errs = append(errs, err)
	}
	switch {
	case d.Upload && len(d.Audience) > 0:
		errs = append(errs, errors.New("audience: list recipients or upload a file, not both"))
	case !d.Upload && len(d.Audience) == 0:
		errs = append(errs, errors.New("audience: list recipients or ask for an upload"))
	case len(d.Audience) > MaxListed:
		errs = append(errs, fmt.Errorf("audience: at most %d listed recipients; upload a CSV for more", MaxListed))
	}
	if len(errs) > 0 {
		return nil, &InputError{errors.Join(errs...)}
	}
	b.History = []Event{{At: now, Action: Create, Actor: by.Actor(), Detail: "kind=" + string(b.Kind)}}
	if d.Upload {
		b.State = Awaiting
		if err := s.Store.CreateBlast(ctx, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for _, l := range d.Audience {
		_ = w.Write([]string{l.Phone, l.Name, l.Language})
	}
	w.Flush()
	b.State = Planned
	if err := s.plan(ctx, b, &buf, MaxListed); err != nil {
		return nil, err
	}
	return b, s.Store.CreateBlast(ctx, b)
}

// AudienceKey is where blast id's audience file is uploaded.
func AudienceKey(id string) string { return "audiences/" + id + ".csv" }

// UploadURL returns the presigned URL for blast id's audience file.
func (s *Service) UploadURL(ctx context.Context, id string) (string, error) {
	return s.Audiences.UploadURL(ctx, AudienceKey(id))
}

// PlanUpload hands the uploaded audience of a blast awaiting one to a
// plan job on the send queue: the blast is planning until the job has
// read the file (RunPlan), which for a large audience takes longer than a
// staff request may. A missing file is refused at once.
func (s *Service) PlanUpload(ctx context.Context, by identity.Staff, id string) (*Blast, error) {
	b, err := s.Store.Blast(ctx, id)
	if err != nil {
		return nil, err
	}
	if !staffauth.MayBlast(by, b.Kind == Emergency) {
		return nil, ErrForbidden
	}
	if b.State != Awaiting {
		return nil, fmt.Errorf("plan a %s blast: %w", b.State, ErrTransition)
	}
	f, err := s.Audiences.Open(ctx, AudienceKey(id))
	if err != nil {
		return nil, &InputError{fmt.Errorf("audience file: %w", err)}
	}
	f.Close()
	prev := b.Version
	b.PlanError = ""
	if err := b.Apply(QueuePlan, by.Actor(), s.now(), ""); err != nil {
		return nil, err
	}
	if err := s.Store.SaveBlast(ctx, b, prev); err != nil {
		return nil, err
	}
	// Queued once the blast is planning, so that the job finds it so.
	if err := s.Queue.Enqueue(ctx, []Job{{Blast: id, Plan: true}}, 0); err != nil {
		err = fmt.Errorf("queue plan of blast %s: %w", id, err)
		if ferr := s.failPlan(ctx, b, "the plan could not be queued: try again"); ferr != nil {
			return nil, errors.Join(err, ferr)
		}
		return nil, err
	}
	slog.InfoContext(ctx, "blast plan queued", "blast", id)
	return b, nil
}

// planActor is who plan jobs act as in a blast's history.
const planActor = "system:blast-planner"

// RunPlan is the plan job of blast id: it reads the uploaded audience into
// recipients and the plan, and marks the blast planned. It does nothing for
// a blast no longer planning (planned already by an earlier delivery of
// the job, or cancelled). Run again after a crash it writes the same
// recipients under the same keys (a recipient's key is its place among the
// file's recipient rows) and counts the whole file again, so a redelivered
// job leaves the same recipients once and the same counts. A file that
// cannot be planned sends the blast back to awaiting its audience, with
// the reason; other errors are returned for the job to be retried.
func (s *Service) RunPlan(ctx context.Context, id string) error {
	b, err := s.Store.Blast(ctx, id)
	if errors.Is(err, ErrNotFound) {
		slog.ErrorContext(ctx, "blast plan job for no blast", "blast", id)
		return nil
	}
	if err != nil {
		return err
	}
	if b.State != Planning {
		return nil
	}
	prev := b.Version
	f, err := s.Audiences.Open(ctx, AudienceKey(id))
	if err != nil {
		return fmt.Errorf("plan blast %s: %w", id, err)
	}
	defer f.Close()
	limit := s.MaxRows
	if limit == 0 {
		limit = MaxRows
	}
	b.Problems, b.Removed, b.Plan = nil, Removed{}, Plan{}
	err = s.plan(ctx, b, f, limit)
	var in *InputError
	if errors.As(err, &in) {
		slog.WarnContext(ctx, "blast plan failed", "blast", id, "err", err)
		return s.failPlan(ctx, b, in.Error())
	}
	if err != nil {
		return err
	}
	b.PlanError = ""
	if err := b.Apply(PlanAudience, planActor, s.now(),
		fmt.Sprintf("recipients=%d invalid=%d duplicates=%d optedOut=%d", b.Plan.Recipients, b.Removed.Invalid, b.Removed.Duplicates, b.Removed.OptedOut)); err != nil {
		return err
	}
	err = s.Store.SaveBlast(ctx, b, prev)
	if errors.Is(err, ErrConflict) {
		// Cancelled, or planned by a second delivery meanwhile.
		return nil
	}
	if err == nil {
		slog.InfoContext(ctx, "blast planned", "blast", id, "recipients", b.Plan.Recipients)
	}
	return err
}

// failPlan sends planning blast b back to awaiting its audience, with
// reason.
func (s *Service) failPlan(ctx context.Context, b *Blast, reason string) error {
	prev := b.Version
	b.Problems, b.Removed, b.Plan, b.Chunks = nil, Removed{}, Plan{}, 0
	b.PlanError = reason
	if err := b.Apply(PlanFailed, planActor, s.now(), reason); err != nil {
		return err
	}
	err := s.Store.SaveBlast(ctx, b, prev)
	if errors.Is(err, ErrConflict) {
		return nil
	}
	return err
}

// plan reads an audience into b's recipients, stored as they are read
// (Writes batched writes in flight at once, so that memory does not grow
// with the audience): problem rows reported, opted-out numbers removed and
// counted. Each recipient row gets the next Seq whether or not it opted
// out, so keys depend on the file alone and a second run writes the same
// ones.
func (s *Service) plan(ctx context.Context, b *Blast, r io.Reader, limit int) error {
	p, err := NewPlanner(b.Texts, b.DefaultLanguage)
	if err != nil {
		return &InputError{err}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := newRecipientWriter(s.Store, b.ID, s.Writes)
	seq := 0
	// Opt-outs are checked a batch of rows at a time, as they are read.
	optOuts := newOptOutFilter(s.OptOuts, func(row Row) error {
		p.Add(row)
		return w.add(ctx, Recipient{Phone: row.Phone, Name: row.Name, Language: row.Language, Seq: row.seq})
	})
	sum, err := Read(r, Options{Region: s.Region, MaxRows: limit}, func(row Row) error {
		if row.Problem != "" {
			if len(b.Problems) < MaxProblems {
				row.Phone = "" // what the file said stays in the file
				b.Problems = append(b.Problems, row)
			}
			return nil
		}
		row.seq = seq
		seq++
		return optOuts.add(ctx, row)
	})
	if err == nil {
		err = optOuts.flush(ctx)
	}
	if err != nil {
		cancel()
	}
	// Every write started is waited for, even on failure: none outlives
	// the plan.
	if werr := w.close(ctx); err == nil {
		err = werr
	}
	b.Removed.OptedOut = optOuts.optedOut
	if errors.Is(err, ErrTooManyRows) || errors.Is(err, ErrNoPhoneColumn) || errors.Is(err, ErrUTF16) {
		return &InputError{err}
	}
	if err != nil {
		return fmt.Errorf("plan blast %s: %w", b.ID, err)
	}
	b.Removed.Invalid, b.Removed.Duplicates = sum.Invalid, sum.Duplicates
	if b.Plan, err = p.Plan(s.Count, b.Pace); err != nil {
		return &InputError{err}
	}
	b.Chunks = (seq + ChunkSize - 1) / ChunkSize
	return nil
}

// Act applies a staff action (Send, Pause, Resume, Cancel) to blast id:
// sending and resuming queue the blast's chunks (the claims keep a chunk
// queued twice from texting anyone twice).
func (s *Service) Act(ctx context.Context, by identity.Staff, id string, a Action) (*Blast, error) {
	switch a {
	case Send, Pause, Resume, Cancel:
	default:
		return nil, &InputError{fmt.Errorf("no action %q", a)}
	}
	for range 5 {
		b, err := s.Store.Blast(ctx, id)
		if err != nil {
			return nil, err
		}
		if !staffauth.MayBlast(by, b.Kind == Emergency) {
			return nil, ErrForbidden
		}
		prev := b.Version
		if err := b.Apply(a, by.Actor(), s.now(), ""); err != nil {
			return nil, err
		}
		err = s.Store.SaveBlast(ctx, b, prev)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return nil, err
		}
		slog.InfoContext(ctx, "blast action", "blast", b.ID, "action", a, "state", b.State)
		if a == Send || a == Resume {
			if err := s.Queue.Enqueue(ctx, Jobs(b), 0); err != nil {
				return b, fmt.Errorf("queue blast %s: %w", b.ID, err)
			}
		}
		return b, nil
	}
	return nil, fmt.Errorf("%s blast %s: %w", a, id, ErrConflict)
}

// Status is a blast as staff see it: the blast with its plan, its counts,
// and whether quiet hours hold it now.
type Status struct {
	*Blast
	Counts Counts `json:"counts"`
	// HeldUntil is set while quiet hours hold the blast in the business
	// zone.
	HeldUntil time.Time `json:"heldUntil,omitzero"`
}

// Status reads blast id with its counts.
func (s *Service) Status(ctx context.Context, id string) (*Status, error) {
	b, err := s.Store.Blast(ctx, id)
	if err != nil {
		return nil, err
	}
	c, err := s.Store.BlastCounts(ctx, id)
	if err != nil {
		return nil, err
	}
	st := &Status{Blast: b, Counts: c}
	if !b.State.Final() {
		if held, until := b.Hold(s.now(), ""); held {
			st.HeldUntil = until
		}
	}
	return st, nil
}

// Incident is what came back from a blast: its counts and its replies
// grouped by what they say.
type Incident struct {
	Blast  string  `json:"blast"`
	State  State   `json:"state"`
	Counts Counts  `json:"counts"`
	Groups []Group `json:"groups"`
	// Grouping is how long grouping took.
	Grouping time.Duration `json:"groupingNanos"`
	// Answers are staff's answers to groups of the replies, with their
	// progress.
	Answers []AnswerStatus `json:"answers,omitempty"`
}

// Incident reads blast id's replies and groups them.
func (s *Service) Incident(ctx context.Context, id string) (*Incident, error) {
	st, err := s.Status(ctx, id)
	if err != nil {
		return nil, err
	}
	rs, err := s.Store.Replies(ctx, id)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	g := GroupReplies(rs)
	inc := &Incident{Blast: id, State: st.State, Counts: st.Counts, Groups: g, Grouping: time.Since(start)}
	if s.Answers != nil {
		if inc.Answers, err = s.Answers.BlastAnswers(ctx, id); err != nil {
			return nil, err
		}
	}
	return inc, nil
}
