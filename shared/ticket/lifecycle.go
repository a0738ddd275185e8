package ticket

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Action is something staff do to a ticket.
type Action string

// The actions staff take; Allowed says from which statuses.
const (
	ActAcknowledge Action = "acknowledge"
	ActAssign      Action = "assign"
	ActTransfer    Action = "transfer"
	ActNote        Action = "note"
	ActReply       Action = "reply"
	ActWait        Action = "wait"
	ActMerge       Action = "merge"
	ActResolve     Action = "resolve"
	ActReopen      Action = "reopen"
	ActClose       Action = "close"
	ActClassify    Action = "classify"
	// ActCallback schedules, reschedules or cancels a callback, or
	// records how it went (Request.Op).
	ActCallback Action = "callback"
)

// Actions lists every action.
var Actions = []Action{ActAcknowledge, ActAssign, ActTransfer, ActNote, ActReply, ActWait, ActMerge, ActResolve, ActReopen, ActClose, ActClassify, ActCallback}

// open lists the statuses of a ticket that still needs work.
var open = []Status{New, Acknowledged, InProgress, Waiting, Reopened}

// machine is the status machine: for each action, the statuses it may be
// taken from. The README shows it as a table.
var machine = map[Action][]Status{
	ActAcknowledge: {New, Reopened},
	ActAssign:      open,
	ActTransfer:    open,
	ActNote:        Statuses,
	ActReply:       open,
	ActWait:        open,
	ActMerge:       open,
	ActResolve:     open,
	ActReopen:      {Resolved, Closed},
	ActClose:       {Resolved},
	ActClassify:    open,
	ActCallback:    open,
}

// Allowed returns the actions that may be taken from status s, in the
// order of Actions.
func Allowed(s Status) []Action {
	var out []Action
	for _, a := range Actions {
		if slices.Contains(machine[a], s) {
			out = append(out, a)
		}
	}
	return out
}

// WaitOn says what a waiting ticket waits for.
type WaitOn string

// What a ticket can wait on.
const (
	OnCustomer   WaitOn = "customer"
	OnThirdParty WaitOn = "third_party"
)

// Pause is a stretch of time the resolve clock did not run: while the
// ticket waited (Reason "wait"), or while the last word was staff's
// (Reason "reply") and the customer had not answered.
type Pause struct {
	Since time.Time `json:"since"`
	Until time.Time `json:"until,omitzero"`
	// Reason is PauseWait or PauseReply.
	Reason string `json:"reason"`
	// On and Why are the wait's, for PauseWait.
	On  WaitOn `json:"on,omitempty"`
	Why string `json:"why,omitempty"`
	// Due is when a wait on the customer next needs something: the
	// reminder, then resolving the ticket.
	Due time.Time `json:"due,omitzero"`
	// Reminded is when the customer was reminded.
	Reminded time.Time `json:"reminded,omitzero"`
}

// Why the resolve clock pauses.
const (
	PauseWait  = "wait"
	PauseReply = "reply"
)

// Request is one staff action as the desk hands it to the domain.
type Request struct {
	Action Action
	// Actor is who acts, as history records them ("staff:<subject>").
	Actor string
	At    time.Time
	// Agent and Queue are where assign and transfer move the ticket.
	Agent string
	Queue string
	// Reason explains a transfer, a wait or a reopening.
	Reason string
	// Text is a note's or a reply's text.
	Text string
	// On is what a wait waits for.
	On WaitOn
	// Into is the surviving ticket of a merge.
	Into       Ref
	Resolution string
	AtFault    Fault
	// Kind, Priority and Major are a classify's corrections; zero values
	// (nil Major) leave that field alone.
	Kind     Kind
	Priority Priority
	Major    *bool
	// Op, Window and Result are a callback action's: what it does, the
	// window to book (schedule, reschedule) and the outcome (outcome).
	Op     CallbackOp
	Window *CallbackRequest
	Result CallbackResult
	// Sent is the message a reply (or a wait with text) sent, already
	// recorded by whoever sent it.
	Sent *Message
}

// Outcome is what an action changes: the ticket as it now stands and what
// it gained. Apply it as one Change.
type Outcome struct {
	Ticket   *Ticket
	Events   []Event
	Messages []Message
}

// NotAllowedError reports an action the status machine does not allow
// from the ticket's status.
type NotAllowedError struct {
	Action  Action
	Status  Status
	Allowed []Action
}

func (e *NotAllowedError) Error() string {
	return fmt.Sprintf("%s is not allowed on a %s ticket", e.Action, e.Status)
}

// InvalidError reports an action whose fields are missing or wrong.
type InvalidError struct{ Problems []string }

func (e *InvalidError) Error() string { return strings.Join(e.Problems, "; ") }

// ErrMerged: the ticket was merged into another; act on that one.
var ErrMerged = errors.New("ticket was merged into another")

// Limits on action fields, in characters.
const (
	MaxNote   = 4000
	MaxReply  = 1600
	MaxReason = 500
)

// Check validates req against t without changing anything: whether the
// action is allowed from t's status and has the fields it needs.
func (r *Rules) Check(t *Ticket, req Request) error {
	if t.MergedInto != "" && req.Action != ActNote {
		return fmt.Errorf("%s on %s: %w into %s", req.Action, t.Ref, ErrMerged, t.MergedInto)
	}
	if _, ok := machine[req.Action]; !ok {
		return &InvalidError{Problems: []string{fmt.Sprintf("action %q is not one of %v", req.Action, Actions)}}
	}
	if !slices.Contains(machine[req.Action], t.Status) {
		return &NotAllowedError{Action: req.Action, Status: t.Status, Allowed: Allowed(t.Status)}
	}
	var p []string
	need := func(ok bool, msg string) {
		if !ok {
			p = append(p, msg)
		}
	}
	text := func(field, v string, max int, required bool) {
		if required && strings.TrimSpace(v) == "" {
			p = append(p, field+" is required")
		}
		if utf8.RuneCountInString(v) > max {
			p = append(p, fmt.Sprintf("%s is longer than %d characters", field, max))
		}
	}
	switch req.Action {
	case ActAssign:
		need((req.Agent == "") != (req.Queue == ""), "assign takes either agent or queue")
	case ActTransfer:
		need(req.Queue != "", "queue is required")
		text("reason", req.Reason, MaxReason, true)
	case ActNote:
		text("text", req.Text, MaxNote, true)
	case ActReply:
		text("text", req.Text, MaxReply, true)
	case ActWait:
		need(req.On == OnCustomer || req.On == OnThirdParty, `on must be "customer" or "third_party"`)
		text("reason", req.Reason, MaxReason, true)
		text("text", req.Text, MaxReply, false)
	case ActMerge:
		need(req.Into != "" && req.Into != t.Ref, "into must name another ticket")
	case ActResolve:
		text("resolution", req.Resolution, MaxReason, true)
		need(slices.Contains([]Fault{FaultProvider, FaultCustomer, FaultUncontrollable, FaultNobody}, req.AtFault),
			`atFault must be "provider", "customer", "uncontrollable" or "none"`)
	case ActReopen:
		text("reason", req.Reason, MaxReason, true)
	case ActCallback:
		scheduled := t.Callback.Scheduled()
		switch req.Op {
		case CallbackSchedule:
			need(!scheduled, "a callback is already scheduled: reschedule or cancel it")
			need(req.Window != nil, "window is required")
		case CallbackReschedule:
			need(scheduled, "no callback is scheduled: schedule one")
			need(req.Window != nil, "window is required")
		case CallbackCancel:
			need(scheduled, "no callback is scheduled")
			text("reason", req.Reason, MaxReason, true)
		case CallbackOutcome:
			need(scheduled, "no callback is scheduled")
			need(slices.Contains([]CallbackResult{CallbackDone, CallbackNoAnswer, CallbackWrongNumber, CallbackDeclined}, req.Result),
				`result must be "done", "no_answer", "wrong_number" or "declined"`)
		default:
			need(false, `op must be "schedule", "reschedule", "cancel" or "outcome"`)
		}
	case ActClassify:
		need(req.Kind != "" || req.Priority != 0 || req.Major != nil, "classify needs kind, priority or major")
		need(req.Kind == "" || req.Kind.Valid(), fmt.Sprintf("kind %q is not one of %v", req.Kind, Kinds))
		need(req.Priority == 0 || (req.Priority >= P1 && req.Priority <= P4), "priority must be P1–P4")
	}
	if len(p) > 0 {
		return &InvalidError{Problems: p}
	}
	return nil
}

// Decide applies req to t: it checks the action, then returns the ticket
// as it stands after it, with the events that record it. t is not
// modified. A reply's message (req.Sent) must already be sent; Decide
// records it as the first response when it is one.
func (r *Rules) Decide(t *Ticket, req Request) (Outcome, error) {
	if err := r.Check(t, req); err != nil {
		return Outcome{}, err
	}
	at := req.At.UTC()
	next := t.Clone()
	next.Version++
	if at.After(next.UpdatedAt) {
		next.UpdatedAt = at
	}
	o := Outcome{Ticket: next}
	ev := func(typ EventType, detail, msgID string) {
		o.Events = append(o.Events, Event{ID: string(NewID(at)), Type: typ, At: at, Actor: req.Actor, Detail: detail, MessageID: msgID})
	}
	// Any staff action but a note ends a wait, and the clock runs on.
	if req.Action != ActNote && req.Action != ActWait && next.Pause != nil && next.Pause.Reason == PauseWait {
		r.resume(next, at)
		ev(EventResumed, "wait ended by "+string(req.Action), "")
		if next.Status == Waiting {
			next.Status = InProgress
		}
	}
	firstResponse := func() {
		if next.AckedAt.IsZero() {
			next.AckedAt = at
		}
		if next.Agent == "" {
			next.Agent = req.Actor
		}
	}
	sent := func() string {
		if req.Sent == nil {
			return ""
		}
		firstResponse()
		// The last word is staff's: the resolve clock waits for the
		// customer to answer.
		if next.Pause == nil {
			next.Pause = &Pause{Since: at, Reason: PauseReply}
		}
		return req.Sent.ID
	}

	switch req.Action {
	case ActAcknowledge:
		firstResponse()
		next.Agent = req.Actor
		next.Status = Acknowledged
		ev(EventAcknowledged, "owner="+next.Agent, "")
	case ActAssign:
		if req.Agent != "" {
			ev(EventAssigned, "agent "+orNone(next.Agent)+" → "+req.Agent, "")
			next.Agent = req.Agent
		} else {
			ev(EventAssigned, "queue "+next.Owner+" → "+req.Queue, "")
			next.Owner = req.Queue
		}
	case ActTransfer:
		ev(EventTransferred, "queue "+next.Owner+" → "+req.Queue+"; agent "+orNone(next.Agent)+" → "+orNone(req.Agent)+"; reason: "+req.Reason, "")
		next.Owner, next.Agent = req.Queue, req.Agent
		if req.Agent == "" && next.Status != Waiting {
			// The new queue takes it up: the first of them to
			// acknowledge owns it. The first response already given
			// still counts.
			next.Status = New
		}
	case ActNote:
		m := Message{ID: string(NewID(at)), Direction: Internal, Channel: next.Channel, Body: req.Text, At: at}
		o.Messages = append(o.Messages, m)
		ev(EventNoteAdded, "", m.ID)
	case ActReply:
		// The reply itself is in the history already: whoever sent it
		// recorded it with its reply_sent event, so it is on record even
		// if this change is not.
		first := next.AckedAt.IsZero()
		id := sent()
		if first {
			ev(EventAcknowledged, "owner="+next.Agent+" by reply", id)
		}
		if next.Status == New || next.Status == Reopened {
			next.Status = Acknowledged
		} else {
			next.Status = InProgress
		}
	case ActWait:
		first := next.AckedAt.IsZero()
		if id := sent(); id != "" && first {
			ev(EventAcknowledged, "owner="+next.Agent+" by reply", id)
		}
		if next.AckedAt.IsZero() {
			// Waiting is taking the ticket up.
			next.AckedAt = at
			if next.Agent == "" {
				next.Agent = req.Actor
			}
			ev(EventAcknowledged, "owner="+next.Agent+" by wait", "")
		}
		since := at
		if next.Pause != nil {
			// A reply just now (or earlier, unanswered) already paused
			// the clock: the pause goes on, now as a wait.
			since = next.Pause.Since
		}
		p := &Pause{Since: since, Reason: PauseWait, On: req.On, Why: req.Reason}
		if req.On == OnCustomer {
			p.Due = r.WaitSpan().After(r.Calendar, at)
		}
		next.Pause = p
		next.Status = Waiting
		ev(EventWaiting, "on "+string(req.On)+": "+req.Reason, "")
	case ActResolve:
		r.resolve(next, at)
		next.Resolution, next.Fault = req.Resolution, req.AtFault
		ev(EventResolved, "at fault: "+string(req.AtFault), "")
	case ActReopen:
		r.reopen(next, at)
		ev(EventReopened, req.Reason, "")
	case ActClose:
		next.Status = Closed
		ev(EventClosed, "", "")
	case ActClassify:
		var d []string
		if req.Kind != "" && req.Kind != next.Kind {
			d = append(d, "kind "+string(next.Kind)+" → "+string(req.Kind))
			next.Kind = req.Kind
		}
		if req.Priority != 0 && req.Priority != next.Priority {
			d = append(d, "priority "+next.Priority.String()+" → "+req.Priority.String())
			next.Priority = req.Priority
		}
		if req.Major != nil && *req.Major != next.Major {
			d = append(d, fmt.Sprintf("major %v → %v", next.Major, *req.Major))
			next.Major = *req.Major
		}
		if len(d) == 0 {
			d = append(d, "unchanged")
		}
		ev(EventReclassified, strings.Join(d, "; "), "")
	case ActCallback:
		if err := r.callback(next, req, ev); err != nil {
			return Outcome{}, err
		}
	case ActMerge:
		return Outcome{}, errors.New("merge takes two tickets: use Merge")
	}
	r.Clocks(next)
	return o, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// resolve marks t resolved at at: its limits are met or moot.
func (r *Rules) resolve(t *Ticket, at time.Time) {
	if t.Pause != nil {
		r.resume(t, at)
	}
	t.Status = Resolved
	t.ResolvedAt = at
	r.planVisit(t, at)
}

// Reopen starts t's clocks again from at: a reopened case gets new limits
// and must be acknowledged again; the owner stays responsible.
func (r *Rules) Reopen(t *Ticket, at time.Time) {
	r.reopen(t, at)
	r.Clocks(t)
}

func (r *Rules) reopen(t *Ticket, at time.Time) {
	t.Status = Reopened
	t.ClockStart = at
	t.Pauses, t.Pause = nil, nil
	t.AckedAt, t.ResolvedAt = time.Time{}, time.Time{}
	t.Resolution = ""
}

// resume ends the running pause at at.
func (r *Rules) resume(t *Ticket, at time.Time) {
	if t.Pause == nil {
		return
	}
	p := *t.Pause
	if at.Before(p.Since) {
		at = p.Since
	}
	p.Until = at
	t.Pauses = append(t.Pauses, p)
	t.Pause = nil
}

// Merge folds ticket from into ticket into: the same matter that reached
// the desk twice. from closes pointing at into; into gains from's
// messages. Both histories record it. Neither ticket is modified.
func (r *Rules) Merge(from, into *Ticket, actor string, at time.Time) (Outcome, Outcome, error) {
	if err := r.Check(from, Request{Action: ActMerge, Into: into.Ref}); err != nil {
		return Outcome{}, Outcome{}, err
	}
	if into.MergedInto != "" {
		return Outcome{}, Outcome{}, fmt.Errorf("merge into %s: %w into %s", into.Ref, ErrMerged, into.MergedInto)
	}
	if into.Status == Closed {
		return Outcome{}, Outcome{}, &NotAllowedError{Action: ActMerge, Status: Closed, Allowed: Allowed(Closed)}
	}
	at = at.UTC()
	f, in := from.Clone(), into.Clone()
	f.Version++
	in.Version++
	for _, t := range []*Ticket{f, in} {
		if at.After(t.UpdatedAt) {
			t.UpdatedAt = at
		}
	}
	if f.Pause != nil {
		r.resume(f, at)
	}
	f.Status, f.MergedInto, f.MergedIntoID = Closed, into.Ref, into.ID
	if in.Priority > f.Priority {
		// The survivor is as urgent as the more urgent of the two.
		in.Priority = f.Priority
	}
	in.VIP = in.VIP || f.VIP
	if in.Contact.Phone == "" {
		in.Contact.Phone = f.Contact.Phone
	}
	if in.Contact.Email == "" {
		in.Contact.Email = f.Contact.Email
	}
	r.Clocks(in)
	r.Clocks(f)
	moved := make([]Message, 0, len(from.Messages))
	for _, m := range from.Messages {
		m.Meta = cloneMeta(m.Meta)
		if m.Meta == nil {
			m.Meta = map[string]string{}
		}
		m.Meta["mergedFrom"] = string(from.Ref)
		moved = append(moved, m)
	}
	ev := func(typ EventType, detail string) Event {
		return Event{ID: string(NewID(at)), Type: typ, At: at, Actor: actor, Detail: detail}
	}
	return Outcome{Ticket: f, Events: []Event{ev(EventMerged, "merged into "+string(into.Ref))}},
		Outcome{Ticket: in, Messages: moved, Events: []Event{ev(EventMerged, fmt.Sprintf("%s merged in: %d messages, its history stays on %s", from.Ref, len(moved), from.Ref))}},
		nil
}

func cloneMeta(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Clone returns a copy of t that shares nothing changeable with it.
func (t *Ticket) Clone() *Ticket {
	c := *t
	c.Pauses = slices.Clone(t.Pauses)
	c.Escalations = slices.Clone(t.Escalations)
	if t.Pause != nil {
		p := *t.Pause
		c.Pause = &p
	}
	if t.Callback != nil {
		cb := *t.Callback
		c.Callback = &cb
	}
	if t.Visit != nil {
		v := *t.Visit
		c.Visit = &v
	}
	if t.CallbackAsk != nil {
		a := *t.CallbackAsk
		c.CallbackAsk = &a
	}
	c.Messages = slices.Clone(t.Messages)
	c.History = slices.Clone(t.History)
	return &c
}

// CustomerWrote is a message from the customer on t at at (any channel):
// it ends a wait or the pause after staff's last word, and the clock runs
// on. It reports whether the clock resumed.
func (r *Rules) CustomerWrote(t *Ticket, at time.Time) bool {
	if t.Pause == nil {
		return false
	}
	wasWaiting := t.Status == Waiting
	r.resume(t, at)
	if wasWaiting {
		t.Status = InProgress
	}
	r.Clocks(t)
	return true
}
